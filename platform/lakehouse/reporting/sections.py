"""Section framework: every section of a report from ONE Spark aggregation over the period's predictions.

Each section kind (kinds.py, realised.py) declares the grouping keys it needs; the framework computes all
of them in a single `GROUPING SETS` aggregation (one scan, one shuffle, however many sections), collects
the small result and lets each kind shape its rows -- zero-filled buckets, rates, the long layout -- in
pandas. One pass instead of a few shuffles per section keeps a report cheap on a busy cluster.

A new kind = a `Kind` registered in `kinds()`, its config model in config/reporting.py and its chart in
charts.py. Every kind emits rows for every period of the run, even an empty one (zero counts, undefined
rates), so an empty day still has a report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.config.columns import LabelColumns, PredictionColumns
from lakehouse.reporting.aggregates import (
    LONG_SCHEMA,
    PREDICTED_POSITIVE,
    PROB_SUM,
    ROWS,
    Metric,
    Period,
    assign_periods,
    long_rows,
    periods_frame,
)

MISSING = "(missing)"
THRESHOLD_SERIES = "threshold"
# Computed for every group of every grouping set; kinds add their own (percentiles, label counts).
COMMON: dict[str, Callable[[], Column]] = {
    ROWS: lambda: F.count(F.lit(1)),
    PREDICTED_POSITIVE: lambda: F.sum(F.col("_pred").cast("long")),
    PROB_SUM: lambda: F.sum("_p"),
    "amount_sum": lambda: F.sum("_amount"),
    "threshold_min": lambda: F.min("_threshold"),
    "threshold_max": lambda: F.max("_threshold"),
}


@dataclass(frozen=True)
class Frame:
    """What the kinds read: the run's predictions tagged with `period_start`, and the labels."""

    spark: SparkSession
    rows: DataFrame
    periods: Sequence[Period]
    period: str
    columns: PredictionColumns
    labels: DataFrame | None
    label_columns: LabelColumns


def prepare(
    spark: SparkSession, predictions: DataFrame, labels: DataFrame | None, periods: Sequence[Period], period: str,
    columns: PredictionColumns, label_columns: LabelColumns,
) -> Frame:
    bounds = periods_frame(spark, periods)
    rows = assign_periods(predictions, bounds, columns.event_date)
    tagged = assign_periods(labels, bounds, label_columns.event_date) if labels is not None else None
    return Frame(spark, rows, periods, period, columns, tagged, label_columns)


@dataclass(frozen=True)
class Aggregated:
    """The collected aggregation: one row per group of every grouping set, `_set` naming the set."""

    rows: pd.DataFrame
    periods: Sequence[Period]
    period: str
    extras: dict[str, Any] = field(default_factory=dict)  # results of a kind's extra Spark job, by section

    def of(self, *keys: str) -> pd.DataFrame:
        return self.rows[self.rows["_set"] == _set_name(keys)].copy()

    def starts(self) -> pd.DataFrame:
        return pd.DataFrame({"period_start": [p.start for p in self.periods]})


Part = tuple[pd.DataFrame, list[Metric]]  # wide rows (period_start, series, bucket, bucket_index, metrics...)


@dataclass(frozen=True)
class Kind:
    sets: Callable[[str, Any], list[tuple[str, ...]]]  # grouping keys beyond period_start, per set
    columns: Callable[[Frame, str, Any], dict[str, Column]] = lambda frame, name, spec: {}  # derived keys / values
    aggs: Callable[[str, Any], dict[str, Column]] = lambda name, spec: {}
    shape: Callable[[Aggregated, str, Any], list[Part]] = lambda agg, name, spec: []
    extra: Callable[[DataFrame, str, Any], Any] | None = None  # a separate Spark job over the base rows
    needs_labels: bool = False


def kinds() -> dict[str, Kind]:
    # Imported here: kinds.py and realised.py import the framework from this module.
    from lakehouse.reporting.kinds import KINDS
    from lakehouse.reporting.realised import REALISED

    return {**KINDS, "realised": REALISED}


