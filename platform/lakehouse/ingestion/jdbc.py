"""JDBC sources as pure Spark functions: what to read, and how a CDC batch changes the Delta tables.

CDC model (customers): the source table holds the newest version of each row with a change timestamp
(`cdc_column`, e.g. updated_at) and a soft-delete flag (`delete_column`). Bronze keeps
  * `<target>_history`: every version ever read, append-only, partitioned by landing day. The
    high-water mark is max(cdc_column) of this table, so it advances in the same Delta commit as the
    data and needs no separate checkpoint store;
  * `<target>`: the current state, one row per key, soft-deleted keys removed.
Versions are ordered by the change timestamp, never by arrival: a late-arriving older version is
appended to the history but never overwrites (or resurrects) a newer one in the current table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lakehouse.config.identifiers import validate_source_table_name
from lakehouse.ingestion.typed import ROW_HASH
from lakehouse.resources.catalog import TableRef, quote, validate_identifier
from lakehouse.resources.delta_write import WriteSpec, merge_into, read_table, table_exists, write_delta
from lakehouse.resources.delta_write import last_commit as delta_last_commit

_TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def sql_timestamp(value: datetime) -> str:
    """A timestamp literal every source understands: PostgreSQL and MySQL cast the text, and SQLite
    (text storage 'YYYY-MM-DD HH:MM:SS.SSS') compares it correctly as a string, because six fraction
    digits sort after the stored three when the instants are equal."""
    return f"'{value.strftime(_TS_FORMAT)}'"


def source_table_name(name: str) -> str:
    """`table` or `schema.table`, validated, since it is pasted into SQL sent to the database."""
    return validate_source_table_name(name)


@dataclass(frozen=True)
class ReadPlan:
    """One read of a source table. `since` (exclusive) and `until` (inclusive) bound the change
    timestamp; both are pushed down to the database inside the query Spark sends."""

    table: str
    columns: tuple[str, ...]
    cdc_column: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    partitions: int = 1
    partition_column: str | None = None

    def __post_init__(self) -> None:
        source_table_name(self.table)
        for name in (*self.columns, self.cdc_column, self.partition_column):
            if name is not None:
                validate_identifier(name, "column name")

    def predicate(self) -> str | None:
        parts = []
        if self.cdc_column and self.since is not None:
            parts.append(f"{self.cdc_column} > {sql_timestamp(self.since)}")
        if self.cdc_column and self.until is not None:
            parts.append(f"{self.cdc_column} <= {sql_timestamp(self.until)}")
        return " AND ".join(parts) or None

    def query(self) -> str:
        """The `dbtable` subquery: explicit contract columns (a dropped source column fails loudly)."""
        where = self.predicate()
        return f"(SELECT {', '.join(self.columns)} FROM {self.table}" + (f" WHERE {where}" if where else "") + ") src"

    @property
    def split_column(self) -> str | None:
        """The column a parallel read is split on (the change column unless another is named)."""
        return self.partition_column or self.cdc_column

    @property
    def needs_bounds(self) -> bool:
        return self.cdc_column is not None or (self.partitions > 1 and self.split_column is not None)

    def bounds_query(self) -> str:
        """min/max of the split column and the newest change, computed by the database."""
        split = self.split_column or "NULL"  # guarded by needs_bounds
        cut = self.cdc_column or split
        where = replace(self, until=None).predicate()
        return (
            f"(SELECT MIN({split}) AS lo, MAX({split}) AS hi, MAX({cut}) AS cut, COUNT(*) AS n FROM {self.table}"
            + (f" WHERE {where}" if where else "")
            + ") bounds"
        )


def parallel_read_options(column: str | None, lower: str | None, upper: str | None, partitions: int) -> dict[str, str]:
    """Spark's partitioned JDBC read: numPartitions queries, each a stride of [lower, upper] on
    `column` (the first and last are open-ended, so no row is lost if the bounds are stale)."""
    if column is None or partitions <= 1 or lower is None or upper is None or lower == upper:
        return {}
    return {
        "partitionColumn": validate_identifier(column, "column name"),
        "lowerBound": lower,
        "upperBound": upper,
        "numPartitions": str(partitions),
    }


def high_water_mark(df: DataFrame | None, column: str) -> datetime | None:
    """Newest change timestamp in `df`, as a naive datetime in the session time zone. Formatted by
    Spark rather than collected as a timestamp, which Python would shift into its local zone."""
    if df is None:
        return None
    row = df.agg(F.date_format(F.max(column), "yyyy-MM-dd HH:mm:ss.SSSSSS").alias("hwm")).first()
    text = row["hwm"] if row else None  # a global aggregate always has its one row
    return datetime.strptime(text, _TS_FORMAT) if text else None


def latest_per_key(df: DataFrame, keys: list[str], order_column: str, delete_column: str | None = None) -> DataFrame:
    """The newest version of each key by `order_column`. Ties: a delete wins, then the row hash, so
    the choice never depends on arrival order or Spark's partitioning."""
    order = [F.col(order_column).desc()]
    if delete_column:
        order.append(F.col(delete_column).desc())
    if ROW_HASH in df.columns:
        order.append(F.col(ROW_HASH).desc())
    window = Window.partitionBy(*keys).orderBy(*order)
    return df.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def resolve_changes(
    batch: DataFrame, history: DataFrame | None, keys: list[str], order_column: str, delete_column: str | None
) -> DataFrame:
    """Newest version per key among the batch and the history of the same keys: a late older version
    loses against what the history already holds, including a delete (no resurrection)."""
    candidates = batch
    if history is not None:
        known = history.join(batch.select(*keys).distinct(), keys, "left_semi").select(*batch.columns)
        candidates = batch.unionByName(known)
    return latest_per_key(candidates, keys, order_column, delete_column)


