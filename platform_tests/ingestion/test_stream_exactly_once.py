"""Exactly once across crashes and rebuilds: replayed micro-batches and `full` runs add no duplicates."""

import shutil

import pytest
from delta.tables import DeltaTable

from platform_tests.ingestion.stream_helpers import StreamCase, event


def _history(spark, spark_resource, table: str) -> list[str]:
    location = spark_resource.table(*table.split(".")).location
    return [r["operation"] for r in DeltaTable.forPath(spark, location).history().orderBy("version").collect()]


def test_a_batch_replayed_after_a_crash_before_the_checkpoint_commit_adds_nothing(
    spark, spark_resource, resources, instance, data_root
):
    case = StreamCase(data_root)
    case.write("2026-01-05", 1, [event("cb-1", "2026-01-05T08:00:00Z"), "{broken"])
    first = case.run(resources, instance)
    assert case.crash_before_checkpoint_commit() == 0

    # Batch 0 (the rebuild batch) again: Delta skips the already-committed (query id, batch 0) writes.
    replay = case.run(resources, instance)["table"]
    assert replay["batch_ids"] == [0] and replay["rows_read"] == 2
    assert (replay["rows_loaded"], replay["rows_quarantined"], replay["rows_already_committed"]) == (0, 0, 2)
    assert replay["delta_version"] == first["table"]["delta_version"]
    assert {r["_run_id"] for r in spark.table(case.table).collect()} == {first["run_id"]}

    # A merge batch with valid and invalid rows, replayed after the same kind of crash.
    case.write("2026-01-06", 1, [
        event("cb-2", "2026-01-06T08:00:00Z"), event("cb-3", "2026-01-06T09:00:00Z", "other"), "{also broken"
    ])
    second = case.run(resources, instance)["table"]
    assert (second["batch_ids"], second["rows_loaded"], second["rows_quarantined"]) == ([1], 2, 1)
    versions = (second["delta_version"], len(_history(spark, spark_resource, case.quarantine)))
    assert case.crash_before_checkpoint_commit() == 1
    replay = case.run(resources, instance)["table"]
    assert (replay["batch_ids"], replay["rows_read"], replay["rows_already_committed"]) == ([1], 3, 3)
    assert (replay["delta_version"], len(_history(spark, spark_resource, case.quarantine))) == versions
    assert sorted(r["chargeback_id"] for r in spark.table(case.table).collect()) == ["cb-1", "cb-2", "cb-3"]
    assert spark.table(case.quarantine).count() == 2

    # The checkpoint is whole again: the next run starts a new batch and reads nothing old.
    case.write("2026-01-07", 1, [event("cb-4", "2026-01-07T08:00:00Z")])
    after = case.run(resources, instance)["table"]
    assert (after["batch_ids"], after["rows_read"], after["dagster/row_count"]) == ([2], 1, 4)


def test_full_rebuilds_both_tables_from_all_files_in_one_overwrite(
    spark, spark_resource, resources, instance, data_root
):
    case = StreamCase(data_root)
    kept = case.write("2026-01-05", 1, [event("cb-1", "2026-01-05T08:00:00Z"), "{broken"])
    case.write("2026-01-06", 1, [event("cb-2", "2026-01-06T08:00:00Z")])
    first = case.run(resources, instance)["table"]
    case.write("2026-01-07", 1, [event("cb-3", "2026-01-07T08:00:00Z")])
    case.run(resources, instance)
    (case.folder / "2026-01-06").joinpath("chargebacks_2026-01-06_01.json").unlink()  # withdrawn upstream
    before = len(_history(spark, spark_resource, case.table))

    full = case.run(resources, instance, ingest_mode="full")
    table = full["table"]
    assert table["query_id"] != first["query_id"] and table["batch_ids"] == [0]  # a new checkpoint
    assert (table["rows_read"], table["rows_loaded"], table["rows_quarantined"]) == (3, 2, 1)
    assert sorted(r["chargeback_id"] for r in spark.table(case.table).collect()) == ["cb-1", "cb-3"]
    assert {r["_run_id"] for r in spark.table(case.table).collect()} == {full["run_id"]}
    assert spark.table(case.quarantine).count() == 1 and full["quarantine"]["dagster/row_count"] == 1
    history = _history(spark, spark_resource, case.table)
    assert len(history) == before + 1 and history[-1] == "WRITE"  # one atomic overwrite commit

    assert case.run(resources, instance)["table"]["rows_read"] == 0  # incremental again, nothing new
    assert kept.exists()

    # A rebuild of an emptied stream folder leaves empty tables (not the old rows).
    shutil.rmtree(case.folder)
    case.folder.mkdir()
    empty = case.run(resources, instance, ingest_mode="full")
    assert empty["table"]["dagster/row_count"] == 0 and empty["quarantine"]["dagster/row_count"] == 0
    assert spark.table(case.table).count() == 0


def test_a_batch_that_failed_between_its_two_delta_commits_is_completed_once(
    spark, resources, instance, data_root, monkeypatch
):
    from lakehouse.ingestion.stream_batch import BatchWriter

    case = StreamCase(data_root)
    case.write("2026-01-05", 1, [event("cb-1", "2026-01-05T08:00:00Z")])
    case.run(resources, instance)
    case.write("2026-01-06", 1, [event("cb-2", "2026-01-06T08:00:00Z"), "{broken"])

    def crash(self, spark, rows):  # the quarantine append is committed, the MERGE never runs
        raise RuntimeError("simulated crash before the MERGE")

    with monkeypatch.context() as patch:
        patch.setattr(BatchWriter, "_merge", crash)
        with pytest.raises(Exception, match="simulated crash"):
            case.run(resources, instance)
    assert spark.table(case.quarantine).count() == 1  # committed before the crash

    retry = case.run(resources, instance)["table"]
    assert (retry["batch_ids"], retry["rows_read"], retry["rows_loaded"]) == ([1], 2, 1)
    assert retry["rows_quarantined"] == 0 and retry["rows_already_committed"] == 1  # the skipped append
    assert spark.table(case.quarantine).count() == 1
    assert sorted(r["chargeback_id"] for r in spark.table(case.table).collect()) == ["cb-1", "cb-2"]
