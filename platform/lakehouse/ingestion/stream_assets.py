"""The bronze asset of a streaming source (seed notebook `data_ingestion`, "Streaming sources").

One materialisation = one Structured Streaming query with `trigger(availableNow=True)`: it processes
every event file that is new to the checkpoint, then stops (see ingestion/stream.py, stream_batch.py).

Partitions: the asset is deliberately UNPARTITIONED. A streaming run is addressed by its checkpoint,
not by a day: availableNow takes whatever is new, and late events land in old days. A daily-partitioned
asset would report day D as materialised although the run wrote other days (and not D), and a backfill
of day D could not re-read D's files (the checkpoint has seen them). So the Dagster materialisation
stands for "the tables are up to date with the stream"; its metadata lists the reported dates this run
touched. The Delta table itself is partitioned physically by the event day (`reported_date`), so
downstream daily assets (labels, monitoring) read their window efficiently; in Dagster an unpartitioned
upstream maps to every downstream partition.

Run config (the seed's parameters, Launchpad): `data_source` (stream folder), `target_table`
(only the asset's own, bronze.<name>), `checkpoint_path` (default: the source's `checkpoint`), `ingest_mode`:
- `incremental` (default): new files only, exactly once.
- `full`: delete the checkpoint and rebuild both tables from all files. The first micro-batch of the new
  query overwrites each table in one atomic commit (readers never see an empty or half-built table);
  a crash mid-rebuild is repaired by the next run, which resumes the same query from its checkpoint.
  Run `full` after a contract change too: incremental merges keep the table's schema strictly.

Inside the partitioned `daily_pipeline` job the asset runs once per run; a second run reads nothing new.

The asset writes the tables itself (an IO manager cannot write a stream) and registers them in the
session catalog, so `spark.table("bronze.chargebacks")` works. Only one run per checkpoint may run at
a time: the asset is in the pool `stream_<source>` (set that pool's limit to 1 in the instance).
"""

# No `from __future__ import annotations`: Dagster resolves the resource annotations at definition time.

import re
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    multi_asset,
)
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lakehouse.config.contracts import Contract, load_contracts
from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.identifiers import dataset_key, side_key
from lakehouse.config.sources import SourceConfig
from lakehouse.ingestion.run_config import IngestionRunConfig, source_config_schema, source_run_config
from lakehouse.ingestion.stream import (
    StreamRun,
    checkpoint_has_commits,
    raw_stream_schema,
    reset_checkpoint,
    run_available_now,
    stream_source_for,
)
from lakehouse.ingestion.stream_batch import QUARANTINE_COLUMNS, TABLE_COLUMNS, BatchWriter
from lakehouse.partitions import Calendar
from lakehouse.resources.catalog import TableRef
from lakehouse.resources.delta_write import last_commit, read_table, table_exists
from lakehouse.resources.spark import SparkResource


def event_columns(source: SourceConfig, contract: Contract) -> tuple[str, str]:
    """(event timestamp column, partition date column): the contract's first timestamp column and, unless
    the source names its `partition_column`, that column's day (reported_at -> reported_date)."""
    stamps = [c.name for c in contract.columns if c.type == "timestamp"]
    if not stamps:
        raise ValueError(f"Source {source.name!r}: contract {contract.name!r} has no timestamp column to partition on")
    if "partition_column" in source.model_fields_set:
        return stamps[0], source.partition_column
    return stamps[0], re.sub(r"(_at|_time)$", "", stamps[0]) + "_date"


