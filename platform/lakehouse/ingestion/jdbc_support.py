"""Dagster-side helpers shared by the two JDBC asset shapes (snapshot and CDC) in jdbc_assets.py."""

# No `from __future__ import annotations`: the run config class is built for Dagster to inspect.

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dagster import AssetExecutionContext, Config, FreshnessPolicy
from pydantic import Field, create_model
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.identifiers import split_table_name
from lakehouse.config.sources import SourceConfig
from lakehouse.ingestion.jdbc_cdc import Stamp
from lakehouse.ingestion.jdbc_read import JdbcRead
from lakehouse.resources.catalog import TableRef
from lakehouse.resources.jdbc import JdbcConnection

# Covers the demo's out-of-order updates (written up to ~3 days late) and slow source transactions.
CDC_LOOKBACK_HOURS = 72
KINDS = {"jdbc", "spark", "delta"}


if TYPE_CHECKING:
    from lakehouse.ingestion.assets import IngestionRunConfig

    class CdcRunConfig(IngestionRunConfig):
        """For type checkers only: a CDC source's run config also has the look-back (jdbc_run_config_class)."""

        cdc_lookback_hours: int


def jdbc_run_config_class(source: SourceConfig) -> type[Config]:
    """The seed's parameters (run_config_class) with JDBC meanings and defaults."""
    # Imported here: ingestion/assets.py imports jdbc_assets to register the builder.
    from lakehouse.ingestion.assets import run_config_class

    fields: dict[str, Any] = {
        "data_source": (
            str,
            Field(default=source.table, description=f"Table (or schema.table) on connection `{source.connection}`."),
        ),
    }
    if source.cdc_column:
        fields["cdc_lookback_hours"] = (
            int,
            Field(default=CDC_LOOKBACK_HOURS, ge=0, description="Re-read changes this far below the high-water mark."),
        )
    return create_model(f"{source.name}_jdbc_ingestion_config", __base__=run_config_class(source), **fields)


def start_run(context: AssetExecutionContext, source: SourceConfig, mode: str) -> tuple[Any, JdbcConnection, str]:
    """Validate the run before touching any database. Returns the Spark resource, the connection, the day."""
    allowed = ("full", "incremental") if source.cdc_column else ("full",)
    if mode not in allowed:
        hint = "" if source.cdc_column else " (no cdc_column configured: this source is reloaded in full)"
        raise ValueError(f"Source {source.name!r}: unknown ingest_mode {mode!r}; expected one of {list(allowed)}{hint}")
    days = context.partition_keys
    if len(days) != 1:
        raise ValueError(
            f"Source {source.name!r}: a JDBC run reads the database as it is now, so it materialises one day, "
            f"not {len(days)}; backfill with one run per partition"
        )
    return context.resources.spark, getattr(context.resources, source.connection or ""), days[0]


def stamp_for(context: AssetExecutionContext, day: str, partition_column: str) -> Stamp:
    """Landing day, load time and run id; one load time for every table the run writes."""
    run_id, started = context.run.run_id, datetime.now(UTC)

    def apply(df: DataFrame) -> DataFrame:
        stamps = {partition_column: F.to_date(F.lit(day)), "_ingested_at": F.lit(started), "_run_id": F.lit(run_id)}
        return df.withColumns(stamps)

    return apply


def target_ref(spark_resource: Any, source: SourceConfig, target_table: str, suffix: str = "") -> TableRef:
    schema, table = split_table_name(target_table, f"target_table of source {source.name!r}")
    return spark_resource.table(schema, table + suffix)


def day_rows(df: DataFrame, column: str, day: str) -> DataFrame:
    return df.where(F.col(column) == F.to_date(F.lit(day)))


def read_metadata(read: JdbcRead) -> dict[str, Any]:
    """What was asked of the database (the pushed-down query holds no credentials)."""
    return {"rows_read": read.rows, "pushed_query": read.plan.query(), "read_partitions": read.partitions}


def asset_common(source: SourceConfig, dataset: DatasetConfig) -> dict[str, Any]:
    return {"owners": source.owners or [dataset.owner], "kinds": KINDS}


def freshness(source: SourceConfig) -> FreshnessPolicy:
    return FreshnessPolicy.time_window(fail_window=timedelta(hours=source.freshness_hours))
