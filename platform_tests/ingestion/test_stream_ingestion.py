"""Streaming source (chargebacks): availableNow runs read each new file exactly once, bad rows quarantined."""

from delta.tables import DeltaTable
from pyspark.sql import functions as F

from platform_tests.ingestion.stream_helpers import StreamCase, event


def test_first_run_ingests_everything_and_a_second_run_nothing(spark, spark_resource, resources, instance, data_root):
    case = StreamCase(data_root)
    case.write("2026-01-05", 1, [
        event("cb-1", "2026-01-05T08:00:00Z"), event("cb-2", "2026-01-05T23:59:59Z", "dispute")
    ])
    case.write("2026-01-06", 1, [event("cb-3", "2026-01-06T00:00:00Z", "other")])

    first = case.run(resources, instance)
    meta = first["table"]
    assert (meta["rows_read"], meta["rows_loaded"], meta["rows_quarantined"]) == (3, 3, 0)
    assert meta["dagster/row_count"] == 3 and meta["batches_processed"] == 1
    assert meta["reported_dates"] == ["2026-01-05", "2026-01-06"]
    assert meta["dagster/table_name"] == case.table and meta["location"].endswith(case.table.replace(".", "/"))
    schema = {c.name: c for c in meta["dagster/column_schema"].columns}
    assert schema["reported_at"].type == "timestamp" and schema["reported_at"].description
    assert schema["reported_date"].type == "date"
    assert first["quarantine"]["dagster/row_count"] == 0

    # Queryable by name, typed, partitioned physically by the UTC report day.
    rows = {r["chargeback_id"]: r for r in spark.table(case.table).collect()}
    assert rows["cb-2"]["reported_date"].isoformat() == "2026-01-05"  # 23:59:59Z stays on its UTC day
    assert rows["cb-3"]["reported_date"].isoformat() == "2026-01-06"
    assert {r["_run_id"] for r in rows.values()} == {first["run_id"]}
    assert all(r["_source_file"].endswith(".json") and r["_ingested_at"] for r in rows.values())
    location = spark_resource.table(*case.table.split(".")).location
    assert DeltaTable.forPath(spark, location).detail().first()["partitionColumns"] == ["reported_date"]

    second = case.run(resources, instance)["table"]
    assert (second["rows_read"], second["rows_loaded"], second["batches_processed"]) == (0, 0, 0)
    assert second["dagster/row_count"] == 3 and second["delta_version"] == meta["delta_version"]


def test_new_files_in_new_and_old_day_folders_are_read_exactly_once(spark, resources, instance, data_root):
    case = StreamCase(data_root)
    case.write("2026-01-05", 1, [event("cb-1", "2026-01-05T08:00:00Z")])
    first = case.run(resources, instance)["table"]
    assert first["batch_ids"] == [0]

    case.write("2026-01-07", 1, [event("cb-2", "2026-01-07T09:00:00Z")])  # a new day folder
    case.write("2026-01-05", 2, [event("cb-3", "2026-01-05T20:00:00Z")])  # a late file in an old day folder
    second = case.run(resources, instance)["table"]
    # A new query restarted from the checkpoint: same query id, the next batch id, only the new files.
    assert second["query_id"] == first["query_id"] and second["batch_ids"] == [1]
    assert (second["rows_read"], second["rows_loaded"]) == (2, 2)
    assert second["reported_dates"] == ["2026-01-05", "2026-01-07"]

    third = case.run(resources, instance)["table"]
    assert third["rows_read"] == 0
    ids = [r["chargeback_id"] for r in spark.table(case.table).collect()]
    assert sorted(ids) == ["cb-1", "cb-2", "cb-3"]


def test_invalid_rows_are_quarantined_with_reasons_and_counts_add_up(spark, resources, instance, data_root):
    case = StreamCase(data_root)
    case.write("2026-01-05", 1, [
        event("cb-1", "2026-01-05T08:00:00Z"),
        "{not json",
        event("cb-2", "2026-01-05T08:00:00Z", reason="goodwill"),  # not an allowed reason
        event("cb-3", "yesterday"),  # not a timestamp
        event("", "2026-01-05T08:00:00Z"),  # required key missing
        event("cb-1", "2026-01-05T09:00:00Z"),  # the same key twice in one batch
    ])
    meta = case.run(resources, instance)
    table, quarantine = meta["table"], meta["quarantine"]
    assert (table["rows_read"], table["rows_loaded"], table["rows_quarantined"]) == (6, 1, 5)
    assert table["rows_read"] == table["rows_loaded"] + table["rows_quarantined"]
    assert quarantine["dagster/row_count"] == 5
    rows = spark.table(case.quarantine).collect()
    reasons = sorted(r["reason"] for r in rows)
    assert reasons[0].startswith("chargeback_id: required value missing")
    assert any(r.startswith("duplicate key ['chargeback_id']: first kept from ") for r in reasons)
    assert "malformed record" in reasons
    assert any(r.startswith("reason: not one of ['fraud', 'dispute', 'other']") for r in reasons)
    assert any(r.startswith("reported_at: not a timestamp: yesterday") for r in reasons)
    assert all(r["_source_file"].endswith("chargebacks_2026-01-05_01.json") and r["raw_record"] for r in rows)
    assert {r["raw_record"] for r in rows} >= {"{not json"}

    # A key already loaded from another file in an earlier batch is not overwritten: quarantined.
    case.write("2026-01-06", 1, [
        event("cb-1", "2026-01-06T10:00:00Z", "dispute"), event("cb-9", "2026-01-06T10:00:00Z")
    ])
    second = case.run(resources, instance)["table"]
    assert (second["rows_read"], second["rows_loaded"], second["rows_quarantined"]) == (2, 1, 1)
    kept = spark.table(case.table).where(F.col("chargeback_id") == "cb-1").collect()
    assert len(kept) == 1 and kept[0]["reason"] == "fraud"
    dup = spark.table(case.quarantine).where(F.col("reason").contains("already loaded from")).collect()
    assert len(dup) == 1 and dup[0]["reason"].endswith("chargebacks_2026-01-05_01.json")
