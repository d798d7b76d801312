"""Bronze assets for JDBC sources (format: jdbc in sources.yaml), daily partitioned like every source.

Two shapes, chosen by the source's configuration:

* Snapshot (no `cdc_column`; merchants): each run reads the whole table and its daily partition holds
  that day's full snapshot. The Delta IO manager fits exactly: the asset returns DataFrames and the
  IO manager overwrites just that partition (replaceWhere, one atomic commit per table), so history is
  kept and a re-run is idempotent. Only `ingest_mode: full` exists for it.
* CDC (`cdc_column`, optional `delete_column`; customers): assets `<name>` (current state),
  `<name>_history` (every version, append-only, partitioned by landing day) and `<name>_quarantine`.
  A CDC run merges into the current table and inserts into the history only what is new, which is
  not a partition overwrite, so the asset writes Delta itself (jdbc_cdc.py explains the commit order)
  and returns MaterializeResults. Runs of one CDC source are serialised by the pool `jdbc_<source>`.

A JDBC run reads the database as it is now, so it materialises exactly one day (backfills run one
partition per run); backfilling past days stores today's state under them, while the history table
keeps the real change timestamps either way.

Run config = the seed notebook's parameters: `data_source` is the table to read on the source's
connection (the connection and its credentials come from the profile, never from run config),
`target_table` the bronze table (only the asset's own, bronze.<name>), `ingest_mode` full | incremental. `checkpoint_path` is unused: the
high-water mark lives in the history table.
"""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from dagster import AssetExecutionContext as Context
from dagster import (
    AssetKey,
    AssetOut,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    Output,
    multi_asset,
)
from pyspark.sql import functions as F

from lakehouse.config.contracts import Contract, load_contracts
from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.identifiers import dataset_key, side_key
from lakehouse.config.sources import SourceConfig
from lakehouse.ingestion import checks
from lakehouse.ingestion.jdbc import ReadPlan
from lakehouse.ingestion.jdbc_cdc import META_COLUMNS, CdcOutcome, CdcTables, accounted_rows, ingest_cdc
from lakehouse.ingestion.jdbc_read import read_source
from lakehouse.ingestion.jdbc_support import (
    asset_common,
    day_rows,
    freshness,
    read_metadata,
    stamp_for,
    start_run,
    target_ref,
)
from lakehouse.ingestion.run_config import CdcRunConfig, IngestionRunConfig, source_config_schema, source_run_config
from lakehouse.ingestion.typed import split_typed, with_row_hash
from lakehouse.partitions import Calendar
from lakehouse.resources.delta_write import read_table

# One partition per run: the database can only be read as it is now (see the module docstring).
ONE_DAY_PER_RUN = BackfillPolicy.multi_run(max_partitions_per_run=1)


def build_jdbc_asset(source: SourceConfig, dataset: DatasetConfig, calendar: Calendar) -> AssetsDefinition:
    if not source.connection or not source.table:
        raise ValueError(f"Source {source.name!r}: a jdbc source needs `connection` and `table` in sources.yaml")
    contract = load_contracts(dataset.name)[source.contract]
    if source.cdc_column and contract.column(source.cdc_column).type not in ("timestamp", "date"):
        raise ValueError(f"Source {source.name!r}: cdc_column {source.cdc_column!r} must be a timestamp or date")
    build = _cdc_asset if source.cdc_column else _snapshot_asset
    return build(source, dataset, calendar, contract)


def _snapshot_asset(
    source: SourceConfig, dataset: DatasetConfig, calendar: Calendar, contract: Contract
) -> AssetsDefinition:
    part, columns, connection = source.partition_column, [c.name for c in contract.columns], source.connection or ""
    table_key = AssetKey(dataset_key(dataset.name, source.key))
    outs = {
        "table": AssetOut(
            key=table_key,
            description=f"{source.description} One full snapshot per daily partition (rows that passed the contract).",
            metadata={"partition_expr": part, "column_descriptions": {**contract.descriptions(), **META_COLUMNS}},
            freshness_policy=freshness(source),
            **asset_common(source, dataset),
        ),
        "quarantine": AssetOut(
            key=side_key(table_key.path, "_quarantine"),
            description=f"Rows of {source.name} that failed the `{contract.name}` contract, with the reasons.",
            metadata={"partition_expr": part, "column_descriptions": META_COLUMNS},
            **asset_common(source, dataset),
        ),
    }
    @multi_asset(
        name=f"ingest_{source.name}",
        outs=outs,
        partitions_def=calendar.daily,
        backfill_policy=ONE_DAY_PER_RUN,
        group_name="ingestion",
        required_resource_keys={"spark", connection},
        check_specs=checks.check_specs(table_key, contract),
        config_schema=source_config_schema(source),
        description=f"Snapshot of JDBC table `{source.table}` ({connection}) into bronze, one partition per day.",
    )
    def _ingest(context: Context) -> Iterator[Any]:
        config = source_run_config(context, source, IngestionRunConfig)
        spark_resource, conn, day = start_run(context, source, config.ingest_mode)
        session = spark_resource.spark_session
        plan = ReadPlan(
            config.data_source, tuple(columns), partitions=source.read_partitions,
            partition_column=source.read_partition_column,
        )
        read = read_source(session, conn, plan, source.name, connection)
        split = split_typed(with_row_hash(read.df, columns), contract)
        stamp = stamp_for(context, day, part)
        table = stamp(split.loaded)
        quarantine = stamp(split.quarantined.withColumn("source_table", F.lit(f"{connection}.{config.data_source}")))
        loaded, quarantined = table.count(), quarantine.count()
        meta: dict[str, Any] = {**read_metadata(read), "rows_loaded": loaded, "rows_quarantined": quarantined}
        meta["write_mode"] = "overwrite"
        yield Output(table, "table", metadata=meta)
        yield Output(quarantine, "quarantine", metadata={"rows_quarantined": quarantined, "write_mode": "overwrite"})
        # Checks read back what the IO manager committed for this day.
        written = day_rows(read_table(session, target_ref(spark_resource, table_key)), part, day)
        bad = read_table(session, target_ref(spark_resource, table_key, "_quarantine"))
        yield checks.reconciliation_result(read.rows, written.count(), day_rows(bad, part, day).count(), table_key)
        yield checks.contract_result(written, contract, table_key)

    return _ingest


