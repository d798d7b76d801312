"""The JDBC ingestion's pure functions on tiny DataFrames, and its resources, without a database."""

from datetime import datetime
from pathlib import Path

import pytest
from dagster import EnvVar
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from lakehouse.config.profile import load_profile
from lakehouse.ingestion.jdbc import (
    ReadPlan,
    high_water_mark,
    insert_new,
    latest_per_key,
    merge_current,
    parallel_read_options,
    resolve_changes,
    sql_timestamp,
)
from lakehouse.ingestion.jdbc_cdc import future_change
from lakehouse.ingestion.jdbc_read import JdbcReadError, check_jvm_timezone
from lakehouse.ingestion.typed import ROW_HASH, split_typed, with_row_hash
from lakehouse.resources.catalog import TableRef
from lakehouse.resources.delta_write import read_table
from lakehouse.resources.jdbc import JdbcConnection, jdbc_connections
from platform_tests.ingestion.jdbc_fixtures import jdbc_asset, run

COLUMNS = ["customer_id", "credit_limit", "updated_at", "is_deleted"]


def _versions(spark: SparkSession, rows: list[tuple]) -> DataFrame:
    df = spark.createDataFrame(rows, "customer_id string, credit_limit int, updated_at string, is_deleted boolean")
    return with_row_hash(df.withColumn("updated_at", F.to_timestamp("updated_at")), COLUMNS)


def _state(spark: SparkSession, ref: TableRef) -> dict[str, tuple[int, str]]:
    rows = read_table(spark, ref).collect()
    return {r["customer_id"]: (r["credit_limit"], r["updated_at"].isoformat(sep=" ")) for r in rows}


def test_latest_per_key_orders_by_change_time_not_arrival(spark):
    df = _versions(spark, [
        ("c1", 1, "2026-01-01 10:00:00", False),
        ("c1", 3, "2026-01-03 10:00:00", False),  # newest, whatever the row order
        ("c1", 2, "2026-01-02 10:00:00", False),
        ("c2", 5, "2026-01-02 10:00:00", False),
        ("c2", 6, "2026-01-02 10:00:00", True),  # same instant: the delete wins
    ])
    latest = {r["customer_id"]: r for r in latest_per_key(df, ["customer_id"], "updated_at", "is_deleted").collect()}
    assert latest["c1"]["credit_limit"] == 3
    assert latest["c2"]["is_deleted"] is True


def test_high_water_mark_keeps_microseconds_and_ignores_python_time_zone(spark):
    assert high_water_mark(None, "updated_at") is None
    df = _versions(spark, [("c1", 1, "2026-01-01 10:00:00.123456", False), ("c2", 1, "2025-12-31 23:00:00", False)])
    assert high_water_mark(df, "updated_at") == datetime(2026, 1, 1, 10, 0, 0, 123456)
    assert high_water_mark(df.where("false"), "updated_at") is None


def test_merge_applies_updates_and_deletes_but_never_an_older_version(spark, tmp_path: Path):
    ref = TableRef("bronze", "state", str(tmp_path / "state"))
    first = _versions(spark, [
        ("c1", 100, "2026-01-01 10:00:00", False),
        ("c2", 200, "2026-01-01 10:00:00", False),
        ("c3", 300, "2026-01-01 10:00:00", True),  # deleted before we ever saw it: never inserted
    ])
    created = merge_current(spark, ref, resolve_changes(first, None, ["customer_id"], "updated_at", "is_deleted"),
                            ["customer_id"], "updated_at", "is_deleted")
    assert created.upserted == 2 and set(_state(spark, ref)) == {"c1", "c2"}

    history = first
    batch = _versions(spark, [
        ("c1", 150, "2026-01-02 10:00:00", False),  # newer: applied
        ("c2", 250, "2026-01-02 10:00:00", True),  # soft delete: removed
        ("c4", 400, "2026-01-02 10:00:00", False),  # new key: inserted
    ])
    change = merge_current(spark, ref, resolve_changes(batch, history, ["customer_id"], "updated_at", "is_deleted"),
                           ["customer_id"], "updated_at", "is_deleted")
    assert (change.upserted, change.deleted) == (2, 1)
    assert _state(spark, ref) == {"c1": (150, "2026-01-02 10:00:00"), "c4": (400, "2026-01-02 10:00:00")}

    history = history.unionByName(batch)
    late = _versions(spark, [
        ("c1", 999, "2026-01-01 12:00:00", False),  # older than the 01-02 version in the table
        ("c2", 999, "2026-01-01 12:00:00", False),  # older than c2's delete: must not resurrect it
    ])
    resolved = resolve_changes(late, history, ["customer_id"], "updated_at", "is_deleted")
    unchanged = merge_current(spark, ref, resolved, ["customer_id"], "updated_at", "is_deleted")
    assert (unchanged.upserted, unchanged.deleted) == (0, 0)
    assert _state(spark, ref) == {"c1": (150, "2026-01-02 10:00:00"), "c4": (400, "2026-01-02 10:00:00")}


