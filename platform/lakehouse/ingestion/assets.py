"""Bronze assets, one per configured source, made by one factory.

File sources (csv / json): a bronze partition is one landing day's folder. Every materialisation
rebuilds the partition from all files of its day and overwrites exactly that partition (with its
quarantine partition), so each file is in the table exactly once however often a day is re-run or
re-landed. `incremental` rebuilds only the requested days (the landing sensor requests the days that
received files); `full` rebuilds every landed day. Late events stay in the partition of the day they
landed; their `event_date` tells silver which day they belong to.
"""

# No `from __future__ import annotations`: Dagster resolves the per-source config class annotation.

from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetOut, AssetsDefinition, Config, Output, multi_asset
from pydantic import Field, create_model
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.profile import resolve_data_root
from lakehouse.config.sources import SourceConfig, load_sources
from lakehouse.ingestion.files import SOURCE_FILE, list_files, read_raw, split_valid
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
    outs = {
        "table": AssetOut(
            key=["bronze", source.name],
            description=f"{source.description} Typed rows that passed the `{contract.name}` contract.",
            metadata={**common, "column_descriptions": contract.descriptions()},
            owners=owners,
            kinds={"spark", "delta"},
        ),
        "quarantine": AssetOut(
            key=["bronze", f"{source.name}_quarantine"],
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
    )
    def _ingest(context: AssetExecutionContext, config: config_class, spark: SparkResource):  # type: ignore[valid-type]
        if config.ingest_mode not in ("full", "incremental"):
            raise ValueError(f"Source {source.name!r}: unknown ingest_mode {config.ingest_mode!r}; expected full or incremental")
        root = resolve_data_root(spark.data_root) / config.data_source
        days = None if config.ingest_mode == "full" else context.partition_keys
        files = list_files(landed_days(root, days, source), source.format)
        raw = read_raw(spark.spark_session, source.format, files, contract)
        split = split_valid(raw, contract)
        stamp = _stamp(context.run.run_id, part)
        table, quarantine = stamp(split.loaded), stamp(split.quarantined.withColumnRenamed("source_file", SOURCE_FILE))
        table = table.withColumn("event_date", F.to_date("event_time"))
        meta = {"write_mode": "overwrite", "files_read": len(files)}
        if config.ingest_mode == "full":
            meta["full_refresh"] = True
        if config.target_table != source.target_table:
            meta["table"] = config.target_table
        yield Output(table, output_name="table", metadata=meta)
        yield Output(quarantine, output_name="quarantine", metadata={"write_mode": "overwrite", **({"full_refresh": True} if config.ingest_mode == "full" else {})})

    return _ingest


def _stamp(run_id: str, partition_column: str):
    def apply(df: DataFrame) -> DataFrame:
        day = F.regexp_extract(F.col(SOURCE_FILE), r"/(\d{4}-\d{2}-\d{2})/[^/]*$", 1)
        return df.withColumns(
            {partition_column: F.to_date(day), "_ingested_at": F.current_timestamp(), "_run_id": F.lit(run_id)}
        )

    return apply


def build_ingestion_assets(dataset: DatasetConfig, calendar: Calendar) -> list[AssetsDefinition]:
    assets = []
    for source in load_sources(dataset.name).values():
        if source.format in ("csv", "json"):
            assets.append(_file_source_asset(source, dataset, calendar))
    return assets
