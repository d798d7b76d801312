"""The `compute` resource: where a processing step runs, chosen by the profile, never by the asset.

Every processing asset does `return compute.run(context, step)`. The base class (resources/compute.py)
guards blocking checks before the step is dispatched and records the step's figures as the Delta IO
manager's metadata afterwards, for every implementation; each one here only implements `execute`:
- LocalCompute: the step's function on the run's own Spark session (local JVM or Spark Connect).
- DatabricksCompute: jobs runs/submit of the Pipes entry script (spark_python_task) on a new or
  existing cluster through dagster-databricks' PipesDatabricksClient; the cluster runs the same step
  function and reports the materialisation and check results back.
- PipesSubprocessCompute: the same entry script as a local subprocess through PipesSubprocessClient,
  to exercise the cluster path (context in, results back) without a workspace.
The Pipes computes pass the run's partitions and their days in the extras, and read back the write's
figures and the check results (databricks/pipes_outcome.py).

`compute_resource_for(profile)` picks one. Secrets: the workspace URL and token are dagster.EnvVar
references, resolved when a run starts, so loading definitions reads no secret and none reaches logs or
the UI.
"""

from __future__ import annotations

import sys
from typing import Any

from dagster import AssetExecutionContext, EnvVar, PipesSubprocessClient
from pydantic import Field

from lakehouse.config.databricks import DBFS_ASSETS_DIR, DatabricksSettings, load_cluster_spec
from lakehouse.config.features import FeatureRegistry
from lakehouse.config.profile import Profile, resolve_data_root
from lakehouse.config.project import PROJECT_ENV_VAR, is_default_project, project_dir, project_env
from lakehouse.databricks import pipes_outcome
from lakehouse.databricks.sdk_models import strict_from_dict
from lakehouse.processing.steps import run_step
from lakehouse.resources.compute import ComputeResource, RunDays, StepOutcome
from lakehouse.resources.spark import SparkResource


class LocalCompute(ComputeResource):
    """In-process: the step function on the run's Spark session (the embedded and remote profiles)."""

    spark: SparkResource

    def execute(self, context: AssetExecutionContext, step: str, days: RunDays) -> StepOutcome:
        return run_step(step, self.spark, self.dataset, days, self.feature_registry())

    def feature_registry(self) -> FeatureRegistry | None:
        """None: the steps read the dataset's features.yaml. The benchmarks override it (their look-back)."""
        return None


class _PipesCompute(ComputeResource):
    """What the step needs on the other side, passed as Pipes extras: the run's partitions and their days
    (the step writes and counts each partition, as in-process), the dataset and where its tables are."""

    catalog: str = Field(default="path", description="`path` or `unity`, as the profile's storage.catalog.")
    catalog_name: str | None = Field(default=None, description="Unity Catalog name when catalog = unity.")
    profile: str = Field(description="Profile the entry script builds its Spark session from (path catalog).")
    data_root: str = Field(default=".lakehouse", description="Profile data root (resolved when the run starts).")

    def extras(self, step: str, days: RunDays) -> dict[str, Any]:
        extras: dict[str, Any] = {"step": step, "dataset": self.dataset, "catalog": self.catalog,
                                  "catalog_name": self.catalog_name, "profile": self.profile,
                                  "partitions": days.to_json()}
        if self.catalog == "path":
            extras["data_root"] = str(resolve_data_root(self.data_root))
        return extras


class PipesSubprocessCompute(_PipesCompute):
    """The Databricks entry script, run locally: the cluster code path without a cluster."""

    spark_conf: dict[str, str] = Field(
        default_factory=dict, description="Extra settings for the subprocess's own local Spark session."
    )

    def execute(self, context: AssetExecutionContext, step: str, days: RunDays) -> StepOutcome:
        script = DBFS_ASSETS_DIR / DatabricksSettings().entry_script
        extras = {**self.extras(step, days), "spark_conf": dict(self.spark_conf)}
        # The subprocess reads the orchestrator's project (the step loads the dataset configuration there).
        invocation = PipesSubprocessClient(env=project_env()).run(
            context=context, extras=extras, command=[sys.executable, str(script), "--pipes-io", "default"]
        )
        return pipes_outcome.read(invocation.get_materialize_result(), step)


