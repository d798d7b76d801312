"""MLflow links in Dagster metadata: built from the profile's MLflow UI address, absent when there is none.
No Spark and no MLflow server: the links are plain strings, checked against the UI's routes
(`#/experiments/<id>/runs/<id>`, `#/models/<name>/versions/<v>`, the routes of mlflow 3's UI bundle)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import MetadataValue
from pyspark.ml import PipelineModel, Transformer

from lakehouse.config.profile import REPO_ROOT, load_profile
from lakehouse.config.scoring import load_scoring_config
from lakehouse.ml.assets import _links
from lakehouse.ml.tracking import Registered
from lakehouse.resources.mlflow import MlflowResource, mlflow_resource_for
from lakehouse.scoring.assets import ScoringRunConfig, _metadata, run_defaults
from lakehouse.scoring.model import ScoringModel
from lakehouse.scoring.predict import Stamp

UI = "http://mlflow.lab.internal:5000"


def _resource(tmp_path: Path, **settings: str | None) -> MlflowResource:
    return MlflowResource(data_root=str(tmp_path), experiment="/tests/links", **settings)


def test_a_configured_ui_links_runs_and_model_versions(tmp_path: Path) -> None:
    mlflow = _resource(tmp_path, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", ui_url=UI + "/")
    assert mlflow.run_url("7", "abc123") == f"{UI}/#/experiments/7/runs/abc123"
    assert mlflow.model_version_url("card_fraud_classifier", "3") == f"{UI}/#/models/card_fraud_classifier/versions/3"
    # The UI encodes the name in its routes: a Unity Catalog name keeps its dots, a space is escaped.
    assert mlflow.model_version_url("main.ml.card fraud", 12) == f"{UI}/#/models/main.ml.card%20fraud/versions/12"


def test_an_http_tracking_server_is_its_own_ui(tmp_path: Path) -> None:
    mlflow = _resource(tmp_path, tracking_uri="https://mlflow.example/")
    assert mlflow.run_url("1", "r") == "https://mlflow.example/#/experiments/1/runs/r"
    assert mlflow.model_version_url("m", "2") == "https://mlflow.example/#/models/m/versions/2"


@pytest.mark.parametrize("tracking_uri", [None, "databricks", "sqlite:///{data_root}/mlflow/mlflow.db"])
def test_no_ui_no_links(tmp_path: Path, tracking_uri: str | None) -> None:
    mlflow = _resource(tmp_path, tracking_uri=tracking_uri)
    assert mlflow.run_url("1", "r") is None and mlflow.model_version_url("m", "2") is None
    assert not (tmp_path / "mlflow").exists()  # asking for a link creates no store


def test_the_local_profile_links_to_make_mlflow() -> None:
    # `make mlflow` serves the UI over the local sqlite store; the profile must point where it listens.
    make = (REPO_ROOT / "Makefile").read_text()
    served = re.search(r"mlflow ui .*--host (\S+) --port (\d+)", make)
    assert served, "Makefile target `mlflow` no longer names its host and port"
    ui = f"http://{served.group(1)}:{served.group(2)}"
    for name in ("local", "remote"):  # both keep MLflow in sqlite under .lakehouse
        assert load_profile(name).mlflow.ui_url == ui
        assert mlflow_resource_for(load_profile(name)).ui_base() == ui


def test_the_model_materialisation_links_the_run_and_the_version(tmp_path: Path) -> None:
    registered = Registered("7", "parent1", {"lr": "child1"}, "card_fraud_classifier", "3")
    links = _links(_resource(tmp_path, ui_url=UI), registered)
    assert links == {
        "mlflow_run_url": MetadataValue.url(f"{UI}/#/experiments/7/runs/parent1"),
        "mlflow_model_version_url": MetadataValue.url(f"{UI}/#/models/card_fraud_classifier/versions/3"),
    }
    assert _links(_resource(tmp_path), registered) == {}


class LogisticRegressionModel(Transformer):
    """A pure-Python last stage: the metadata only reads the classifier's class name (a JVM model needs Spark)."""

    def _transform(self, dataset):  # noqa: ANN001, ANN202 - never called
        return dataset


def test_the_predictions_materialisation_links_the_model_that_scored(tmp_path: Path) -> None:
    config = ScoringRunConfig(**run_defaults(load_scoring_config("card_fraud")))
    pipeline = PipelineModel([LogisticRegressionModel()])
    model = ScoringModel("card_fraud_classifier", "4", "run4", "7", 0.5, pipeline=pipeline, tags={})
    stamp = Stamp(model.name, model.version, model.run_id, model.threshold, datetime(2026, 1, 2, tzinfo=UTC))
    metadata = _metadata(config, model, _resource(tmp_path, ui_url=UI), stamp, "off")
    assert metadata["mlflow_run_url"] == MetadataValue.url(f"{UI}/#/experiments/7/runs/run4")
    assert metadata["mlflow_model_version_url"] == MetadataValue.url(f"{UI}/#/models/card_fraud_classifier/versions/4")
    assert metadata["model_version"] == "4" and metadata["model_family"] == "LogisticRegressionModel"
    unlinked = _metadata(config, model, _resource(tmp_path), stamp, "off")
    assert "mlflow_run_url" not in unlinked and "mlflow_model_version_url" not in unlinked
