"""Gold features from the feature registry: generic builders selected by `transform` in features.yaml.

Window builders (they need the entity's history) run on the look-back frame, before it is cut down to
the partition's days; row builders run after the point-in-time dimension joins. Every window looks
only backwards from the event (ranges end at the current row), so no feature sees the future; the
leakage check in processing/checks.py proves it on every materialisation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyspark.sql import Column, DataFrame, Window, WindowSpec
from pyspark.sql import functions as F

from lakehouse.config.features import FeatureRegistry, FeatureSpec


def _seconds(reg: FeatureRegistry) -> Column:
    return F.col(reg.event_time).cast("long")


def _entity_range(reg: FeatureRegistry, seconds: int) -> WindowSpec:
    return Window.partitionBy(reg.entity).orderBy(_seconds(reg)).rangeBetween(-int(seconds), 0)


def _ordered(reg: FeatureRegistry, *extra: str) -> WindowSpec:
    return Window.partitionBy(reg.entity, *extra).orderBy(F.col(reg.event_time), F.col("_row_key"))


# --- window builders: Column expressions over the entity's history -------------------------------

def seconds_since_previous(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    previous = F.lag(_seconds(reg)).over(_ordered(reg))
    return F.coalesce((_seconds(reg) - previous).cast("double"), F.lit(float(p["default"])))


def rolling_count(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    return (F.count(F.lit(1)).over(_entity_range(reg, p["seconds"])) - 1).cast("double")  # minus this row


def rolling_sum(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    window_sum = F.sum(F.col(reg.amount)).over(_entity_range(reg, p["seconds"]))
    return (window_sum - F.col(reg.amount)).cast("double")


def ratio_to_rolling_mean(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    window = _entity_range(reg, p["seconds"])
    count = F.count(F.lit(1)).over(window) - 1
    mean_before = (F.sum(F.col(reg.amount)).over(window) - F.col(reg.amount)) / count
    ratio = F.when(count > 0, F.col(reg.amount) / mean_before)
    return F.coalesce(ratio.cast("double"), F.lit(float(p["default"])))


def first_seen(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    column = p["column"]
    previous = F.lag(_seconds(reg)).over(_ordered(reg, column))
    new = previous.isNull() | (_seconds(reg) - previous > F.lit(int(p["seconds"])))
    return F.when(F.col(column).isNull(), F.lit(0.0)).otherwise(new.cast("double"))


# --- row builders -------------------------------------------------------------------------------

def passthrough(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    return F.col(p["column"])


def hour_of_day(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    return F.hour(reg.event_time).cast("double")


def day_of_week(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    return F.dayofweek(reg.event_time).cast("double")


def is_weekend(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    return F.dayofweek(reg.event_time).isin(1, 7).cast("double")


def hour_between(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    hour = F.hour(reg.event_time)
    return ((hour >= F.lit(p["start"])) & (hour < F.lit(p["end"]))).cast("double")


def not_equal(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    left, right = F.col(p["left"]), F.col(p["right"])
    return F.when(left.isNull() | right.isNull(), F.lit(None)).otherwise((left != right).cast("double"))


def days_between(reg: FeatureRegistry, p: dict[str, Any]) -> Column:
    return F.datediff(F.to_date(reg.event_time), F.col(p["start"])).cast("double")


Builder = Callable[[FeatureRegistry, dict[str, Any]], Column]
WINDOW_BUILDERS: dict[str, Builder] = {
    "seconds_since_previous": seconds_since_previous,
    "rolling_count": rolling_count,
    "rolling_sum": rolling_sum,
    "ratio_to_rolling_mean": ratio_to_rolling_mean,
    "first_seen": first_seen,
}
ROW_BUILDERS: dict[str, Builder] = {
    "passthrough": passthrough,
    "hour_of_day": hour_of_day,
    "day_of_week": day_of_week,
    "is_weekend": is_weekend,
    "hour_between": hour_between,
    "not_equal": not_equal,
    "days_between": days_between,
}


def _column(reg: FeatureRegistry, spec: FeatureSpec, builders: dict[str, Builder]) -> Column:
    column = builders[spec.transform](reg, spec.params)
    return column.cast("double") if spec.kind == "numeric" else column.cast("string")


def _validate(reg: FeatureRegistry) -> None:
    unknown = [f.transform for f in reg.features if f.transform not in WINDOW_BUILDERS | ROW_BUILDERS]
    if unknown:
        raise ValueError(f"Unknown feature transforms {unknown}; known: {sorted(WINDOW_BUILDERS | ROW_BUILDERS)}")


def add_window_features(history: DataFrame, reg: FeatureRegistry, key: str) -> DataFrame:
    """Window features over the look-back frame (call before cutting it to the partition's days)."""
    _validate(reg)
    specs = [f for f in reg.features if f.transform in WINDOW_BUILDERS]
    frame = history.withColumn("_row_key", F.col(key))
    return frame.withColumns({f.name: _column(reg, f, WINDOW_BUILDERS) for f in specs}).drop("_row_key")


def add_row_features(df: DataFrame, reg: FeatureRegistry) -> DataFrame:
    specs = [f for f in reg.features if f.transform in ROW_BUILDERS]
    return df.withColumns({f.name: _column(reg, f, ROW_BUILDERS) for f in specs})
