"""Section kinds' interface: what a kind declares (`Kind`) and what it reads (`Frame`, `Aggregated`).

Each section kind (kinds.py, realised.py) declares the grouping keys it needs; grouping_sets.py computes
all of them in one `GROUPING SETS` aggregation and lets each kind shape its rows in pandas. This module
imports no kind, so the kinds build on it and grouping_sets.py sits above both.

A new kind = a `Kind` registered in grouping_sets.REGISTRY (through kinds.KINDS), its config model in
config/reporting.py and its chart in charts.py. Every kind emits rows for every period of the run, even an empty one (zero counts, undefined
rates), so an empty day still has a report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession

from lakehouse.config.columns import LabelColumns, PredictionColumns
from lakehouse.reporting.aggregates import Metric, Period, assign_periods, periods_frame

MISSING = "(missing)"
THRESHOLD_SERIES = "threshold"


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


def _set_name(keys: Sequence[str]) -> str:
    return "|".join(("period_start", *keys))
