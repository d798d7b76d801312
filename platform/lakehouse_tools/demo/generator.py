"""Public API: land demo days under a root folder and keep the source tables in step.

    from lakehouse_tools.demo.generator import generate, land_next_day
    from lakehouse_tools.demo.settings import GeneratorSettings

    generate(GeneratorSettings(days=7, rows_per_day=50_000), Path(".lakehouse"))
    land_next_day(GeneratorSettings(rows_per_day=50_000), Path(".lakehouse"))

Layout under `root`: landing/transactions_csv/<day>/pos_<day>_<nn>.csv,
landing/transactions_json/<day>/online_<day>_<nn>.jsonl, stream/chargebacks/<day>/chargebacks_<day>_<nn>.json,
sources/demo_sources.sqlite (unless `source_url` names another database), _generator/manifest.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np

from lakehouse_tools.demo import catalog as cat
from lakehouse_tools.demo import chargebacks, manifest
from lakehouse_tools.demo.cdc import day_changes, state_as_of
from lakehouse_tools.demo.dirty import ALL_KINDS
from lakehouse_tools.demo.entities import Entities, entities_for
from lakehouse_tools.demo.files import atomic_write
from lakehouse_tools.demo.settings import GeneratorSettings
from lakehouse_tools.demo.sources import default_url, make_engine, sync_sources
from lakehouse_tools.demo.streams import day_key, from_key, iso_utc, to_datetime
from lakehouse_tools.demo.transactions import day_context
from lakehouse_tools.demo.writer import write_format

TRUTH = Path("_generator/truth")


@dataclass(frozen=True)
class DaySummary:
    day: date
    transaction_rows: int
    fraud: int
    files: int
    dirty_rows: int
    chargebacks: int
    customer_changes: int
    seconds: float

    def line(self) -> str:
        return (
            f"{self.day} transactions={self.transaction_rows} fraud={self.fraud} files={self.files} "
            f"dirty_rows={self.dirty_rows} chargebacks={self.chargebacks} "
            f"customer_changes={self.customer_changes} ({self.seconds:.1f}s)"
        )


@dataclass(frozen=True)
class GenerationSummary:
    root: Path
    source_url: str  # password hidden
    days: tuple[DaySummary, ...]
    source_changes: dict[str, dict[str, int]]  # rows inserted/updated/deleted per source table


def generate(settings: GeneratorSettings, root: Path, source_url: str | None = None) -> GenerationSummary:
    """Land days start_date .. start_date + days - 1 (again, if already landed: same bytes)."""
    days = [settings.start_date + timedelta(days=i) for i in range(settings.days)]
    return _land(settings, Path(root), days, source_url)


def land_next_day(settings: GeneratorSettings, root: Path, source_url: str | None = None) -> GenerationSummary:
    """Land the day after the last one in the manifest (start_date on an empty root)."""
    return land_next_days(settings, root, 1, source_url)


def land_next_days(
    settings: GeneratorSettings, root: Path, count: int, source_url: str | None = None
) -> GenerationSummary:
    """Land the `count` days after the last one in the manifest; the source tables are synced once, to
    the state after the last of them (as if the databases were read at the end of the batch)."""
    landed = manifest.landed_days(manifest.load(Path(root)))
    first = landed[-1] + timedelta(days=1) if landed else settings.start_date
    return _land(settings, Path(root), [first + timedelta(days=i) for i in range(count)], source_url)


def _land(settings: GeneratorSettings, root: Path, days: list[date], source_url: str | None) -> GenerationSummary:
    state = manifest.load(root)
    manifest.check_entities(state, settings, root)
    engine = make_engine(source_url or default_url(root))
    try:
        with engine.connect():  # fail before writing files if the database is unreachable
            pass
        state["entity_key"] = settings.entity_key()
        state["settings"] = settings.model_dump(mode="json", exclude={"days"})  # days landed are listed below
        summaries = []
        for day in days:
            started = perf_counter()
            record = land_day(settings, root, day)
            state["days"][day.isoformat()] = record
            manifest.save(root, state)  # after every day: an interrupted run keeps what it landed
            summaries.append(_summary(record, perf_counter() - started))
        # The tables always show the newest landed day, however the days were landed.
        last = day_key(manifest.landed_days(state)[-1])
        ents = entities_for(settings)
        changes = sync_sources(engine, customer_rows(settings, ents, last), merchant_rows(ents))
        url = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    return GenerationSummary(root, url, tuple(summaries), changes)


def land_day(settings: GeneratorSettings, root: Path, day: date) -> dict[str, Any]:
    """Write one day's transaction files, chargeback stream and truth; return its manifest record."""
    if day < settings.start_date:
        raise ValueError(f"{day} is before start_date {settings.start_date}")
    ctx = day_context(settings, day)
    n_csv = round(settings.rows_per_day * settings.csv_share)
    outputs = write_format(ctx, root, "csv", n_csv, settings.csv_files_per_day)
    outputs += write_format(ctx, root, "jsonl", settings.rows_per_day - n_csv, settings.json_files_per_day)
    files = [o.record for o in outputs]

    staged = chargebacks.stage(root, day, [item for o in outputs for item in o.chargebacks])
    cb_files, by_reason = chargebacks.land(root, day, settings.chargeback_files_per_day)

    truth_rel = TRUTH / f"{day.isoformat()}.csv"
    truth = ["transaction_id,file,dirty_kind"]
    truth += [f"{tid},{o.record['path']},{kind}" for o in outputs for tid, kind in o.fraud_ids]
    atomic_write(root / truth_rel, ("\n".join(truth) + "\n").encode())

    changes = day_changes(settings, ctx.entities.customers, ctx.key)
    late_ids = ctx.entities.customers.ids[changes.late].tolist()
    dirty = dict.fromkeys(ALL_KINDS, 0)
    for f in files:
        for kind, n in f["dirty_rows"].items():
            dirty[kind] += n
        for kind in ("missing_column", "extra_column", "empty_file"):
            dirty[kind] += kind in f["file_issues"]
    dirty["out_of_order_customer_update"] = len(late_ids)
    return {
        "date": day.isoformat(),
        "transactions": {
            "rows": sum(f["rows"] for f in files),
            "fraud": sum(f["fraud"] for f in files),
            "files": files,
        },
        "chargebacks": {
            "rows": sum(by_reason.values()),
            "by_reason": by_reason,
            "staged_for_later_days": staged,
            "files": cb_files,
        },
        "customers": {
            "inserted": len(changes.inserted),
            "updated": len(changes.updated),
            "deleted": len(changes.deleted),
            "out_of_order_updates": [
                {"customer_id": cid, "updated_at": at} for cid, at in zip(late_ids, iso_utc(changes.late_time))
            ],
        },
        "dirty": dirty,
        "fraud_truth": truth_rel.as_posix(),
    }