def test_insert_new_adds_each_version_once_and_skips_empty_commits(spark, tmp_path: Path):
    from delta.tables import DeltaTable

    ref = TableRef("bronze", "log", str(tmp_path / "log"))
    batch = _versions(spark, [("c1", 1, "2026-01-01 10:00:00", False), ("c2", 2, "2026-01-01 11:00:00", False)])
    assert insert_new(spark, ref, batch) == 2
    more = batch.unionByName(_versions(spark, [("c1", 5, "2026-01-02 10:00:00", False)]))
    assert insert_new(spark, ref, more) == 1
    version = DeltaTable.forPath(spark, ref.location).history(1).first()["version"]
    assert insert_new(spark, ref, more) == 0
    assert DeltaTable.forPath(spark, ref.location).history(1).first()["version"] == version  # no empty commit
    assert read_table(spark, ref).count() == 3


def test_read_plan_pushes_the_change_window_down_and_validates_names():
    plan = ReadPlan("customers", ("customer_id", "updated_at"), "updated_at",
                    since=datetime(2026, 1, 1, 10), until=datetime(2026, 1, 2, 9, 30, 0, 5))
    assert plan.query() == (
        "(SELECT customer_id, updated_at FROM customers WHERE updated_at > '2026-01-01 10:00:00.000000' "
        "AND updated_at <= '2026-01-02 09:30:00.000005') src"
    )
    bounds = plan.bounds_query()
    assert "MAX(updated_at) AS cut" in bounds and "<=" not in bounds  # the cut is what the bounds query finds
    assert ReadPlan("public.merchants", ("merchant_id",)).query() == "(SELECT merchant_id FROM public.merchants) src"
    for bad in ("customers; DROP TABLE x", "a.b.c", "x--"):
        with pytest.raises(ValueError):
            ReadPlan(bad, ("customer_id",))
    assert sql_timestamp(datetime(2026, 1, 1)) == "'2026-01-01 00:00:00.000000'"


def test_parallel_read_options():
    assert parallel_read_options("updated_at", "2026-01-01 00:00:00", "2026-01-09 00:00:00", 4) == {
        "partitionColumn": "updated_at",
        "lowerBound": "2026-01-01 00:00:00",
        "upperBound": "2026-01-09 00:00:00",
        "numPartitions": "4",
    }
    assert parallel_read_options("updated_at", "x", "y", 1) == {}  # one partition: a plain read
    assert parallel_read_options("updated_at", None, None, 4) == {}  # empty table or window
    assert parallel_read_options("id", "7", "7", 4) == {}  # a single value cannot be split
    assert parallel_read_options(None, "1", "9", 4) == {}


def test_split_typed_quarantines_with_reasons_and_accounts_for_every_row(spark):
    contract = load_contracts("card_fraud")["customers"]
    rows = [
        Row(customer_id="c1", signup_date="2025-01-01", segment="mass", home_country="DE", birth_year=1980,
            credit_limit=1000, updated_at="2026-01-01 10:00:00", is_deleted=False),
        Row(customer_id=None, signup_date="2025-01-01", segment="mass", home_country="DE", birth_year=1800,
            credit_limit=1000, updated_at="2026-01-01 10:00:00", is_deleted=False),
        Row(customer_id="c3", signup_date="not a date", segment="mass", home_country="DE", birth_year=1980,
            credit_limit=-5, updated_at="2999-01-01 00:00:00", is_deleted=False),
    ]
    df = spark.createDataFrame(rows).withColumn("updated_at", F.to_timestamp("updated_at"))
    split = split_typed(with_row_hash(df, [c.name for c in contract.columns]), contract, [future_change("updated_at")])
    loaded, bad = split.loaded.collect(), sorted(r["reason"] for r in split.quarantined.collect())
    assert [r["customer_id"] for r in loaded] == ["c1"] and loaded[0]["signup_date"].isoformat() == "2025-01-01"
    assert len(loaded) + len(bad) == len(rows)
    assert bad[0] == "customer_id: required value missing; birth_year: below minimum 1900.0"
    assert "signup_date: not a date" in bad[1] and "credit_limit: below minimum" in bad[1]
    assert "updated_at: in the future" in bad[1]
    assert set(split.quarantined.columns) == {"raw_record", "reason", ROW_HASH}


