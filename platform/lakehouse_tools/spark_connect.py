"""A local Spark Connect server from the pyspark distribution, for the `remote` profile and its test.

The server is the engine; the Dagster process (and every step process of the multiprocess executor)
is only a Connect client. The server gets what a classic session of the `local` profile gets: the
Delta extension and catalog, the jars (Delta, JDBC drivers) from the Ivy cache, and the path catalog
(in-memory catalog over `<data root>/warehouse`). Its in-memory catalog lives in the server's shared
state, so every client session sees the tables registered by any other.

`python -m lakehouse_tools.spark_connect --port 15002` runs one in the foreground
(`make spark-connect`); tests use `LocalConnectServer` as a context manager.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from lakehouse.config.profile import Profile, load_profile, resolve_data_root
from lakehouse.resources.spark import spark_config_for

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def spark_submit() -> Path:
    """spark-submit of the installed pyspark (its jars/ already hold the Connect server jar)."""
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-submit"


def server_conf(engine: Profile, warehouse: str, port: int, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Server-side configuration: the engine profile's classic settings plus the path catalog."""
    conf = {k: str(v) for k, v in spark_config_for(engine).items()}
    conf.update({
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        # The path catalog, exactly as SparkResource sets it for a classic session.
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": warehouse,
        "spark.ui.enabled": "false",
        "spark.log.level": "WARN",  # the server's INFO log (every client request) costs I/O and disk
    })
    conf.update(overrides or {})
    return conf


def server_command(conf: dict[str, str]) -> list[str]:
    command = [str(spark_submit()), "--class", SERVER_CLASS, "--name", "lakehouse-spark-connect"]
    for key, value in sorted(conf.items()):
        command += ["--conf", f"{key}={value}"]
    return command


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class LocalConnectServer:
    """Start a Spark Connect server, wait until it listens, and stop it (and its Python workers)."""

    def __init__(self, warehouse: Path, log_file: Path, port: int | None = None,
                 engine: Profile | None = None, overrides: dict[str, str] | None = None,
                 start_timeout_s: float = 240.0) -> None:
        self.port = port or free_port()
        self.warehouse, self.log_file, self.start_timeout_s = warehouse, log_file, start_timeout_s
        self.conf = server_conf(engine or load_profile("local"), str(warehouse), self.port, overrides)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def start(self) -> LocalConnectServer:
        self.warehouse.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1",
               # foreachBatch functions run in server-side Python workers: they import lakehouse too.
               "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
        env.pop("SPARK_REMOTE", None)  # the server itself is a classic Spark application
        with self.log_file.open("ab") as log:
            # Own session (process group): stopping it also ends the JVM's Python workers.
            self._process = subprocess.Popen(server_command(self.conf), stdout=log, stderr=subprocess.STDOUT,
                                             env=env, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout_s
        while not _listening(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"Spark Connect server exited with {self._process.returncode}:\n{self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"Spark Connect server not listening on {self.port} after "
                                   f"{self.start_timeout_s:.0f} s:\n{self._log_tail()}")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def _log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> LocalConnectServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a local Spark Connect server for the remote profile.")
    parser.add_argument("--port", type=int, default=15002, help="gRPC port (the remote profile uses 15002)")
    parser.add_argument("--data-root", default=None, help="Data root (default: the remote profile's, resolved)")
    parser.add_argument("--master", default=None, help="Spark master of the server (default: the local profile's, "
                        "local[*]); spark://host:7077 for a standalone cluster (scripts/spark_standalone.sh)")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="Extra server setting, repeatable (e.g. spark.executor.memory=3g on a cluster)")
    args = parser.parse_args(argv)
    root = resolve_data_root(args.data_root or load_profile("remote").storage.data_root)
    overrides = dict(item.split("=", 1) for item in args.conf)
    if args.master:
        overrides["spark.master"] = args.master
    server = LocalConnectServer(root / "warehouse", root / "logs" / "spark-connect.log", port=args.port,
                                overrides=overrides)
    # SIGTERM (scripts/spark_standalone.sh stop) unwinds like Ctrl-C, so the server is stopped with us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with server:
        print(f"Spark Connect server on {server.url} (warehouse {server.warehouse}, log {server.log_file}); "
              "Ctrl-C stops it", flush=True)
        try:
            while server._process is not None and server._process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
