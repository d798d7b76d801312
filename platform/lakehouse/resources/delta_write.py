"""Spark -> Delta writes: exact partition overwrite, append, merge, with explicit schema evolution.

Pure functions over a SparkSession, a DataFrame and a TableRef, so tests call them without Dagster.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StructType, TimestampNTZType, TimestampType

from lakehouse.resources.catalog import TableRef, quote, validate_identifier
from lakehouse.resources.delta_conflicts import with_conflict_retries

WriteMode = Literal["overwrite", "append", "merge"]
SchemaMode = Literal["strict", "additive", "overwrite"]


class SchemaMismatchError(ValueError):
    """The DataFrame's schema is not compatible with the existing table under the asset's schema mode."""


@dataclass(frozen=True)
class WriteSpec:
    """How one asset is written; read from the asset's definition metadata (see from_metadata)."""

    mode: WriteMode = "overwrite"
    partition_expr: str | None = None
    merge_keys: tuple[str, ...] = ()
    schema_mode: SchemaMode = "strict"
    partition_by: tuple[str, ...] = ()

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any], mode_override: str | None = None) -> WriteSpec:
        mode = mode_override or metadata.get("write_mode", "overwrite")
        if mode not in ("overwrite", "append", "merge"):
            raise ValueError(f"Unknown write mode {mode!r}; expected overwrite, append or merge")
        schema_mode = metadata.get("schema_mode", "strict")
        if schema_mode not in ("strict", "additive", "overwrite"):
            raise ValueError(f"Unknown schema_mode {schema_mode!r}; expected strict, additive or overwrite")
        partition_expr = metadata.get("partition_expr")
        keys = tuple(metadata.get("merge_keys") or ())
        for name in (*keys, *([partition_expr] if partition_expr else [])):
            validate_identifier(name, "column name")
        if mode == "merge" and not keys:
            raise ValueError("write_mode 'merge' needs `merge_keys` in the asset metadata")
        default_partition_by = (partition_expr,) if partition_expr else ()
        partition_by = tuple(metadata.get("partition_by", default_partition_by))
        for name in partition_by:
            validate_identifier(name, "column name")
        return cls(mode, partition_expr, keys, schema_mode, partition_by)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TimeWindowFilter:
    """Half-open [start, end) on a date or timestamp column."""

    column: str
    start: datetime
    end: datetime

    def sql(self, schema: StructType, alias: str | None = None) -> str:
        """SQL predicate with typed literals (DATE'…' / TIMESTAMP'…'), for replaceWhere and MERGE."""
        col = f"{validate_identifier(alias)}.{quote(self.column)}" if alias else quote(self.column)
        lo, hi = self.bounds(schema)
        kind = "DATE" if isinstance(schema[self.column].dataType, DateType) else "TIMESTAMP"
        return f"{col} >= {kind}'{lo}' AND {col} < {kind}'{hi}'"

    def bounds(self, schema: StructType) -> tuple[str, str]:
        """[start, end) as the column's own text: `yyyy-MM-dd` for a date, wall-clock time for a timestamp."""
        if self.column not in schema.fieldNames():
            raise SchemaMismatchError(f"Partition column {self.column!r} is missing from {schema.fieldNames()}")
        data_type = schema[self.column].dataType
        if isinstance(data_type, DateType):
            return self.start.date().isoformat(), self.end.date().isoformat()
        if isinstance(data_type, (TimestampType, TimestampNTZType)):
            return self.start.strftime(_WALL_CLOCK), self.end.strftime(_WALL_CLOCK)
        raise SchemaMismatchError(
            f"Partition column {self.column!r} must be a date or timestamp, not {data_type.simpleString()}"
        )


_WALL_CLOCK = "%Y-%m-%d %H:%M:%S"