def test_connections_come_from_the_profile_and_never_expose_secrets(tmp_path: Path):
    prod = jdbc_connections(load_profile("prod"))
    assert set(prod) == {"customers_db", "merchants_db"}
    # Env-backed: the variable *names* are configured; Dagster resolves them when a run starts.
    password = prod["customers_db"].password
    assert isinstance(password, EnvVar) and password == "CUSTOMERS_DB_PASSWORD"
    local = jdbc_connections(load_profile("local"), str(tmp_path))["customers_db"]
    assert local.url.startswith("jdbc:sqlite:{data_root}") and local.driver == "org.sqlite.JDBC"

    pg = JdbcConnection.from_sqlalchemy_url("postgresql://reader:s3cret@db.example:5432/core")
    assert (pg.jdbc_url(), pg.user, pg.password) == ("jdbc:postgresql://db.example:5432/core", "reader", "s3cret")
    my = JdbcConnection.from_sqlalchemy_url("mysql+pymysql://reader:s3cret@db.example:3306/acq")
    # Spark only knows the MySQL dialect under jdbc:mysql; MariaDB's driver accepts it with this flag.
    assert my.jdbc_url() == "jdbc:mysql://db.example:3306/acq?permitMysqlScheme"
    maria = JdbcConnection(url="jdbc:mariadb://h/acq?user=reader&password=s3cret", driver="org.mariadb.jdbc.Driver",
                           password="s3cret")
    assert maria.jdbc_url() == "jdbc:mysql://h/acq?user=reader&password=s3cret&permitMysqlScheme"
    assert "s3cret" not in maria.describe() and "s3cret" not in repr(maria) and "s3cret" not in repr(pg)
    assert maria.redact("login failed for s3cret") == "login failed for ***"


@pytest.mark.parametrize(("source", "mode"), [("customers", "sometimes"), ("merchants", "incremental")])
def test_unknown_ingest_mode_is_a_clear_error_before_any_read(resources, instance, source, mode):
    nowhere = JdbcConnection(url="jdbc:postgresql://127.0.0.1:1/none", driver="org.postgresql.Driver")
    res = {**resources, f"{source}_db": nowhere}
    with pytest.raises(Exception, match=rf"Source '{source}': unknown ingest_mode '{mode}'"):
        run(source, res, instance, "2026-01-02", {"ingest_mode": mode})


def test_asset_shapes():
    customers, merchants = jdbc_asset("customers"), jdbc_asset("merchants")
    keys = {k.to_user_string() for k in customers.keys}
    assert keys == {"card_fraud/bronze/customers", "card_fraud/bronze/customers_history",
                    "card_fraud/bronze/customers_quarantine"}
    assert {k.to_user_string() for k in merchants.keys} == {"card_fraud/bronze/merchants",
                                                            "card_fraud/bronze/merchants_quarantine"}
    assert customers.required_resource_keys >= {"spark", "customers_db"}
    assert merchants.required_resource_keys >= {"spark", "merchants_db", "io_manager"}
    spec = customers.specs_by_key[next(k for k in customers.keys if k.path[-1] == "customers")]
    assert spec.group_name == "ingestion" and spec.kinds == {"jdbc", "spark", "delta"}
    assert spec.metadata["column_descriptions"]["updated_at"].startswith("When this version")


def test_jdbc_reads_refuse_a_jvm_zone_other_than_the_session_zone(spark):
    # Zone-less source timestamps are decoded in the JVM's zone; a mismatch would shift every change.
    original = spark.conf.get("spark.sql.session.timeZone")
    jvm_zone = spark._jvm.java.util.TimeZone.getDefault().getID()
    check_jvm_timezone(spark)  # the test profile is consistent
    other = "America/New_York" if jvm_zone != "America/New_York" else "Asia/Tokyo"
    spark.conf.set("spark.sql.session.timeZone", other)
    try:
        with pytest.raises(JdbcReadError, match=f"-Duser.timezone={other}"):
            check_jvm_timezone(spark)
    finally:
        spark.conf.set("spark.sql.session.timeZone", original)
