"""Dagster-side helpers shared by the two JDBC asset shapes (snapshot and CDC) in jdbc_assets.py."""

from datetime import UTC, datetime, timedelta
from typing import Any

from dagster import AssetExecutionContext, AssetKey, FreshnessPolicy
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.identifiers import side_key
from lakehouse.config.sources import SourceConfig
from lakehouse.ingestion.jdbc_cdc import Stamp
from lakehouse.ingestion.jdbc_read import JdbcRead
from lakehouse.resources.catalog import TableRef
from lakehouse.resources.jdbc import JdbcConnection

KINDS = {"jdbc", "spark", "delta"}


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


def target_ref(spark_resource: Any, table_key: AssetKey, suffix: str = "") -> TableRef:
    """The source's bronze table (its asset key), or with `suffix` a side table named from that key
    (config/identifiers.py)."""
    return spark_resource.table_for(side_key(table_key.path, suffix) if suffix else table_key.path)


def day_rows(df: DataFrame, column: str, day: str) -> DataFrame:
    return df.where(F.col(column) == F.to_date(F.lit(day)))


def read_metadata(read: JdbcRead) -> dict[str, Any]:
    """What was asked of the database (the pushed-down query holds no credentials)."""
    return {"rows_read": read.rows, "pushed_query": read.plan.query(), "read_partitions": read.partitions}


def asset_common(source: SourceConfig, dataset: DatasetConfig) -> dict[str, Any]:
    return {"owners": source.owners or [dataset.owner], "kinds": KINDS}


def freshness(source: SourceConfig) -> FreshnessPolicy:
    return FreshnessPolicy.time_window(fail_window=timedelta(hours=source.freshness_hours))
