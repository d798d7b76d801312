"""One CDC ingestion run of a JDBC source: read the changes, check them, apply them to Delta.

Delta has no multi-table transaction, so the commit order makes every run replay-safe:
  1. read (and checkpoint) the changes: a failure here commits nothing;
  2. merge them into the current-state table: idempotent, guarded by the change timestamp;
  3. insert new quarantined rows: idempotent (insert-if-absent by row hash);
  4. insert new versions into the history table: idempotent, and the commit that advances the
     high-water mark (max change timestamp of the history), so it comes last. If a run dies after 2
     or 3, the next run reads the same changes again and steps 2-3 change nothing twice.

Incremental reads start `lookback` before the high-water mark, because a change can be committed
with an older timestamp than one already read (late writers, long transactions, the demo's
out-of-order updates). Re-read versions are recognised by their row hash and counted as
`already_ingested`, so rows read = loaded + quarantined + already ingested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.config.contracts import Contract
from lakehouse.config.sources import SourceConfig
from lakehouse.ingestion.jdbc import (
    ReadPlan,
    StateChange,
    high_water_mark,
    insert_new,
    merge_current,
    replace_current,
    resolve_changes,
    sql_timestamp,
)
from lakehouse.ingestion.jdbc_read import JdbcRead, read_source
from lakehouse.ingestion.typed import ROW_HASH, split_typed, with_row_hash
from lakehouse.resources.catalog import TableRef, quote
from lakehouse.resources.delta_write import read_table, table_exists
from lakehouse.resources.jdbc import JdbcConnection

Stamp = Callable[[DataFrame], DataFrame]
# Descriptions of the technical columns bronze adds to JDBC rows (shown in the UI's column schema).
META_COLUMNS = {
    ROW_HASH: "SHA-256 of the contract columns: identifies one version of one row.",
    "landing_date": "Landing day: the partition of the run that read this version.",
    "_ingested_at": "When the run that read this row started (UTC).",
    "_run_id": "Dagster run that read this row.",
    "source_table": "Connection and table the row was read from.",
    "raw_record": "The row as read, as JSON.",
    "reason": "Why the row was quarantined (every failed rule).",
}


@dataclass(frozen=True)
class CdcTables:
    current: TableRef
    history: TableRef
    quarantine: TableRef


@dataclass
class CdcOutcome:
    read: JdbcRead
    batch: DataFrame  # the rows read, with their row hash
    hwm_before: datetime | None
    hwm_after: datetime | None
    loaded: int
    quarantined: int
    state: StateChange

    @property
    def already_ingested(self) -> int:
        return self.read.rows - self.loaded - self.quarantined


def future_change(column: str) -> Column:
    """A change stamped in the future would lift the high-water mark past every real change to come
    (they would all be skipped), so it is quarantined instead. One day of tolerance for clock skew."""
    too_new = F.col(column) > F.current_timestamp() + F.expr("INTERVAL 1 DAY")
    return F.when(too_new, F.lit(f"{column}: in the future (would freeze the high-water mark)"))


def ingest_cdc(
    spark: SparkSession,
    conn: JdbcConnection,
    source: SourceConfig,
    contract: Contract,
    tables: CdcTables,
    mode: str,
    table: str,
    lookback: timedelta,
    stamp: Stamp,
) -> CdcOutcome:
    cdc, delete = source.cdc_column, source.delete_column
    if cdc is None:
        raise ValueError(f"Source {source.name!r}: CDC needs `cdc_column` in sources.yaml")
    keys = list(source.keys or contract.keys)
    columns = [c.name for c in contract.columns]
    history = read_table(spark, tables.history) if table_exists(spark, tables.history) else None
    hwm_before = high_water_mark(history, cdc)
    since = hwm_before - lookback if mode == "incremental" and hwm_before is not None else None
    plan = ReadPlan(table, tuple(columns), cdc, since, None, source.read_partitions, source.read_partition_column)
    read = read_source(spark, conn, plan, source.name, source.connection or "")

    batch = with_row_hash(read.df, columns)
    split = split_typed(batch, contract, [future_change(cdc)])
    valid = stamp(split.loaded)
    bad = stamp(split.quarantined.withColumn("source_table", F.lit(f"{source.connection}.{table}")))

    # Every valid row of the batch takes part (not only unseen ones): replaying a batch is a no-op,
    # and a current table that missed a batch is repaired by the next run's lookback.
    resolved = resolve_changes(valid, history, keys, cdc, delete)
    if mode == "incremental":
        state = merge_current(spark, tables.current, resolved, keys, cdc, delete)
    else:
        state = replace_current(spark, tables.current, resolved, keys, delete)
    partition = (source.partition_column,)
    quarantined = insert_new(spark, tables.quarantine, bad, partition)
    # Only history rows newer than the read's lower bound can share a hash with the batch.
    prune = f"t.{quote(cdc)} > TIMESTAMP{sql_timestamp(since)}" if since is not None else None
    loaded = insert_new(spark, tables.history, valid, partition, prune)

    batch_hwm = high_water_mark(valid, cdc)
    hwm_after = max((h for h in (hwm_before, batch_hwm) if h is not None), default=None)
    return CdcOutcome(read, batch, hwm_before, hwm_after, loaded, quarantined, state)


def accounted_rows(spark: SparkSession, tables: CdcTables, outcome: CdcOutcome) -> tuple[int, int]:
    """Read back after the commits: how many rows of this read are in the history, and how many of
    the rest in the quarantine (by row hash). Together they must equal the rows read."""
    history = read_table(spark, tables.history)
    since, cdc = outcome.read.plan.since, outcome.read.plan.cdc_column
    if since is not None and cdc is not None:
        history = history.where(F.col(cdc) > F.lit(since.strftime("%Y-%m-%d %H:%M:%S.%f")).cast("timestamp"))
    hashes = outcome.batch.select(ROW_HASH)
    in_history = hashes.join(history.select(ROW_HASH), ROW_HASH, "left_semi")
    rest = hashes.join(history.select(ROW_HASH), ROW_HASH, "left_anti")
    in_quarantine = rest.join(read_table(spark, tables.quarantine).select(ROW_HASH), ROW_HASH, "left_semi")
    return in_history.count(), in_quarantine.count()
