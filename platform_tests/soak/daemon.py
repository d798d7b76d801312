"""The real `dagster-daemon` on the real code location (workspace.yaml), against a demo data root and a
Dagster home of the soak's own, and the instance read the way the UI reads it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from lakehouse.config.project import PROJECT_ENV_VAR
from lakehouse_tools.demo.clock import demo_project_dir

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TEMPLATE = REPO / "scripts" / "templates" / "dagster.yaml"
# The template's monitoring, shortened so a killed run is noticed within seconds (production: 30 s).
SOAK_INSTANCE = {"run_monitoring": {"poll_interval_seconds": 5}}
UNFINISHED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
              DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def soak_env(root: Path, home: Path, replayed: bool = True) -> dict[str, str]:
    """The environment of every process of the soak. Once the root is `replayed`, they read the demo
    project `make run` wrote there (its calendar ends where the replay did: lakehouse_tools/demo/clock.py)."""
    env = {key: value for key, value in os.environ.items() if key != PROJECT_ENV_VAR}
    if replayed:
        env[PROJECT_ENV_VAR] = str(demo_project_dir(root))
    return {**env, "LAKEHOUSE_DATA_ROOT": str(root), "DAGSTER_HOME": str(home),
            "LAKEHOUSE_PROFILE": "local", "SPARK_LOCAL_IP": "127.0.0.1", "PYTHONUNBUFFERED": "1"}


def write_instance_yaml(home: Path) -> None:
    """The local template `make dev` uses, with a faster monitoring poll."""
    config = yaml.safe_load(TEMPLATE.read_text())
    for section, values in SOAK_INSTANCE.items():
        config[section] = {**config.get(section, {}), **values}
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))


class Daemon:
    """`dagster-daemon run -w workspace.yaml` in its own process group (stopped with everything it started)."""

    def __init__(self, root: Path, home: Path) -> None:
        self.env, self.log = soak_env(root, home), home / "daemon.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def wait_until(what: str, done: Callable[[], object], timeout: float, daemon: Daemon, every: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if not daemon.alive():
            raise AssertionError(f"dagster-daemon exited while waiting for {what}; see {daemon.log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}; see {daemon.log}")
        time.sleep(every)


def unfinished_runs(instance: DagsterInstance) -> int:
    return len(instance.get_run_ids(RunsFilter(statuses=UNFINISHED)))


def active_backfills(instance: DagsterInstance) -> int:
    from dagster._core.execution.backfill import BulkActionStatus  # no public filter for backfill status

    return len(instance.get_backfills(status=BulkActionStatus.REQUESTED))


def worker_pid(instance: DagsterInstance, run_id: str) -> int | None:
    """The run worker's process id, from the engine event Dagster records when it starts the process."""
    for entry in instance.all_logs(run_id):
        match = re.search(r"pid: (\d+)", entry.message or "")
        if match:
            return int(match.group(1))
    return None
