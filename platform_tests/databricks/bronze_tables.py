"""Tiny bronze tables for one day, written with delta-rs (deltalake), so building them starts no JVM."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

DAY = date(2026, 7, 2)
UTC = UTC
TS = pa.timestamp("us", tz="UTC")


def _transactions(channel: str, n: int, offset: int, day: date = DAY) -> pa.Table:
    suffix = "" if day == DAY else f"_{day:%m%d}"  # ids of another day are that day's own
    rows = [{
        "transaction_id": f"{channel}{offset + i}{suffix}", "customer_id": f"c{i % 3}", "merchant_id": f"m{i % 2}",
        "event_time": datetime(day.year, day.month, day.day, 8 + i, tzinfo=UTC), "amount": Decimal(f"{10 + i}.50"),
        "currency": "EUR", "channel": channel, "category": "grocery", "country": "DE", "device_id": None,
        "entry_mode": "chip", "event_date": day, "landing_date": day, "_source_file": f"{channel}.txt",
        "_ingested_at": datetime(day.year, day.month, day.day, 23, tzinfo=UTC),
    } for i in range(n)]
    schema = pa.schema([
        ("transaction_id", pa.string()), ("customer_id", pa.string()), ("merchant_id", pa.string()),
        ("event_time", TS), ("amount", pa.decimal128(18, 2)), ("currency", pa.string()), ("channel", pa.string()),
        ("category", pa.string()), ("country", pa.string()), ("device_id", pa.string()), ("entry_mode", pa.string()),
        ("event_date", pa.date32()), ("landing_date", pa.date32()), ("_source_file", pa.string()), ("_ingested_at", TS),
    ])
    return pa.Table.from_pylist(rows, schema)


def write_bronze(warehouse: Path, later_days: int = 0) -> dict[str, int]:
    """Bronze for DAY: 4 POS + 3 online transactions (one duplicate id across sources), both dimensions,
    and one fraud chargeback; `later_days` days after it with 3 POS transactions each. Returns the expected
    silver row count of DAY."""
    later: Sequence[pa.Table] = [_transactions("pos", 3, 0, DAY + timedelta(days=n)) for n in range(1, later_days + 1)]
    tables = {
        "transactions_pos": pa.concat_tables([_transactions("pos", 4, 0), *later]),
        "transactions_online": pa.concat_tables([_transactions("online", 2, 0), _transactions("pos", 1, 0)
                                                 .set_column(6, "channel", pa.array(["online"]))]),
        "customers_history": pa.Table.from_pylist([
            {"customer_id": f"c{i}", "updated_at": datetime(2026, 1, 1, tzinfo=UTC), "is_deleted": False,
             "home_country": "DE", "signup_date": date(2025, 1, 1), "segment": "mass", "credit_limit": 100,
             "landing_date": date(2026, 1, 1)} for i in range(3)
        ], pa.schema([("customer_id", pa.string()), ("updated_at", TS), ("is_deleted", pa.bool_()),
                      ("home_country", pa.string()), ("signup_date", pa.date32()), ("segment", pa.string()),
                      ("credit_limit", pa.int32()), ("landing_date", pa.date32())])),
        "merchants": pa.Table.from_pylist(
            [{"merchant_id": f"m{i}", "risk_tier": "low", "landing_date": date(2026, 7, 1)} for i in range(2)],
            pa.schema([("merchant_id", pa.string()), ("risk_tier", pa.string()), ("landing_date", pa.date32())])),
        "chargebacks": pa.Table.from_pylist(
            [{"chargeback_id": "cb1", "transaction_id": "pos1", "reported_at": datetime(2026, 7, 9, tzinfo=UTC),
              "reason": "fraud", "reported_date": date(2026, 7, 9)}],
            pa.schema([("chargeback_id", pa.string()), ("transaction_id", pa.string()), ("reported_at", TS),
                       ("reason", pa.string()), ("reported_date", pa.date32())])),
    }
    for name, table in tables.items():
        write_deltalake(str(warehouse / "bronze" / name), table, mode="overwrite")
    return {"silver_rows": 6}