def _cdc_asset(
    source: SourceConfig, dataset: DatasetConfig, calendar: Calendar, contract: Contract
) -> AssetsDefinition:
    part, name, connection = source.partition_column, source.name, source.connection or ""
    table_key = AssetKey(dataset_key(dataset.name, source.key))
    described = {**contract.descriptions(), **META_COLUMNS}
    specs = [
        AssetSpec(
            table_key,
            description=f"{source.description} Current state: newest version per key, soft-deleted keys removed.",
            metadata={"column_descriptions": described, "merge_keys": list(source.keys or contract.keys)},
            freshness_policy=freshness(source),
            **asset_common(source, dataset),
        ),
        AssetSpec(
            side_key(table_key.path, "_history"),
            description=f"Every version of {name} ever read (append-only CDC log, partitioned by landing day), for "
            f"point-in-time joins on `{source.cdc_column}`; its max({source.cdc_column}) is the high-water mark.",
            metadata={"column_descriptions": described, "partition_expr": part},
            **asset_common(source, dataset),
        ),
        AssetSpec(
            side_key(table_key.path, "_quarantine"),
            description=f"Versions of {name} that failed the `{contract.name}` contract, with the reasons.",
            metadata={"column_descriptions": META_COLUMNS, "partition_expr": part},
            **asset_common(source, dataset),
        ),
    ]
    @multi_asset(
        name=f"ingest_{name}",
        specs=specs,
        partitions_def=calendar.daily,
        backfill_policy=ONE_DAY_PER_RUN,
        group_name="ingestion",
        required_resource_keys={"spark", connection},
        pool=f"jdbc_{name}",
        check_specs=checks.check_specs(table_key, contract),
        config_schema=source_config_schema(source),
        description=f"CDC of JDBC table `{source.table}` ({connection}) by `{source.cdc_column}` into bronze.",
    )
    def _ingest(context: Context) -> Iterator[Any]:
        config = source_run_config(context, source, CdcRunConfig)
        spark_resource, conn, day = start_run(context, source, config.ingest_mode)
        session = spark_resource.spark_session
        refs = (target_ref(spark_resource, table_key, s) for s in ("", "_history", "_quarantine"))
        tables = CdcTables(*refs)
        lookback = timedelta(hours=config.cdc_lookback_hours)
        outcome = ingest_cdc(
            session, conn, source, contract, tables, config.ingest_mode, config.data_source, lookback,
            stamp_for(context, day, part),
        )
        for ref in (tables.current, tables.history, tables.quarantine):
            spark_resource.register(ref)
        sizes = {t: read_table(session, getattr(tables, t)).count() for t in ("current", "history", "quarantine")}
        yield from _cdc_results(table_key, tables, outcome, config.ingest_mode, sizes)
        in_history, in_quarantine = accounted_rows(session, tables, outcome)
        yield checks.reconciliation_result(outcome.read.rows, in_history, in_quarantine, table_key)
        yield checks.contract_result(read_table(session, tables.current), contract, table_key)

    return _ingest


def _cdc_results(
    table_key: AssetKey, tables: CdcTables, outcome: CdcOutcome, mode: str, sizes: dict[str, int]
) -> Iterator[MaterializeResult]:
    hwm: dict[str, Any] = {
        "high_water_mark_before": str(outcome.hwm_before) if outcome.hwm_before else "none",
        "high_water_mark_after": str(outcome.hwm_after) if outcome.hwm_after else "none",
    }
    counts: dict[str, Any] = {
        **read_metadata(outcome.read),
        "rows_loaded": outcome.loaded,
        "rows_quarantined": outcome.quarantined,
        "rows_already_ingested": outcome.already_ingested,
    }
    current: dict[str, Any] = {
        "dagster/table_name": tables.current.name,
        "dagster/row_count": sizes["current"],
        "ingest_mode": mode,
        "rows_upserted": outcome.state.upserted,
        "rows_deleted": outcome.state.deleted,
        "delta_version": outcome.state.version,
    }
    yield MaterializeResult(asset_key=table_key, metadata={**current, **counts, **hwm})
    history: dict[str, Any] = {"dagster/table_name": tables.history.name, "dagster/row_count": sizes["history"], "rows_loaded": outcome.loaded}
    yield MaterializeResult(asset_key=AssetKey(side_key(table_key.path, "_history")), metadata={**history, **hwm})
    quarantine: dict[str, Any] = {"dagster/table_name": tables.quarantine.name, "dagster/row_count": sizes["quarantine"],
                  "rows_quarantined": outcome.quarantined}
    yield MaterializeResult(asset_key=AssetKey(side_key(table_key.path, "_quarantine")), metadata=quarantine)
