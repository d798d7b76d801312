"""The billing database's `accounts` table (SQLite under the root by default), kept in step with the
generated days: each sync writes the accounts as they stand at the end of the last generated day, so a
plan change is an UPDATE with a new `updated_at` that the CDC reader picks up."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from lakehouse_tools.demo.churn.population import COUNTRIES, FEES, NEVER, PAYMENTS, PLANS, Population

# The storage types sqlite-jdbc parses into Spark timestamps and dates (see lakehouse_tools.demo.sources).
from lakehouse_tools.demo.sources import _DATE, _TS, make_engine, sync_table
from lakehouse_tools.demo.streams import day_key, from_key, to_datetime

DEFAULT_SQLITE = Path("sources/churn_sources.sqlite")


def accounts_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "accounts",
        metadata,
        sa.Column("account_id", sa.String(24), primary_key=True),
        sa.Column("signup_date", _DATE, nullable=False),
        sa.Column("plan", sa.String(16), nullable=False),
        sa.Column("monthly_fee", sa.Float, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("payment_method", sa.String(16), nullable=False),
        sa.Column("updated_at", _TS, nullable=False, index=True),
    )


def default_url(root: Path) -> str:
    return f"sqlite:///{(root / DEFAULT_SQLITE).resolve()}"


def account_rows(pop: Population, last_day: date) -> list[dict[str, Any]]:
    """Every account signed up by the end of `last_day`, with the plan it has then."""
    end = (day_key(last_day) + 1) * 86_400
    n = pop.existing_on(last_day)
    plan = pop.plan_on(end - 1)[:n]
    changed = (pop.change_at[:n] != NEVER) & (pop.change_at[:n] < end)
    updated = np.where(changed, pop.change_at[:n], pop.signup_at[:n])
    return [
        {
            "account_id": pop.ids[i],
            "signup_date": from_key(int(pop.signup_at[i] // 86_400)),
            "plan": PLANS[plan[i]],
            "monthly_fee": FEES[plan[i]],
            "country": COUNTRIES[pop.country[i]],
            "payment_method": PAYMENTS[pop.payment[i]],
            "updated_at": to_datetime(int(updated[i])),
        }
        for i in range(n)
    ]


def sync_accounts(url: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Make the table hold exactly `rows` (inserted / updated / deleted counts)."""
    engine = make_engine(url)
    try:
        return sync_table(engine, accounts_table(sa.MetaData()), rows)
    finally:
        engine.dispose()
