"""A real `dagster-webserver` over a workspace file (workspace.yaml by default), in its own process group,
and a GraphQL client for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
LOCATION = "lakehouse"  # location_name in workspace.yaml
REPOSITORY = "__repository__"  # the implicit repository of a Definitions object

# The test instance. The DefaultRunCoordinator launches a run at once in the webserver's run launcher
# (the default QueuedRunCoordinator would leave it queued for a daemon that this test does not start).
# `nux` off: otherwise a first-visit "Join the Dagster community" modal covers the screenshot.
DAGSTER_YAML = """\
run_coordinator:
  module: dagster._core.run_coordinator.default_run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
nux:
  enabled: false
"""

# Spark settings the profile leaves open, set from outside without touching the profile: spark-submit
# takes the last --driver-memory, and PYSPARK_SUBMIT_ARGS comes after the builder's --conf flags.
# (local[*] is local[2] on these 2-core machines, like the test profile.)
SPARK_ENV = {"SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_SUBMIT_ARGS": "--driver-memory 2g pyspark-shell"}

_LOCATION_QUERY = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message stack } } } } ... on PythonError { message } } }"""


@dataclass
class Webserver:
    url: str
    process: subprocess.Popen
    log: Path

    def graphql(self, query: str, variables: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        """POST /graphql; GraphQL-level errors fail the caller with the server's message."""
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=timeout
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_webserver(
    home: Path, data_root: Path | None, timeout: float = 240, workspace: str = "workspace.yaml",
    locations: tuple[str, ...] = (LOCATION,),
) -> Webserver:
    """Start the webserver on a free loopback port and wait until its code `locations` have loaded.
    `data_root` None: each location's profile keeps its own data root (a workspace of several datasets)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    port = free_port()
    env = {
        **os.environ,
        **SPARK_ENV,
        "DAGSTER_HOME": str(home),
        "LAKEHOUSE_PROFILE": "local",  # launched runs need the local engine; assets are the same in every profile
    }
    env.pop("LAKEHOUSE_DATA_ROOT", None)
    if data_root is not None:
        env["LAKEHOUSE_DATA_ROOT"] = str(data_root)  # read at run time by the resources of launched runs
    log = home / "webserver.log"
    command = [
        str(Path(sys.executable).parent / "dagster-webserver"),
        "-w", workspace, "-h", "127.0.0.1", "-p", str(port),
    ]
    with log.open("wb") as out:
        # A new session: the code server, run workers and their JVMs share its process group, so
        # stop_webserver can end exactly the processes this test started.
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Webserver(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_until_loaded(server, timeout, locations)
    except BaseException:
        stop_webserver(server)
        raise
    return server


def _wait_until_loaded(server: Webserver, timeout: float, locations: tuple[str, ...]) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"dagster-webserver exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            workspace = server.graphql(_LOCATION_QUERY, timeout=10)["workspaceOrError"]
        except requests.RequestException as err:  # not listening yet: keep polling until the deadline
            last = repr(err)
        else:
            entries = {e["name"]: e for e in workspace.get("locationEntries", [])}
            loaded = [entries[n] for n in locations if n in entries and entries[n]["loadStatus"] == "LOADED"]
            for entry in loaded:
                if entry["locationOrLoadError"]["__typename"] != "RepositoryLocation":
                    raise AssertionError(f"Code location {entry['name']} failed to load: {entry['locationOrLoadError']}")
            if len(loaded) == len(locations):
                return
            last = str(workspace)
        time.sleep(1)
    raise AssertionError(f"dagster-webserver not ready after {timeout:.0f}s ({last}):\n{server.log_tail()}")


def stop_webserver(server: Webserver, grace: float = 20) -> None:
    """SIGTERM the webserver's process group (webserver, code server, runs, JVMs), then SIGKILL what is left."""
    if not _signal_group(server.process.pid, signal.SIGTERM):
        return
    try:
        server.process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        print(f"dagster-webserver ignored SIGTERM for {grace:.0f}s; killing its process group", file=sys.stderr)
    # Run workers or JVMs may outlive a webserver that exited cleanly: end the rest of the group too.
    _signal_group(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=grace)


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Signal every process of the group; False when none is left (nothing to stop is not an error)."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True
