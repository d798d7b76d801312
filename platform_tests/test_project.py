"""Configuration outside the package (issue #18 item 1): LAKEHOUSE_PROJECT_DIR points the loaders at a
project holding datasets/<name>/ and, optionally, profiles/; unset, the shipped default project.
Pure Python: no Spark (definitions load in a fresh process, as in test_definitions.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import load_profile
from lakehouse.config.project import DEFAULT_PROJECT_DIR, PROJECT_ENV_VAR, profiles_dir, project_dir, project_env
from lakehouse.databricks.compute import PipesSubprocessCompute
from lakehouse.operations.secret_scan import config_files, scan
from lakehouse.profile_resources import build_resources

REPO = Path(__file__).resolve().parents[1]

_PROBE = """
import json
from lakehouse.definitions import defs
from lakehouse.config.base import known_datasets
from lakehouse.config.profile import load_profile
from pyspark import SparkContext
keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
print(json.dumps({"dataset": load_profile().dataset, "known": known_datasets(), "keys": keys,
                  "spark_context": SparkContext._active_spark_context is not None}))
"""


def _load_definitions(project: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (PROJECT_ENV_VAR, "LAKEHOUSE_PROFILE")}
    if project is not None:
        env[PROJECT_ENV_VAR] = str(project)
    return subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=REPO, env=env)


def _copy_dataset(project: Path, source: str, name: str) -> Path:
    target = project / "datasets" / name
    shutil.copytree(DEFAULT_PROJECT_DIR / "datasets" / source, target)
    return target


@pytest.fixture
def my_fraud(tmp_path: Path) -> Path:
    """A project: card_fraud copied as `my_fraud`, and a local profile naming it."""
    _copy_dataset(tmp_path, "card_fraud", "my_fraud")
    (tmp_path / "profiles").mkdir()
    local = (DEFAULT_PROJECT_DIR / "profiles" / "local.yaml").read_text()
    assert "\ndataset: card_fraud\n" in local
    (tmp_path / "profiles" / "local.yaml").write_text(local.replace("\ndataset: card_fraud\n", "\ndataset: my_fraud\n"))
    return tmp_path


def test_definitions_load_from_a_project_directory_and_the_default_is_unchanged(my_fraud: Path) -> None:
    runs = {name: _load_definitions(project) for name, project in (("project", my_fraud), ("default", None))}
    for name, run in runs.items():
        assert run.returncode == 0, f"{name}:\n{run.stderr}"
    project, default = (json.loads(runs[n].stdout.strip().splitlines()[-1]) for n in ("project", "default"))
    assert (project["dataset"], project["known"]) == ("my_fraud", ["my_fraud"])
    assert (default["dataset"], default["known"]) == ("card_fraud", ["card_fraud", "subscription_churn"])
    # The same graph, each key namespaced by its own dataset ([<dataset>, <schema>, <table>]).
    assert all(k.startswith("my_fraud/") for k in project["keys"]), project["keys"]
    assert all(k.startswith("card_fraud/") for k in default["keys"]), default["keys"]
    assert ([k.removeprefix("my_fraud/") for k in project["keys"]]
            == [k.removeprefix("card_fraud/") for k in default["keys"]])
    assert "my_fraud/bronze/transactions_pos" in project["keys"]
    assert not project["spark_context"] and not default["spark_context"]


def test_an_unknown_project_directory_is_a_clear_error(tmp_path: Path) -> None:
    run = _load_definitions(tmp_path / "nope")
    assert run.returncode != 0
    assert f"{PROJECT_ENV_VAR}='{tmp_path / 'nope'}': no such directory" in run.stderr, run.stderr


def test_a_project_without_datasets_or_the_profile_names_the_project(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    project = re.escape(str(tmp_path.resolve()))
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match=rf"Project {project} \({PROJECT_ENV_VAR}\) has no datasets/ folder"):
        load_dataset("card_fraud")
    _copy_dataset(tmp_path, "card_fraud", "my_fraud")
    with pytest.raises(ValueError, match=rf"Unknown dataset 'card_fraud' in project {project} .*\['my_fraud'\]"):
        load_dataset("card_fraud")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "local.yaml").write_text("description: d\ndataset: my_fraud\n")
    with pytest.raises(ValueError, match=rf"Unknown profile 'prod' .* in {project}/profiles .*\['local'\]"):
        load_profile("prod")


def test_a_project_of_datasets_only_runs_with_the_default_profiles(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    churn = load_dataset("subscription_churn")
    _copy_dataset(tmp_path, "subscription_churn", "card_fraud")  # the profiles' dataset, other content
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    assert profiles_dir() == DEFAULT_PROJECT_DIR / "profiles"
    assert load_profile("local").dataset == "card_fraud"
    assert load_dataset("card_fraud").description == churn.description


def test_the_caches_follow_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loaders are cached; changing the project in one process never returns the other's files."""
    shipped = load_dataset("card_fraud")
    dataset_yaml = _copy_dataset(tmp_path, "card_fraud", "card_fraud") / "dataset.yaml"
    edited = {**yaml.safe_load(dataset_yaml.read_text()), "description": "Edited."}
    dataset_yaml.write_text(yaml.safe_dump(edited))
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    assert project_dir() == tmp_path.resolve()
    assert load_dataset("card_fraud").description == "Edited."
    monkeypatch.delenv(PROJECT_ENV_VAR)
    assert load_dataset("card_fraud") is shipped


def test_the_cluster_never_runs_the_default_project_for_another(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Databricks compute reads the wheel's (default) configuration: with a project set, loading the
    databricks profile's definitions fails; the Pipes subprocess gets the project forwarded."""
    _copy_dataset(tmp_path, "card_fraud", "card_fraud")
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    databricks = load_profile("databricks")
    assert databricks.databricks is not None and databricks.databricks.compute == "databricks"
    with pytest.raises(ValueError, match=rf"Databricks cluster.*not {PROJECT_ENV_VAR}={re.escape(str(tmp_path.resolve()))}\."):
        build_resources(databricks)
    subprocess_profile = databricks.model_copy(
        update={"databricks": databricks.databricks.model_copy(update={"compute": "pipes_subprocess"})})
    assert isinstance(build_resources(subprocess_profile)["compute"], PipesSubprocessCompute)
    assert project_env() == {PROJECT_ENV_VAR: str(tmp_path.resolve())}
    monkeypatch.delenv(PROJECT_ENV_VAR)
    assert project_env() == {}


def test_the_secret_scan_covers_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = _copy_dataset(tmp_path, "card_fraud", "my_fraud") / "sources.yaml"
    sources.write_text(sources.read_text() + "\nplanted:\n  password: hunter2\n")
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    findings = [str(f) for f in scan(config_files())]
    assert findings == [f"{sources.resolve()}: planted.password: literal value under secret-like key 'password'"]
