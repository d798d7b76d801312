"""Explanations: exact linear contributions checked by hand on one row, TreeSHAP and Saabas additivity
against Spark's own outputs for a forest and boosted trees, the mapInPandas batch step and the Saabas
method on hand-built trees (without Spark), and the categorical-split translation."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from pyspark.ml.functions import vector_to_array

from lakehouse.config.contracts import load_contracts
from lakehouse.config.scoring import ExplanationSettings
from lakehouse.ingestion.file_source import in_window
from lakehouse.scoring.model import load_scoring_model
from lakehouse.scoring.predict import score, stamp_for
from lakehouse.scoring.treeshap import shap_dict
from platform_tests.scoring.conftest import NAME

CONTRACT = load_contracts("card_fraud")["predictions"]
DAY = date(2026, 1, 27)
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
# Two trees of depth 2 on three slots, as Spark saves them: (id, class counts, left, right, slot, threshold).
TWO_TREES = [
    [(0, [23, 17], 1, 2, 0, 0.5), (1, [8, 12], 3, 4, 1, 0.3), (2, [15, 5], -1, -1, -1, 0.0),
     (3, [2, 8], -1, -1, -1, 0.0), (4, [6, 4], -1, -1, -1, 0.0)],
    [(0, [18, 14], 1, 2, 2, 0.0), (1, [10, 2], -1, -1, -1, 0.0), (2, [8, 12], 3, 4, 0, 0.5),
     (3, [1, 9], -1, -1, -1, 0.0), (4, [7, 3], -1, -1, -1, 0.0)],
]
ROWS = np.array(list(itertools.product([0.0, 1.0], [0.0, 1.0], [-1.0, 1.0])))  # reach every leaf of both trees


def base_value(model: dict[str, Any]) -> float:
    """The explainer's expected value: what the contributions of a row are added to."""
    import shap

    return float(np.asarray(shap.TreeExplainer(model).expected_value).reshape(-1)[0])


def _forest(trees: list[list[tuple]]) -> dict[str, Any]:
    """shap's dict model (treeshap.shap_dict, as scoring builds it) of a forest given as node tuples: a
    continuous split `x[slot] <= threshold`, or with a 7th element 2 a binary one, `{threshold} -> left`."""
    def data(i: int, stats: list[int], left: int, right: int, slot: int, threshold: float,
             categories: int = -1) -> dict[str, Any]:
        split = {"featureIndex": slot, "leftCategoriesOrThreshold": [threshold] if left >= 0 else [],
                 "numCategories": categories}
        return {"prediction": 0.0, "impurity": 0.0, "rawCount": 0, "gain": 0.0, "id": i, "leftChild": left,
                "rightChild": right, "impurityStats": [float(c) for c in stats], "split": split}

    nodes = pa.Table.from_pylist([{"treeID": t, "nodeData": data(*n)} for t, tree in enumerate(trees) for n in tree])
    forest = type("RandomForestClassificationModel", (), {"treeWeights": [1.0] * len(trees)})()
    return shap_dict(nodes, forest)