def _set_name(keys: Sequence[str]) -> str:
    return "|".join(("period_start", *keys))


def base_rows(frame: Frame, sections: Sequence[tuple[str, Any]], registry: dict[str, Kind]) -> DataFrame:
    """One row per prediction with every column a section groups or aggregates by."""
    c = frame.columns
    rows = frame.rows
    if any(registry[spec.kind].needs_labels for _, spec in sections):
        rows = _with_labels(frame)
    else:
        rows = rows.withColumn("_label", F.lit(None).cast("int")).withColumn("_matured", F.lit(None).cast("boolean"))
    columns: dict[str, Column] = {
        "period_start": F.col("period_start"),
        "mv": F.coalesce(F.col(c.model_version).cast("string"), F.lit(MISSING)),
        "_p": F.col(c.probability).cast("double"),
        "_pred": F.col(c.prediction).cast("int"),
        "_amount": F.col(c.amount).cast("double"),
        "_threshold": F.col(c.threshold).cast("double"),
        "_label": F.col("_label"),
        "_matured": F.coalesce(F.col("_matured"), F.lit(False)),
    }
    for name, spec in sections:
        columns.update(registry[spec.kind].columns(frame, name, spec))
    return rows.select(*[expr.alias(name) for name, expr in columns.items()])


def _with_labels(frame: Frame) -> DataFrame:
    lc = frame.label_columns
    if frame.labels is None:  # no labels table: nothing ever matures, realised stays pending
        return frame.rows.withColumn("_label", F.lit(None).cast("int")).withColumn("_matured", F.lit(None).cast("boolean"))
    labels = frame.labels.select(F.col(lc.key).alias("_label_key"), F.col(lc.label).cast("int").alias("_label"),
                                 F.col(lc.matured).cast("boolean").alias("_matured"))
    return frame.rows.join(labels, F.col(frame.columns.key) == F.col("_label_key"), "left").drop("_label_key")


def aggregate(frame: Frame, sections: Sequence[tuple[str, Any]]) -> Aggregated:
    registry = kinds()
    base = base_rows(frame, sections, registry)
    sets = list(dict.fromkeys(("period_start", *keys) for name, spec in sections
                              for keys in registry[spec.kind].sets(name, spec)))
    keys = list(dict.fromkeys(k for s in sets for k in s))
    aggs = {name: make() for name, make in COMMON.items()}
    for name, spec in sections:
        aggs.update(registry[spec.kind].aggs(name, spec))
    # grouping_id(): bit i (from the left) set when keys[i] is not grouped in the row's set.
    gids = {sum(1 << (len(keys) - 1 - i) for i, k in enumerate(keys) if k not in s): "|".join(s) for s in sets}
    base.persist()  # read by the aggregation and by extra jobs (AUC)
    try:
        grouped = base.groupingSets([list(s) for s in sets], *keys).agg(
            *[expr.alias(name) for name, expr in aggs.items()], F.grouping_id().alias("_gid"))
        collected = [row.asDict() for row in grouped.collect()]
        extras = {name: extra(base, name, spec)
                  for name, spec in sections if (extra := registry[spec.kind].extra) is not None}
    finally:
        base.unpersist()
    rows = pd.DataFrame(collected, columns=[*keys, *aggs, "_gid"])
    rows["_set"] = rows["_gid"].map(gids)
    return Aggregated(rows, frame.periods, frame.period, extras)


def build_aggregates(frame: Frame, sections: Sequence[tuple[str, Any]]) -> DataFrame:
    """Every section of a report for every period of the frame, in the long layout (a small local frame)."""
    registry = kinds()
    agg = aggregate(frame, sections)
    records: list[tuple[Any, ...]] = []
    for name, spec in sections:
        for wide, metrics in registry[spec.kind].shape(agg, name, spec):
            records += long_rows(wide, metrics, name, frame.period)
    return frame.spark.createDataFrame(records, LONG_SCHEMA)
