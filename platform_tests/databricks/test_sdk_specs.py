"""What we would submit to Databricks, checked against databricks-sdk's own request models (no workspace,
no mock, no Spark): every task the `databricks` profile can build, the cluster spec file, the jobs.submit
arguments, and the init script and requirements the cluster runs. What is not checkable here is listed
in docs/databricks.md ("Verified here, and what is not")."""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from databricks.sdk.service import jobs

from lakehouse.config.databricks import DBFS_ASSETS_DIR, DatabricksSettings, load_cluster_spec
from lakehouse.config.profile import REPO_ROOT, load_profile
from lakehouse.databricks.compute import DatabricksCompute, compute_resource_for
from lakehouse.processing.steps import STEPS
from lakehouse.resources.spark import spark_resource_for

INIT_SCRIPT = DBFS_ASSETS_DIR / "init_scripts" / "install_lakehouse.sh"
REQUIREMENTS = DBFS_ASSETS_DIR / "init_scripts" / "cluster-requirements.txt"
# Upload targets and the init-script source each one selects (config/databricks.py init_script_kind).
ROOTS = {"dbfs:/lakehouse": "dbfs", "/Volumes/main/lakehouse/assets": "volumes",
         "/Workspace/Shared/lakehouse": "workspace"}


def _compute(**update: Any) -> DatabricksCompute:
    profile = load_profile("databricks")
    compute = compute_resource_for(profile, spark_resource_for(profile))
    assert isinstance(compute, DatabricksCompute)
    return compute.model_copy(update=update)


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("root", sorted(ROOTS))
def test_every_task_round_trips_through_the_sdk_model(root: str, step: str) -> None:
    # submit_task builds the task with strict_from_dict: it raises on anything SubmitTask would drop.
    task = _compute(assets_root=root).submit_task(step).as_dict()
    cluster = task["new_cluster"]
    # What jobs runs/submit requires of a new cluster, which the SDK model (all fields optional) does not.
    assert cluster["spark_version"] and cluster["node_type_id"]
    assert "num_workers" in cluster or "autoscale" in cluster
    (script,) = cluster["init_scripts"]
    assert script == {ROOTS[root]: {"destination": f"{root}/init_scripts/install_lakehouse.sh"}}
    assert task["spark_python_task"]["python_file"] == f"{root}/pipes/processing_step.py"


def test_existing_cluster_task_round_trips() -> None:
    task = _compute(existing_cluster_id="0101-abc").submit_task("silver").as_dict()
    assert task["existing_cluster_id"] == "0101-abc" and "new_cluster" not in task


def _misspelt(tmp_path: Path, edit: Any) -> str:
    """A copy of the processing cluster spec with one edit applied (an absolute path, as cluster_spec allows)."""
    spec = json.loads((DBFS_ASSETS_DIR / DatabricksSettings().cluster_spec).read_text())
    edit(spec)
    path = tmp_path / "processing.json"
    path.write_text(json.dumps(spec))
    return str(path)


@pytest.mark.parametrize(
    ("edit", "reported"),
    [
        (lambda s: s["new_cluster"].update(num_worker=s["new_cluster"].pop("num_workers")), "new_cluster.num_worker"),
        (lambda s: s["new_cluster"].update(data_security_mode="SINGLE_USR"), "new_cluster.data_security_mode"),
        (lambda s: s["new_cluster"]["init_scripts"][0].update(dbfss={"destination": "x"}), "init_scripts.0.dbfss"),
        (lambda s: s["new_cluster"].update(autotermination_minute=30), "new_cluster.autotermination_minute"),
        (lambda s: s.update(libraries=[{"whll": "dbfs:/x.whl"}]), "libraries.0.whll"),
    ],
    ids=["key", "enum value", "init script kind", "optional key", "library kind"],
)
def test_a_misspelt_cluster_spec_fails_before_submission(tmp_path: Path, edit: Any, reported: str) -> None:
    compute = _compute(cluster_spec=_misspelt(tmp_path, edit))
    with pytest.raises(ValueError, match=re.escape(reported)):
        compute.submit_task("silver")


def test_every_placeholder_of_the_spec_is_filled() -> None:
    spec = json.dumps(load_cluster_spec(DatabricksSettings()))
    assert not re.findall(r"\{[a-z_]+\}", spec)


def test_submit_args_are_parameters_of_jobs_submit() -> None:
    context: Any = SimpleNamespace(run=SimpleNamespace(run_id="0123456789abcdef"))
    args = _compute().submit_args(context, "silver")
    accepted = set(inspect.signature(jobs.JobsAPI.submit).parameters) - {"self", "tasks"}
    assert set(args) <= accepted, set(args) - accepted
    assert args == {"run_name": "lakehouse silver 01234567", "timeout_seconds": 3600}


def test_the_init_script_is_valid_bash() -> None:
    bash = subprocess.run(["bash", "-n", str(INIT_SCRIPT)], capture_output=True, text=True)
    assert bash.returncode == 0, bash.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_the_init_script_passes_shellcheck() -> None:
    check = subprocess.run(["shellcheck", str(INIT_SCRIPT)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_the_init_script_reads_the_variables_the_spec_sets() -> None:
    required = set(re.findall(r"\$\{(LAKEHOUSE_\w+):\?", INIT_SCRIPT.read_text()))
    env = load_cluster_spec(DatabricksSettings())["new_cluster"]["spark_env_vars"]
    assert required == {name for name in env if name.startswith("LAKEHOUSE_")}
    requirements = env["LAKEHOUSE_REQUIREMENTS"]
    assert requirements.endswith(f"/{REQUIREMENTS.relative_to(DBFS_ASSETS_DIR).as_posix()}")


def _pins(text: str) -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in text.splitlines())
    return dict(line.lower().split("==", 1) for line in lines if line)


def test_cluster_requirements_are_pinned_as_in_the_lock() -> None:
    cluster = _pins(REQUIREMENTS.read_text())
    lock = _pins((REPO_ROOT / "requirements.lock").read_text())
    assert cluster and all(lock.get(name) == version for name, version in cluster.items()), {
        name: (version, lock.get(name)) for name, version in cluster.items() if lock.get(name) != version}
