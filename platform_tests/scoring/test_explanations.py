"""Explanations: exact linear contributions checked by hand on one row, TreeSHAP and Saabas additivity
against Spark's own outputs for a forest and boosted trees, the mapInPandas batch step and the Saabas
method on hand-built trees (without Spark), and the categorical-split translation."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from pyspark.ml.functions import vector_to_array

from lakehouse.config.contracts import load_contracts
from lakehouse.config.scoring import ExplanationSettings
from lakehouse.ingestion.file_source import in_window
from lakehouse.scoring.model import load_scoring_model
from lakehouse.scoring.predict import score, stamp_for
from lakehouse.scoring.treeshap import shap_dict
from platform_tests.scoring.conftest import NAME
from platform_tests.scoring.tree_models import base_value

CONTRACT = load_contracts("card_fraud")["predictions"]
DAY = date(2026, 1, 27)
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
def _day(gold):
    return in_window(gold, "event_date", DAY, date(2026, 1, 28))


def _by_key(model, rows, spec, explanations: ExplanationSettings) -> dict[str, Any]:
    """transaction_id -> explanation, scored with these settings."""
    scored = score(model, rows, CONTRACT, stamp_for(model, NOW), spec.columns, explanations)
    return {r["transaction_id"]: r["explanation"] for r in scored.collect()}


def test_linear_contribution_is_coefficient_times_standardised_value(registry, mlflow_store, gold, spec):
    model = load_scoring_model(mlflow_store, NAME, "1")
    assert model.family == "LogisticRegressionModel"
    row = _day(gold).orderBy("transaction_id").limit(1)
    out = score(model, row, CONTRACT, stamp_for(model, NOW), spec.columns,
                ExplanationSettings(mode="on", top_k=50)).first()

    # By hand, from the pipeline's own intermediate columns and fitted parameters.
    stages = model.pipeline.stages
    scaler = next(s for s in stages if type(s).__name__ == "StandardScalerModel")
    lr = stages[-1]
    inner = model.pipeline.transform(row)
    raw = inner.first()["features_raw"].toArray()
    names = {a["idx"]: a["name"] for g in inner.schema["features_raw"].metadata["ml_attr"]["attrs"].values() for a in g}
    sd, beta = scaler.std.toArray(), lr.coefficients.toArray()
    expected: dict[str, float] = defaultdict(float)
    for j in range(len(raw)):
        standardised = raw[j] / sd[j] if sd[j] else 0.0  # Spark's scaler maps a constant slot to 0
        expected[names[j].split("__")[0]] += beta[j] * standardised  # one-hot slots sum to their feature
    got = {e["feature"]: e["contribution"] for e in out["explanation"]}
    assert set(got) == set(expected)
    assert got == pytest.approx(dict(expected), abs=1e-9)
    # Ordered by |contribution|, and with the intercept they make the logit of the stored probability.
    magnitudes = [abs(e["contribution"]) for e in out["explanation"]]
    assert magnitudes == sorted(magnitudes, reverse=True)
    p = out["probability"]
    assert lr.intercept + sum(got.values()) == pytest.approx(math.log(p / (1 - p)), abs=1e-9)


def test_top_k_keeps_the_largest_contributions(registry, mlflow_store, gold, spec):
    model = load_scoring_model(mlflow_store, NAME, "1")
    rows = _day(gold).orderBy("transaction_id").limit(5)
    full = _by_key(model, rows, spec, ExplanationSettings(mode="on", top_k=50))
    top3 = _by_key(model, rows, spec, ExplanationSettings(mode="on", top_k=3))
    assert all(len(v) == 3 and v == full[k][:3] for k, v in top3.items())


@pytest.mark.parametrize("version", ["1", "2"])  # exact linear, TreeSHAP
def test_positive_rows_only_are_explained_when_asked(registry, mlflow_store, gold, spec, version):
    model = load_scoring_model(mlflow_store, NAME, version)
    rows = _day(gold)
    every = _by_key(model, rows, spec, ExplanationSettings(mode="on", top_k=4))
    alerts = score(model, rows, CONTRACT, stamp_for(model, NOW), spec.columns,
                   ExplanationSettings(mode="on", top_k=4, rows="positive")).collect()
    positive = [r for r in alerts if r["prediction"] == 1]
    assert positive and len(positive) < len(alerts)
    assert all((r["explanation"] is None) == (r["prediction"] == 0) for r in alerts)
    assert all(r["explanation"] == every[r["transaction_id"]] for r in positive)


@pytest.mark.parametrize("method", ["exact", "approximate"])  # TreeSHAP, Saabas: both add up to the output
@pytest.mark.parametrize(("version", "family", "target"), [
    ("2", "RandomForestClassificationModel", "probability"),  # a forest explains its class-1 probability
    ("3", "GBTClassificationModel", "margin"),  # boosted trees explain the margin (rawPrediction[1])
])
def test_tree_explanations_sum_with_the_base_value_to_the_models_output(
    registry, mlflow_store, gold, spec, version, family, target, method
):
    model = load_scoring_model(mlflow_store, NAME, version)
    assert model.family == family
    day = _day(gold)
    explained = score(model, day, CONTRACT, stamp_for(model, NOW), spec.columns,
                      ExplanationSettings(mode="on", top_k=50, tree_method=method))
    spark_out = model.pipeline.transform(day).select(
        "transaction_id", vector_to_array("rawPrediction")[1].alias("margin"),
        vector_to_array("probability")[1].alias("probability"))
    rows = explained.join(spark_out.withColumnRenamed("probability", "p_spark"), "transaction_id").collect()
    assert len(rows) == 60
    base = base_value(shap_dict(model.tree_nodes, model.classifier))
    sums = np.array([base + sum(e["contribution"] for e in r["explanation"]) for r in rows])
    expected = np.array([r[target] if target == "margin" else r["p_spark"] for r in rows])
    assert np.allclose(sums, expected, atol=1e-9)
    assert np.allclose([r["probability"] for r in rows], [r["p_spark"] for r in rows])
    if target == "margin":  # Spark's GBT probability is the logistic of twice the margin
        assert np.allclose([r["p_spark"] for r in rows], 1 / (1 + np.exp(-2 * expected)))
    assert {e["feature"] for r in rows for e in r["explanation"]} <= set(spec.columns)


def test_approximate_method_explains_every_forest_row_with_top_k_model_features(registry, mlflow_store, gold, spec):
    """tree_method approximate through score(): every row its top 3 model features, largest first, and not
    the TreeSHAP values (the method reached the executors)."""
    model = load_scoring_model(mlflow_store, NAME, "2")
    assert model.family == "RandomForestClassificationModel"
    day = _day(gold)
    approximate = _by_key(model, day, spec, ExplanationSettings(mode="on", top_k=3, tree_method="approximate"))
    assert len(approximate) == 60 and all(len(e) == 3 for e in approximate.values())
    assert {x["feature"] for e in approximate.values() for x in e} <= set(spec.columns)
    assert all([abs(x["contribution"]) for x in e] == sorted((abs(x["contribution"]) for x in e), reverse=True)
               for e in approximate.values())  # largest first
    assert approximate != _by_key(model, day, spec, ExplanationSettings(mode="on", top_k=3, tree_method="exact"))
