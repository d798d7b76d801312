"""The Delta IO manager through real Dagster materialisations on real Spark + Delta.

Every table is also read back with `deltalake` (delta-rs), an independent Delta reader.
"""

import uuid
from datetime import date, timedelta

import pytest
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetRecordsFilter,
    BackfillPolicy,
    Config,
    DailyPartitionsDefinition,
    Output,
    asset,
    materialize,
)
from deltalake import DeltaTable as RsDeltaTable
from pyspark.sql import functions as F

from lakehouse.resources.catalog import TableRef
from lakehouse.resources.delta_write import read_table
from lakehouse.resources.spark import SparkResource

DAILY = DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")


class Rows(Config):
    ids: list[int]
    ids_by_day: dict[str, list[int]] = {}  # a day's own ids, instead of `ids`
    value: str = "v1"
    extra_column: bool = False
    amount_as_string: bool = False
    write_mode: str | None = None


def make_asset(name: str, **metadata):
    """A daily asset whose rows (ids, value) come from run config, stamped with the partition day."""

    @asset(
        key=["card_fraud", "testing", name],  # [<dataset>, <schema>, <table>]: the table testing.<name>
        partitions_def=DAILY,
        metadata={"partition_expr": "event_date", **metadata},
        backfill_policy=BackfillPolicy.single_run(),
    )
    def _asset(context: AssetExecutionContext, config: Rows, spark: SparkResource):
        session = spark.spark_session
        days = [date.fromisoformat(k) for k in context.partition_keys]
        rows = [(i, config.value, d) for d in days for i in config.ids_by_day.get(d.isoformat(), config.ids)]
        df = session.createDataFrame(rows, "id INT, value STRING, event_date DATE")
        amount = F.lit("12.5") if config.amount_as_string else F.lit(12.5)
        df = df.withColumn("amount", amount)
        if config.extra_column:
            df = df.withColumn("new_col", F.lit(1))
        meta = {"write_mode": config.write_mode} if config.write_mode else {}
        return Output(df, metadata=meta)

    return _asset


def run(asset_def, resources, instance, partition: str | None = None, tags=None, **config):
    return materialize(
        [asset_def],
        resources=resources,
        instance=instance,
        partition_key=partition,
        tags=tags,
        run_config={"ops": {asset_def.op.name: {"config": config}}},
    )


# These tests also run over tables by name in a shared Hive metastore (LAKEHOUSE_TEST_CATALOG=metastore,
# platform_tests/metastore): the helpers read a table through its TableRef, whichever catalog it is in.


def day_counts(spark, ref: TableRef) -> dict[str, int]:
    rows = read_table(spark, ref).groupBy("event_date").count().collect()
    return {r["event_date"].isoformat(): r["count"] for r in rows}


def folder(spark, ref: TableRef) -> str:
    """The table's folder: its location, or where the metastore keeps it (DESCRIBE DETAIL)."""
    if ref.location:
        return ref.location
    return str(spark.sql(f"DESCRIBE DETAIL {ref.quoted_name}").first()["location"]).removeprefix("file:")


def rs_rows(spark, ref: TableRef) -> list[tuple]:
    frame = RsDeltaTable(folder(spark, ref)).to_pandas()  # an independent Delta reader, by the folder
    return sorted((int(r.id), r.value, r.event_date.isoformat()[:10]) for r in frame.itertuples())


def spark_rows(spark, ref: TableRef) -> list[tuple]:
    rows = read_table(spark, ref).collect()
    return sorted((r["id"], r["value"], r["event_date"].isoformat()) for r in rows)


@pytest.fixture
def name() -> str:
    return f"t_{uuid.uuid4().hex[:8]}"