def _summary(record: dict[str, Any], seconds: float) -> DaySummary:
    tx, cust, dirty = record["transactions"], record["customers"], record["dirty"]
    return DaySummary(
        day=date.fromisoformat(record["date"]),
        transaction_rows=tx["rows"],
        fraud=tx["fraud"],
        files=len(tx["files"]),
        dirty_rows=sum(n for f in tx["files"] for n in f["dirty_rows"].values()),
        chargebacks=record["chargebacks"]["rows"],
        customer_changes=cust["inserted"] + cust["updated"] + cust["deleted"] + dirty["out_of_order_customer_update"],
        seconds=seconds,
    )


def customer_rows(settings: GeneratorSettings, ents: Entities, last_key: int) -> list[dict[str, Any]]:
    """Customers as they stand after day `last_key` (signed up by then; deletes are soft)."""
    c = ents.customers
    st = state_as_of(settings, c, last_key)
    idx = np.flatnonzero(st.present)
    return [
        {
            "customer_id": c.ids[i],
            "signup_date": from_key(c.signup_day[i]),
            "segment": cat.SEGMENTS[st.segment[i]],
            "home_country": cat.COUNTRIES[c.home[i]],
            "birth_year": int(c.birth_year[i]),
            "credit_limit": int(st.credit_limit[i]),
            "updated_at": to_datetime(st.updated_at[i]),
            "is_deleted": bool(st.is_deleted[i]),
        }
        for i in idx.tolist()
    ]


def merchant_rows(ents: Entities) -> list[dict[str, Any]]:
    m = ents.merchants
    return [
        {
            "merchant_id": m.ids[i],
            "name": m.names[i],
            "category": cat.CATEGORIES[m.category[i]],
            "country": cat.COUNTRIES[m.country[i]],
            "risk_tier": cat.RISK_TIERS[m.risk[i]],
            "updated_at": to_datetime(m.updated_at[i]),
        }
        for i in range(len(m.ids))
    ]
