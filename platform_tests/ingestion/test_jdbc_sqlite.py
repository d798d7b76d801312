"""The embedded default: the demo's SQLite file under the data root, read over JDBC with the local
profile's own connections (no server, no override)."""

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from lakehouse_tools.demo import manifest
from lakehouse_tools.demo.generator import generate
from platform_tests.ingestion.jdbc_fixtures import TINY, checks_passed, metadata, run, unique_table


def _demo_sources(data_root: Path) -> Path:
    # Generate only into a fresh root: another test may already have landed a demo here, and the
    # generator refuses to mix populations. The assertions below read the file itself either way.
    if manifest.load(data_root)["entity_key"] is None:
        generate(TINY, data_root)
    return data_root / "sources/demo_sources.sqlite"


def test_customers_and_merchants_from_the_embedded_sqlite_file(spark, resources, instance, data_root):
    database = _demo_sources(data_root)
    with sqlite3.connect(database) as con:
        customers, live = con.execute("SELECT COUNT(*), SUM(is_deleted = 0) FROM customers").fetchone()
        merchants = con.execute("SELECT COUNT(*) FROM merchants").fetchone()[0]
        newest = con.execute("SELECT MAX(updated_at) FROM customers").fetchone()[0]
    cust, merch = unique_table("customers"), unique_table("merchants")

    first = run("customers", resources, instance, "2026-01-02", {"target_table": cust, "cdc_lookback_hours": 0})
    meta = metadata(first, "bronze", "customers")
    assert meta["rows_read"] == meta["rows_loaded"] == customers
    assert meta["high_water_mark_after"] == newest[:19]  # stored as 'YYYY-MM-DD HH:MM:SS.000' text
    assert spark.table(cust).count() == live and spark.table(f"{cust}_history").count() == customers
    assert checks_passed(first) == {"contract": True, "reconciliation": True}
    signup = spark.table(cust).agg({"signup_date": "min"}).first()[0]
    assert signup.isoformat() < "2026-01-02"  # DATE text parsed as a date, not a string or a timestamp

    # One change on SQLite's text timestamps: the rows at exactly the old high-water mark are not
    # re-read. The file may be shared with other tests, so the row is restored afterwards.
    changed_at = (datetime.fromisoformat(newest) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.000")
    with sqlite3.connect(database) as con:
        key, limit, updated = con.execute(
            "SELECT customer_id, credit_limit, updated_at FROM customers WHERE is_deleted = 0 ORDER BY customer_id"
        ).fetchone()
        con.execute("UPDATE customers SET credit_limit = 777, updated_at = ? WHERE customer_id = ?", (changed_at, key))
    try:
        second = run("customers", resources, instance, "2026-01-03", {"target_table": cust, "cdc_lookback_hours": 0})
    finally:
        with sqlite3.connect(database) as con:
            restore = "UPDATE customers SET credit_limit = ?, updated_at = ? WHERE customer_id = ?"
            con.execute(restore, (limit, updated, key))
    meta = metadata(second, "bronze", "customers")
    assert (meta["rows_read"], meta["rows_loaded"], meta["rows_upserted"]) == (1, 1, 1)
    assert spark.table(cust).where(f"customer_id = '{key}'").first()["credit_limit"] == 777

    snapshot = run("merchants", resources, instance, "2026-01-02", {"target_table": merch})
    meta = metadata(snapshot, "bronze", "merchants")
    assert meta["rows_read"] == meta["rows_loaded"] == merchants
    assert spark.table(merch).where("landing_date = DATE'2026-01-02'").count() == merchants
    assert checks_passed(snapshot) == {"contract": True, "reconciliation": True}
