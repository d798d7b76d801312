"""Bronze assets, one per configured source, made by one factory.

File sources (csv / json): a bronze partition is one landing day's folder. Every materialisation
rebuilds the partition from all files of its day and overwrites exactly that partition (with its
quarantine partition), so each file is in the table exactly once however often a day is re-run or
re-landed. `incremental` rebuilds only the requested days (the landing sensor requests the days that
received files); `full` rebuilds every landed day. Late events stay in the partition of the day they
landed; their `event_date` tells silver which day they belong to.
"""

# No `from __future__ import annotations`: Dagster resolves the resource annotations at definition time.

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetOut,
    AssetsDefinition,
    BackfillPolicy,
    FreshnessPolicy,
    MetadataValue,
    Output,
    multi_asset,
)

from lakehouse.config.contracts import load_contracts
from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.identifiers import dataset_key, side_key
from lakehouse.config.sources import SourceConfig, load_sources
from lakehouse.ingestion import checks
from lakehouse.ingestion.file_source import check_results, earlier_keys, find_files, in_window, load_files
from lakehouse.ingestion.jdbc_assets import build_jdbc_asset
from lakehouse.ingestion.quarantine_rate import quarantine_rate_specs
from lakehouse.ingestion.run_config import IngestionRunConfig, source_config_schema, source_run_config
from lakehouse.ingestion.sensors import LANDING_FINGERPRINTS, scan_landing
from lakehouse.ingestion.stream_assets import build_stream_asset
from lakehouse.partitions import Calendar
from lakehouse.resources.delta_write import read_table, table_exists
from lakehouse.resources.spark import SparkResource


def _file_source_asset(source: SourceConfig, dataset: DatasetConfig, calendar: Calendar) -> AssetsDefinition:
    contract = load_contracts(dataset.name)[source.contract]
    part = source.partition_column
    common = {"partition_expr": part}
    owners = source.owners or [dataset.owner]
    table_key = AssetKey(dataset_key(dataset.name, source.key))
    quarantine_key = AssetKey(side_key(table_key.path, "_quarantine"))
    freshness = FreshnessPolicy.time_window(fail_window=timedelta(hours=source.freshness_hours))
    outs = {
        "table": AssetOut(
            key=table_key,
            description=f"{source.description} Typed rows that passed the `{contract.name}` contract.",
            metadata={**common, "column_descriptions": contract.descriptions()},
            owners=owners,
            kinds={"spark", "delta"},
            freshness_policy=freshness,
        ),
        "quarantine": AssetOut(
            key=quarantine_key,
            description=f"Rows of {source.name} that failed the contract: raw text, source file and reason.",
            # additive: quarantines written before `raw_record_encoding` existed gain the column.
            metadata={**common, "schema_mode": "additive"},
            owners=owners,
            kinds={"spark", "delta"},
        ),
    }
    @multi_asset(
        name=f"ingest_{source.name}",
        outs=outs,
        partitions_def=calendar.daily,
        group_name="ingestion",
        description=f"Ingest source `{source.name}` ({source.format}) into bronze.",
        check_specs=[*checks.check_specs(table_key, contract), *quarantine_rate_specs(table_key, source)],
        backfill_policy=BackfillPolicy.single_run(),
        config_schema=source_config_schema(source),
    )
    def _ingest(context: AssetExecutionContext, spark: SparkResource):
        config = source_run_config(context, source, IngestionRunConfig)
        if config.ingest_mode not in ("full", "incremental"):
            raise ValueError(f"Source {source.name!r}: unknown ingest_mode {config.ingest_mode!r}; expected full or incremental")
        # Confined before anything is listed or read (config/locations.py), and before Spark starts.
        roots = spark.source_roots()
        root = roots.resolve(config.data_source, f"Source {source.name!r}: data_source")
        days = None if config.ingest_mode == "full" else context.partition_keys
        # Fingerprints taken before reading: a file landing mid-run changes them, so the sensor re-requests.
        landed = {d.day: d.fingerprint for d in scan_landing(root, source.format)[0] if days is None or d.day in days}
        # Each file too: a symlinked day folder or file inside the landing zone may point out of it.
        files = roots.check_all(find_files(root, days, source), f"Source {source.name!r}: landed file")
        session = spark.spark_session
        target = spark.table_for(table_key.path)
        # Keys earlier landing days already loaded: a key is kept once however the days were grouped in runs.
        existing = read_table(session, target) if days and table_exists(session, target) else None
        loaded_before = earlier_keys(existing, source, contract, date.fromisoformat(min(days)) if days else None)
        runtime: dict[str, Any] = {"write_mode": "overwrite", **({"full_refresh": True} if days is None else {})}
        table_meta: dict[str, Any] = {**runtime, "files_read": len(files), LANDING_FINGERPRINTS: MetadataValue.json(landed)}
        # Parsed once, into a cache both writes read; each write observes the figures the checks need. The
        # quarantine first: writing the table drops the cache when the rows were checked against it.
        with load_files(session, source, contract, files, context.run.run_id, loaded_before) as load:
            yield Output(load.quarantine, output_name="quarantine", metadata=runtime)
            yield Output(load.table, output_name="table", metadata=table_meta)
            # Read inside the block: where a write reports no observation (an array value over a metastore
            # table, resources/delta_io_manager.py), the figures are one aggregation, of the cache if it holds.
            load.quarantine.values()
            load.table.values()
        # One aggregation over what was committed, for exactly the window written; the rest was observed.
        window = context.partition_time_window if days is not None else None
        start, end = (window.start.date(), window.end.date()) if window else (None, None)
        committed = in_window(session.table(target.name), part, start, end)
        yield from check_results(load, committed, source, contract, table_key)

    return _ingest


# One builder per source format: a new kind of source is a new builder registered here.
AssetBuilder = Callable[[SourceConfig, DatasetConfig, Calendar], AssetsDefinition]
BUILDERS: dict[str, AssetBuilder] = {
    "csv": _file_source_asset,
    "json": _file_source_asset,
    "stream": build_stream_asset,
    "jdbc": build_jdbc_asset,
}


# Formats whose reader maps a contract column's `source_name` (ingestion/source_names.py).
SOURCE_NAME_FORMATS = ("csv", "json")


def build_ingestion_assets(dataset: DatasetConfig, calendar: Calendar) -> list[AssetsDefinition]:
    assets = []
    contracts = load_contracts(dataset.name)
    for source in load_sources(dataset.name).values():
        if source.format not in BUILDERS:
            raise ValueError(f"Source {source.name!r}: no asset builder for format {source.format!r}")
        contract = contracts.get(source.contract)
        if contract is not None and contract.source_named and source.format not in SOURCE_NAME_FORMATS:
            # Refused, not ignored: the column would silently be read by its `name` and found missing.
            named = [c.name for c in contract.source_named]
            raise ValueError(f"Source {source.name!r} ({source.format}): contract {contract.name!r} declares "
                             f"`source_name` for {named}; only {list(SOURCE_NAME_FORMATS)} sources map it")
        assets.append(BUILDERS[source.format](source, dataset, calendar))
    return assets
