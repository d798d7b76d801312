"""The `customers` and `merchants` source tables (SQLite by default, PostgreSQL / MySQL on request).

The generator owns these tables. A sync compares the wanted state with the table and issues only
the needed INSERT / UPDATE / DELETE statements, so rows keep their identity (an update is an UPDATE,
which a CDC reader on `updated_at` sees) and syncing twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Engine

DEFAULT_SQLITE = Path("sources/demo_sources.sqlite")


class _SqliteTimestamp(sqlite.DATETIME):
    """Declared TIMESTAMP and stored as 'YYYY-MM-DD HH:MM:SS.000'.

    That is the text sqlite-jdbc parses by default (`date_string_format`) and a declared DATETIME
    would be reported to JDBC as a DATE, dropping the time of day that CDC depends on.
    """

    __visit_name__ = "TIMESTAMP"


_TS = sa.DateTime().with_variant(
    _SqliteTimestamp(
        storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.000",
        regexp=r"(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)",
    ),
    "sqlite",
)
# sqlite-jdbc parses DATE text with the same default pattern, so dates carry a midnight time there.
_DATE = sa.Date().with_variant(
    sqlite.DATE(storage_format="%(year)04d-%(month)02d-%(day)02d 00:00:00.000", regexp=r"(\d+)-(\d+)-(\d+)"),
    "sqlite",
)


def tables(metadata: sa.MetaData, prefix: str = "") -> tuple[sa.Table, sa.Table]:
    customers = sa.Table(
        f"{prefix}customers",
        metadata,
        sa.Column("customer_id", sa.String(16), primary_key=True),
        sa.Column("signup_date", _DATE, nullable=False),
        sa.Column("segment", sa.String(16), nullable=False),
        sa.Column("home_country", sa.String(2), nullable=False),
        sa.Column("birth_year", sa.Integer, nullable=False),
        sa.Column("credit_limit", sa.Integer, nullable=False),
        sa.Column("updated_at", _TS, nullable=False, index=True),
        sa.Column("is_deleted", sa.Boolean, nullable=False),
    )
    merchants = sa.Table(
        f"{prefix}merchants",
        metadata,
        sa.Column("merchant_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("risk_tier", sa.String(8), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    return customers, merchants


def default_url(root: Path) -> str:
    return f"sqlite:///{(root / DEFAULT_SQLITE).resolve()}"


def make_engine(url: str) -> Engine:
    """Engine for a SQLAlchemy URL. URLs without a driver get the drivers the project ships
    (psycopg2, PyMySQL); SQLAlchemy 2.1 would otherwise pick psycopg 3 / mysqlclient."""
    parsed = sa.engine.make_url(url)
    if parsed.drivername in ("mysql", "mariadb"):
        parsed = parsed.set(drivername="mysql+pymysql")
    elif parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(parsed)


def _normalise(value: Any) -> Any:
    # Drivers differ in what they hand back (e.g. MySQL booleans as 0/1, datetimes with tzinfo).
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, bool) or value is None or isinstance(value, (date, str)):
        return value
    return int(value)


def sync_table(
    engine: Engine, table: sa.Table, rows: Iterable[dict[str, Any]], bool_columns: tuple[str, ...] = ()
) -> dict[str, int]:
    """Make `table` hold exactly `rows`; returns counts of inserted / updated / deleted rows."""
    key = next(iter(table.primary_key.columns)).name
    columns = [c.name for c in table.columns]
    wanted = {r[key]: r for r in rows}
    with engine.begin() as conn:
        table.create(conn, checkfirst=True)
        have = {}
        for row in conn.execute(sa.select(table)).mappings():
            have[row[key]] = {c: bool(row[c]) if c in bool_columns else _normalise(row[c]) for c in columns}
        inserts = [r for k, r in wanted.items() if k not in have]
        updates = [r for k, r in wanted.items() if k in have and have[k] != r]
        deletes = [k for k in have if k not in wanted]
        if inserts:
            conn.execute(sa.insert(table), inserts)
        if updates:
            stmt = (
                sa.update(table)
                .where(table.c[key] == sa.bindparam("b_" + key))
                .values({c: sa.bindparam("b_" + c) for c in columns if c != key})
            )
            conn.execute(stmt, [{"b_" + c: v for c, v in r.items()} for r in updates])
        for i in range(0, len(deletes), 500):
            conn.execute(sa.delete(table).where(table.c[key].in_(deletes[i : i + 500])))
    return {"inserted": len(inserts), "updated": len(updates), "deleted": len(deletes)}


def sync_sources(
    engine: Engine, customers: list[dict[str, Any]], merchants: list[dict[str, Any]], prefix: str = ""
) -> dict[str, dict[str, int]]:
    cust_table, merch_table = tables(sa.MetaData(), prefix)
    return {
        "customers": sync_table(engine, cust_table, customers, bool_columns=("is_deleted",)),
        "merchants": sync_table(engine, merch_table, merchants),
    }
