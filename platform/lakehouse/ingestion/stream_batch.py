"""One micro-batch of a stream into bronze: valid rows merged by key, invalid rows quarantined.

Exactly once, end to end. Structured Streaming writes the files of batch N to `<checkpoint>/offsets/N`
before the batch runs and `<checkpoint>/commits/N` after `foreachBatch` returns. A crash in between
(after our Delta commits, before the checkpoint commit) makes the next query re-run batch N with the
same files and the same batch id. So every write of a batch must be idempotent:

- the table: MERGE on the key, insert-only. A replayed row finds itself (same key, same `_source_file`)
  and nothing changes; its `_run_id` / `_ingested_at` keep the values of the run that landed it.
- the quarantine: an append with Delta's idempotent-write options `txnAppId` = the query id (stable
  across restarts, stored in `<checkpoint>/metadata`; a new checkpoint gets a new id) and `txnVersion` =
  the batch id: Delta skips a (txnAppId, txnVersion) it has already committed.
- batch 0 of a source that replays everything (a fresh checkpoint re-reads every file) replaces both
  tables (one atomic overwrite commit each, also with txnAppId/txnVersion). So the tables always hold
  exactly what the checkpoint has seen, and `full` is just "delete the checkpoint".

Nothing is lost or silently altered: a second row with an already-loaded key (in the same batch -
split_valid - or from another file in an earlier batch) is quarantined naming the file of the kept row.
That check reads the key and `_source_file` columns of the table once per batch (column pruning keeps
it cheap for a table of this size; the MERGE scans the same columns anyway).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.config.contracts import Contract
from lakehouse.ingestion.files import SOURCE_FILE, SplitResult, split_valid
from lakehouse.resources.catalog import TableRef, quote
from lakehouse.resources.delta_write import merge_into, read_table, table_exists

LOADED_FROM = "_loaded_from"
# Descriptions of the columns the stream adds to the contract's columns (shown in the UI).
TABLE_COLUMNS = {
    "_rescued_data": "Values of unexpected columns (always null for JSON streams).",
    SOURCE_FILE: "The stream file the row was read from.",
    "_ingested_at": "When the micro-batch that loaded the row ran.",
    "_run_id": "Dagster run that loaded the row.",
}
QUARANTINE_COLUMNS = {
    SOURCE_FILE: "The stream file the rejected line was read from.",
    "raw_record": "The line as read (malformed text), or the row as JSON.",
    "reason": "Why the row was rejected; several reasons are separated by '; '.",
    "_ingested_at": "When the micro-batch that quarantined the row ran.",
    "_run_id": "Dagster run that quarantined the row.",
}


def utc_date(ts: Column) -> Column:
    """Calendar day of an instant in UTC, whatever the session time zone."""
    return F.date_from_unix_date(F.floor(F.unix_seconds(ts) / 86_400).cast("int"))


@dataclass
class BatchWriter:
    """The `foreachBatch` function: `writer(batch_df, batch_id)`."""

    contract: Contract
    table: TableRef
    quarantine: TableRef
    keys: tuple[str, ...]
    event_column: str  # timestamp column the partition day comes from (reported_at)
    date_column: str  # physical partition column of the table (reported_date)
    run_id: str
    checkpoint: str
    rebuild_first_batch: bool  # the source replays everything into batch 0 (see module docstring)
    _app_id: str | None = field(default=None, init=False, repr=False)  # cached query id

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        self.write(batch, batch_id, idempotent=True)

    def write(self, batch: DataFrame, batch_id: int, idempotent: bool) -> None:
        """Write one batch. `idempotent=False` only for the empty rebuild of a run that read nothing."""
        spark = batch.sparkSession
        rebuild = (batch_id == 0 and self.rebuild_first_batch) or not table_exists(spark, self.table)
        checked = split_valid(batch, self.contract)
        # Checked once and cached: the writes below all derive from it. Materialised right away (split()
        # runs one job over every row), so the query's numInputRows counts each row once - also when Delta
        # skips every write of a replayed batch (then nothing else would read the files).
        cached = checked.rows.persist()
        try:
            self._write(spark, checked.split(), batch_id, rebuild, idempotent)
        finally:
            cached.unpersist()

    def _write(self, spark: SparkSession, split: SplitResult, batch_id: int, rebuild: bool, idempotent: bool) -> None:
        # split_valid already quarantines a second row with the same key within the batch.
        rows = self._stamp(split.loaded).withColumn(self.date_column, utc_date(F.col(self.event_column)))
        quarantine = self._stamp(split.quarantined.withColumnRenamed("source_file", SOURCE_FILE))
        if not rebuild:
            loaded = read_table(spark, self.table).select(*self.keys, F.col(SOURCE_FILE).alias(LOADED_FROM))
            checked = rows.join(loaded, list(self.keys), "left")
            other_file = F.col(LOADED_FROM).isNotNull() & (F.col(LOADED_FROM) != F.col(SOURCE_FILE))
            rows = checked.where(~other_file).drop(LOADED_FROM)  # same file: a replayed batch, MERGE no-op
            quarantine = quarantine.unionByName(self._duplicates(checked.where(other_file)))
        txn = self._txn(batch_id) if idempotent else {}
        # Empty appends / merges are skipped (a Delta commit costs seconds); the decision depends only on
        # the batch's files and the rows loaded before it, so a replayed batch decides the same way.
        if rebuild or not quarantine.isEmpty():
            self._save(quarantine, self.quarantine, "overwrite" if rebuild else "append", txn, partition=None)
        if rebuild:
            self._save(rows, self.table, "overwrite", txn, partition=self.date_column)
        elif not rows.isEmpty():
            self._merge(spark, rows)

    def _stamp(self, df: DataFrame) -> DataFrame:
        return df.withColumns({"_ingested_at": F.current_timestamp(), "_run_id": F.lit(self.run_id)})

    def _duplicates(self, df: DataFrame) -> DataFrame:
        """Rows whose key was loaded from another file in an earlier batch, in the quarantine's shape."""
        names = [c.name for c in self.contract.columns]
        keys = ", ".join(self.keys)
        return df.select(
            F.col(SOURCE_FILE),
            F.to_json(F.struct(*names)).alias("raw_record"),
            F.concat(F.lit(f"duplicate key [{keys}]: already loaded from "), F.col(LOADED_FROM)).alias("reason"),
            "_ingested_at",
            "_run_id",
        )

    def _txn(self, batch_id: int) -> dict[str, str]:
        if self._app_id is None:
            # The query id Spark keeps in the checkpoint: stable across restarts of this checkpoint,
            # new for a new one (so a rebuilt checkpoint's batch 0 is not mistaken for an old batch 0).
            # Spark wrote the file before the first batch; the checkpoint is a local folder (stream.py).
            self._app_id = str(json.loads(Path(self.checkpoint, "metadata").read_text().splitlines()[0])["id"])
        return {"txnAppId": self._app_id, "txnVersion": str(batch_id)}

    @staticmethod
    def _save(df: DataFrame, ref: TableRef, mode: str, txn: dict[str, str], partition: str | None) -> None:
        writer = df.write.format("delta").mode(mode).options(**txn)
        if mode == "overwrite":
            # A rebuild replaces the table as a whole (one atomic commit), schema and layout included.
            writer = writer.option("overwriteSchema", "true")
            if partition:
                writer = writer.partitionBy(partition)
        if ref.location is None:
            writer.saveAsTable(ref.name)
        else:
            writer.save(ref.location)

    def _merge(self, spark: SparkSession, rows: DataFrame) -> None:
        condition = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in self.keys)
        # Insert-only: a matched row is this batch's own row replayed after a crash (other-file
        # duplicates were quarantined above), so updating it would only rewrite files.
        merge_into(spark, rows, self.table, condition, "WHEN NOT MATCHED THEN INSERT *")
