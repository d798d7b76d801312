"""The training set: the days it reads, time order of the splits, label maturity, class weights."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pyspark.sql import functions as F

from lakehouse.config.dataset import load_dataset
from lakehouse.config.ml import TrainingSetSettings
from lakehouse.ml.training_set import SplitStats, build_training_set, class_weights, window_bounds, window_mapping
from lakehouse.partitions import build_calendar
from lakehouse_tools.synthetic_gold import synthetic_gold
from platform_tests.ml.conftest import START, WEEK, tiny_config


def test_partition_mapping_reads_exactly_the_window_days():
    settings = TrainingSetSettings(window_weeks=6)
    calendar = build_calendar(load_dataset("card_fraud").partitions)
    week = date(2026, 6, 1)
    subset = calendar.weekly.empty_subset().with_partition_keys([week.isoformat()])
    mapped = window_mapping(settings, 30).get_upstream_mapped_partitions_result_for_partitions(
        subset, calendar.weekly, calendar.daily
    )
    days = sorted(mapped.partitions_subset.get_partition_keys())
    start, end = window_bounds(week, settings, 30)
    # 6 weeks of days, the newest one 5 weeks (30 days rounded up) behind the training week.
    assert (days[0], days[-1], len(days)) == (start.isoformat(), (end - timedelta(days=1)).isoformat(), 42)
    assert end == week - timedelta(weeks=4)


def test_splits_follow_time_and_only_matured_labels_are_used(spark, spec):
    # Labels as of 2026-02-20: days after 2026-01-21 are still inside their 30-day label window.
    as_of = datetime(2026, 2, 20)
    features, labels = synthetic_gold(spark, spec, START, 28, 40, as_of, seed=3)
    labels = labels.where(F.col("transaction_id") != "t5")  # one transaction without a label row
    rows, stats = build_training_set(features, labels, spec, tiny_config().training_set, WEEK)
    got = rows.groupBy("split").agg(F.min("event_date").alias("lo"), F.max("event_date").alias("hi")).collect()
    bounds = {r["split"]: (r["lo"], r["hi"]) for r in got}

    assert bounds["train"][0] == START and bounds["train"][1] < stats.validation_start
    assert stats.validation_start <= bounds["validation"][0] <= bounds["validation"][1] < stats.test_start
    assert stats.test_start == START + timedelta(days=21)
    # Immature days are left out, however late in the window they are, and counted.
    last_matured = (as_of - timedelta(days=30)).date()
    assert max(hi for _, hi in bounds.values()) <= last_matured
    immature_expected = labels.where(~F.col("label_matured")).count()
    assert stats.immature == immature_expected > 0
    assert stats.unlabelled == 1
    assert rows.where(F.col("transaction_id") == "t5").count() == 0
    assert sum(s.rows for s in stats.splits.values()) == rows.count() == 28 * 40 - immature_expected - 1
    metadata = stats.metadata()
    assert metadata["rows_immature_excluded"] == immature_expected
    assert metadata["train_positives"] == rows.where("split = 'train' AND is_fraud = 1").count()


def test_balanced_class_weights_make_both_classes_weigh_half():
    w_neg, w_pos = class_weights(SplitStats(rows=1000, positives=20), "balanced")
    assert 980 * w_neg == pytest.approx(500) and 20 * w_pos == pytest.approx(500)
    assert class_weights(SplitStats(rows=1000, positives=20), "none") == (1.0, 1.0)


def test_window_too_short_for_the_split_is_refused(spark, spec, gold):
    settings = TrainingSetSettings(window_weeks=2, split={"validation_days": 7, "test_days": 7})
    with pytest.raises(ValueError, match="no train days"):
        build_training_set(*gold, spec, settings, WEEK)


def test_stored_training_set_has_weights_and_the_partition_column(training_table, spec):
    row = training_table.agg(
        F.countDistinct("training_week").alias("weeks"), F.min("training_week").alias("week"),
        F.countDistinct("class_weight").alias("weights"),
    ).first()
    assert (row["weeks"], row["week"], row["weights"]) == (1, WEEK, 2)
    assert set(spec.columns) <= set(training_table.columns)


def test_an_unknown_label_is_left_out_as_unlabelled(spark, spec):
    """An expression label that is null on its row is unknown and never matures (processing/labels.py):
    the training set leaves it out and counts it with the rows that have no label, not as immature."""
    features, labels = synthetic_gold(spark, spec, START, 28, 40, datetime(2026, 2, 20), seed=3)
    t5 = F.col("transaction_id") == "t5"
    unknown = labels.withColumn(spec.label, F.when(t5, F.lit(None)).otherwise(F.col(spec.label)).cast("int")) \
                    .withColumn("label_matured", F.when(t5, F.lit(False)).otherwise(F.col("label_matured")))
    rows, stats = build_training_set(features, unknown, spec, tiny_config().training_set, WEEK)
    assert stats.unlabelled == 1 and stats.immature == labels.where(~F.col("label_matured")).count()
    assert rows.where(t5).count() == 0
