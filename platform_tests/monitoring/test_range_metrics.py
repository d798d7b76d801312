"""monitor_days over a range (a fixed number of Spark jobs) against the same days monitored one at a time
(each the range of one day), on data that exercises every branch: a promotion mid-range, a day without
rows, a day scored by no version, a tie in serving version, immature and missing labels, days with too
few rows for PSI or performance."""

from __future__ import annotations

import random
from datetime import date, timedelta

from pyspark.sql import DataFrame, SparkSession

from lakehouse.config.monitoring import MonitoringConfig, load_monitoring_config
from lakehouse.monitoring.metrics import DayMetrics
from lakehouse.monitoring.range_metrics import monitor_days

PRED_COLS = "transaction_id string, event_date date, probability double, prediction int, model_version string"
LABEL_COLS = "transaction_id string, event_date date, is_fraud int, label_matured boolean"
FIRST = date(2026, 2, 1)  # first monitored day; history starts HISTORY days before
HISTORY, MONITORED = 6, 14
EMPTY_DAY, NO_VERSION_DAY, TIE_DAY = FIRST + timedelta(days=3), FIRST + timedelta(days=9), FIRST + timedelta(days=11)
PROMOTION = FIRST + timedelta(days=6)  # version 2 serves from here, version 1 still scores a few rows


def config() -> MonitoringConfig:
    base = load_monitoring_config("card_fraud")
    perf = base.performance.model_copy(update={"window_days": 5, "min_rows": 40, "min_positives": 3, "bins": 50})
    drift = base.drift.model_copy(update={"reference_days": 3, "bins": 5, "min_rows": 25})
    return base.model_copy(update={"performance": perf, "drift": drift})


def one_by_one(predictions: DataFrame, labels: DataFrame, days: list[date]) -> list[DayMetrics]:
    return [monitor_days(predictions, labels, [day], config())[0] for day in days]


def day_rows(rng: random.Random, day: date, version: str | None, n: int, shift: float) -> list[tuple]:
    """Scores on a coarse grid (ties at the quantile edges merge PSI bins), decisions at 0.5."""
    rows = []
    for i in range(n):
        p = round(min(1.0, max(0.0, rng.betavariate(2, 5) + shift)), 2)
        rows.append((f"{version}-{day}-{i}", day, p, int(p > 0.5), version))
    return rows


def frames(spark: SparkSession) -> tuple[DataFrame, DataFrame]:
    rng = random.Random(7)
    predictions: list[tuple] = []
    for offset in range(-HISTORY, MONITORED):
        day = FIRST + timedelta(days=offset)
        n = 10 + (offset * 7) % 31  # 10..40 rows: some days are below the minimums
        if day == EMPTY_DAY:
            continue
        if day == NO_VERSION_DAY:
            predictions += day_rows(rng, day, None, n, 0.0) + day_rows(rng, day, "2", 3, 0.0)
        elif day == TIE_DAY:  # "3" and "2" score as many rows: the highest version serves
            predictions += day_rows(rng, day, "2", 12, 0.1) + day_rows(rng, day, "3", 12, 0.2)
        elif day < PROMOTION:
            predictions += day_rows(rng, day, "1", n, 0.0) + day_rows(rng, day, "2", 2, 0.3)
        else:
            predictions += day_rows(rng, day, "2", n, 0.1 * (offset % 3)) + day_rows(rng, day, "1", 4, 0.0)
    last_matured = FIRST + timedelta(days=MONITORED - 3)  # the last days' labels are immature
    labels = [(key, day, int(rng.random() < p), day <= last_matured)
              for key, day, p, _, _ in predictions if rng.random() > 0.1]  # ~10 % of rows have no label yet
    return spark.createDataFrame(predictions, PRED_COLS), spark.createDataFrame(labels, LABEL_COLS)


def test_a_range_equals_its_days_one_by_one(spark: SparkSession) -> None:
    predictions, labels = frames(spark)
    days = [FIRST + timedelta(days=i) for i in range(MONITORED)]
    expected = one_by_one(predictions, labels, days)
    assert monitor_days(predictions, labels, days, config()) == expected

    # The data reaches every branch, so the equality above means something.
    by_day = {m.monitoring_date: m for m in expected}
    assert by_day[EMPTY_DAY].model_version is None and by_day[NO_VERSION_DAY].model_version is None
    assert by_day[TIE_DAY].model_version == "3" and by_day[PROMOTION].model_version == "2"
    assert by_day[PROMOTION - timedelta(days=1)].model_version == "1"
    assert any(m.psi_vs_prior_days is not None for m in expected)
    assert any(m.model_version and m.psi_vs_prior_days is None for m in expected)
    assert any(m.pr_auc is not None for m in expected)
    assert any(m.model_version and m.evaluated_rows and m.pr_auc is None for m in expected)


def test_a_range_costs_the_same_spark_jobs_whatever_its_length(spark: SparkSession) -> None:
    predictions, labels = frames(spark)
    tracker = spark.sparkContext.statusTracker()

    def jobs(count: int) -> int:
        group = f"monitor_days_{count}"
        spark.sparkContext.setJobGroup(group, group)
        try:
            monitor_days(predictions, labels, [FIRST + timedelta(days=i) for i in range(count)], config())
        finally:
            spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
        return len(tracker.getJobIdsForGroup(group))

    # 4 queries; adaptive execution runs each shuffle stage as a job of its own (the former per-day path: ~14
    # jobs a day).
    assert jobs(MONITORED) == jobs(2) <= 20


def test_any_list_of_days_in_any_order(spark: SparkSession) -> None:
    predictions, labels = frames(spark)
    # After the data, the first day with data (its windows reach before it), a repeated day.
    days = [FIRST + timedelta(days=MONITORED), FIRST - timedelta(days=HISTORY), FIRST, FIRST]
    assert monitor_days(predictions, labels, days, config()) == one_by_one(predictions, labels, days)
    assert monitor_days(predictions, labels, [], config()) == []
