"""Delta maintenance on real (tiny) Delta tables in the test warehouse, schema `opstest`."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from delta.tables import DeltaTable
from pydantic import ValidationError
from pyspark.sql import functions as F

from lakehouse.config.operations import MaintenanceSettings, OptimizeTarget
from lakehouse.operations.maintenance import RETENTION_PROPERTY, expire_quarantine, optimize_table, vacuum_table
from lakehouse.resources.catalog import TableRef

SCHEMA = "opstest"
OLD_DAY, RECENT_DAY = date(2025, 6, 1), date(2026, 1, 10)


def _ref(spark_resource, prefix: str) -> TableRef:
    return spark_resource.table(SCHEMA, f"{prefix}_{uuid4().hex[:8]}")


def _files(spark, ref: TableRef, where: str | None = None) -> set[str]:
    df = spark.read.format("delta").load(ref.location)
    df = df.where(where) if where else df
    return {r[0] for r in df.select(F.input_file_name()).distinct().collect()}


def _version(spark, ref: TableRef) -> int:
    return int(DeltaTable.forPath(spark, ref.location).history(1).first()["version"])


@pytest.fixture
def transactions(spark, spark_resource) -> TableRef:
    """Two days, three small files each (three appends), partitioned by event_date."""
    ref = _ref(spark_resource, "transactions")
    for batch in range(3):
        rows = [(f"t{batch}{i}{d.day}", f"c{i % 4}", d) for d in (OLD_DAY, RECENT_DAY) for i in range(4)]
        spark.createDataFrame(rows, "transaction_id string, customer_id string, event_date date") \
            .write.format("delta").mode("append").partitionBy("event_date").save(ref.location)
    return ref


def test_optimize_zorders_only_recent_partitions(spark, transactions: TableRef) -> None:
    old_files = _files(spark, transactions, f"event_date = DATE'{OLD_DAY}'")
    assert len(old_files) == 3 and len(_files(spark, transactions, f"event_date = DATE'{RECENT_DAY}'")) == 3
    target = OptimizeTarget(
        asset=f"{SCHEMA}/x", zorder_by=["customer_id"], partition_column="event_date", recent_days=7
    )

    report = optimize_table(spark, transactions, target, as_of=date(2026, 1, 12))

    last = DeltaTable.forPath(spark, transactions.location).history(1).first()
    assert last["operation"] == "OPTIMIZE"
    assert last["operationParameters"]["zOrderBy"] == '["customer_id"]'
    assert "event_date" in last["operationParameters"]["predicate"]
    assert report["files_removed"] == 3 and report["files_added"] == 1 and report["partitions_optimized"] == 1
    assert _files(spark, transactions, f"event_date = DATE'{OLD_DAY}'") == old_files  # history untouched
    assert len(_files(spark, transactions, f"event_date = DATE'{RECENT_DAY}'")) == 1
    assert spark.read.format("delta").load(transactions.location).count() == 24


def test_optimize_refuses_a_non_partition_column(spark, transactions: TableRef) -> None:
    target = OptimizeTarget(
        asset=f"{SCHEMA}/x", zorder_by=["customer_id"], partition_column="customer_id", recent_days=7
    )
    with pytest.raises(ValueError, match="not a partition column"):
        optimize_table(spark, transactions, target, as_of=RECENT_DAY)


def test_vacuum_dry_run_lists_files_and_deletes_nothing_then_vacuum_keeps_the_horizon(
    spark, spark_resource
) -> None:
    ref = _ref(spark_resource, "vacuumed")
    spark.range(6).write.format("delta").save(ref.location)
    spark.range(3).write.format("delta").mode("overwrite").save(ref.location)  # v1 tombstones v0's files
    # An orphan as a crashed writer leaves it: not in the log, last modified 10 days ago.
    data_file = next(Path(ref.location).glob("*.parquet"))
    orphan = Path(ref.location) / "part-00000-orphan-of-a-crashed-job.snappy.parquet"
    shutil.copy(data_file, orphan)
    ten_days_ago = time.time() - 10 * 86400
    os.utime(orphan, (ten_days_ago, ten_days_ago))
    files_before = sorted(p.name for p in Path(ref.location).glob("*.parquet"))
    version_before = _version(spark, ref)

    dry = vacuum_table(spark, ref, retention_hours=200, dry_run=True)

    assert dry["status"] == "dry_run" and dry["files_deletable"] == 1
    assert [Path(f).name for f in dry["files"]] == [orphan.name]
    assert dry["retention_property_change"] == "interval 200 hours"
    assert sorted(p.name for p in Path(ref.location).glob("*.parquet")) == files_before  # nothing deleted
    assert _version(spark, ref) == version_before  # and no property commit

    done = vacuum_table(spark, ref, retention_hours=200, dry_run=False)

    assert done["files_deleted"] == 1 and not orphan.exists()
    properties = DeltaTable.forPath(spark, ref.location).detail().first()["properties"]
    assert properties[RETENTION_PROPERTY] == "interval 200 hours"
    # v0's files were removed minutes ago, inside the horizon: time travel still works.
    assert spark.read.format("delta").option("versionAsOf", 0).load(ref.location).count() == 6
    assert vacuum_table(spark, ref, retention_hours=200, dry_run=True)["retention_property_change"] is None


def test_retention_below_delta_minimum_is_refused(spark, spark_resource) -> None:
    with pytest.raises(ValidationError):
        MaintenanceSettings(vacuum_retention_hours=24)
    with pytest.raises(ValueError, match="below the 168 h minimum"):
        vacuum_table(spark, _ref(spark_resource, "never"), retention_hours=24, dry_run=True)
    # Delta's own safety check is left on.
    assert spark.conf.get("spark.databricks.delta.retentionDurationCheck.enabled", "true") == "true"


def test_quarantine_retention_deletes_only_old_rows(spark, spark_resource) -> None:
    ref = _ref(spark_resource, "src_quarantine")
    rows = [("{bad}", "amount: not a double", d) for d in (OLD_DAY, OLD_DAY, date(2025, 11, 30), RECENT_DAY)]
    spark.createDataFrame(rows, "raw_record string, reason string, landing_date date") \
        .write.format("delta").partitionBy("landing_date").save(ref.location)
    version = _version(spark, ref)

    dry = expire_quarantine(spark, ref, "landing_date", cutoff=date(2025, 12, 1), dry_run=True)
    assert (dry["rows_expired"], dry["rows_kept"]) == (3, 1)
    assert _version(spark, ref) == version and spark.read.format("delta").load(ref.location).count() == 4

    done = expire_quarantine(spark, ref, "landing_date", cutoff=date(2025, 12, 1), dry_run=False)
    left = [r["landing_date"] for r in spark.read.format("delta").load(ref.location).collect()]
    assert left == [RECENT_DAY] and done["status"] == "done"
    assert DeltaTable.forPath(spark, ref.location).history(1).first()["operation"] == "DELETE"


def test_quarantine_retention_on_a_timestamp_column(spark, spark_resource) -> None:
    ref = _ref(spark_resource, "stream_quarantine")
    stamps = [datetime(2025, 1, 1, 12), datetime(2026, 1, 9, 23, 59)]
    schema = "raw_record string, reason string, _ingested_at timestamp"
    spark.createDataFrame([("x", "malformed", s) for s in stamps], schema).write.format("delta").save(ref.location)
    expire_quarantine(spark, ref, "_ingested_at", cutoff=date(2026, 1, 1), dry_run=False)
    assert [r["_ingested_at"] for r in spark.read.format("delta").load(ref.location).collect()] == [stamps[1]]
    with pytest.raises(ValueError, match="must be a date or timestamp"):
        expire_quarantine(spark, ref, "reason", cutoff=date(2026, 1, 1), dry_run=True)


def test_missing_tables_are_reported_as_skipped(spark, spark_resource) -> None:
    ref = _ref(spark_resource, "not_yet")
    target = OptimizeTarget(asset=f"{SCHEMA}/x", zorder_by=["id"])
    for report in (
        optimize_table(spark, ref, target, RECENT_DAY),
        vacuum_table(spark, ref, 168, dry_run=False),
        expire_quarantine(spark, ref, "landing_date", RECENT_DAY, dry_run=False),
    ):
        assert report == {"table": ref.name, "status": "skipped", "reason": "table does not exist"}
    assert not Path(ref.location).exists()
