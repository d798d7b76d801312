"""The customers / merchants source tables: columns, CDC behaviour, idempotent rewrites."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from lakehouse_tools.demo.entities import entities_for
from lakehouse_tools.demo.generator import customer_rows, generate, land_next_day, merchant_rows
from lakehouse_tools.demo.settings import DirtyRates, GeneratorSettings
from lakehouse_tools.demo.sources import make_engine, sync_sources, tables
from lakehouse_tools.demo.streams import day_key

CUSTOMER_COLUMNS = {
    "customer_id": "VARCHAR(16)",
    "signup_date": "DATE",
    "segment": "VARCHAR(16)",
    "home_country": "VARCHAR(2)",
    "birth_year": "INTEGER",
    "credit_limit": "INTEGER",
    "updated_at": "TIMESTAMP",
    "is_deleted": "BOOLEAN",
}
MERCHANT_COLUMNS = {"merchant_id", "name", "category", "country", "risk_tier", "updated_at"}


def settings(**overrides) -> GeneratorSettings:
    base = {
        "rows_per_day": 200,
        "customers": 2000,
        "merchants": 40,
        "customer_update_rate": 0.01,
        "customer_delete_rate": 0.002,
        "dirty": DirtyRates.none(),
    }
    return GeneratorSettings(**(base | overrides))


def db(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / "sources/demo_sources.sqlite")


def test_sqlite_tables_have_the_expected_columns_and_jdbc_friendly_text(tmp_path: Path) -> None:
    generate(settings(), tmp_path)
    with db(tmp_path) as con:
        info = {row[1]: row[2] for row in con.execute("PRAGMA table_info(customers)")}
        assert info == CUSTOMER_COLUMNS
        assert {row[1] for row in con.execute("PRAGMA table_info(merchants)")} == MERCHANT_COLUMNS
        signup, updated, deleted = con.execute("SELECT signup_date, updated_at, is_deleted FROM customers").fetchone()
        # sqlite-jdbc's default date_string_format is yyyy-MM-dd HH:mm:ss.SSS (for DATE and TIMESTAMP).
        assert re.fullmatch(r"\d{4}-\d\d-\d\d 00:00:00\.000", signup)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000", updated)
        assert deleted in (0, 1)
        assert max(r[0] for r in con.execute("SELECT signup_date FROM customers")) < "2026-01-02"
        assert con.execute("SELECT COUNT(*) FROM merchants").fetchone()[0] == 40
        tiers = {r[0] for r in con.execute("SELECT DISTINCT risk_tier FROM merchants")}
        assert tiers <= {"low", "medium", "high"} and len(tiers) >= 2


def test_each_day_advances_updated_at_for_exactly_its_changes(tmp_path: Path) -> None:
    s = settings()
    land_next_day(s, tmp_path)
    for _ in range(3):
        with db(tmp_path) as con:
            high_water_mark = con.execute("SELECT MAX(updated_at) FROM customers").fetchone()[0]
            rows_before = con.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        summary = land_next_day(s, tmp_path)
        day = summary.days[0].day.isoformat()
        changes = json.loads((tmp_path / "_generator/manifest.json").read_text())["days"][day]["customers"]
        with db(tmp_path) as con:
            changed = con.execute(
                "SELECT updated_at, is_deleted FROM customers WHERE updated_at > ?", (high_water_mark,)
            ).fetchall()
            rows_after = con.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        assert len(changed) == changes["inserted"] + changes["updated"] + changes["deleted"] > 0
        assert all(at.startswith(day) for at, _ in changed)
        assert sum(deleted for _, deleted in changed) == changes["deleted"]
        assert rows_after == rows_before + changes["inserted"]  # deletes are soft: rows stay
        assert summary.source_changes["customers"]["updated"] == changes["updated"] + changes["deleted"]


def test_out_of_order_updates_land_below_the_high_water_mark(tmp_path: Path) -> None:
    s = settings(dirty=DirtyRates.none().model_copy(update={"out_of_order_customer_update": 1.0}))
    generate(s.model_copy(update={"days": 2}), tmp_path)
    with db(tmp_path) as con:
        high_water_mark = con.execute("SELECT MAX(updated_at) FROM customers").fetchone()[0]
    land_next_day(s, tmp_path)
    late = json.loads((tmp_path / "_generator/manifest.json").read_text())["days"]["2026-01-03"]["customers"]
    assert late["out_of_order_updates"]
    with db(tmp_path) as con:
        for update in late["out_of_order_updates"]:
            (stored,) = con.execute(
                "SELECT updated_at FROM customers WHERE customer_id = ?", (update["customer_id"],)
            ).fetchone()
            assert stored.replace(" ", "T")[:19] + "Z" == update["updated_at"]
            assert stored < high_water_mark  # a CDC reader filtering updated_at > hwm never sees it


def test_rewriting_the_same_state_changes_nothing(tmp_path: Path) -> None:
    first = generate(settings(days=2), tmp_path)
    assert first.source_changes["customers"]["inserted"] > 1800
    again = generate(settings(days=2), tmp_path)
    assert again.source_changes == {t: {"inserted": 0, "updated": 0, "deleted": 0} for t in ("customers", "merchants")}


def _sync_roundtrip(url: str) -> None:
    """Create, fill, update and re-sync prefixed copies of both tables on a real server, then drop them."""
    s = settings()
    ents = entities_for(s)
    engine = make_engine(url)
    prefix = f"demo_test_{uuid.uuid4().hex[:8]}_"
    try:
        day1, day4 = day_key(s.start_date), day_key(s.start_date) + 3
        created = sync_sources(engine, customer_rows(s, ents, day1), merchant_rows(ents), prefix)
        assert created["customers"]["inserted"] > 1800 and created["merchants"]["inserted"] == 40
        moved = sync_sources(engine, customer_rows(s, ents, day4), merchant_rows(ents), prefix)
        assert moved["customers"]["updated"] > 0 and moved["merchants"] == {"inserted": 0, "updated": 0, "deleted": 0}
        assert sync_sources(engine, customer_rows(s, ents, day4), merchant_rows(ents), prefix)["customers"] == {
            "inserted": 0,
            "updated": 0,
            "deleted": 0,
        }
        customers, _ = tables(sa.MetaData(), prefix)
        with engine.connect() as conn:
            newest = conn.execute(sa.select(sa.func.max(customers.c.updated_at))).scalar_one()
            deleted = conn.execute(sa.select(sa.func.count()).where(customers.c.is_deleted)).scalar_one()
        assert isinstance(newest, datetime) and newest.date() == date(2026, 1, 4)
        assert deleted > 0  # soft deletes of days 1-4 are in the table
    finally:
        sa.MetaData().drop_all(engine, tables=list(tables(sa.MetaData(), prefix)), checkfirst=True)
        engine.dispose()


@pytest.mark.databases
@pytest.mark.parametrize("variable", ["LAKEHOUSE_TEST_PG_URL", "LAKEHOUSE_TEST_MYSQL_URL"])
def test_postgres_and_mysql_tables(variable: str) -> None:
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"{variable} is not set (make test provides it)")
    _sync_roundtrip(url)
