"""Delta table maintenance as pure functions over a SparkSession and a TableRef (the job wires them).

* `optimize_table`: OPTIMIZE … ZORDER BY, optionally only over recent partitions.
* `vacuum_table`: VACUUM with the environment's retention. Delta 4 ignores `RETAIN n HOURS` (unless 0)
  and uses the table property `delta.deletedFileRetentionDuration`, so the retention is written to that
  property (only when it differs) and also passed as RETAIN, which Databricks honours and checks against
  the property. Delta's retention check is never disabled.
* `expire_quarantine`: DELETE quarantined rows older than a cut-off day.

Every function returns a JSON-serialisable report; a table that does not exist yet (a fresh
environment) is reported as skipped, not created and not an error.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql.types import DateType, TimestampNTZType, TimestampType

from lakehouse.config.operations import MIN_VACUUM_RETENTION_HOURS, OptimizeTarget
from lakehouse.resources.catalog import TableRef, quote
from lakehouse.resources.delta_write import read_table, table_exists

RETENTION_PROPERTY = "delta.deletedFileRetentionDuration"
# Files listed in a report (the count is always complete).
MAX_LISTED_FILES = 50
_INTERVAL = re.compile(r"^\s*interval\s+(\d+)\s+(hour|hours|day|days|week|weeks)\s*$", re.IGNORECASE)
_HOURS_PER_UNIT = {"hour": 1, "day": 24, "week": 168}


def sql_name(ref: TableRef) -> str:
    """The table in Delta SQL: by path in the path catalog (no registration needed), else by name."""
    if ref.location is None:
        return ref.quoted_name
    if "`" in ref.location:
        raise ValueError(f"Table location {ref.location!r} contains a back-quote")
    return f"delta.`{ref.location}`"


def _delta_table(spark: SparkSession, ref: TableRef) -> Any:
    from delta.tables import DeltaTable

    return DeltaTable.forName(spark, ref.name) if ref.location is None else DeltaTable.forPath(spark, ref.location)


def _skipped(ref: TableRef) -> dict[str, Any]:
    return {"table": ref.name, "status": "skipped", "reason": "table does not exist"}


def optimize_table(spark: SparkSession, ref: TableRef, target: OptimizeTarget, as_of: date) -> dict[str, Any]:
    """Compact and Z-order. Not destructive (replaced files stay for time travel until VACUUM)."""
    if not table_exists(spark, ref):
        return _skipped(ref)
    table = _delta_table(spark, ref)
    builder = table.optimize()
    predicate = None
    if target.recent_days is not None and target.partition_column is not None:
        partition_columns = list(table.detail().first()["partitionColumns"])
        if target.partition_column not in partition_columns:
            # OPTIMIZE … WHERE only accepts partition columns: a wrong config must fail loudly.
            raise ValueError(
                f"{ref.name}: {target.partition_column!r} is not a partition column ({partition_columns}); "
                "fix partition_column in maintenance.yaml"
            )
        since = as_of - timedelta(days=target.recent_days)
        predicate = f"{quote(target.partition_column)} >= DATE'{since.isoformat()}'"
        builder = builder.where(predicate)
    metrics = builder.executeZOrderBy(*target.zorder_by).first()["metrics"]
    return {
        "table": ref.name,
        "status": "done",
        "zorder_by": list(target.zorder_by),
        "predicate": predicate,
        "files_added": int(metrics["numFilesAdded"]),
        "files_removed": int(metrics["numFilesRemoved"]),
        "partitions_optimized": int(metrics["partitionsOptimized"]),
    }


def retention_hours_of(value: str | None) -> int | None:
    """Hours of a Delta interval property ('interval 7 days'); None when unset or not understood."""
    match = _INTERVAL.match(value or "")
    if not match:
        return None
    unit = match.group(2).lower().rstrip("s")
    return int(match.group(1)) * _HOURS_PER_UNIT[unit]


def vacuum_table(spark: SparkSession, ref: TableRef, retention_hours: int, dry_run: bool) -> dict[str, Any]:
    if retention_hours < MIN_VACUUM_RETENTION_HOURS:
        raise ValueError(f"VACUUM retention {retention_hours} h is below the {MIN_VACUUM_RETENTION_HOURS} h minimum")
    if not table_exists(spark, ref):
        return _skipped(ref)
    name = sql_name(ref)
    properties = dict(_delta_table(spark, ref).detail().first()["properties"] or {})
    current = properties.get(RETENTION_PROPERTY)
    wanted = f"interval {retention_hours} hours"
    change = retention_hours_of(current) != retention_hours
    if change and not dry_run:
        # A metadata commit, made only when the environment's retention changes (it would make a
        # concurrent writer of this table retry).
        spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ('{RETENTION_PROPERTY}' = '{wanted}')")
    # The dry run lists with the retention the table has now; a pending change is reported with it.
    files = [row["path"] for row in spark.sql(f"VACUUM {name} RETAIN {retention_hours} HOURS DRY RUN").collect()]
    report: dict[str, Any] = {
        "table": ref.name,
        "status": "dry_run" if dry_run else "done",
        "retention_hours": retention_hours,
        "retention_property_before": current,
        "retention_property_change": wanted if change else None,
        "files_deletable" if dry_run else "files_deleted": len(files),
        "files": files[:MAX_LISTED_FILES],
    }
    if not dry_run and files:
        spark.sql(f"VACUUM {name} RETAIN {retention_hours} HOURS").collect()
    return report


def _cutoff_literal(data_type: Any, cutoff: date, where: str) -> str:
    if isinstance(data_type, DateType):
        return f"DATE'{cutoff.isoformat()}'"
    if isinstance(data_type, (TimestampType, TimestampNTZType)):
        return f"TIMESTAMP'{cutoff.isoformat()} 00:00:00'"
    raise ValueError(f"{where} must be a date or timestamp column, not {data_type.simpleString()}")


def expire_quarantine(
    spark: SparkSession, ref: TableRef, age_column: str, cutoff: date, dry_run: bool
) -> dict[str, Any]:
    """Delete rows dated before `cutoff` (for landing_date, whole partitions: a metadata-only delete)."""
    if not table_exists(spark, ref):
        return _skipped(ref)
    df = read_table(spark, ref)
    if age_column not in df.columns:
        raise ValueError(f"{ref.name}: age column {age_column!r} is not in {df.columns}")
    literal = _cutoff_literal(df.schema[age_column].dataType, cutoff, f"{ref.name}.{age_column}")
    predicate = f"{quote(age_column)} < {literal}"
    expired = df.where(predicate).count()
    report: dict[str, Any] = {
        "table": ref.name,
        "status": "dry_run" if dry_run else "done",
        "cutoff": cutoff.isoformat(),
        "predicate": predicate,
        "rows_expired": expired,
        "rows_kept": df.count() - expired,
    }
    if not dry_run and expired:
        table = _delta_table(spark, ref)
        table.delete(predicate)
        metrics = table.history(1).first()["operationMetrics"] or {}
        # As Delta reports them (a metadata-only delete of whole partitions may omit the row count).
        report["delete_metrics"] = {k: metrics[k] for k in ("numDeletedRows", "numRemovedFiles") if k in metrics}
    return report