def build_stream_asset(source: SourceConfig, dataset: DatasetConfig, calendar: Calendar) -> AssetsDefinition:
    """Bronze table + quarantine of a streaming source. `calendar` is unused: the asset is unpartitioned
    (see the module docstring); the argument keeps the builder signature of ingestion/assets.py."""
    contract = load_contracts(dataset.name)[source.contract]
    event_col, date_col = event_columns(source, contract)
    keys = tuple(source.keys or contract.keys)
    if not keys:
        raise ValueError(f"Source {source.name!r}: a stream needs `keys` (or a unique contract column) to merge on")
    owners = source.owners or [dataset.owner]
    descriptions = {**contract.descriptions(), **TABLE_COLUMNS, date_col: f"UTC day of `{event_col}` (partition)."}
    table_key = list(dataset_key(dataset.name, source.key))
    quarantine_key = list(side_key(table_key, "_quarantine"))
    specs = [
        AssetSpec(
            key=table_key,
            description=f"{source.description} Typed events that passed the `{contract.name}` contract, "
            f"one row per {', '.join(keys)}.",
            # partition_expr: the physical partition column, for readers that load a day window.
            metadata={"column_descriptions": descriptions, "partition_expr": date_col},
            owners=owners,
            kinds={"spark", "delta"},
            group_name="ingestion",
        ),
        AssetSpec(
            key=quarantine_key,
            description=f"Events of {source.name} that failed the contract or repeat a loaded key: "
            "raw text, source file and reason.",
            metadata={"column_descriptions": QUARANTINE_COLUMNS},
            owners=owners,
            kinds={"spark", "delta"},
            group_name="ingestion",
        ),
    ]
    @multi_asset(
        name=f"ingest_{source.name}",
        specs=specs,
        description=f"Stream `{source.name}` ({source.stream_format}) into bronze: availableNow, exactly once.",
        pool=f"stream_{source.name}",
        config_schema=source_config_schema(source),
    )
    def _ingest(context: AssetExecutionContext, spark: SparkResource) -> Iterator[MaterializeResult]:
        config = source_run_config(context, source, IngestionRunConfig)
        mode = config.ingest_mode
        if mode not in ("full", "incremental"):
            raise ValueError(f"Source {source.name!r}: unknown ingest_mode {mode!r}; expected full or incremental")
        # Confined (config/locations.py); the checkpoint to the data root only, since `full` deletes it.
        roots = spark.source_roots()
        folder = roots.resolve(config.data_source, f"Source {source.name!r}: data_source")
        checkpoint = roots.resolve(config.checkpoint_path, f"Source {source.name!r}: checkpoint_path", data_root_only=True)
        stream = stream_source_for(source, str(folder), contract)  # fails early for unsupported formats
        if not folder.is_dir():
            raise FileNotFoundError(f"Source {source.name!r}: stream folder {folder} does not exist")
        table, quarantine = spark.table_for(table_key), spark.table_for(quarantine_key)
        session = spark.spark_session
        if mode == "full":
            reset_checkpoint(checkpoint)
        elif checkpoint_has_commits(checkpoint) and not table_exists(session, table):
            # Merging new files into a lost table would silently miss every file the checkpoint has seen.
            raise RuntimeError(
                f"Source {source.name!r}: table {table.name} is missing but checkpoint {checkpoint} has "
                "progress; run with ingest_mode=full to rebuild it."
            )
        writer = BatchWriter(
            contract, table, quarantine, keys, event_col, date_col, context.run.run_id, str(checkpoint),
            rebuild_first_batch=stream.replays_everything,
        )
        run = run_available_now(session, stream, writer, str(checkpoint))
        if not run.batch_ids and (mode == "full" or not table_exists(session, table)):
            # Nothing to read: a rebuild (or a first run) still leaves both tables, empty.
            writer.write(session.createDataFrame([], raw_stream_schema(contract)), 0, idempotent=False)
        for ref in (table, quarantine):
            spark.register(ref)
        context.log.info(f"{source.name}: {len(run.batch_ids)} micro-batches, {run.rows_read} rows read")
        targets = ((table_key, table), (quarantine_key, quarantine))
        yield from _results(session, run, targets, date_col, descriptions, context.run.run_id, mode)

    return _ingest


def _results(
    spark: SparkSession, run: StreamRun, targets: tuple[tuple[list[str], TableRef], ...], date_col: str,
    descriptions: dict[str, str], run_id: str, mode: str,
) -> Iterator[MaterializeResult]:
    """One MaterializeResult per asset: (table key, table), (quarantine key, quarantine)."""
    (table_key, table), (quarantine_key, quarantine) = targets
    # Rows landed by this run carry its `_run_id` (the insert-only MERGE keeps the first loader's), so
    # these counts are what this run added, on any engine (no state carried out of foreachBatch).
    mine = read_table(spark, table).where(F.col("_run_id") == run_id)
    per_day = {str(r[date_col]): int(r["count"]) for r in mine.groupBy(date_col).count().collect()}
    loaded = sum(per_day.values())
    quarantined = read_table(spark, quarantine).where(F.col("_run_id") == run_id).count()
    run_meta: dict[str, Any] = {
        "rows_read": run.rows_read,
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
        # > 0 only when a batch of an interrupted run was replayed: its rows were already committed.
        "rows_already_committed": run.rows_read - loaded - quarantined,
        "batches_processed": len(run.batch_ids),
        "batch_ids": MetadataValue.json(run.batch_ids),
        "reported_dates": MetadataValue.json(sorted(per_day)),
        "rows_by_date": MetadataValue.json(per_day),
        "ingest_mode": mode,
        "checkpoint": MetadataValue.path(run.checkpoint),
        "query_id": run.query_id,
    }
    yield MaterializeResult(asset_key=table_key, metadata={**_table_meta(spark, table, descriptions), **run_meta})
    yield MaterializeResult(
        asset_key=quarantine_key,
        metadata={**_table_meta(spark, quarantine, QUARANTINE_COLUMNS), "rows_quarantined": quarantined},
    )


def _table_meta(spark: SparkSession, ref: TableRef, descriptions: dict[str, str]) -> dict[str, Any]:
    df = read_table(spark, ref)
    columns = [TableColumn(f.name, f.dataType.simpleString(), description=descriptions.get(f.name))
               for f in df.schema.fields]
    meta: dict[str, Any] = {
        "dagster/row_count": df.count(),
        "dagster/table_name": ref.name,
        "dagster/column_schema": TableSchema(columns=columns),
        "delta_version": last_commit(spark, ref)[0],
    }
    if ref.location:
        meta["location"] = MetadataValue.path(ref.location)
    return meta
