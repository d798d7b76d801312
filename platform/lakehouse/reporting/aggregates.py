"""The long ("tidy") layout every report aggregate is stored in, and the helpers the sections share.

One row per (period, section, series, bucket, metric): every section, whatever its shape, lands in the
same Delta schema, so adding a section adds rows, never columns (no schema migration), and a BI user
pivots with one query. `additive` says whether a value sums over sub-periods: a week's additive values
equal the sum of its days' (counts and sums); rates, means, percentiles and AUC do not add up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

if TYPE_CHECKING:  # pandas is imported where it is used: loading definitions must not pay ~0.6 s for it
    import pandas as pd

LONG_SCHEMA = (
    "period_start date, period string, section string, series string, bucket string, bucket_index int, "
    "metric string, metric_index int, value double, additive boolean"
)
LONG_COLUMNS = [c.strip().split(" ")[0] for c in LONG_SCHEMA.split(",")]
COLUMN_DESCRIPTIONS = {
    "period_start": "First day of the period (the partition): the day, the Monday or the first of the month.",
    "period": "day, week or month.",
    "section": "Report section (reporting.yaml `sections` entry).",
    "series": "Group within the section: `all`, `model_version <v>`, a predicted class, `threshold`.",
    "bucket": "Position within the series: `all`, an hour, a day, a category, a bin.",
    "bucket_index": "Sort order of the bucket within its series (-1: the series' totals row).",
    "metric": "What `value` measures (rows, predicted_positive, predicted_positive_rate, probability_p50, ...).",
    "metric_index": "Display order of the metric within its section.",
    "value": "The metric's value; null when undefined (a rate over no rows, metrics still pending).",
    "additive": "True when the value of a period is the sum of its sub-periods' values (counts, sums).",
}

# Metric names shared by the section builders (Spark) and the views (charts, tables).
ROWS, PREDICTED_POSITIVE, RATE = "rows", "predicted_positive", "predicted_positive_rate"
PROB_SUM, PROB_MEAN = "probability_sum", "probability_mean"
ALL = "all"
TOTALS_INDEX = -1


@dataclass(frozen=True)
class Period:
    """A partition's half-open date range [start, end)."""

    start: date
    end: date


@dataclass(frozen=True)
class Metric:
    name: str
    additive: bool


def add(*names: str) -> list[Metric]:
    return [Metric(n, True) for n in names]


def ratio(*names: str) -> list[Metric]:
    return [Metric(n, False) for n in names]


def periods_frame(spark: SparkSession, periods: Sequence[Period]) -> DataFrame:
    return spark.createDataFrame([(p.start, p.end) for p in periods], "period_start date, _period_end date")


def assign_periods(df: DataFrame, periods: DataFrame, date_column: str) -> DataFrame:
    """Adds `period_start` by a range join on the (tiny, broadcast) period bounds, so the rows fall into
    exactly the partitions' windows whatever the calendar (week start, month lengths)."""
    bounds = F.broadcast(periods)
    on = (F.col(date_column) >= bounds["period_start"]) & (F.col(date_column) < bounds["_period_end"])
    return df.join(bounds, on).drop("_period_end")


def percentile_name(p: float, prefix: str = "") -> str:
    """0.05 -> p5, 0.5 -> p50, 0.999 -> p99_9 (with an optional prefix: probability_p50)."""
    return prefix + f"p{p * 100:g}".replace(".", "_")


def percentile_agg(column: str, ps: Sequence[float]) -> Column:
    """percentile_approx with relative error 1/10 000: exact enough for a report, bounded memory."""
    return F.percentile_approx(F.col(column), [float(p) for p in ps], 10_000)


def ratio_of(numerator: Any, denominator: Any) -> Any:
    """Element-wise ratio, NaN where the denominator is 0 (a rate over no rows is undefined, not 0)."""
    import pandas as pd

    num = pd.to_numeric(numerator, errors="coerce").astype(float)
    den = pd.to_numeric(denominator, errors="coerce").astype(float)
    return num.where(den > 0) / den.where(den > 0)


def pick(values: Any, index: int) -> float | None:
    """Element of a collected percentile array (None for a group without values)."""
    if values is None or (isinstance(values, float) and math.isnan(values)):
        return None
    return float(values[index])


def long_rows(wide: pd.DataFrame, metrics: Sequence[Metric], section: str, period: str) -> list[tuple[Any, ...]]:
    """Wide rows (period_start, series, bucket, bucket_index, <metric columns>) to the long layout."""
    import pandas as pd

    out = []
    for record in wide.to_dict("records"):
        for index, metric in enumerate(metrics):
            value = record.get(metric.name)
            number = None if value is None or pd.isna(value) else float(value)
            out.append((record["period_start"], period, section, str(record["series"]), str(record["bucket"]),
                        int(record["bucket_index"]), metric.name, index, number, metric.additive))
    return out