def _output(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """The dict model's output per row, by walking every tree (`x <= threshold` goes left)."""
    out = np.zeros(len(x))
    for tree in model["trees"]:
        for r, row in enumerate(x):
            i = 0
            while tree["children_left"][i] >= 0:
                left = row[tree["features"][i]] <= tree["thresholds"][i]
                i = tree["children_left"][i] if left else tree["children_right"][i]
            out[r] += tree["values"][i, 0]
    return out


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


def test_approximate_contributions_sum_with_the_base_value_to_the_models_output():
    """Saabas (`approximate=True`) on shap's dict model: one value per row and slot, as explain_batch
    reads them; other values than TreeSHAP's, the same total."""
    import shap

    model = _forest(TWO_TREES)
    explainer = shap.TreeExplainer(model)
    approximate = np.asarray(explainer.shap_values(ROWS, approximate=True, check_additivity=False))
    exact = np.asarray(explainer.shap_values(ROWS, check_additivity=False))
    assert approximate.shape == exact.shape == ROWS.shape
    assert base_value(model) + approximate.sum(axis=1) == pytest.approx(_output(model, ROWS), abs=1e-12)
    assert base_value(model) + exact.sum(axis=1) == pytest.approx(_output(model, ROWS), abs=1e-12)
    assert not np.allclose(approximate, exact)


def test_approximate_equals_exact_on_a_stump():
    """One split, one feature on every path: Saabas and Shapley values coincide."""
    import shap

    stump = _forest([[(0, [10, 10], 1, 2, 1, 0.3), (1, [2, 8], -1, -1, -1, 0.0), (2, [8, 2], -1, -1, -1, 0.0)]])
    explainer = shap.TreeExplainer(stump)
    approximate = np.asarray(explainer.shap_values(ROWS, approximate=True, check_additivity=False))
    exact = np.asarray(explainer.shap_values(ROWS, check_additivity=False))
    assert np.abs(approximate[:, 1]).min() > 0  # every row is explained by the split's slot
    assert approximate == pytest.approx(exact, abs=1e-12)


def test_a_batch_is_explained_by_the_approximate_method_when_asked():
    """explain_batch(approximate=True): Saabas values summed per feature, top k largest first."""
    import pandas as pd
    import shap

    from lakehouse.scoring.treeshap import _X, explain_batch

    explainer = shap.TreeExplainer(_forest(TWO_TREES))
    membership = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])  # slot 0 is "a"; slots 1 and 2 are "b"
    names = np.array(["a", "b"], dtype=object)
    batch = pd.DataFrame({"transaction_id": [str(i) for i in range(len(ROWS))], _X: list(ROWS)})
    out = explain_batch(explainer, batch.copy(), membership, names, 2, approximate=True)
    saabas = np.asarray(explainer.shap_values(ROWS, approximate=True, check_additivity=False)) @ membership
    for row, features, values in zip(saabas, out["_explain_features"], out["_explain_values"], strict=True):
        assert dict(zip(features, values, strict=True)) == pytest.approx({"a": row[0], "b": row[1]})
        assert abs(values[0]) >= abs(values[1])
    exact = explain_batch(explainer, batch.copy(), membership, names, 2)
    assert not np.allclose(np.vstack(out["_explain_values"]), np.vstack(exact["_explain_values"]))


def test_a_batch_is_explained_per_feature_and_an_empty_batch_stays_empty():
    """The mapInPandas step without Spark: slots summed per feature, top k; a batch with no rows (a
    partition the positives left empty) must not fail."""
    import pandas as pd
    import shap

    from lakehouse.scoring.treeshap import _X, explain_batch

    # One tree on slot 1 (`x <= 0.3` goes left to class 1); slots 1 and 2 belong to feature "b".
    tree = [(0, [10, 10], 1, 2, 1, 0.3), (1, [0, 10], -1, -1, -1, 0.0), (2, [10, 0], -1, -1, -1, 0.0)]
    explainer = shap.TreeExplainer(_forest([tree]))
    membership = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    names = np.array(["a", "b"], dtype=object)
    batch = pd.DataFrame({"transaction_id": ["x", "y"], _X: [np.array([0.0, 0.1, 0.0]), np.array([5.0, 0.9, 1.0])]})
    out = explain_batch(explainer, batch.copy(), membership, names, 1)
    assert list(out.columns) == ["transaction_id", "_explain_features", "_explain_values"]
    assert out["_explain_features"].tolist() == [["b"], ["b"]]
    assert [v.tolist() for v in out["_explain_values"]] == [pytest.approx([0.5]), pytest.approx([-0.5])]
    empty = explain_batch(explainer, batch.iloc[:0].copy(), membership, names, 1)
    assert len(empty) == 0 and "_explain_values" in empty.columns
    # A row without a vector (predicted negative, rows: positive) keeps its place and gets nulls.
    mixed = pd.DataFrame({"transaction_id": ["x", "n", "y"], _X: [batch[_X][0], None, batch[_X][1]]})
    out = explain_batch(explainer, mixed.copy(), membership, names, 1)
    assert out["transaction_id"].tolist() == ["x", "n", "y"]
    assert out["_explain_features"].tolist() == [["b"], None, ["b"]]
    assert out["_explain_values"][1] is None and out["_explain_values"][2].tolist() == pytest.approx([-0.5])
    unexplained = explain_batch(explainer, mixed.iloc[1:2].copy(), membership, names, 1)
    assert unexplained["_explain_features"].tolist() == [None]


def test_binary_categorical_split_with_category_one_left_is_translated():
    """A one-hot slot split `{1.0} -> left`: x = 1 must reach the left leaf (class 1), x = 0 the right."""
    import shap

    tree = [(0, [10, 10], 1, 2, 0, 1.0, 2), (1, [0, 10], -1, -1, -1, 0.0), (2, [10, 0], -1, -1, -1, 0.0)]
    explainer = shap.TreeExplainer(_forest([tree]))
    values = np.asarray(explainer.shap_values(np.array([[1.0], [0.0]]), check_additivity=False)).reshape(2)
    base = float(np.asarray(explainer.expected_value).reshape(-1)[0])
    assert base == pytest.approx(0.5)
    assert base + values == pytest.approx([1.0, 0.0])
