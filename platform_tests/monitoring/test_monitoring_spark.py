"""The monitoring computations on tiny DataFrames, and the asset end to end through the Delta IO manager
into the retraining sensor (the one Spark module of the monitoring tests)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from dagster import AssetKey, Definitions, asset, build_sensor_context, define_asset_job, instance_for_test, materialize
from pyspark.sql import DataFrame, SparkSession

from lakehouse.config.dataset import load_dataset
from lakehouse.config.monitoring import MonitoringConfig, load_monitoring_config
from lakehouse.monitoring.assets import CHECK, build_monitoring_assets
from lakehouse.monitoring.metrics import DayMetrics
from lakehouse.monitoring.range_metrics import monitor_days
from lakehouse.monitoring.sensors import REASON_TAG, build_retraining_sensor, monitoring_key
from lakehouse.partitions import build_calendar

DATASET = "card_fraud"
CONFIG = load_monitoring_config(DATASET)
D = date(2026, 2, 10)
PRED_COLS = "transaction_id string, event_date date, probability double, prediction int, model_version string"
LABEL_COLS = "transaction_id string, event_date date, is_fraud int, label_matured boolean"


def small(**performance: Any) -> MonitoringConfig:
    perf = CONFIG.performance.model_copy(update={"window_days": 5, "min_rows": 4, "min_positives": 2, **performance})
    drift = CONFIG.drift.model_copy(update={"reference_days": 2, "min_rows": 4})
    return CONFIG.model_copy(update={"performance": perf, "drift": drift})


def monitor(predictions: DataFrame, labels: DataFrame, config: MonitoringConfig | None = None) -> DayMetrics:
    """Day D monitored: the range of one day."""
    return monitor_days(predictions, labels, [D], config or small())[0]


def test_realised_performance_counts_matured_labels_only(spark: SparkSession) -> None:
    rows = [("k1", .9, 1, 1, True), ("k2", .8, 1, 0, True), ("k3", .7, 1, 1, True), ("k4", .4, 0, 1, True),
            ("k5", .3, 0, 0, True), ("k6", .2, 0, 0, True), ("k7", .95, 1, 0, False), ("k8", .1, 0, 1, False)]
    predictions = spark.createDataFrame([(k, D, p, y_hat, "2") for k, p, y_hat, _, _ in rows], PRED_COLS)
    labels = spark.createDataFrame([(k, D, y, m) for k, _, _, y, m in rows], LABEL_COLS)
    result = monitor(predictions, labels)  # performance.bins 1000, as card_fraud's
    assert (result.evaluated_rows, result.evaluated_positives) == (6, 3)
    assert (result.evaluated_from, result.evaluated_to) == (D, D)
    assert result.precision == pytest.approx(2 / 3) and result.recall == pytest.approx(2 / 3)
    # PR curve (recall, precision): (0, 1) (1/3, 1) (1/3, .5) (2/3, 2/3) (1, .75) ... trapezoids = 0.7639
    assert result.pr_auc == pytest.approx(1 / 3 + (0.5 + 2 / 3) / 6 + (2 / 3 + 0.75) / 6, abs=1e-6)


def test_psi_vs_prior_days_is_zero_for_the_same_distribution_and_large_for_a_shift(spark: SparkSession) -> None:
    def scored(day: date, probabilities: list[float]) -> list[tuple]:
        return [(f"{day}-{i}", day, p, int(p > 0.5), "2") for i, p in enumerate(probabilities)]

    uniform, shifted = [i / 400 for i in range(400)], [0.8 + i / 1000 for i in range(100)]
    reference = scored(D - timedelta(days=1), uniform)
    no_labels = spark.createDataFrame([], LABEL_COLS)
    same = monitor(spark.createDataFrame(reference + scored(D, uniform), PRED_COLS), no_labels)
    assert same.psi_vs_prior_days == pytest.approx(0.0, abs=1e-9)
    assert (same.reference_rows, same.scored_rows) == (400, 400)
    moved = monitor(spark.createDataFrame(reference + scored(D, shifted), PRED_COLS), no_labels)
    assert moved.psi_vs_prior_days is not None and moved.psi_vs_prior_days > 0.25
    alone = monitor(spark.createDataFrame(scored(D, shifted), PRED_COLS), no_labels)  # no reference days
    assert (alone.psi_vs_prior_days, alone.reference_rows, alone.scored_rows) == (None, 0, 100)


def test_a_day_is_monitored_for_its_serving_version_only(spark: SparkSession) -> None:
    def day_rows(day: date, version: str, n: int, offset: float) -> list[tuple]:
        return [(f"{version}-{day}-{i}", day, min(1.0, offset + i / (2 * n)), int(i >= n - 2), version) for i in range(n)]

    yesterday, before = D - timedelta(days=1), D - timedelta(days=2)
    rows = day_rows(before, "1", 8, 0.5) + day_rows(yesterday, "2", 8, 0.0) + day_rows(D, "2", 10, 0.0)
    predictions = spark.createDataFrame(rows, PRED_COLS)
    labels = spark.createDataFrame([(k, d, int(p > 0.3), True) for k, d, p, _, _ in rows], LABEL_COLS)
    metrics = monitor(predictions, labels)
    assert (metrics.model_version, metrics.scored_rows, metrics.reference_rows) == ("2", 10, 8)  # v1 day excluded
    assert (metrics.evaluated_rows, metrics.evaluated_from, metrics.evaluated_to) == (18, yesterday, D)
    assert metrics.psi_vs_prior_days is not None and metrics.pr_auc is not None
    assert monitor(predictions, labels, small(min_rows=19)).recall is None  # too few matured rows


def tables(rows_by_day: dict[date, list[tuple]], labels_by_day: dict[date, list[tuple]]) -> list[Any]:
    """Stub upstream assets of the dataset in test-only schemas (their keys name their tables), written by
    the Delta IO manager; `config()` points monitoring at them."""
    daily = build_calendar(load_dataset(DATASET).partitions).daily

    def window(context: Any, by_day: dict[date, list[tuple]], schema: str) -> DataFrame:
        tw = context.partition_time_window  # every day of the run's range
        rows = [r for d, rs in by_day.items() if tw.start.date() <= d < tw.end.date() for r in rs]
        return SparkSession.getActiveSession().createDataFrame(rows, schema)

    @asset(key=[DATASET, "montest_scoring", "predictions"], partitions_def=daily,
           metadata={"partition_expr": "event_date"})
    def predictions(context) -> DataFrame:  # noqa: ANN001 - Dagster injects the context
        return window(context, rows_by_day, PRED_COLS)

    @asset(key=[DATASET, "montest_gold", "labels"], partitions_def=daily, metadata={"partition_expr": "event_date"})
    def labels(context) -> DataFrame:  # noqa: ANN001
        return window(context, labels_by_day, LABEL_COLS)

    return [predictions, labels]


def test_the_asset_records_a_breach_that_the_sensor_turns_into_one_retraining_request(
    spark: SparkSession, resources: dict
) -> None:
    days = [D - timedelta(days=1), D]
    # 20 rows a day, 4 frauds of which the model flags 1: recall 0.25 < 0.30.
    rows = {d: [(f"{d}-{i}", d, i / 20, int(i == 19), "2") for i in range(20)] for d in days}
    labels = {d: [(f"{d}-{i}", d, int(i >= 16), True) for i in range(20)] for d in days}
    config = small().model_copy(update={"predictions_asset": "montest_scoring/predictions",
                                        "labels_asset": "montest_gold/labels"})
    dataset = load_dataset(DATASET)
    calendar = build_calendar(dataset.partitions)
    monitoring = build_monitoring_assets(dataset, calendar, config)
    upstream = tables(rows, labels)
    with instance_for_test() as instance:
        span = {"dagster/asset_partition_range_start": str(days[0]), "dagster/asset_partition_range_end": str(D)}
        assert materialize(upstream, resources=resources, instance=instance, tags=span).success  # one run, both days
        result = materialize([*upstream, *monitoring], resources=resources, instance=instance, partition_key=str(D),
                             selection=[monitoring_key(DATASET)])
        metadata = result.asset_materializations_for_node(monitoring[0].op.name)[0].metadata
        assert metadata["recall"].value == pytest.approx(0.25) and metadata["breached"].value is True
        assert metadata["model_version"].value == "2" and metadata["evaluated_rows"].value == 40
        check = result.get_asset_check_evaluations()[0]
        assert check.check_name == CHECK and not check.passed
        stored = spark.read.format("delta").load(resources["spark"].table("monitoring", "model_performance").location)
        assert [(r.monitoring_date, r.breaches) for r in stored.collect()] == [(D, "recall 0.2500 < min 0.3")]

        sensor = build_retraining_sensor(calendar.weekly, config, DATASET)
        job = define_asset_job("ml_weekly_training", selection=[AssetKey([DATASET, "ml", "model"])])

        @asset(key=[DATASET, "ml", "model"], partitions_def=calendar.weekly)
        def model() -> None: ...

        defs = Definitions(assets=[*upstream, *monitoring, model], jobs=[job], sensors=[sensor])
        tick = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
        assert [r.tags[REASON_TAG] for r in tick.run_requests] == ["recall 0.2500 < min 0.3 "
                                                                  f"(matured {days[0]}..{D}, 40 rows)"]
        again = sensor.evaluate_tick(build_sensor_context(cursor=tick.cursor, instance=instance, definitions=defs))
        assert again.run_requests == []