class DatabricksCompute(_PipesCompute):
    """jobs runs/submit of the entry script through Pipes. Host and token come from dagster.EnvVar."""

    host: str = Field(description="Workspace URL (EnvVar DATABRICKS_HOST).")
    token: str = Field(description="Access token (EnvVar DATABRICKS_TOKEN); never logged.")
    assets_root: str = Field(description="Where dbfs_assets/ was uploaded (DatabricksSettings.assets_root).")
    entry_script: str = Field(description="Pipes entry script under assets_root.")
    cluster_spec: str = Field(description="Cluster spec JSON, relative to dbfs_assets/.")
    existing_cluster_id: str | None = Field(default=None, description="All-purpose cluster instead of a job cluster.")
    poll_interval_seconds: float = Field(default=10.0, description="How often the run's state is polled.")
    timeout_seconds: int = Field(default=3600, description="Databricks run timeout.")

    @classmethod
    def from_settings(cls, settings: DatabricksSettings, **fields: Any) -> DatabricksCompute:
        return cls(assets_root=settings.assets_root, entry_script=settings.entry_script,
                   cluster_spec=settings.cluster_spec, existing_cluster_id=settings.existing_cluster_id,
                   poll_interval_seconds=settings.poll_interval_seconds, timeout_seconds=settings.timeout_seconds,
                   **fields)

    @property
    def settings(self) -> DatabricksSettings:
        return DatabricksSettings(
            assets_root=self.assets_root, entry_script=self.entry_script, cluster_spec=self.cluster_spec,
            existing_cluster_id=self.existing_cluster_id, poll_interval_seconds=self.poll_interval_seconds,
            timeout_seconds=self.timeout_seconds,
        )

    def submit_task(self, step: str) -> Any:
        """The jobs.SubmitTask for one step (Pipes adds its bootstrap parameters when it submits)."""
        from databricks.sdk.service import jobs

        root = self.settings.assets_root.rstrip("/")
        task: dict[str, Any] = {
            "task_key": f"lakehouse_{step}",
            "spark_python_task": {
                "python_file": f"{root}/{self.settings.entry_script}",
                # --pipes-io dbfs: read the context from / write messages to DBFS (the client's defaults).
                "parameters": ["--pipes-io", "dbfs"],
            },
        }
        if self.settings.existing_cluster_id:
            task["existing_cluster_id"] = self.settings.existing_cluster_id
        else:
            spec = load_cluster_spec(self.settings)
            task["new_cluster"] = spec["new_cluster"]
            task["libraries"] = spec.get("libraries", [])
        # Strict: a key or enum value the SDK does not know would otherwise vanish before submission.
        return strict_from_dict(jobs.SubmitTask, task, f"The {step} task (cluster spec {self.settings.cluster_spec})")

    def submit_args(self, context: AssetExecutionContext, step: str) -> dict[str, Any]:
        """Keyword arguments of WorkspaceClient.jobs.submit besides the task (Pipes forwards them as they are)."""
        return {"run_name": f"lakehouse {step} {context.run.run_id[:8]}",
                "timeout_seconds": self.settings.timeout_seconds}

    def workspace_client(self) -> Any:
        from databricks.sdk import WorkspaceClient

        return WorkspaceClient(host=self.host, token=self.token)

    def execute(self, context: AssetExecutionContext, step: str, days: RunDays) -> StepOutcome:
        from dagster_databricks import PipesDatabricksClient

        client = PipesDatabricksClient(client=self.workspace_client(),
                                       poll_interval_seconds=self.settings.poll_interval_seconds)
        invocation = client.run(context=context, extras=self.extras(step, days), task=self.submit_task(step),
                                submit_args=self.submit_args(context, step))
        return pipes_outcome.read(invocation.get_materialize_result(), step)


def compute_resource_for(profile: Profile, spark: SparkResource, data_root: str | None = None) -> ComputeResource:
    """The profile's compute: its `databricks` section picks Pipes (a cluster or a subprocess); without one,
    the run's own Spark session."""
    settings = profile.databricks
    if settings is None:
        return LocalCompute(dataset=profile.dataset, spark=spark)
    common: dict[str, Any] = dict(dataset=profile.dataset, catalog=profile.storage.catalog, catalog_name=profile.storage.catalog_name,
                  profile=profile.name, data_root=data_root or profile.storage.data_root)
    if settings.compute == "pipes_subprocess":
        return PipesSubprocessCompute(**common)
    if not is_default_project():
        # The cluster reads the dataset configuration from the wheel, which carries the default project
        # only: it would run another dataset's configuration than the one these definitions were built from.
        raise ValueError(
            f"Profile {profile.name!r} runs processing on a Databricks cluster, which reads the dataset "
            f"configuration shipped in the lakehouse wheel (the default project), not {PROJECT_ENV_VAR}="
            f"{project_dir()}. Unset {PROJECT_ENV_VAR}, or use a profile without `databricks.compute: databricks` "
            "(docs/changing-the-data-model.md, \"Start a project\")."
        )
    return DatabricksCompute.from_settings(
        settings, host=EnvVar(settings.host_env), token=EnvVar(settings.token_env), **common
    )