def rows_by_window(df: DataFrame, windows: Sequence[TimeWindowFilter]) -> list[int]:
    """Rows of `df` in each of the ascending, disjoint `windows` (0 for an empty one), by one aggregation.

    Rows are grouped by the column cut to the coarsest unit every bound falls on (a day for daily partitions),
    as text sortable like the bounds: few groups, read from the partition column alone, each in one window.
    """
    if not windows:
        return []
    column, schema = windows[0].column, df.schema
    whole = TimeWindowFilter(column, windows[0].start, windows[-1].end)
    starts, ends = zip(*(w.bounds(schema) for w in windows))
    value, text = F.col(column), "yyyy-MM-dd"
    if not isinstance(schema[column].dataType, DateType):
        unit = next(u for u, tail in _UNITS if all(b.endswith(tail) for b in (*starts, *ends)))
        # Wall clock in the session time zone, as the TIMESTAMP'…' literals of the predicates are read.
        value, text = F.date_trunc(unit, value), "yyyy-MM-dd HH:mm:ss"
    counts = [0] * len(windows)
    for row in df.where(whole.sql(schema)).groupBy(F.date_format(value, text).alias("bound")).count().collect():
        i = bisect_right(starts, row["bound"]) - 1
        if row["bound"] < ends[i]:  # not in a gap between windows
            counts[i] += int(row["count"])
    return counts


# Truncation units for rows_by_window, coarsest first, by the tail every bound must end with.
_UNITS = (("DAY", " 00:00:00"), ("HOUR", ":00:00"), ("MINUTE", ":00"), ("SECOND", ""))


@dataclass
class WriteResult:
    version: int
    operation: str
    metrics: dict[str, str] = field(default_factory=dict)
    predicate: str | None = None
    schema_change: list[str] = field(default_factory=list)


# Delta operations go through Delta SQL, never the `delta.tables.DeltaTable` Python API: on a classic
# session that API drives the driver JVM over py4j, and over Spark Connect it needs the Delta Connect
# server plugin (not published for Spark 4.2 on Maven Central as reachable here). SQL runs on every engine.


def delta_target(ref: TableRef) -> str:
    """The table in Delta SQL: its quoted name, or delta.`<location>` for a path table."""
    if ref.location is None:
        return ref.quoted_name
    return "delta.`" + str(ref.location).replace("`", "``") + "`"


def table_exists(spark: SparkSession, ref: TableRef) -> bool:
    if ref.location is None:
        return bool(spark.catalog.tableExists(ref.name))
    from pyspark.errors import AnalysisException

    try:
        spark.sql(f"DESCRIBE DETAIL {delta_target(ref)}").select("format").first()
    except AnalysisException as exc:
        if exc.getCondition() == "DELTA_MISSING_DELTA_TABLE":  # no table (yet) at that location
            return False
        raise
    return True


def read_table(spark: SparkSession, ref: TableRef) -> DataFrame:
    if ref.location is None:
        return spark.read.table(ref.name)
    return spark.read.format("delta").load(ref.location)


def check_schema(existing: StructType, incoming: StructType, schema_mode: SchemaMode, full_overwrite: bool) -> list[str]:
    """Return the added column names; raise SchemaMismatchError naming the incompatible columns."""
    old = {f.name: f.dataType for f in existing.fields}
    new = {f.name: f.dataType for f in incoming.fields}
    added = [c for c in new if c not in old]
    missing = [c for c in old if c not in new]
    changed = [f"{c}: {old[c].simpleString()} -> {new[c].simpleString()}" for c in new if c in old and old[c] != new[c]]
    if schema_mode == "overwrite" and full_overwrite:
        return added
    problems = []
    if changed:
        problems.append(f"changed types {changed}")
    if missing:
        problems.append(f"missing columns {missing}")
    if added and schema_mode == "strict":
        problems.append(f"new columns {added} (set schema_mode: additive on the asset to allow them)")
    if problems:
        raise SchemaMismatchError("Incompatible schema: " + "; ".join(problems))
    return added


def write_delta(
    spark: SparkSession, df: DataFrame, ref: TableRef, spec: WriteSpec, window: TimeWindowFilter | None
) -> WriteResult:
    """Write `df` as `spec` says; a commit lost to a concurrent writer is retried (delta_conflicts.py)."""
    return with_conflict_retries(lambda: _write_once(spark, df, ref, spec, window), ref.name)


