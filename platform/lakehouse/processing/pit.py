"""Point-in-time joins: each row gets a dimension's attributes as they were at its event — never a
value written after the event (no leakage from later customer updates)."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.config.processing import DimensionSettings


def join_as_of(rows: DataFrame, dim: DataFrame, spec: DimensionSettings, row_key: str, event_time: str) -> DataFrame:
    """Latest version with valid_from <= event time; a deleted latest version gives nulls."""
    if spec.valid_from is None:
        raise ValueError(f"Dimension {spec.source!r}: as_of needs `valid_from`")
    keep = [spec.key, spec.valid_from, *([spec.deleted] if spec.deleted else []), *spec.columns]
    versions = dim.select(*keep).select(
        F.col(spec.key).alias("_dim_key"), F.col(spec.valid_from).alias("_valid_from"),
        (F.col(spec.deleted) if spec.deleted else F.lit(False)).alias("_deleted"),
        *[F.col(c).alias(spec.prefix + c) for c in spec.columns],
    )
    condition = (F.col(spec.key) == F.col("_dim_key")) & (F.col("_valid_from") <= F.col(event_time))
    joined = rows.join(versions, condition, "left")
    latest = Window.partitionBy(row_key).orderBy(F.col("_valid_from").desc_nulls_last())
    joined = joined.withColumn("_rank", F.row_number().over(latest)).where(F.col("_rank") == 1)
    deleted = F.coalesce(F.col("_deleted"), F.lit(False))
    nulled = {spec.prefix + c: F.when(deleted, F.lit(None)).otherwise(F.col(spec.prefix + c)) for c in spec.columns}
    return joined.withColumns(nulled).drop("_rank", "_dim_key", "_valid_from", "_deleted")


def join_snapshot(rows: DataFrame, dim: DataFrame, spec: DimensionSettings, row_key: str, event_date: str) -> DataFrame:
    """The latest daily snapshot on or before the event day (a missing day falls back to the one before)."""
    snapshots = dim.select(
        F.col(spec.key).alias("_dim_key"), F.col(spec.snapshot_date).alias("_snapshot"),
        *[F.col(c).alias(spec.prefix + c) for c in spec.columns],
    )
    condition = (F.col(spec.key) == F.col("_dim_key")) & (F.col("_snapshot") <= F.col(event_date))
    joined = rows.join(snapshots, condition, "left")
    latest = Window.partitionBy(row_key).orderBy(F.col("_snapshot").desc_nulls_last())
    joined = joined.withColumn("_rank", F.row_number().over(latest)).where(F.col("_rank") == 1)
    return joined.drop("_rank", "_dim_key", "_snapshot")
