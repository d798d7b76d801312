"""Databricks settings of a profile: where the Pipes entry scripts live and which cluster runs them.

Credentials are never here: the workspace URL and token are read by dagster.EnvVar from
DATABRICKS_HOST / DATABRICKS_TOKEN when a run starts (names configurable below).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from lakehouse.config.base import StrictModel

# The repository's dbfs_assets/ folder: what `python -m lakehouse.databricks upload` copies.
DBFS_ASSETS_DIR = Path(__file__).resolve().parents[3] / "dbfs_assets"


class DatabricksSettings(StrictModel):
    compute: Literal["databricks", "pipes_subprocess"] = Field(
        default="databricks",
        description="databricks: the processing steps run on a Databricks cluster (jobs runs/submit with "
        "a spark_python_task, through dagster-databricks Pipes). pipes_subprocess: the same entry script "
        "runs as a local subprocess through PipesSubprocessClient (debugging the cluster path offline).",
    )
    host_env: str = Field(default="DATABRICKS_HOST", description="Environment variable holding the workspace URL.")
    token_env: str = Field(default="DATABRICKS_TOKEN", description="Environment variable holding the access token.")
    assets_root: str = Field(
        default="dbfs:/lakehouse",
        description="Where `python -m lakehouse.databricks upload` put dbfs_assets/ (dbfs:/... or a Unity "
        "Catalog Volume /Volumes/<catalog>/<schema>/<volume>/...). Entry scripts, init script and wheel "
        "are addressed below it.",
    )
    entry_script: str = Field(default="pipes/processing_step.py", description="Pipes entry script, under assets_root.")
    cluster_spec: str = Field(
        default="cluster_specs/processing.json",
        description="Cluster spec (JSON: new_cluster and libraries), relative to dbfs_assets/. `{assets_root}` "
        "in it is replaced by assets_root.",
    )
    existing_cluster_id: str | None = Field(
        default=None,
        description="Run on this all-purpose cluster instead of a new job cluster (Pipes then passes its "
        "bootstrap parameters as script arguments). The cluster must have the lakehouse wheel installed.",
    )
    poll_interval_seconds: float = Field(default=10.0, description="How often the run's state is polled.")
    timeout_seconds: int = Field(default=3600, description="Databricks run timeout (jobs runs/submit).")


def fuse_path(uri: str) -> str:
    """How a cluster node's file system sees an upload target: dbfs:/x -> /dbfs/x; Volumes and
    workspace paths are mounted as they are."""
    return "/dbfs/" + uri[len("dbfs:/"):].lstrip("/") if uri.startswith("dbfs:/") else uri


def init_script_kind(uri: str) -> str:
    """The cluster spec's init script source for an upload target (DBFS init scripts are deprecated)."""
    if uri.startswith("/Volumes/"):
        return "volumes"
    if uri.startswith("/Workspace/"):
        return "workspace"
    return "dbfs"


def wheel_name() -> str:
    from importlib.metadata import version

    return f"lakehouse-{version('lakehouse')}-py3-none-any.whl"


def load_cluster_spec(settings: DatabricksSettings) -> dict[str, Any]:
    """The cluster spec file with its placeholders filled: {"new_cluster": {...}, "libraries": [...]}."""
    path = DBFS_ASSETS_DIR / settings.cluster_spec
    root = settings.assets_root.rstrip("/")
    values = {"assets_root": root, "assets_root_fuse": fuse_path(root), "init_script_kind": init_script_kind(root),
              "wheel": wheel_name()}
    text = path.read_text()
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    spec = json.loads(text)
    unknown = set(spec) - {"new_cluster", "libraries", "description"}
    if unknown or "new_cluster" not in spec:
        raise ValueError(f"{path}: expected keys new_cluster, libraries (and description); got {sorted(spec)}")
    return spec
