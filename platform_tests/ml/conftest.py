"""ML fixtures: synthetic gold tables with a known signal (written once), a stored training set, tiny
configs (small grids, two folds) and a temporary MLflow sqlite store per test module."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame

from lakehouse.config.ml import MlConfig, load_ml_config
from lakehouse.ml.features import FeatureSpec, load_feature_spec
from lakehouse.ml.training_set import build_training_set
from lakehouse.resources.delta_write import WriteSpec, write_delta
from lakehouse.resources.mlflow import MlflowResource
from lakehouse.resources.spark import SparkResource
from lakehouse_tools.synthetic_gold import synthetic_gold, write_gold

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # no usage reporting from tests

# Own schemas, so the stage's tests never meet the processing stage's gold tables in the shared warehouse.
GOLD_SCHEMA = "mltest_gold"
ML_SCHEMA = "mltest_ml"
START = date(2026, 1, 5)  # a Monday
DAYS = 28
ROWS_PER_DAY = 100
WEEK = date(2026, 3, 2)  # its window (4 weeks, 5 weeks behind) is exactly [START, START + 28 days)
AS_OF = datetime(2026, 3, 9)  # every day of the window has matured (30-day label window)

LR = {"estimator": "pyspark.ml.classification.LogisticRegression", "scale": True,
      "params": {"maxIter": 8}, "grid": {"regParam": [0.01, 0.1]}}
RF = {"estimator": "pyspark.ml.classification.RandomForestClassifier",
      "params": {"numTrees": 8}, "grid": {"maxDepth": [3, 5]}}
GBT = {"estimator": "pyspark.ml.classification.GBTClassifier",
       "params": {"maxIter": 3}, "grid": {"maxDepth": [2, 3]}}


def tiny_config(**overrides: Any) -> MlConfig:
    """card_fraud's ml.yaml with a 4-week window, two CV folds and tiny models; `overrides` replace
    top-level sections (e.g. models={...}, feature_selection={...})."""
    base = load_ml_config("card_fraud").model_dump()
    base.update(
        training_set={**base["training_set"], "window_weeks": 4},
        feature_selection={"method": "none", "params": {}},
        models={"logistic_regression": LR},
        cross_validation={**base["cross_validation"], "folds": 2, "parallelism": 2},
        promotion={**base["promotion"], "floor": 0.2, "margin": 0.01},
    )
    base.update(overrides)
    return MlConfig.model_validate(base)


@pytest.fixture(scope="session")
def spec() -> FeatureSpec:
    return load_feature_spec("card_fraud")


@pytest.fixture(scope="session")
def gold(spark, spark_resource: SparkResource, spec: FeatureSpec) -> tuple[DataFrame, DataFrame]:
    """(features, labels) as stored Delta tables in GOLD_SCHEMA: 28 days x 100 rows, all matured."""
    features, labels = synthetic_gold(spark, spec, START, DAYS, ROWS_PER_DAY, AS_OF)
    write_gold(spark_resource, features, labels, schema=GOLD_SCHEMA)
    return spark.table(f"{GOLD_SCHEMA}.transaction_features"), spark.table(f"{GOLD_SCHEMA}.labels")


@pytest.fixture(scope="session")
def training_table(spark, spark_resource: SparkResource, gold: tuple[DataFrame, DataFrame], spec: FeatureSpec) -> DataFrame:
    """The week's training set, stored and read back as the model asset reads it (a Delta table gives
    the same rows in the same order every time, which seeded training needs)."""
    rows, _ = build_training_set(*gold, spec, tiny_config().training_set, WEEK)
    ref = spark_resource.table(ML_SCHEMA, "training_set")
    write_delta(spark, rows, ref, WriteSpec(schema_mode="overwrite"), None)
    spark_resource.register(ref)
    return spark.table(ref.name)


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> MlflowResource:
    """A fresh sqlite tracking store + registry and artifact folder for one test module."""
    root: Path = tmp_path_factory.mktemp("mlflow")
    return MlflowResource(
        data_root=str(root),
        tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
        artifact_location=(root / "artifacts").as_uri(),
        experiment="/tests/card_fraud",
    )
