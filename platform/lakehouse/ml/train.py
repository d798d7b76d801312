"""Train every enabled family on a training set: tune with cross-validation on the train split, choose
the threshold on validation, report on test, pick the best family on validation.

No MLflow and no Dagster here: tests and the benchmark call `train_candidates` on tiny DataFrames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.ml import MlConfig
from lakehouse.ml import metrics as M
from lakehouse.ml.features import FeatureSpec
from lakehouse.ml.models import (
    build_pipeline,
    cross_validator,
    feature_names,
    importances,
    param_grid,
    set_threshold,
    stage_params,
    with_time_folds,
)
from lakehouse.ml.training_set import SPLIT, SPLITS, split_stats_of


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    histogram: M.Histogram


@dataclass
class Candidate:
    family: str
    estimator: str
    model: PipelineModel  # fitted on the train split, threshold stored in the classifier
    params: dict[str, Any]
    cv_metric: float
    grid_results: list[dict[str, Any]]
    threshold: M.ThresholdChoice
    validation: Evaluation
    test: Evaluation
    importances: list[tuple[str, float]]
    fit_seconds: float


@dataclass
class TrainingResult:
    candidates: list[Candidate]
    best: Candidate
    selection_metric: str


def score(model: PipelineModel, df: DataFrame) -> DataFrame:
    """The model's output with `p`, the probability of fraud."""
    return M.with_probability(model.transform(df))


def evaluate(model: PipelineModel, df: DataFrame, spec: FeatureSpec, config: MlConfig, k: int) -> Evaluation:
    """Built-in metrics at threshold index k, plus custom metrics on (label, p, prediction)."""
    settings = config.evaluation
    scored = score(model, df)
    hist = M.histogram(scored, spec.label, settings.bins)
    values = M.summary(hist, k, settings.metrics)
    if settings.custom_metrics:
        frame = scored.select(F.col(spec.label).cast("double").alias("label"), M.PROB, "prediction")
        values.update(M.custom_metrics(frame, k / settings.bins, settings))
    return Evaluation(values, hist)


def _require_trainable(training_set: DataFrame, label: str) -> None:
    stats = split_stats_of(training_set, label)
    problems = [f"{s}: {v.rows} rows, {v.positives} positives" for s, v in stats.items()
                if not v.positives or v.positives == v.rows]
    if problems:
        raise ValueError("Training set cannot train and evaluate a classifier (each split needs both classes): "
                         + "; ".join(problems))


def fit_family(name: str, train: DataFrame, spec: FeatureSpec, config: MlConfig) -> tuple[PipelineModel, float, list[dict[str, Any]], float]:
    """CrossValidator over the family's grid; returns the refit best pipeline, its CV metric, the grid
    results and the wall time."""
    family = config.models[name]
    pipeline, clf = build_pipeline(family, spec, config)
    grid = param_grid(clf, family)
    started = time.perf_counter()
    cv_model = cross_validator(pipeline, grid, spec.label, config).fit(train)
    seconds = time.perf_counter() - started
    results = [
        {**{p.name: v for p, v in point.items()}, "metric": float(m)}
        for point, m in zip(grid, cv_model.avgMetrics, strict=True)
    ]
    best: PipelineModel = cv_model.bestModel
    return best, max(r["metric"] for r in results), results, seconds


def train_candidates(training_set: DataFrame, spec: FeatureSpec, config: MlConfig) -> TrainingResult:
    _require_trainable(training_set, spec.label)
    parts = {s: training_set.where(F.col(SPLIT) == s) for s in SPLITS}
    if config.cross_validation.fold_strategy == "time_blocks":
        parts["train"] = with_time_folds(parts["train"], config.cross_validation.folds)
    for df in parts.values():
        df.persist()  # CV reads the train split folds x grid times; every candidate scores the others
    try:
        candidates = [_candidate(name, parts, spec, config) for name in config.enabled_families()]
    finally:
        for df in parts.values():
            df.unpersist()
    metric = config.evaluation.selection_metric
    sign = 1.0 if config.evaluation.greater_is_better(metric) else -1.0
    best = max(candidates, key=lambda c: sign * c.validation.metrics[metric])  # first wins a tie
    return TrainingResult(candidates, best, metric)


def _candidate(name: str, parts: dict[str, DataFrame], spec: FeatureSpec, config: MlConfig) -> Candidate:
    model, cv_metric, grid_results, seconds = fit_family(name, parts["train"], spec, config)
    validation_hist = M.histogram(score(model, parts["validation"]), spec.label, config.evaluation.bins)
    choice = M.choose_threshold(validation_hist, config.evaluation.threshold)
    set_threshold(model, choice.threshold)
    names = feature_names(model, parts["test"])
    return Candidate(
        family=name,
        estimator=config.models[name].estimator,
        model=model,
        params=stage_params(model),
        cv_metric=cv_metric,
        grid_results=grid_results,
        threshold=choice,
        validation=evaluate(model, parts["validation"], spec, config, choice.index),
        test=evaluate(model, parts["test"], spec, config, choice.index),
        importances=importances(model, names),
        fit_seconds=seconds,
    )


def comparison_rows(result: TrainingResult, config: MlConfig) -> list[dict[str, Any]]:
    """One row per candidate: what the comparison table (Dagster metadata, MLflow artifact) shows."""
    shown = [m for m in ("roc_auc", "pr_auc", "precision", "recall", "f1", "log_loss", "brier")
             if m in config.evaluation.metrics] + list(config.evaluation.custom_metrics)
    rows = []
    for c in result.candidates:
        row: dict[str, Any] = {"family": c.family + (" (best)" if c is result.best else ""),
                               f"cv {config.cross_validation.metric}": round(c.cv_metric, 4),
                               f"val {result.selection_metric}": round(c.validation.metrics[result.selection_metric], 4)}
        row.update({f"test {m}": round(c.test.metrics[m], 4) for m in shown})
        row.update({"threshold": round(c.threshold.threshold, 4), "fit s": round(c.fit_seconds, 1),
                    "params": ", ".join(f"{k}={v}" for k, v in sorted(c.params.items()) if k not in ("seed", "thresholds", "threshold"))})
        rows.append(row)
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines)
