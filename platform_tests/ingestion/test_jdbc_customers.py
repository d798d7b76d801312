"""Customers: CDC on updated_at with soft deletes, from real PostgreSQL (and MariaDB) into Delta."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from delta.tables import DeltaTable
from pyspark.sql import functions as F

from lakehouse.ingestion.jdbc import ReadPlan
from lakehouse.ingestion.jdbc_read import read_source
from platform_tests.ingestion.jdbc_fixtures import (
    SourceDb,
    checks_passed,
    metadata,
    run,
    ts,
    unique_table,
)

PG, MYSQL = "LAKEHOUSE_TEST_PG_URL", "LAKEHOUSE_TEST_MYSQL_URL"
pytestmark = pytest.mark.databases


def _setup(resources: dict, db: SourceDb, **config: object) -> tuple[dict, dict, str]:
    target = unique_table("customers")
    res = {**resources, "customers_db": db.connection}
    return res, {"data_source": f"{db.prefix}customers", "target_table": target, **config}, target


def _current(spark, target: str) -> dict[str, dict]:
    return {r["customer_id"]: r.asDict() for r in spark.table(target).collect()}


def _history(spark, target: str, customer_id: str) -> list[tuple]:
    rows = spark.table(f"{target}_history").where(F.col("customer_id") == customer_id).orderBy("updated_at").collect()
    return [(r["credit_limit"], r["updated_at"], r["is_deleted"]) for r in rows]


@pytest.mark.parametrize("source_db", [PG, MYSQL], indirect=True)
def test_initial_load_then_only_the_changes_after_the_high_water_mark(spark, resources, instance, source_db):
    res, config, target = _setup(resources, source_db, cdc_lookback_hours=0)
    table = source_db.customers
    total = source_db.scalar(sa.select(sa.func.count()).select_from(table))
    live = source_db.scalar(sa.select(sa.func.count()).select_from(table).where(~table.c.is_deleted))
    hwm = source_db.scalar(sa.select(sa.func.max(table.c.updated_at)))

    first = run("customers", res, instance, "2026-01-02", config)
    meta = metadata(first, "bronze", "customers")
    assert meta["rows_read"] == meta["rows_loaded"] == total and meta["rows_quarantined"] == 0
    assert meta["high_water_mark_before"] == "none" and ts(meta["high_water_mark_after"]) == hwm
    assert meta["read_partitions"] == 4  # sources.yaml: read_partitions 4 on updated_at
    assert len(_current(spark, target)) == live
    assert spark.table(f"{target}_history").count() == total
    assert checks_passed(first) == {"contract": True, "reconciliation": True}

    changed_id = source_db.customer_ids()[0]
    source_db.update_customer(changed_id, credit_limit=123_400, updated_at=hwm + timedelta(hours=1))
    source_db.execute(sa.insert(table).values(
        customer_id="C9999999", signup_date=date(2026, 1, 2), segment="mass", home_country="DE",
        birth_year=1990, credit_limit=1000, updated_at=hwm + timedelta(hours=2), is_deleted=False,
    ))
    second = run("customers", res, instance, "2026-01-03", config)
    meta = metadata(second, "bronze", "customers")
    # Only the two changes crossed the wire: the predicate ran in the database.
    assert f"WHERE updated_at > '{hwm:%Y-%m-%d %H:%M:%S}.000000'" in meta["pushed_query"]
    assert (meta["rows_read"], meta["rows_loaded"], meta["rows_upserted"], meta["rows_deleted"]) == (2, 2, 2, 0)
    assert ts(meta["high_water_mark_before"]) == hwm and ts(meta["high_water_mark_after"]) == hwm + timedelta(hours=2)
    current = _current(spark, target)
    assert current[changed_id]["credit_limit"] == 123_400 and "C9999999" in current
    assert [h[0] for h in _history(spark, target, changed_id)][-1] == 123_400
    assert len(_history(spark, target, changed_id)) == 2
    landed = spark.table(f"{target}_history").where("landing_date = DATE'2026-01-03'").count()
    assert landed == 2


@pytest.mark.parametrize("source_db", [PG], indirect=True)
def test_late_older_versions_and_soft_deletes_resolve_by_updated_at(spark, resources, instance, source_db):
    res, config, target = _setup(resources, source_db)  # default lookback: 72 hours
    updated, deleted = source_db.customer_ids()[:2]
    hwm = source_db.scalar(sa.select(sa.func.max(source_db.customers.c.updated_at)))
    run("customers", res, instance, "2026-01-02", config)

    newest = hwm + timedelta(hours=2)
    source_db.update_customer(updated, credit_limit=9000, updated_at=newest)
    source_db.update_customer(deleted, is_deleted=True, updated_at=newest)
    meta = metadata(run("customers", res, instance, "2026-01-03", config), "bronze", "customers")
    assert (meta["rows_upserted"], meta["rows_deleted"]) == (1, 1)
    assert deleted not in _current(spark, target)
    assert _history(spark, target, deleted)[-1][2] is True  # the delete is kept in the history

    # Out of order: both rows are rewritten with an OLDER updated_at than the versions already loaded.
    late = hwm + timedelta(hours=1)
    source_db.update_customer(updated, credit_limit=1111, updated_at=late)
    source_db.update_customer(deleted, is_deleted=False, credit_limit=2222, updated_at=late)
    third = run("customers", res, instance, "2026-01-04", config)
    meta = metadata(third, "bronze", "customers")
    assert f"updated_at > '{newest - timedelta(hours=72):%Y-%m-%d %H:%M:%S}.000000'" in meta["pushed_query"]
    assert meta["rows_loaded"] == 2  # the lookback found them below the high-water mark ...
    assert (meta["rows_upserted"], meta["rows_deleted"]) == (0, 0)  # ... but they change nothing current
    assert meta["rows_read"] == meta["rows_loaded"] + meta["rows_quarantined"] + meta["rows_already_ingested"]
    current = _current(spark, target)
    assert current[updated]["credit_limit"] == 9000 and current[updated]["updated_at"] == newest
    assert deleted not in current  # an older version never resurrects a deleted customer
    assert [h[0] for h in _history(spark, target, updated)][-2:] == [1111, 9000]  # history ordered by updated_at
    assert ts(meta["high_water_mark_after"]) == newest
    assert checks_passed(third) == {"contract": True, "reconciliation": True}


@pytest.mark.parametrize("source_db", [PG], indirect=True)
def test_rerunning_a_partition_is_idempotent_and_full_mode_rebuilds_the_state(spark, resources, instance, source_db):
    res, config, target = _setup(resources, source_db)
    run("customers", res, instance, "2026-01-02", config)
    before_current = sorted(map(str, spark.table(target).drop("_ingested_at", "_run_id").collect()))
    history = DeltaTable.forName(spark, f"{target}_history")
    history_version = history.history(1).first()["version"]

    again = metadata(run("customers", res, instance, "2026-01-02", config), "bronze", "customers")
    assert again["rows_loaded"] == again["rows_upserted"] == again["rows_quarantined"] == 0
    assert again["rows_already_ingested"] == again["rows_read"] > 0
    assert history.history(1).first()["version"] == history_version  # nothing new, no commit
    assert sorted(map(str, spark.table(target).drop("_ingested_at", "_run_id").collect())) == before_current

    # Full: hard-delete one row and change another in the source; the state becomes exactly the source.
    gone, changed = source_db.customer_ids()[:2]
    hwm = source_db.scalar(sa.select(sa.func.max(source_db.customers.c.updated_at)))
    source_db.execute(sa.delete(source_db.customers).where(source_db.customers.c.customer_id == gone))
    source_db.update_customer(changed, credit_limit=4242, updated_at=hwm + timedelta(minutes=5))
    full = {**config, "ingest_mode": "full"}
    meta = metadata(run("customers", res, instance, "2026-01-03", full), "bronze", "customers")
    assert "WHERE updated_at >" not in meta["pushed_query"] and meta["rows_deleted"] == 1
    with source_db.engine.connect() as conn:
        live = conn.execute(sa.select(source_db.customers).where(~source_db.customers.c.is_deleted)).mappings().all()
    current = _current(spark, target)
    assert {r["customer_id"]: r["credit_limit"] for r in live} == {k: v["credit_limit"] for k, v in current.items()}
    last = DeltaTable.forName(spark, target).history(1).first()
    assert last["operation"] == "WRITE" and last["operationParameters"]["mode"] == "Overwrite"  # one atomic commit
    assert len(_history(spark, target, gone)) == 1  # history keeps what was read before


@pytest.mark.parametrize("source_db", [PG], indirect=True)
def test_parallel_read_uses_the_configured_partitions(spark, source_db):
    columns = ("customer_id", "updated_at", "credit_limit")
    total = source_db.scalar(sa.select(sa.func.count()).select_from(source_db.customers))
    plan = ReadPlan(f"{source_db.prefix}customers", columns, partitions=4, partition_column="updated_at")
    read = read_source(spark, source_db.connection, plan, "customers", "customers_db")
    assert read.df.rdd.getNumPartitions() == 4 and read.partitions == 4
    assert read.rows == total and read.df.select("customer_id").distinct().count() == total  # no row twice
    assert set(read.options) == {"partitionColumn", "lowerBound", "upperBound", "numPartitions"}
    single = read_source(spark, source_db.connection, ReadPlan(plan.table, columns), "customers", "customers_db")
    assert single.df.rdd.getNumPartitions() == 1 and single.rows == total
