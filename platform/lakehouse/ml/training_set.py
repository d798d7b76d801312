"""The weekly training set: gold features joined to matured labels, split by time, with class weights.

Pure functions over DataFrames; the asset (ml/assets.py) only loads the mapped gold partitions and
returns what `build_training_set` builds.

Time layout for the training set of week W (Monday W_start), with lag L and window N weeks:

    read days  [W_start - (L + N - 1) weeks, W_start + (1 - L) weeks)   (the partition mapping below)
    split      oldest days -> train | next `validation_days` -> validation | last `test_days` -> test
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dagster import TimeWindowPartitionMapping
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.ml import TrainingSetSettings
from lakehouse.ml.features import FeatureSpec

TRAINING_WEEK = "training_week"
SPLIT = "split"
WEIGHT = "class_weight"
SPLITS = ("train", "validation", "test")
_STATUS = "_status"

COLUMN_DESCRIPTIONS = {
    TRAINING_WEEK: "Monday of the weekly partition this training set belongs to (partition column).",
    SPLIT: "train | validation | test, by event day (time-ordered, never random).",
    WEIGHT: "Class weight from the train split (balanced: n / (2 * n_class); none: 1).",
}


def window_mapping(settings: TrainingSetSettings, label_window_days: int) -> TimeWindowPartitionMapping:
    """Weekly training set -> daily gold partitions. Offsets count in downstream (weekly) partitions."""
    lag = settings.lag_weeks(label_window_days)
    return TimeWindowPartitionMapping(
        start_offset=-(lag + settings.window_weeks - 1),
        end_offset=-lag,
        # The first weeks of the calendar read the shorter history that exists.
        allow_nonexistent_upstream_partitions=True,
    )


def window_bounds(week_start: date, settings: TrainingSetSettings, label_window_days: int) -> tuple[date, date]:
    """[start, end) of the days read for the week starting `week_start` (same arithmetic as the mapping)."""
    lag = settings.lag_weeks(label_window_days)
    return week_start - timedelta(weeks=lag + settings.window_weeks - 1), week_start + timedelta(weeks=1 - lag)


def split_starts(window_end: date, settings: TrainingSetSettings) -> tuple[date, date]:
    """First day of validation and first day of test for a window ending (exclusive) at `window_end`."""
    test_start = window_end - timedelta(days=settings.split.test_days)
    return test_start - timedelta(days=settings.split.validation_days), test_start


@dataclass(frozen=True)
class SplitStats:
    rows: int
    positives: int

    @property
    def rate(self) -> float:
        return self.positives / self.rows if self.rows else 0.0


@dataclass(frozen=True)
class TrainingSetStats:
    splits: dict[str, SplitStats]
    immature: int  # labelled rows whose label window had not passed: left out
    unlabelled: int  # feature rows without a label row or with an unknown (null) label: left out
    window: tuple[date, date]
    validation_start: date
    test_start: date

    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "window": f"event_date in [{self.window[0]}, {self.window[1]})",
            "validation_from": str(self.validation_start),
            "test_from": str(self.test_start),
            "rows_immature_excluded": self.immature,
            "rows_unlabelled_excluded": self.unlabelled,
        }
        for name, s in self.splits.items():
            meta.update({f"{name}_rows": s.rows, f"{name}_positives": s.positives, f"{name}_rate": round(s.rate, 5)})
        return meta


def class_weights(train: SplitStats, mode: str) -> tuple[float, float]:
    """(negative weight, positive weight); balanced makes both classes weigh n / 2 in total."""
    negatives = train.rows - train.positives
    if mode == "none" or not train.positives or not negatives:
        return 1.0, 1.0
    return train.rows / (2.0 * negatives), train.rows / (2.0 * train.positives)


def build_training_set(
    features: DataFrame,
    labels: DataFrame,
    spec: FeatureSpec,
    settings: TrainingSetSettings,
    week_start: date,
) -> tuple[DataFrame, TrainingSetStats]:
    """Join the window's features to matured labels; return the rows to store and their statistics."""
    start, end = window_bounds(week_start, settings, spec.label_window_days)
    validation_start, test_start = split_starts(end, settings)
    if validation_start <= start:
        raise ValueError(
            f"Window [{start}, {end}) has no train days left after {settings.split.validation_days} validation "
            f"and {settings.split.test_days} test days; raise training_set.window_weeks"
        )
    in_window = (F.col("event_date") >= F.lit(start)) & (F.col("event_date") < F.lit(end))
    feats = features.where(in_window).select(*spec.identity, *spec.columns)
    labs = labels.where(in_window).select(spec.row_key, "event_date", spec.label, "label_matured")
    joined = feats.join(labs, on=[spec.row_key, "event_date"], how="left")
    split = (
        F.when(F.col("event_date") >= F.lit(test_start), "test")
        .when(F.col("event_date") >= F.lit(validation_start), "validation")
        .otherwise("train")
    )
    status = (
        # No label row, or an unknown label (an expression label that is null on its row, never matured).
        F.when(F.col("label_matured").isNull() | F.col(spec.label).isNull(), "unlabelled")
        .when(~F.col("label_matured"), "immature")
        .otherwise(split)
    )
    joined = joined.withColumn(_STATUS, status)
    # One aggregation gives every count the metadata and the class weights need.
    counts = {
        r[_STATUS]: SplitStats(int(r["rows"]), int(r["positives"] or 0))
        for r in joined.groupBy(_STATUS).agg(F.count("*").alias("rows"), F.sum(spec.label).alias("positives")).collect()
    }
    stats = TrainingSetStats(
        splits={s: counts.get(s, SplitStats(0, 0)) for s in SPLITS},
        immature=counts.get("immature", SplitStats(0, 0)).rows,
        unlabelled=counts.get("unlabelled", SplitStats(0, 0)).rows,
        window=(start, end),
        validation_start=validation_start,
        test_start=test_start,
    )
    w_neg, w_pos = class_weights(stats.splits["train"], settings.class_weighting)
    rows = (
        joined.where(F.col(_STATUS).isin(*SPLITS))
        .select(
            *spec.identity,
            *spec.columns,
            F.col(spec.label).cast("int").alias(spec.label),
            F.col(_STATUS).alias(SPLIT),
            F.when(F.col(spec.label) == 1, F.lit(w_pos)).otherwise(F.lit(w_neg)).alias(WEIGHT),
            F.lit(week_start).cast("date").alias(TRAINING_WEEK),
        )
    )
    return rows, stats


def split_stats_of(training_set: DataFrame, label: str) -> dict[str, SplitStats]:
    """Rows and positives per split of a stored training set (for checks before training)."""
    rows = training_set.groupBy(SPLIT).agg(F.count("*").alias("rows"), F.sum(label).alias("positives")).collect()
    found = {r[SPLIT]: SplitStats(int(r["rows"]), int(r["positives"] or 0)) for r in rows}
    return {s: found.get(s, SplitStats(0, 0)) for s in SPLITS}
