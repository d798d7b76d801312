"""Silver: bronze sources unioned, late events placed in their own day, duplicates removed
deterministically, spellings normalised, invalid values nulled with a reason, missing values flagged.

Pure functions over DataFrames; the asset in processing/assets.py only wires them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

# The column names live with the settings: config knows silver's columns without Spark (row_types).
from lakehouse.config.processing import NOTES, SOURCE, SOURCE_FILE, SilverSettings


@dataclass
class SilverResult:
    table: DataFrame
    candidates: DataFrame  # bronze rows of the window before deduplication (for accounting)


def union_sources(frames: dict[str, DataFrame], columns: list[str], settings: SilverSettings) -> DataFrame:
    """The sources' rows with the contract columns, their event and landing days and lineage."""
    lineage = [settings.event_date, settings.landing_date, SOURCE_FILE, "_ingested_at"]
    selected = [df.select(*columns, *lineage).withColumn(SOURCE, F.lit(name)) for name, df in frames.items()]
    union = selected[0]
    for frame in selected[1:]:
        union = union.unionByName(frame)
    return union


def in_days(df: DataFrame, column: str, start: date, end: date) -> DataFrame:
    return df.where((F.col(column) >= F.lit(start)) & (F.col(column) < F.lit(end)))


def deduplicate(df: DataFrame, key: str, landing_date: str) -> DataFrame:
    """One row per key: the first landed wins (landing day, ingestion time, source, file, content)."""
    order = [F.col(landing_date), F.col("_ingested_at"), F.col(SOURCE), F.col(SOURCE_FILE),
             F.xxhash64(*[F.col(c) for c in df.columns])]
    rank = F.row_number().over(Window.partitionBy(key).orderBy(*order))
    return df.withColumn("_rank", rank).where(F.col("_rank") == 1).drop("_rank")


def _note(condition: Column, text: Column) -> Column:
    return F.when(condition, text)


def normalise(df: DataFrame, settings: SilverSettings) -> DataFrame:
    rules = settings.normalise
    notes: list[Column] = []
    changes: dict[str, Column] = {}
    for column in rules.upper:
        changes[column] = F.upper(F.trim(F.col(column)))
    for column in rules.lower:
        changes[column] = F.lower(F.trim(F.col(column)))
    df = df.withColumns(changes) if changes else df
    for column, mapping in rules.aliases.items():
        lookup = F.create_map(*[F.lit(x) for pair in mapping.items() for x in pair])
        df = df.withColumn(column, F.coalesce(lookup[F.col(column)], F.col(column)))
    invalid: dict[str, Column] = {}
    for column, allowed in rules.valid_values.items():
        bad = F.col(column).isNotNull() & ~F.col(column).isin(allowed)
        notes.append(_note(bad, F.concat(F.lit(f"{column}: invalid value "), F.col(column))))
        invalid[column] = F.when(bad, F.lit(None)).otherwise(F.col(column))
    df = df.withColumn(NOTES, F.filter(F.array(*notes), lambda n: n.isNotNull()) if notes else F.array().cast("array<string>"))
    return df.withColumns(invalid) if invalid else df


def apply_missing_policy(df: DataFrame, settings: SilverSettings) -> DataFrame:
    """Flags for every policy; constant fills here. Median / mode are fitted by the model's feature
    pipeline on the training window (never from the partition being processed), so scoring reuses them."""
    for policy in settings.missing:
        missing = F.col(policy.column).isNull() | (F.trim(F.col(policy.column).cast("string")) == "")
        if policy.flag:
            df = df.withColumn(f"{policy.column}_missing", missing.cast("int"))
        if policy.policy == "constant":
            # Cast to the column's type: YAML's `0` arrives as 0.0 and would turn an int column into a double.
            fill = F.lit(policy.value).cast(df.schema[policy.column].dataType)
            df = df.withColumn(policy.column, F.when(missing, fill).otherwise(F.col(policy.column)))
    return df


def build_silver(frames: dict[str, DataFrame], columns: list[str], settings: SilverSettings, start: date, end: date) -> SilverResult:
    """Silver rows for event days [start, end) from bronze landing days [start, end + tolerance)."""
    candidates = in_days(union_sources(frames, columns, settings), settings.event_date, start, end)
    table = apply_missing_policy(normalise(deduplicate(candidates, settings.key, settings.landing_date), settings), settings)
    return SilverResult(table=table.drop("_ingested_at"), candidates=candidates)
