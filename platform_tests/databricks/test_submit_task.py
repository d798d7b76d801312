"""The Databricks side as far as it can be tested without a workspace: the profile selects the
Databricks compute resource, the jobs.SubmitTask it builds (entry script, cluster spec, init script,
wheel), and what the real PipesDatabricksClient submits. Mocked: only the WorkspaceClient, at the
points where a call would reach Databricks (DBFS writes of the Pipes context, jobs runs/submit)."""

from __future__ import annotations

import base64
import json
from unittest.mock import MagicMock

import pytest
from dagster import DagsterInstance, EnvVar, materialize

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import load_profile
from lakehouse.databricks.compute import DatabricksCompute, LocalCompute, compute_resource_for
from lakehouse.partitions import build_calendar
from lakehouse.processing.assets import build_processing_assets
from lakehouse.resources.spark import spark_resource_for

DAY = "2026-07-02"


class _Submitted(Exception):
    """Raised by the fake jobs.submit: the run would now start on Databricks."""


def _compute() -> DatabricksCompute:
    profile = load_profile("databricks")
    compute = compute_resource_for(profile, spark_resource_for(profile))
    assert isinstance(compute, DatabricksCompute)
    return compute


def test_profiles_select_the_compute_resource() -> None:
    local = load_profile("local")
    assert isinstance(compute_resource_for(local, spark_resource_for(local)), LocalCompute)
    compute = _compute()
    # Secrets stay EnvVar references until a run starts: loading definitions reads no token.
    assert compute.host == EnvVar("DATABRICKS_HOST") and compute.token == EnvVar("DATABRICKS_TOKEN")
    assert compute.catalog == "unity" and compute.catalog_name == "lakehouse"


def test_submit_task_runs_the_entry_script_on_the_processing_cluster() -> None:
    task = _compute().submit_task("silver").as_dict()
    assert task["task_key"] == "lakehouse_silver"
    assert task["spark_python_task"] == {"python_file": "dbfs:/lakehouse/pipes/processing_step.py",
                                         "parameters": ["--pipes-io", "dbfs"]}
    cluster = task["new_cluster"]
    assert cluster["spark_version"] == "17.3.x-scala2.13" and cluster["node_type_id"] and cluster["num_workers"] == 2
    assert cluster["init_scripts"] == [{"dbfs": {"destination": "dbfs:/lakehouse/init_scripts/install_lakehouse.sh"}}]
    assert cluster["spark_env_vars"]["LAKEHOUSE_WHEEL"].startswith("/dbfs/lakehouse/wheels/lakehouse-")
    requirements = cluster["spark_env_vars"]["LAKEHOUSE_REQUIREMENTS"]
    assert requirements == "/dbfs/lakehouse/init_scripts/cluster-requirements.txt"
    assert task.get("libraries", []) == []  # the init script installs the wheel without its Spark-pinning dependencies


def test_volume_target_and_existing_cluster() -> None:
    volume = _compute().model_copy(update={"assets_root": "/Volumes/main/lakehouse/assets"})
    cluster = volume.submit_task("features").as_dict()["new_cluster"]
    script = "/Volumes/main/lakehouse/assets/init_scripts/install_lakehouse.sh"
    assert cluster["init_scripts"] == [{"volumes": {"destination": script}}]
    assert cluster["spark_env_vars"]["LAKEHOUSE_WHEEL"].startswith("/Volumes/main/lakehouse/assets/wheels/")
    existing = _compute().model_copy(update={"existing_cluster_id": "0101-abc"}).submit_task("labels").as_dict()
    assert existing["existing_cluster_id"] == "0101-abc" and "new_cluster" not in existing


def test_pipes_submits_the_task_with_bootstrap_env_and_context() -> None:
    workspace = MagicMock(name="WorkspaceClient")  # stands in for the workspace: nothing leaves this process
    submitted: list = []

    def submit(tasks, **kwargs):
        submitted.append((tasks, kwargs))
        raise _Submitted

    workspace.jobs.submit.side_effect = submit

    class OfflineDatabricksCompute(DatabricksCompute):
        def workspace_client(self):
            return workspace

    base = _compute()
    compute = OfflineDatabricksCompute(**{**base.model_dump(), "host": "https://example.invalid", "token": "t0ken"})
    dataset = load_dataset("card_fraud")
    silver = build_processing_assets(dataset, build_calendar(dataset.partitions))[0]
    with DagsterInstance.ephemeral() as instance:
        result = materialize([silver], resources={"compute": compute}, instance=instance, partition_key=DAY,
                             raise_on_error=False)
    assert not result.success  # the fake stops at submission; a real run would be polled from here
    (tasks, kwargs), = submitted
    task = tasks[0].as_dict()
    assert kwargs["run_name"].startswith("lakehouse silver") and kwargs["timeout_seconds"] == 3600
    assert task["spark_python_task"]["python_file"] == "dbfs:/lakehouse/pipes/processing_step.py"
    env = task["new_cluster"]["spark_env_vars"]
    assert {"DAGSTER_PIPES_CONTEXT", "DAGSTER_PIPES_MESSAGES", "LAKEHOUSE_WHEEL"} <= set(env)
    # The context Pipes wrote to DBFS for the entry script: the step, the catalog, the partitions and their days.
    puts = [c.kwargs["body"] for c in workspace.api_client.do.call_args_list if c.args[1].endswith("/dbfs/put")]
    context = json.loads(base64.b64decode(puts[0]["contents"]))
    assert context["extras"]["step"] == "silver" and context["extras"]["catalog"] == "unity"
    assert context["extras"]["partitions"] == {DAY: [DAY, "2026-07-03"]}
    assert context["partition_key"] == DAY and context["asset_keys"] == ["card_fraud/silver/transactions"]
    assert "t0ken" not in json.dumps(context) + json.dumps(task)


@pytest.mark.parametrize("step", ["silver", "features", "labels"])
def test_every_step_has_a_task(step: str) -> None:
    assert _compute().submit_task(step).spark_python_task.python_file.endswith("processing_step.py")
