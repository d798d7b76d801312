"""Explanations: exact linear contributions checked by hand on one row, TreeSHAP additivity against
Spark's own outputs for a forest and boosted trees, the mapInPandas batch step (without Spark), and the
categorical-split translation."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from pyspark.ml.functions import vector_to_array

from lakehouse.config.contracts import load_contracts
from lakehouse.ingestion.file_source import in_window
from lakehouse.scoring.model import load_scoring_model
from lakehouse.scoring.predict import score, stamp_for
from lakehouse.scoring.treeshap import shap_dict
from platform_tests.scoring.conftest import NAME

CONTRACT = load_contracts("card_fraud")["predictions"]
DAY = date(2026, 1, 27)
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def base_value(model: dict[str, Any]) -> float:
    """The explainer's expected value: what the contributions of a row are added to."""
    import shap

    return float(np.asarray(shap.TreeExplainer(model).expected_value).reshape(-1)[0])


def _day(gold):
    return in_window(gold, "event_date", DAY, date(2026, 1, 28))


def test_linear_contribution_is_coefficient_times_standardised_value(registry, mlflow_store, gold, spec):
    model = load_scoring_model(mlflow_store, NAME, "1")
    assert model.family == "LogisticRegressionModel"
    row = _day(gold).orderBy("transaction_id").limit(1)
    out = score(model, row, CONTRACT, stamp_for(model, NOW), spec.columns, explain_top_k=50).first()

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
    full = {r["transaction_id"]: r["explanation"] for r in score(model, rows, CONTRACT, stamp_for(model, NOW),
                                                                   spec.columns, 50).collect()}
    top3 = {r["transaction_id"]: r["explanation"] for r in score(model, rows, CONTRACT, stamp_for(model, NOW),
                                                                   spec.columns, 3).collect()}
    assert all(len(v) == 3 and v == full[k][:3] for k, v in top3.items())


@pytest.mark.parametrize("version", ["1", "2"])  # exact linear, TreeSHAP
def test_positive_rows_only_are_explained_when_asked(registry, mlflow_store, gold, spec, version):
    model = load_scoring_model(mlflow_store, NAME, version)
    rows = _day(gold)
    every = {r["transaction_id"]: r["explanation"] for r in score(model, rows, CONTRACT, stamp_for(model, NOW),
                                                                    spec.columns, 4).collect()}
    alerts = score(model, rows, CONTRACT, stamp_for(model, NOW), spec.columns, 4, positives_only=True).collect()
    positive = [r for r in alerts if r["prediction"] == 1]
    assert positive and len(positive) < len(alerts)
    assert all((r["explanation"] is None) == (r["prediction"] == 0) for r in alerts)
    assert all(r["explanation"] == every[r["transaction_id"]] for r in positive)


@pytest.mark.parametrize(("version", "family", "target"), [
    ("2", "RandomForestClassificationModel", "probability"),  # a forest explains its class-1 probability
    ("3", "GBTClassificationModel", "margin"),  # boosted trees explain the margin (rawPrediction[1])
])
def test_tree_shap_sums_with_the_base_value_to_the_models_output(
    registry, mlflow_store, gold, spec, version, family, target
):
    model = load_scoring_model(mlflow_store, NAME, version)
    assert model.family == family
    day = _day(gold)
    explained = score(model, day, CONTRACT, stamp_for(model, NOW), spec.columns, explain_top_k=50)
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


def test_a_batch_is_explained_per_feature_and_an_empty_batch_stays_empty():
    """The mapInPandas step without Spark: slots summed per feature, top k; a batch with no rows (a
    partition the positives left empty) must not fail."""
    import pandas as pd
    import shap

    from lakehouse.scoring.treeshap import _X, explain_batch

    # One tree on slot 1 (`x <= 0.3` goes left to class 1); slots 1 and 2 belong to feature "b".
    node = {"prediction": 0.0, "impurity": 0.0, "rawCount": 0, "gain": 0.0}
    split = {"featureIndex": 1, "leftCategoriesOrThreshold": [0.3], "numCategories": -1}
    none = {"featureIndex": -1, "leftCategoriesOrThreshold": [], "numCategories": -1}
    rows = [(0, [10.0, 10.0], 1, 2, split), (1, [0.0, 10.0], -1, -1, none), (2, [10.0, 0.0], -1, -1, none)]
    nodes = pa.Table.from_pylist([{"treeID": 0, "nodeData": {**node, "id": i, "impurityStats": stats, "leftChild": left,
                                                             "rightChild": right, "split": how}}
                                  for i, stats, left, right, how in rows])
    forest = type("RandomForestClassificationModel", (), {"treeWeights": [1.0]})()
    explainer = shap.TreeExplainer(shap_dict(nodes, forest))
    membership = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    names = np.array(["a", "b"], dtype=object)
    batch = pd.DataFrame({"transaction_id": ["x", "y"], _X: [np.array([0.0, 0.1, 0.0]), np.array([5.0, 0.9, 1.0])]})
    out = explain_batch(explainer, batch.copy(), membership, names, 1)
    assert list(out.columns) == ["transaction_id", "_explain_features", "_explain_values"]
    assert out["_explain_features"].tolist() == [["b"], ["b"]]
    assert [v.tolist() for v in out["_explain_values"]] == [pytest.approx([0.5]), pytest.approx([-0.5])]
    empty = explain_batch(explainer, batch.iloc[:0].copy(), membership, names, 1)
    assert len(empty) == 0 and "_explain_values" in empty.columns


def test_binary_categorical_split_with_category_one_left_is_translated():
    """A one-hot slot split `{1.0} -> left`: x = 1 must reach the left leaf (class 1), x = 0 the right."""
    node = {"prediction": 0.0, "impurity": 0.0, "rawCount": 0, "gain": 0.0}
    split = {"featureIndex": 0, "leftCategoriesOrThreshold": [1.0], "numCategories": 2}
    none = {"featureIndex": -1, "leftCategoriesOrThreshold": [], "numCategories": -1}
    def tree_node(i: int, stats: list[float], left: int, right: int, how: dict) -> dict:
        data = {**node, "id": i, "impurityStats": stats, "leftChild": left, "rightChild": right, "split": how}
        return {"treeID": 0, "nodeData": data}

    nodes = pa.Table.from_pylist([tree_node(0, [10.0, 10.0], 1, 2, split), tree_node(1, [0.0, 10.0], -1, -1, none),
                                  tree_node(2, [10.0, 0.0], -1, -1, none)])
    forest = type("RandomForestClassificationModel", (), {"treeWeights": [1.0]})()
    import shap

    explainer = shap.TreeExplainer(shap_dict(nodes, forest))
    values = np.asarray(explainer.shap_values(np.array([[1.0], [0.0]]), check_additivity=False)).reshape(2)
    base = float(np.asarray(explainer.expected_value).reshape(-1)[0])
    assert base == pytest.approx(0.5)
    assert base + values == pytest.approx([1.0, 0.0])