def test_partition_rewrite_leaves_other_partitions_intact(spark, resources, instance, spark_resource, name):
    events = make_asset(name)
    ref = spark_resource.table("testing", name)
    run(events, resources, instance, "2026-01-01", ids=[1, 2, 3])
    run(events, resources, instance, "2026-01-02", ids=[1, 2, 3, 4])
    assert day_counts(spark, ref) == {"2026-01-01": 3, "2026-01-02": 4}

    result = run(events, resources, instance, "2026-01-01", ids=[7], value="v2")
    assert day_counts(spark, ref) == {"2026-01-01": 1, "2026-01-02": 4}
    day2 = read_table(spark, ref).where("event_date = DATE'2026-01-02'")
    assert {r["value"] for r in day2.collect()} == {"v1"}
    assert rs_rows(spark, ref) == spark_rows(spark, ref)

    meta = result.asset_materializations_for_node(events.op.name)[0].metadata
    assert meta["dagster/row_count"].value == 1
    assert meta["dagster/table_name"].value == f"testing.{name}"
    assert meta["delta_version"].value == 2
    assert [c.name for c in meta["dagster/column_schema"].value.columns] == ["id", "value", "event_date", "amount"]
    assert "2026-01-01" in meta["partition_window"].value
    assert "rows_in_run_range" not in meta and "partition_range" not in meta


def test_rerun_is_idempotent(spark, resources, instance, spark_resource, name):
    events = make_asset(name)
    ref = spark_resource.table("testing", name)
    for _ in range(2):
        run(events, resources, instance, "2026-01-05", ids=[1, 2])
    assert day_counts(spark, ref) == {"2026-01-05": 2}
    assert rs_rows(spark, ref) == spark_rows(spark, ref)


def test_single_run_range_writes_every_day_of_the_range(spark, resources, instance, spark_resource, name):
    events = make_asset(name)
    ref = spark_resource.table("testing", name)
    run(events, resources, instance, "2026-01-10", ids=[1])  # outside the range: must survive
    tags = {"dagster/asset_partition_range_start": "2026-01-01", "dagster/asset_partition_range_end": "2026-01-07"}
    run(events, resources, instance, None, tags=tags, ids=[1, 2])
    expected = {(date(2026, 1, 1) + timedelta(days=i)).isoformat(): 2 for i in range(7)}
    assert day_counts(spark, ref) == {**expected, "2026-01-10": 1}
    assert rs_rows(spark, ref) == spark_rows(spark, ref)


@pytest.mark.parametrize("second_write", ["overwrite", "append"])
def test_range_run_gives_each_partition_its_own_row_count(resources, instance, name, second_write):
    events = make_asset(name)
    tags = {"dagster/asset_partition_range_start": "2026-01-01", "dagster/asset_partition_range_end": "2026-01-03"}
    run(events, resources, instance, None, tags=tags, ids=[], ids_by_day={"2026-01-01": [1, 2, 3], "2026-01-03": [4]})
    # The same range again, one more row on day 1: counts are the rows now in each partition in both modes.
    expected = {"2026-01-01": 4, "2026-01-02": 0, "2026-01-03": 1} if second_write == "overwrite" else \
        {"2026-01-01": 7, "2026-01-02": 0, "2026-01-03": 2}
    run(events, resources, instance, None, tags=tags, ids=[], write_mode=second_write,
        ids_by_day={"2026-01-01": [1, 2, 3, 5], "2026-01-03": [4]})
    total = sum(expected.values())
    for day, rows in expected.items():  # what the UI shows on each partition's page
        records = instance.fetch_materializations(AssetRecordsFilter(asset_key=events.key, asset_partitions=[day]), 1)
        meta = {k: v.value for k, v in records.records[0].asset_materialization.metadata.items()}
        assert meta["dagster/row_count"] == rows != total  # a day without rows shows 0, never the range total
        assert (meta["rows_in_run_range"], meta["partition_range"]) == (total, "2026-01-01 .. 2026-01-03")
        next_day = date.fromisoformat(day) + timedelta(days=1)
        assert meta["partition_window"] == f"event_date in [{day}, {next_day})"


