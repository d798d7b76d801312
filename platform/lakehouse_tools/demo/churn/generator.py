"""Public API: land churn demo days under a root folder and keep the billing database in step.

    from lakehouse_tools.demo.churn.generator import land_days
    from lakehouse_tools.demo.churn.settings import ChurnSettings

    land_days(ChurnSettings(), Path(".lakehouse"), date(2026, 1, 1), date(2026, 1, 28))

Re-landing a day writes the same bytes. The returned summary is the truth the pipeline's tables can be
checked against (which usage rows landed clean, which were rejected, which requests were exported).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lakehouse_tools.demo.churn.accounts import account_rows, default_url, sync_accounts
from lakehouse_tools.demo.churn.cancellations import exported_on, write_stream
from lakehouse_tools.demo.churn.population import build_population
from lakehouse_tools.demo.churn.settings import ChurnSettings
from lakehouse_tools.demo.churn.usage import landed_rows, write_landing


@dataclass(frozen=True)
class DayTruth:
    day: date
    rows: dict[str, int]  # rows per source file (usage_web, usage_app), rejected ones included
    rejected: dict[str, int]  # rows per source that bronze must quarantine (no account_id)
    resent: dict[str, int]  # rows per source exported again (the day before's duplicates, same usage_id)
    clean_ids: frozenset[str]  # usage ids that landed clean this day (late and re-sent rows included)
    cancelled: dict[str, str]  # account_id -> requested_at (ISO) of cancelled requests exported this day
    withdrawn: int  # withdrawn requests exported this day


@dataclass(frozen=True)
class LandingSummary:
    root: Path
    days: tuple[DayTruth, ...]
    accounts: int  # rows in the billing database after the sync
    account_changes: dict[str, int]  # inserted / updated / deleted by the sync

    def clean_ids(self) -> set[str]:
        """Distinct usage ids landed clean: what silver holds (duplicates removed)."""
        return set().union(*(d.clean_ids for d in self.days))

    def cancelled(self) -> dict[str, str]:
        return {account: at for d in self.days for account, at in d.cancelled.items()}


def land_days(
    settings: ChurnSettings, root: Path, first: date, last: date, source_url: str | None = None
) -> LandingSummary:
    """Write the usage and stream folders of days first .. last and sync `accounts` to the end of `last`."""
    if first < settings.start_date or last < first:
        raise ValueError(f"Days {first} .. {last} must be ordered and not before start_date {settings.start_date}")
    root = Path(root)
    pop = build_population(settings, last)
    truths = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        rows = landed_rows(settings, pop, day)
        write_landing(root, day, rows)
        requests = exported_on(pop, day)
        write_stream(root, day, requests)
        truths.append(DayTruth(
            day=day,
            rows={s: sum(r.source == s for r in rows) for s in ("usage_web", "usage_app")},
            rejected={s: sum(r.source == s and r.bad for r in rows) for s in ("usage_web", "usage_app")},
            resent={s: sum(r.source == s and r.resent for r in rows) for s in ("usage_web", "usage_app")},
            clean_ids=frozenset(str(r.values["usage_id"]) for r in rows if not r.bad),
            cancelled={q.account_id: q.requested_iso for q, _ in requests if q.status == "cancelled"},
            withdrawn=sum(q.status == "withdrawn" for q, _ in requests),
        ))
    accounts = account_rows(pop, last)
    changes = sync_accounts(source_url or default_url(root), accounts)
    return LandingSummary(root, tuple(truths), len(accounts), changes)
