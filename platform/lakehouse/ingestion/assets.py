"""Bronze assets, one per configured source, made by one factory.

File sources (csv / json): a bronze partition is one landing day's folder. Every materialisation
rebuilds the partition from all files of its day and overwrites exactly that partition (with its
quarantine partition), so each file is in the table exactly once however often a day is re-run or
re-landed. `incremental` rebuilds only the requested days (the landing sensor requests the days that
received files); `full` rebuilds every landed day. Late events stay in the partition of the day they
landed; their `event_date` tells silver which day they belong to.
"""

# No `from __future__ import annotations`: Dagster resolves the per-source config class annotation.

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetOut,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    FreshnessPolicy,
    Output,
    multi_asset,
)
from pydantic import Field, create_model
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.profile import resolve_data_root
from lakehouse.config.sources import SourceConfig, load_sources
from lakehouse.ingestion import checks
from lakehouse.ingestion.files import SOURCE_FILE, count_source_rows, landing_day, list_files, read_raw, split_valid
from lakehouse.ingestion.stream_assets import build_stream_asset
from lakehouse.partitions import Calendar
from lakehouse.resources.spark import SparkResource


class IngestionRunConfig(Config):
    """The seed notebook's `data_ingestion` parameters (defaults come from the source's config)."""


def run_config_class(source: SourceConfig) -> type[Config]:
    fields: dict[str, Any] = {
        "data_source": (str, Field(default=source.location or "", description="Landing folder or JDBC URL.")),
        "target_table": (str, Field(default=source.target_table, description="Bronze table <schema>.<table>.")),
        "ingest_mode": (str, Field(default=source.ingest_mode, description="`incremental`: the requested days; `full`: every landed day.")),
        "checkpoint_path": (str, Field(default=f"checkpoints/{source.name}", description="Checkpoint folder (streaming sources).")),
    }
    return create_model(f"{source.name}_ingestion_config", __base__=IngestionRunConfig, **fields)


def landed_days(root: Path, days: list[str] | None, source: SourceConfig) -> list[Path]:
    """The landing-day folders to read; a missing landing zone or day is an error naming the source."""
    if not root.is_dir():
        raise FileNotFoundError(f"Source {source.name!r}: landing folder {root} does not exist")
    if days is None:
        return sorted(p for p in root.iterdir() if p.is_dir())
    missing = [d for d in days if not (root / d).is_dir()]
    if missing:
        raise FileNotFoundError(f"Source {source.name!r}: no landing folder for {missing} under {root}")
    return [root / d for d in days]


def _file_source_asset(source: SourceConfig, dataset: DatasetConfig, calendar: Calendar) -> AssetsDefinition:
    contract = load_contracts(dataset.name)[source.contract]
    part = source.partition_column
    common = {"partition_expr": part}
    owners = source.owners or [dataset.owner]
    table_key, quarantine_key = AssetKey(["bronze", source.name]), AssetKey(["bronze", f"{source.name}_quarantine"])
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
            metadata=common,
            owners=owners,
            kinds={"spark", "delta"},
        ),
    }
    config_class = run_config_class(source)

    @multi_asset(
        name=f"ingest_{source.name}",
        outs=outs,
        partitions_def=calendar.daily,
        group_name="ingestion",
        description=f"Ingest source `{source.name}` ({source.format}) into bronze.",
        check_specs=checks.check_specs(table_key, contract),
        backfill_policy=BackfillPolicy.single_run(),
    )
    def _ingest(context: AssetExecutionContext, config: config_class, spark: SparkResource):  # type: ignore[valid-type]
        if config.ingest_mode not in ("full", "incremental"):
            raise ValueError(f"Source {source.name!r}: unknown ingest_mode {config.ingest_mode!r}; expected full or incremental")
        session = spark.spark_session
        root = resolve_data_root(spark.data_root) / config.data_source
        days = None if config.ingest_mode == "full" else context.partition_keys
        files = list_files(landed_days(root, days, source), source.format)
        split = split_valid(read_raw(session, source.format, files, contract), contract)
        split.checked.persist()  # parsed once, written twice (table + quarantine)
        try:
            stamp = _stamp(context.run.run_id, part)
            table = stamp(split.loaded)
            if source.event_time_column:
                table = table.withColumn("event_date", F.to_date(source.event_time_column))
            quarantine = stamp(split.quarantined.withColumnRenamed("source_file", SOURCE_FILE))
            runtime = {"write_mode": "overwrite", **({"full_refresh": True} if config.ingest_mode == "full" else {})}
            table_meta = {**runtime, "files_read": len(files)}
            if config.target_table != source.target_table:
                table_meta["table"] = config.target_table
            yield Output(table, output_name="table", metadata=table_meta)
            yield Output(quarantine, output_name="quarantine", metadata=runtime)
        finally:
            split.checked.unpersist()
        # Checks read back what was committed, for exactly the window written.
        written = _written(session, spark, table_key, days is None, context, part)
        rejected = _written(session, spark, quarantine_key, days is None, context, part)
        read = count_source_rows(session, source.format, files)
        yield checks.reconciliation_result(read, written.count(), rejected.count(), table_key)
        yield checks.contract_result(written, contract, table_key)
        if any(c.soft_max is not None for c in contract.columns):
            yield checks.soft_rules_result(written, contract, table_key)

    return _ingest


def _written(session, spark: SparkResource, key: AssetKey, whole_table: bool, context: AssetExecutionContext, column: str) -> DataFrame:
    df = session.table(spark.table(key.path[0], key.path[-1]).name)
    if whole_table:
        return df
    window = context.partition_time_window
    return df.where((F.col(column) >= F.lit(window.start.date())) & (F.col(column) < F.lit(window.end.date())))


def _stamp(run_id: str, partition_column: str):
    def apply(df: DataFrame) -> DataFrame:
        return df.withColumns(
            {partition_column: landing_day(F.col(SOURCE_FILE)), "_ingested_at": F.current_timestamp(), "_run_id": F.lit(run_id)}
        )

    return apply


# One builder per source format: a new kind of source is a new builder registered here.
AssetBuilder = Callable[[SourceConfig, DatasetConfig, Calendar], AssetsDefinition]
BUILDERS: dict[str, AssetBuilder] = {
    "csv": _file_source_asset,
    "json": _file_source_asset,
    "stream": build_stream_asset,
}


def build_ingestion_assets(dataset: DatasetConfig, calendar: Calendar) -> list[AssetsDefinition]:
    assets = []
    for source in load_sources(dataset.name).values():
        if source.format not in BUILDERS:
            raise ValueError(f"Source {source.name!r}: no asset builder for format {source.format!r}")
        assets.append(BUILDERS[source.format](source, dataset, calendar))
    return assets