def _write_once(
    spark: SparkSession, df: DataFrame, ref: TableRef, spec: WriteSpec, window: TimeWindowFilter | None
) -> WriteResult:
    exists = table_exists(spark, ref)
    if not exists and ref.location is None and ref.catalog is None:
        # A first table by name in the shared metastore: its schema (database) is created with it, as the
        # path catalog does when it registers a table. Unity Catalog schemas are made by their owners.
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quote(ref.schema)}")
    added: list[str] = []
    if exists:
        existing = read_table(spark, ref).schema
        full_overwrite = spec.mode == "overwrite" and window is None
        added = check_schema(existing, df.schema, spec.schema_mode, full_overwrite)
    predicate = window.sql(df.schema) if window is not None else None
    if spec.partition_by:
        # One task per partition value, so each day is one file rather than one per shuffle partition:
        # small files would make every later snapshot, replaceWhere and read pay for the table's history.
        df = df.repartition(*[F.col(c) for c in spec.partition_by])
    if spec.mode == "merge" and exists:
        _merge(spark, df, ref, spec, window.sql(df.schema, alias="t") if window is not None else None)
    else:
        writer = df.write.format("delta").mode("append" if spec.mode == "append" else "overwrite")
        if spec.partition_by and not exists:
            writer = writer.partitionBy(*spec.partition_by)
        if added and spec.schema_mode == "additive":
            writer = writer.option("mergeSchema", "true")
        if spec.schema_mode == "overwrite" and window is None and spec.mode == "overwrite":
            writer = writer.option("overwriteSchema", "true")
        if predicate is not None and spec.mode == "overwrite" and exists:
            # Exactly the partition window is replaced; Delta also rejects rows outside the predicate.
            writer = writer.option("replaceWhere", predicate)
        if ref.location is None:
            writer.saveAsTable(ref.name)
        else:
            writer.save(ref.location)
    return _last_commit(spark, ref, predicate, added)


def _merge(spark: SparkSession, df: DataFrame, ref: TableRef, spec: WriteSpec, target_window: str | None) -> None:
    condition = " AND ".join(f"t.{quote(k)} <=> s.{quote(k)}" for k in spec.merge_keys)
    if target_window is not None:
        # Restrict matching to the partition window so a merge touches only the files of that window.
        condition += " AND " + target_window
    merge_into(spark, df, ref, condition, "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *",
               schema_evolution=spec.schema_mode == "additive")


def merge_into(spark: SparkSession, df: DataFrame, ref: TableRef, condition: str, clauses: str,
               schema_evolution: bool = False) -> None:
    """MERGE `df` (alias s) into the table (alias t) ON `condition` with the given WHEN clauses (SQL)."""
    view = f"_lakehouse_merge_{uuid.uuid4().hex}"
    df.createOrReplaceTempView(view)
    evolution = "WITH SCHEMA EVOLUTION " if schema_evolution else ""
    try:
        spark.sql(f"MERGE {evolution}INTO {delta_target(ref)} AS t USING {view} AS s ON {condition} {clauses}")
    finally:
        spark.catalog.dropTempView(view)


def last_commit(spark: SparkSession, ref: TableRef) -> tuple[int, str, dict[str, str]]:
    """(version, operation, operation metrics) of the table's newest commit."""
    row = spark.sql(f"DESCRIBE HISTORY {delta_target(ref)} LIMIT 1").select(
        "version", "operation", "operationMetrics").first()
    if row is None:
        raise RuntimeError(f"Delta table {ref.name} has no history")
    return int(row["version"]), str(row["operation"]), dict(row["operationMetrics"] or {})


def _last_commit(spark: SparkSession, ref: TableRef, predicate: str | None, added: list[str]) -> WriteResult:
    version, operation, metrics = last_commit(spark, ref)
    return WriteResult(version, operation, metrics, predicate, added)
