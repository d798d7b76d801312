"""Train every enabled family on a training set: tune with cross-validation on the train split, choose
the threshold on validation, report on test, pick the best family on validation.

No MLflow and no Dagster here: tests and the benchmark call `train_candidates` on tiny DataFrames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from pyspark.ml import PipelineModel, Transformer
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.ml import MlConfig
from lakehouse.ml import metrics as M
from lakehouse.ml.features import FeatureSpec
from lakehouse.ml.models import (
    FOLD,
    cross_validator,
    family_pipeline,
    feature_names,
    importances,
    param_grid,
    preparation,
    set_threshold,
    stage_params,
    with_time_folds,
)
from lakehouse.ml.training_set import SPLIT, SPLITS, WEIGHT, split_stats_of


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
    cv_metric: float | None  # None: a one-point grid, fitted without cross-validation
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
    prep_seconds: float  # fitting the shared preparation (feature stages + selector), once


def score(model: PipelineModel, df: DataFrame) -> DataFrame:
    """The model's output with `p`, the probability of the positive class (label 1)."""
    return M.with_probability(model.transform(df))


def evaluate(
    model: PipelineModel, df: DataFrame, spec: FeatureSpec, config: MlConfig, k: int, hist: M.Histogram | None = None
) -> Evaluation:
    """Built-in metrics at threshold index k, plus custom metrics on (label, p, prediction). `hist`: the
    split's histogram when already computed (probabilities do not depend on the threshold)."""
    settings = config.evaluation
    scored = score(model, df)
    hist = hist or M.histogram(scored, spec.label, settings.bins)
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


def fit_family(
    name: str, prepared: DataFrame, vector_col: str, spec: FeatureSpec, config: MlConfig
) -> tuple[list[Transformer], float | None, list[dict[str, Any]], float]:
    """CrossValidator over the family's grid on prepared train vectors; returns the fitted stages of the
    best grid point (refit on the whole train split), its CV metric, every grid point's metric and the
    wall time. A grid of one point (no grid, or `tuning: quick`) has nothing to select: it is fitted
    once on the whole train split, the model CrossValidator would refit, without the folds' fits
    (CV metric None)."""
    family = config.models[name]
    pipeline, clf = family_pipeline(family, vector_col, spec.label, config.seed)
    grid = param_grid(clf, family)
    started = time.perf_counter()
    if len(grid) == 1:
        model = pipeline.fit(prepared, grid[0])
        seconds = time.perf_counter() - started
        return list(model.stages), None, [{**{p.name: v for p, v in grid[0].items()}, "metric": None}], seconds
    cv_model = cross_validator(pipeline, grid, spec.label, config).fit(prepared)
    seconds = time.perf_counter() - started
    results = [
        {**{p.name: v for p, v in point.items()}, "metric": float(m)}
        for point, m in zip(grid, cv_model.avgMetrics, strict=True)
    ]
    best = cast(PipelineModel, cv_model.bestModel)  # typed Model; the estimator cross-validated is a Pipeline
    return list(best.stages), max(r["metric"] for r in results), results, seconds


def train_candidates(training_set: DataFrame, spec: FeatureSpec, config: MlConfig) -> TrainingResult:
    config.check_imports()
    _require_trainable(training_set, spec.label)
    parts = {s: training_set.where(F.col(SPLIT) == s) for s in SPLITS}
    train = parts["train"]
    if config.cross_validation.fold_strategy == "time_blocks":
        train = with_time_folds(train, config.cross_validation.folds)
    prep_pipeline, vector_col = preparation(spec, config)
    started = time.perf_counter()
    prep = prep_pipeline.fit(train)
    prep_seconds = time.perf_counter() - started
    folds = [FOLD] if FOLD in train.columns else []
    # Vectors computed once and cached: CV reads them folds x grid points times for every family.
    prepared = prep.transform(train).select(vector_col, spec.label, WEIGHT, *folds).persist()
    held_out = [parts["validation"].persist(), parts["test"].persist()]
    try:
        candidates = [_candidate(name, prep, prepared, vector_col, parts, spec, config)
                      for name in config.enabled_families()]
    finally:
        for df in (prepared, *held_out):
            df.unpersist()
    metric = config.evaluation.selection_metric
    sign = 1.0 if config.evaluation.greater_is_better(metric) else -1.0
    best = max(candidates, key=lambda c: sign * c.validation.metrics[metric])  # first wins a tie
    return TrainingResult(candidates, best, metric, prep_seconds)


def _candidate(
    name: str, prep: PipelineModel, prepared: DataFrame, vector_col: str, parts: dict[str, DataFrame],
    spec: FeatureSpec, config: MlConfig,
) -> Candidate:
    stages, cv_metric, grid_results, seconds = fit_family(name, prepared, vector_col, spec, config)
    model = PipelineModel(stages=[*prep.stages, *stages])  # the one model: preparation + classifier
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
        validation=evaluate(model, parts["validation"], spec, config, choice.index, validation_hist),
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
        selection = result.selection_metric
        cv = "-" if c.cv_metric is None else round(c.cv_metric, 4)  # "-": one grid point, no CV
        row: dict[str, Any] = {"family": c.family + (" (best)" if c is result.best else ""),
                               f"cv {config.cross_validation.metric}": cv,
                               f"val {selection}": round(c.validation.metrics[selection], 4)}
        row.update({f"test {m}": round(c.test.metrics[m], 4) for m in shown})
        tuned = {k: v for k, v in sorted(c.params.items()) if k not in ("seed", "thresholds", "threshold")}
        row.update({"threshold": round(c.threshold.threshold, 4), "fit s": round(c.fit_seconds, 1),
                    "params": ", ".join(f"{k}={v}" for k, v in tuned.items())})
        rows.append(row)
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines)
