"""Scoring fixtures: tiny synthetic gold in our own schemas, a training set, and a temporary MLflow
registry holding three versions trained by the real workflow with tiny configs:
v1 logistic regression (the champion), v2 random forest, v3 GBT."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, AssetSpec
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.dataset import load_dataset
from lakehouse.config.identifiers import dataset_key
from lakehouse.config.scoring import ScoringSettings, load_scoring_config
from lakehouse.ml.features import FeatureSpec, load_feature_spec
from lakehouse.ml.tracking import TrainingContext, log_and_register
from lakehouse.ml.train import TrainingResult, train_candidates
from lakehouse.ml.training_set import build_training_set
from lakehouse.partitions import build_calendar
from lakehouse.resources.delta_write import WriteSpec, write_delta
from lakehouse.resources.mlflow import MlflowResource
from lakehouse.resources.spark import SparkResource
from lakehouse_tools.synthetic_gold import FEATURES_KEY, synthetic_gold, write_gold
from platform_tests.ml.conftest import GBT, LR, RF, tiny_config

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# TreeSHAP runs in Python workers (mapInPandas): they must be this interpreter (numpy, shap), not the
# first `python3` on PATH. Read when the Spark session starts, i.e. after collection.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

GOLD_SCHEMA, ML_SCHEMA, OUT_SCHEMA = "scoretest_gold", "scoretest_ml", "scoretest_scoring"
START = date(2026, 1, 5)  # a Monday
DAYS = 28
ROWS_PER_DAY = 60
WEEK = date(2026, 3, 2)  # its 4-week window is [START, START + 28 days); test days 2026-01-26 .. 02-01
AS_OF = datetime(2026, 3, 9)
NAME = "card_fraud_classifier"  # ml.yaml's registry name (tiny_config keeps it)
DATASET = load_dataset("card_fraud")
CALENDAR = build_calendar(DATASET.partitions)
# One grid point per family: the CV still runs; what is under test is scoring, not tuning. Registered
# in this order: v1, v2, v3.
FAMILIES = {"logistic_regression": {**LR, "grid": {}},
            "random_forest": {**RF, "params": {"numTrees": 6, "maxDepth": 4}, "grid": {}},
            "gbt": {**GBT, "params": {"maxIter": 4, "maxDepth": 3}, "grid": {}}}


def settings(**changes: Any) -> ScoringSettings:
    """scoring.yaml pointed at assets in the test schemas (their keys name their tables); `changes` replace
    top-level keys."""
    base = load_scoring_config("card_fraud").model_dump()
    base.update(features_asset=f"{GOLD_SCHEMA}/transaction_features", predictions_asset=f"{OUT_SCHEMA}/predictions")
    base.update(changes)
    return ScoringSettings.model_validate(base)


def stand_in(scoring: ScoringSettings | None = None) -> AssetSpec:
    """The processing stage's gold features as an external spec of the dataset in the test schema: same
    table name and partitions as FEATURES_KEY, the key `settings().features_asset` names within the dataset."""
    key = AssetKey(dataset_key(DATASET.name, (scoring or settings()).features_key))
    assert key.path[-1] == FEATURES_KEY.path[-1]
    return AssetSpec(key, partitions_def=CALENDAR.daily, metadata={"partition_expr": "event_date"})


@pytest.fixture(scope="session")
def spec() -> FeatureSpec:
    return load_feature_spec("card_fraud")


@pytest.fixture(scope="session")
def gold(spark, spark_resource: SparkResource, spec: FeatureSpec) -> DataFrame:
    """28 days x 60 rows. `amount` shifted positive and never null: the predictions contract carries it
    (amount >= 0, required); the label's dependence on it is unchanged by a shift."""
    features, labels = synthetic_gold(spark, spec, START, DAYS, ROWS_PER_DAY, AS_OF)
    features = features.withColumn("amount", F.coalesce(F.col("amount") + 10.0, F.lit(10.0)))
    write_gold(spark_resource, features, labels, schema=GOLD_SCHEMA)
    return spark.table(f"{GOLD_SCHEMA}.transaction_features")


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> MlflowResource:
    root: Path = tmp_path_factory.mktemp("mlflow-scoring")
    return MlflowResource(data_root=str(root), tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                          artifact_location=(root / "artifacts").as_uri(), experiment="/tests/scoring")


@pytest.fixture(scope="session")
def registry(spark, spark_resource: SparkResource, gold, spec: FeatureSpec, mlflow_store: MlflowResource) -> dict:
    """Trains the three families once (the real training code, shared preparation) and registers each
    candidate with the real tracking code: v1 (LR), v2 (RF), v3 (GBT); `champion` is pinned on v1.
    (The champion gate is ml's concern and would rescore every champion: skipped to keep this quick.)"""
    labels = spark.table(f"{GOLD_SCHEMA}.labels")
    rows, _ = build_training_set(gold, labels, spec, tiny_config().training_set, WEEK)
    ref = spark_resource.table(ML_SCHEMA, "training_set")
    write_delta(spark, rows, ref, WriteSpec(schema_mode="overwrite"), None)
    spark_resource.register(ref)
    stored = spark.table(ref.name)
    ctx = TrainingContext(table_name=ref.name, table_location=ref.location, table_version=0,
                          training_week=str(WEEK), test_from="2026-01-26", test_to="2026-02-02",
                          tags={"dagster.run_id": "scoring-tests"})
    config = tiny_config(models=FAMILIES)
    result = train_candidates(stored, spec, config)
    versions = {}
    for candidate in sorted(result.candidates, key=lambda c: list(FAMILIES).index(c.family)):
        alone = TrainingResult(candidates=[candidate], best=candidate, selection_metric=result.selection_metric,
                               prep_seconds=result.prep_seconds)
        versions[candidate.family] = log_and_register(mlflow_store, alone, stored, ctx, spec, config).version
    assert versions == {"logistic_regression": "1", "random_forest": "2", "gbt": "3"}
    mlflow_store.client().set_registered_model_alias(NAME, "champion", "1")
    return versions
