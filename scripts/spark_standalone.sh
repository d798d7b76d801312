#!/usr/bin/env bash
# A local Spark standalone cluster (one master, two workers) with a Spark Connect server in front of
# it, all from the pyspark distribution in .venv: the `remote` profile then runs on real executors.
#   bash scripts/spark_standalone.sh start   # master :7077 (UI :8080), 2 workers, Connect :15002
#   LAKEHOUSE_PROFILE=remote make run         # or: LAKEHOUSE_PROFILE=remote .venv/bin/python -m lakehouse_tools.run
#   bash scripts/spark_standalone.sh stop
# Everything shares one data root (LAKEHOUSE_DATA_ROOT or .lakehouse): on one machine the driver, the
# executors and the Dagster process see the same paths. See docs/remote-spark.md.
set -euo pipefail

cd "$(dirname "$0")/.."
PY=.venv/bin/python
SPARK_HOME=$($PY -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')
STATE=${LAKEHOUSE_DATA_ROOT:-.lakehouse}/standalone
MASTER_URL=spark://127.0.0.1:7077
WORKER_CORES=${WORKER_CORES:-1}
WORKER_MEMORY=${WORKER_MEMORY:-2g}
EXECUTOR_MEMORY=${EXECUTOR_MEMORY:-1g}   # one executor per worker: at most WORKER_MEMORY less overhead
export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$PWD/$PY"

wait_port() {  # port, seconds
  for _ in $(seq "$2"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "port $1 not listening after $2 s (logs in $STATE)" >&2
  return 1
}

start_bg() {  # name, command...
  local name=$1; shift
  setsid "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
  echo "started $name (pid $(cat "$STATE/$name.pid"), log $STATE/$name.log)"
}

start() {
  mkdir -p "$STATE"
  start_bg master "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port 7077 --webui-port 8080
  wait_port 7077 60
  for i in 1 2; do
    start_bg "worker$i" "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" --webui-port $((8080 + i)) \
      --work-dir "$STATE/worker$i" "$MASTER_URL"   # executors' logs: <work-dir>/<app id>/<executor id>/stderr
  done
  start_bg connect "$PY" -m lakehouse_tools.spark_connect --master "$MASTER_URL" --port 15002 \
    --conf "spark.executor.memory=$EXECUTOR_MEMORY"
  wait_port 15002 300
  echo "Spark Connect on sc://127.0.0.1:15002 in front of $MASTER_URL (UI http://127.0.0.1:8080)"
}

stop() {
  # Only the processes this script started, by the pids it recorded (their process groups: setsid).
  for name in connect worker2 worker1 master; do
    if [[ -f "$STATE/$name.pid" ]]; then
      pid=$(cat "$STATE/$name.pid")
      kill -TERM -- "-$pid" 2>/dev/null && echo "stopped $name (pid $pid)" || echo "$name (pid $pid) was not running"
      rm -f "$STATE/$name.pid"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
