"""ML benchmarks: tuning time per model family at two training-set sizes, how it scales, and what
MLflow tracking + registration + the champion gate add to a training.

Sizes: `rows` and `rows // 10` labelled transactions in the six-week window (split 4 / 1 / 1 weeks),
synthetic gold data with a known signal. Every family is tuned as stack-notes measured it: 3-fold CV
over a 2-point grid (ml.yaml's production grids are larger; this keeps the benchmark comparable).
"""

from __future__ import annotations

import statistics
import time
from datetime import date, datetime, timedelta
from typing import Any

from lakehouse.config.ml import MlConfig, load_ml_config
from lakehouse.ml.features import load_feature_spec
from lakehouse.ml.promotion import champion_gate
from lakehouse.ml.tracking import TrainingContext, log_and_register
from lakehouse.ml.train import TrainingResult, train_candidates
from lakehouse.ml.training_set import build_training_set, window_bounds
from lakehouse.resources.delta_write import WriteSpec, write_delta
from lakehouse_tools.bench.harness import Bench, Comparison, say
from lakehouse_tools.synthetic_gold import synthetic_gold, write_gold

START = date(2026, 1, 5)  # a Monday
MODELS: dict[str, dict[str, Any]] = {
    "logistic_regression": {"estimator": "pyspark.ml.classification.LogisticRegression", "scale": True,
                            "params": {"maxIter": 50}, "grid": {"regParam": [0.01, 0.1]}},
    "random_forest": {"estimator": "pyspark.ml.classification.RandomForestClassifier",
                      "params": {"numTrees": 50}, "grid": {"maxDepth": [5, 8]}},
    "gbt": {"estimator": "pyspark.ml.classification.GBTClassifier",
            "params": {"maxIter": 20}, "grid": {"maxDepth": [3, 5]}},
}


def bench_config() -> MlConfig:
    base = load_ml_config("card_fraud").model_dump()
    base.update(models=MODELS, cross_validation={**base["cross_validation"], "folds": 3, "parallelism": 2},
                registry={**base["registry"], "model_name": "bench_classifier"})
    return MlConfig.model_validate(base)


def _training_table(bench: Bench, config: MlConfig, size: int) -> Any:
    """A stored training set of about `size` rows for the week whose window starts at START."""
    spark, resource, spec = bench.spark, bench.resources["spark"], load_feature_spec("card_fraud")
    settings = config.training_set
    lag = settings.lag_weeks(spec.label_window_days)
    week = START + timedelta(weeks=lag + settings.window_weeks - 1)
    days = (window_bounds(week, settings, spec.label_window_days)[1] - START).days
    as_of = datetime.combine(week + timedelta(days=7), datetime.min.time())
    features, labels = synthetic_gold(spark, spec, START, days, max(size // days, 1), as_of, base_rate=0.02)
    write_gold(resource, features, labels, schema=f"bench_gold_{size}")
    rows, _ = build_training_set(spark.table(f"bench_gold_{size}.transaction_features"),
                                 spark.table(f"bench_gold_{size}.labels"), spec, settings, week)
    ref = resource.table("bench", f"ml_training_{size}")
    write_delta(spark, rows, ref, WriteSpec(schema_mode="overwrite"), None)
    resource.register(ref)
    return spark.table(ref.name), ref, week


def _train(table: Any, config: MlConfig, repeats: int) -> tuple[dict[str, float], float, TrainingResult]:
    """Median CV seconds per family and median whole-training seconds over `repeats` trainings."""
    spec = load_feature_spec("card_fraud")
    per_family: dict[str, list[float]] = {name: [] for name in config.models}
    totals, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = train_candidates(table, spec, config)
        totals.append(time.perf_counter() - started)
        for c in result.candidates:
            per_family[c.family].append(c.fit_seconds)
    assert result is not None
    return {k: statistics.median(v) for k, v in per_family.items()}, statistics.median(totals), result


def run(bench: Bench, rows: int, repeats: int = 3) -> list[Comparison]:
    config = bench_config()
    sizes = [max(rows // 10, 2_000), rows]
    timings: dict[int, dict[str, float]] = {}
    results: list[Comparison] = []
    for size in sizes:
        say(f"ML: training set of ~{size:,} rows")
        table, ref, week = _training_table(bench, config, size)
        if size == sizes[0]:  # warm-up: JIT and the first ML jobs, not counted
            train_candidates(table, load_feature_spec("card_fraud"), config.model_copy(
                update={"models": {"logistic_regression": config.models["logistic_regression"]}}))
        per_family, total, result = _train(table, config, repeats)
        timings[size] = per_family
        fastest = min(per_family, key=per_family.__getitem__)
        for family, seconds in per_family.items():
            c = next(c for c in result.candidates if c.family == family)
            results.append(Comparison(
                "ml", f"{size:,} rows: {family} CV / fastest family ({fastest})", seconds, per_family[fastest],
                "<= 5", f"3-fold CV over 2 grid points, median of {repeats}; test PR-AUC "
                f"{c.test.metrics['pr_auc']:.3f}, ROC-AUC {c.test.metrics['roc_auc']:.3f}; whole training "
                f"(shared preparation, 3 families, evaluation) {total:.1f} s",
            ))
        if size == sizes[0]:
            results.append(_tracking_overhead(bench, result, table, ref, week, config, total))
    small, large = sizes
    for family in config.models:
        results.append(Comparison(
            "ml", f"{family}: CV at {large:,} rows / at {small:,} rows", timings[large][family],
            timings[small][family], f"<= {large / small:.0f}",
            f"{large / small:.0f}x the rows should cost at most {large / small:.0f}x the time "
            "(fixed Spark job costs dominate small sizes)",
        ))
    return results


def _tracking_overhead(
    bench: Bench, result: TrainingResult, table: Any, ref: Any, week: date, config: MlConfig, train_seconds: float
) -> Comparison:
    """What MLflow adds to a training: parent and child runs, artifacts, model logging and registration,
    and the champion gate, for the training just measured."""
    spec, resource = load_feature_spec("card_fraud"), bench.resources["mlflow"]
    ctx = TrainingContext(table_name=ref.name, table_location=ref.location, table_version=0,
                          training_week=str(week), test_from="", test_to="", tags={"bench": "ml"})
    resource.experiment_id()  # create the sqlite store first: a one-off, not part of every training
    started = time.perf_counter()
    registered = log_and_register(resource, result, table, ctx, spec, config)
    with resource.activate():
        champion_gate(resource.client(), registered.version, result.best.test.metrics[config.promotion.metric],
                      table.where("split = 'test'"), spec, config, run_id=registered.parent_run_id)
    tracking = time.perf_counter() - started
    return Comparison("ml", "training + MLflow tracking, registration and gate / training alone",
                      train_seconds + tracking, train_seconds, "<= 1.5",
                      f"tracking, model logging (signature, input example), registration and gate: {tracking:.1f} s")
