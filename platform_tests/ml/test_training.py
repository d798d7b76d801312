"""Candidate training on a tiny stored training set: the pipeline inside the model, metrics, threshold,
feature selection and reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from pyspark.sql import functions as F
from sklearn.metrics import auc, precision_recall_curve, roc_auc_score

from lakehouse.config.ml import ThresholdRule
from lakehouse.ml import metrics as M
from lakehouse.ml.models import preparation
from lakehouse.ml.train import score, train_candidates
from platform_tests.ml.conftest import LR, RF, tiny_config

SIGNAL = {"amount", "hour", "day_of_week", "is_weekend", "channel=a"}  # what synthetic_gold's label uses

CONFIG = tiny_config(
    models={"logistic_regression": LR, "random_forest": {**RF, "grid": {"maxDepth": [4]}}},
    feature_selection={"method": "importance", "params": {"top_k": 12, "num_trees": 8, "max_depth": 4}},
)


@pytest.fixture(scope="module")
def trained(training_table, spec):
    return train_candidates(training_table, spec, CONFIG)


def test_fixed_seeds_reproduce_the_same_metrics(trained, training_table, spec):
    # The random parts are the forests (ranking selector and classifier) and CV: retrain the forest
    # family alone (each family is tuned independently on the same prepared vectors) and compare.
    forest_only = CONFIG.model_copy(update={"models": {"random_forest": CONFIG.models["random_forest"]}})
    again = train_candidates(training_table, spec, forest_only)
    first, second = next(c for c in trained.candidates if c.family == "random_forest"), again.candidates[0]
    assert first.params == second.params and first.threshold == second.threshold
    assert first.importances == second.importances
    # approx only to absorb the order in which Spark merges partial sums on the driver.
    assert second.test.metrics == pytest.approx(first.test.metrics, abs=1e-9)
    assert second.validation.metrics == pytest.approx(first.validation.metrics, abs=1e-9)


def test_candidates_learn_the_signal_and_the_best_wins_on_validation(trained):
    assert {c.family for c in trained.candidates} == {"logistic_regression", "random_forest"}
    assert trained.best.validation.metrics["pr_auc"] == max(c.validation.metrics["pr_auc"] for c in trained.candidates)
    for c in trained.candidates:
        assert c.test.metrics["roc_auc"] > 0.75, c.family
        assert len(c.importances) == 12  # the selector kept top_k slots
    forest = next(c for c in trained.candidates if c.family == "random_forest")
    assert len(SIGNAL & {name for name, _ in forest.importances[:5]}) >= 3


def test_a_one_point_grid_is_fitted_once_without_cross_validation(trained):
    # CONFIG's forest grid has one point (nothing for CV to select); the regression's has two.
    forest, regression = (next(c for c in trained.candidates if c.family == f) for f in ("random_forest",
                                                                                           "logistic_regression"))
    assert forest.cv_metric is None and forest.grid_results == [{"maxDepth": 4, "metric": None}]
    assert forest.params["maxDepth"] == 4
    assert isinstance(regression.cv_metric, float) and len(regression.grid_results) == 2
    assert regression.cv_metric == max(r["metric"] for r in regression.grid_results)


def test_pipeline_in_the_model_handles_nulls_and_unseen_categories(trained, training_table, spec):
    model = trained.best.model
    rows = training_table.where("split = 'test'").limit(20)
    odd = rows.select(
        *[F.lit(None).cast("double").alias(c) if c in spec.numeric else F.col(c) for c in rows.columns]
    ).withColumn("channel", F.lit("teleport")).withColumn("category", F.lit(None).cast("string"))
    scored = score(model, odd.unionByName(rows)).select("p", "prediction").collect()
    assert len(scored) == 40
    assert all(r["p"] is not None and 0.0 <= r["p"] <= 1.0 for r in scored)
    # Gold rows that carry only the feature columns score too: the model reads nothing else.
    assert score(model, rows.select(*spec.columns)).count() == 20


def test_threshold_is_stored_in_the_model(trained):
    c = trained.best
    stage = c.model.stages[-1]
    assert c.threshold.rule == "best_f1" and 0 < c.threshold.threshold < 1
    stored = stage.getThreshold() if stage.hasParam("threshold") else stage.getThresholds()[1]
    assert stored == pytest.approx(c.threshold.threshold)


def test_prediction_column_matches_the_metric_rule(trained, training_table, spec):
    c = trained.best
    scored = score(c.model, training_table.where("split = 'test'"))
    mismatches = scored.where((F.col("p") > c.threshold.threshold) != (F.col("prediction") == 1.0)).count()
    assert mismatches == 0
    flagged = scored.where("prediction = 1.0").count()
    assert flagged == c.test.metrics["tp"] + c.test.metrics["fp"]


def test_histogram_metrics_agree_with_sklearn(trained, training_table, spec):
    scored = score(trained.best.model, training_table.where("split = 'test'")).select(spec.label, "p").toPandas()
    y, p = scored[spec.label].to_numpy(), scored["p"].to_numpy()
    ours = trained.best.test.metrics
    assert ours["roc_auc"] == pytest.approx(roc_auc_score(y, p), abs=2e-3)
    precision, recall, _ = precision_recall_curve(y, p)
    assert ours["pr_auc"] == pytest.approx(auc(recall, precision), abs=1e-2)
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    assert ours["log_loss"] == pytest.approx(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)), rel=1e-9)
    assert ours["brier"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-9)
    assert ours["alert_rate"] == pytest.approx(np.mean(p > trained.best.threshold.threshold))


def _histogram(pos: list[int], neg: list[int]) -> M.Histogram:
    # Bins -1..8 of a 10-bin histogram.
    return M.Histogram(10, np.array(pos, float), np.array(neg, float), 0.0, 0.0)


def test_threshold_rules():
    #            p=0 0-.1 .1-.2 ... .9-1
    h = _histogram([0, 0, 0, 0, 1, 1, 2, 2, 3, 5, 6], [0, 30, 20, 10, 8, 6, 4, 2, 1, 1, 1])
    best = M.choose_threshold(h, ThresholdRule(rule="best_f1"))
    f1s = {k: M.at_threshold(h, k)["f1"] for k in range(1, 10)}
    assert best.met and f1s[best.index] == max(f1s.values())
    strict = M.choose_threshold(h, ThresholdRule(rule="min_precision", value=0.8))
    assert strict.met and M.at_threshold(h, strict.index)["precision"] >= 0.8
    assert M.at_threshold(h, strict.index - 1)["precision"] < 0.8  # the lowest such threshold
    impossible = M.choose_threshold(h, ThresholdRule(rule="min_precision", value=0.99))
    assert not impossible.met and "not reached" in impossible.rule
    assert M.choose_threshold(h, ThresholdRule(rule="fixed", value=0.3)).threshold == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("method", "params", "slots"),
    [("variance_threshold", {"threshold": 0.0}, None), ("univariate", {"mode": "numTopFeatures", "threshold": 5}, 5),
     ("importance", {"top_k": 6, "num_trees": 5, "max_depth": 3}, 6)],
)
def test_feature_selection_methods(method, params, slots, training_table, spec):
    config = tiny_config(feature_selection={"method": method, "params": params})
    pipeline, column = preparation(spec, config)
    fitted = pipeline.fit(training_table.where("split = 'train'"))
    validation = training_table.where("split = 'validation'")
    raw, selected = fitted.transform(validation).select("features_raw", column).first()
    # No slot of the synthetic data is constant, so the variance threshold keeps all of them.
    assert selected.size == (slots or raw.size) and selected.size <= raw.size
