"""`lakehouse new-dataset` end to end without Spark: the folder it writes loads through every configuration
loader and builds the Dagster definitions for the profile it writes (no JVM), `dg check defs` accepts it
unchanged, the label's columns are no model features, and nothing is overwritten without --force."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from lakehouse.config.contracts import load_contracts
from lakehouse.config.dataset import load_dataset
from lakehouse.config.features import ExpressionLabel, load_features
from lakehouse.config.ml import import_object, load_ml_config
from lakehouse.config.processing import load_processing
from lakehouse.config.profile import PROFILE_ENV_VAR, load_profile
from lakehouse.config.project import DEFAULT_PROJECT_DIR, PROJECT_ENV_VAR
from lakehouse.config.sources import load_sources
from lakehouse_tools.cli import main
from lakehouse_tools.scaffold.new_dataset import Options, new_dataset
from platform_tests.scaffold import samples

REPO = Path(__file__).resolve().parents[2]
FILES = {"dataset.yaml", "contracts.yaml", "sources.yaml", "processing.yaml", "features.yaml", "ml.yaml",
         "scoring.yaml", "reporting.yaml", "monitoring.yaml", "automation.yaml", "maintenance.yaml"}


def _flights(tmp_path: Path, **options: object) -> Options:
    values: dict[str, object] = {
        "name": "flights", "sample": samples.flights(tmp_path), "time_column": "Dep Time",
        "label": "`Arrival Delay ($min)` > 15", "entity": "CustomerID", "project": str(tmp_path / "project")}
    return Options(**(values | options))  # type: ignore[arg-type]


def test_the_scaffold_loads_everywhere_and_builds_the_definitions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = new_dataset(_flights(tmp_path))
    project = tmp_path / "project"
    assert {p.name for p in (project / "datasets" / "flights").iterdir()} == FILES
    assert [p.name for p in (project / "profiles").iterdir()] == ["flights_local.yaml"]
    assert result.assets is not None and result.assets > 10  # checked before anything was written
    monkeypatch.setenv(PROJECT_ENV_VAR, str(project))
    monkeypatch.setenv(PROFILE_ENV_VAR, "flights_local")
    assert load_dataset("flights").partitions.start_date.isoformat() == "2001-01-01"  # the sample's first month
    columns = {c.name: c for c in load_contracts("flights")["flights"].columns}
    assert (columns["dep_time"].source_name, columns["dep_time"].format, columns["dep_time"].required) == \
        ("Dep Time", "yyyy/MM/dd HH:mm", True)
    assert (columns["flight_id"].unique, columns["arrival_delay_min"].required) == (True, False)
    [source] = load_sources("flights").values()
    assert (source.format, source.keys, source.event_time_column, source.location) == \
        ("csv", ["flight_id"], "dep_time", "landing/flights")
    assert load_processing("flights").silver.key == "flight_id"
    registry = load_features("flights")
    assert isinstance(registry.label, ExpressionLabel) and registry.label.expression == "arrival_delay_min > 15"
    assert registry.entity == "customer_id"
    model_inputs = {c for f in registry.model_features for c in (f.name, *f.source_columns)}
    assert "arrival_delay_min" not in model_inputs  # the label's column feeds no model feature
    assert {"fare", "carrier", "rows_7d", "fare_sum_7d", "hour"} <= {f.name for f in registry.model_features}
    assert load_ml_config("flights").registry.model_name == "flights_classifier"
    profile = load_profile()
    assert (profile.dataset, profile.storage.data_root) == ("flights", ".lakehouse-flights")

    from lakehouse.definitions import build_definitions

    keys = {k.to_user_string() for k in build_definitions(profile).resolve_asset_graph().get_all_asset_keys()}
    assert {"flights/bronze/flights", "flights/silver/flights", "flights/gold/flights_features",
            "flights/gold/flights_labels", "flights/ml/model", "flights/scoring/predictions",
            "flights/monitoring/model_performance"} <= keys
    assert all(k.startswith("flights/") for k in keys), keys  # every key in the new dataset's namespace
    # That building them starts no JVM is test_definitions' subprocess check: in a suite sharing one
    # Spark session, this process has one whatever the scaffold does.


def test_a_json_lines_sample_without_an_entity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = new_dataset(Options(name="payments", sample=samples.events(tmp_path), time_column="ts",
                                 label="status = 'failed'", label_name="is_failed", known_after_days=2,
                                 project=str(tmp_path / "p")))
    assert result.plan.label_on_sample is not None and result.plan.label_on_sample.positive == 2
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path / "p"))
    assert load_sources("payments")["payments"].format == "json"
    registry = load_features("payments")
    assert (registry.entity, registry.lookback_days, registry.label.maturity_days) == ("_source", 0, 2)
    assert "status" not in {c for f in registry.model_features for c in (f.name, *f.source_columns)}
    assert load_contracts("payments")["payments"].column("is_mobile").source_name == "isMobile"


def test_a_label_on_a_money_column_keeps_it_out_of_every_feature(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = new_dataset(_flights(tmp_path, label="`Fare $` >= 150"))
    assert ("fare", "computed from fare, which the label names (leakage)") in result.plan.left_out
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path / "project"))
    registry = load_features("flights")
    assert not [f.name for f in registry.features if "fare" in (f.name, *f.source_columns)]
    assert registry.amount == "distance_mi"  # the rolling sums moved to another column


def test_nothing_is_overwritten_without_force(tmp_path: Path) -> None:
    new_dataset(_flights(tmp_path))
    folder = tmp_path / "project" / "datasets" / "flights"
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="already exist.*--force"):
        new_dataset(_flights(tmp_path))
    assert (folder / "notes.txt").exists()
    shutil.rmtree(folder)  # the profile alone blocks too: it is part of the output
    with pytest.raises(ValueError, match="flights_local.yaml already exist"):
        new_dataset(_flights(tmp_path))
    new_dataset(_flights(tmp_path, force=True, label="carrier = 'AA'"))
    assert "expression: \"carrier = 'AA'\"" in (folder / "features.yaml").read_text()


@pytest.mark.parametrize(("options", "error"), [
    ({"name": "card_fraud"}, "shipped dataset"),
    ({"name": "my flights"}, "Invalid dataset name"),
    ({"project": str(DEFAULT_PROJECT_DIR)}, "shipped project"),
    ({"label": "no_such_column > 1"}, "no_such_column"),
    ({"label": "fare + 1"}, "not a condition"),
    ({"time_column": "Carrier"}, "not as a timestamp or a date"),
    ({"entity": "Nope"}, "--entity 'Nope' is not a column"),
])
def test_refusals_write_nothing(tmp_path: Path, options: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        new_dataset(_flights(tmp_path, **options))
    assert not (tmp_path / "project").exists()


def test_a_project_on_the_shipped_profiles_keeps_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project of datasets only ran on the shipped profiles; the scaffold's profiles/ would hide them."""
    project = tmp_path / "project"
    shutil.copytree(DEFAULT_PROJECT_DIR / "datasets" / "card_fraud", project / "datasets" / "card_fraud")
    result = new_dataset(_flights(tmp_path))
    # The shipped profiles of the project's datasets (card_fraud's; not subscription_churn_local).
    shipped = {p.name for p in (DEFAULT_PROJECT_DIR / "profiles").glob("*.yaml") if "dataset: card_fraud" in p.read_text()}
    assert "local.yaml" in shipped and "subscription_churn_local.yaml" not in shipped
    assert {p.name for p in (project / "profiles").iterdir()} == shipped | {"flights_local.yaml"}
    assert result.notes
    monkeypatch.setenv(PROJECT_ENV_VAR, str(project))
    assert load_profile("local").dataset == "card_fraud"


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["new-dataset", "flights", "--sample", str(samples.flights(tmp_path)), "--time-column", "dep_time",
            "--label", "arrival_delay_min > 15", "--project", str(tmp_path / "project"), "--no-check"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "LAKEHOUSE_PROFILE=flights_local" in out and "lakehouse land flights" in out and "<- KEY" in out
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and "--force" in capsys.readouterr().err
    # `lakehouse` is tools/pyproject.toml's console script; `python -m lakehouse_tools.scaffold` the same.
    scripts = tomllib.loads((REPO / "tools" / "pyproject.toml").read_text())["project"]["scripts"]
    assert import_object(scripts["lakehouse"].replace(":", ".")) is main
    run = subprocess.run([sys.executable, "-m", "lakehouse_tools.scaffold", "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "new-dataset" in run.stdout


def test_dg_check_defs_accepts_the_scaffold_unchanged(tmp_path: Path) -> None:
    new_dataset(_flights(tmp_path, check=False))
    env = {**os.environ, PROJECT_ENV_VAR: str(tmp_path / "project"), PROFILE_ENV_VAR: "flights_local"}
    dg = Path(sys.executable).parent / "dg"
    run = subprocess.run([str(dg), "check", "defs"], cwd=REPO / "platform", env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert yaml.safe_load((tmp_path / "project" / "profiles" / "flights_local.yaml").read_text())["dataset"] == "flights"