@dataclass(frozen=True)
class StateChange:
    upserted: int
    deleted: int
    version: int


def merge_current(
    spark: SparkSession,
    ref: TableRef,
    resolved: DataFrame,
    keys: list[str],
    order_column: str,
    delete_column: str | None,
) -> StateChange:
    """Upsert newer versions and delete soft-deleted keys in the current-state table, in one commit."""
    live = resolved.where(~F.col(delete_column)) if delete_column else resolved
    if not table_exists(spark, ref):
        result = write_delta(spark, live, ref, WriteSpec(mode="overwrite"), None)
        return StateChange(int(result.metrics.get("numOutputRows", 0)), 0, result.version)
    on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in keys)
    ts = quote(order_column)
    if delete_column:
        deleted = f"s.{quote(delete_column)}"
        clauses = (f"WHEN MATCHED AND {deleted} AND s.{ts} >= t.{ts} THEN DELETE "
                   f"WHEN MATCHED AND NOT {deleted} AND s.{ts} > t.{ts} THEN UPDATE SET * "
                   f"WHEN NOT MATCHED AND NOT {deleted} THEN INSERT *")
    else:
        clauses = f"WHEN MATCHED AND s.{ts} > t.{ts} THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
    before = last_commit(spark, ref)[0]
    merge_into(spark, resolved, ref, on, clauses)
    version, metrics = last_commit(spark, ref)
    if version == before:  # Delta may skip the commit of a merge that changes nothing
        return StateChange(0, 0, version)
    upserted = int(metrics.get("numTargetRowsInserted", 0)) + int(metrics.get("numTargetRowsUpdated", 0))
    return StateChange(upserted, int(metrics.get("numTargetRowsDeleted", 0)), version)


def replace_current(
    spark: SparkSession, ref: TableRef, resolved: DataFrame, keys: list[str], delete_column: str | None
) -> StateChange:
    """Full reload: the current table becomes exactly the resolved snapshot in one overwrite commit
    (keys gone from the source, hard deletes, disappear too)."""
    live = resolved.where(~F.col(delete_column)) if delete_column else resolved
    removed = 0
    if table_exists(spark, ref):
        removed = read_table(spark, ref).select(*keys).join(live.select(*keys), keys, "left_anti").count()
    result = write_delta(spark, live, ref, WriteSpec(mode="overwrite"), None)
    return StateChange(int(result.metrics.get("numOutputRows", 0)), removed, result.version)


def insert_new(
    spark: SparkSession, ref: TableRef, df: DataFrame, partition_by: tuple[str, ...] = (), prune: str | None = None
) -> int:
    """Append the rows whose `_row_hash` the table does not hold yet (an insert-only MERGE, so a
    re-run or a concurrent run cannot duplicate a version). `prune` limits the target rows scanned."""
    if not table_exists(spark, ref):
        result = write_delta(spark, df, ref, WriteSpec(mode="append", partition_by=partition_by), None)
        return int(result.metrics.get("numOutputRows", 0))
    if df.isEmpty():
        return 0  # nothing to add: no empty commit, so a no-op re-run leaves the table version alone
    on = f"t.{ROW_HASH} = s.{ROW_HASH}" + (f" AND {prune}" if prune else "")
    before = last_commit(spark, ref)[0]
    merge_into(spark, df, ref, on, "WHEN NOT MATCHED THEN INSERT *")
    version, metrics = last_commit(spark, ref)
    # Delta skips the commit of an insert-only merge with nothing to insert: then the last commit's
    # metrics are an earlier run's.
    return int(metrics.get("numTargetRowsInserted", 0)) if version != before else 0


def last_commit(spark: SparkSession, ref: TableRef) -> tuple[int, dict[str, str]]:
    version, _, metrics = delta_last_commit(spark, ref)
    return version, metrics