def test_append_adds_rows(spark, resources, instance, spark_resource, name):
    events = make_asset(name, write_mode="append")
    ref = spark_resource.table("testing", name)
    run(events, resources, instance, "2026-01-03", ids=[1, 2])
    result = run(events, resources, instance, "2026-01-03", ids=[3])
    assert day_counts(spark, ref) == {"2026-01-03": 3}
    meta = result.asset_materializations_for_node(events.op.name)[0].metadata
    assert meta["dagster/row_count"].value == 3  # rows now in the partition, not rows appended


def test_merge_upserts_on_keys_within_the_partition(spark, resources, instance, spark_resource, name):
    events = make_asset(name, write_mode="merge", merge_keys=["id", "event_date"])
    ref = spark_resource.table("testing", name)
    run(events, resources, instance, "2026-01-03", ids=[1, 2])
    run(events, resources, instance, "2026-01-04", ids=[1])
    run(events, resources, instance, "2026-01-03", ids=[2, 3], value="v2")
    rows = spark_rows(spark, ref)
    assert rows == [
        (1, "v1", "2026-01-03"),
        (1, "v1", "2026-01-04"),
        (2, "v2", "2026-01-03"),
        (3, "v2", "2026-01-03"),
    ]
    assert rs_rows(spark, ref) == rows


def test_output_metadata_can_switch_the_write_mode_per_run(spark, resources, instance, spark_resource, name):
    events = make_asset(name)
    ref = spark_resource.table("testing", name)
    run(events, resources, instance, "2026-01-03", ids=[1])
    run(events, resources, instance, "2026-01-03", ids=[2], write_mode="append")
    assert day_counts(spark, ref) == {"2026-01-03": 2}


def test_incompatible_schema_fails_naming_the_columns(spark, resources, instance, spark_resource, name):
    events = make_asset(name)
    ref = spark_resource.table("testing", name)
    run(events, resources, instance, "2026-01-01", ids=[1])
    with pytest.raises(Exception, match=r"amount: double -> string"):
        run(events, resources, instance, "2026-01-02", ids=[1], amount_as_string=True)
    with pytest.raises(Exception, match=r"new columns \['new_col'\]"):
        run(events, resources, instance, "2026-01-02", ids=[1], extra_column=True)
    assert day_counts(spark, ref) == {"2026-01-01": 1}  # nothing partial was committed


def test_additive_schema_mode_allows_new_columns(spark, resources, instance, spark_resource, name):
    events = make_asset(name, schema_mode="additive")
    ref = spark_resource.table("testing", name)
    run(events, resources, instance, "2026-01-01", ids=[1])
    run(events, resources, instance, "2026-01-02", ids=[1], extra_column=True)
    df = read_table(spark, ref)
    assert "new_col" in df.columns
    assert {r["event_date"].isoformat(): r["new_col"] for r in df.collect()} == {"2026-01-01": None, "2026-01-02": 1}


def test_downstream_reads_only_its_partition_window(spark, resources, instance, name):
    events = make_asset(name)
    seen: dict[str, list[str]] = {}

    @asset(key=["card_fraud", "testing", f"{name}_down"], partitions_def=DAILY,
           ins={"up": AssetIn(key=["card_fraud", "testing", name])},
           metadata={"partition_expr": "event_date"})
    def downstream(context: AssetExecutionContext, up):
        seen[context.partition_key] = sorted({r["event_date"].isoformat() for r in up.collect()})
        return up

    for day in ("2026-01-01", "2026-01-02"):
        run(events, resources, instance, day, ids=[1, 2])
    materialize([events, downstream], selection=[downstream.key], resources=resources, instance=instance,
                partition_key="2026-01-02")
    assert seen == {"2026-01-02": ["2026-01-02"]}


def test_tables_are_registered_by_name(spark, resources, instance, name):
    events = make_asset(name)
    run(events, resources, instance, "2026-01-01", ids=[1, 2, 3])
    assert spark.table(f"testing.{name}").count() == 3


@pytest.mark.parametrize("bad", ["x; DROP TABLE y", "a.b", "1abc", "", "name`"])
def test_identifiers_are_validated(bad):
    with pytest.raises(ValueError, match="Invalid"):
        TableRef(schema="bronze", table=bad, location="/tmp/x")
