"""The churn demo generator: deterministic bytes whatever the batching, and a truth the pipeline tests
can rely on (rejected rows, late and re-sent rows, plan changes between two database reads)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

from lakehouse_tools.demo.churn.accounts import DEFAULT_SQLITE
from lakehouse_tools.demo.churn.generator import land_days
from lakehouse_tools.demo.churn.population import NEVER, build_population
from lakehouse_tools.demo.churn.settings import ChurnSettings
from lakehouse_tools.demo.streams import day_key

FIRST, MIDDLE, LAST = date(2026, 1, 1), date(2026, 1, 7), date(2026, 1, 14)
SETTINGS = ChurnSettings(accounts=40)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for folder in ("landing", "stream") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def _accounts(root: Path) -> list[tuple]:
    with sqlite3.connect(root / DEFAULT_SQLITE) as db:
        return db.execute("SELECT * FROM accounts ORDER BY account_id").fetchall()


def test_landing_in_two_batches_writes_the_same_bytes_as_one(tmp_path: Path) -> None:
    whole = land_days(SETTINGS, tmp_path / "a", FIRST, LAST)
    land_days(SETTINGS, tmp_path / "b", FIRST, MIDDLE)
    second = land_days(SETTINGS, tmp_path / "b", MIDDLE + timedelta(days=1), LAST)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert len(_files(tmp_path / "a")) >= 2 * 14  # a CSV and a JSON file for every day, plus stream files
    assert _accounts(tmp_path / "a") == _accounts(tmp_path / "b")
    # The second batch's sync updated the accounts whose plan changed after the first batch's last day.
    pop = build_population(SETTINGS, LAST)
    changed = [i for i, at in enumerate(pop.change_at.tolist())
               if at != NEVER and (day_key(MIDDLE) + 1) * 86_400 <= at < (day_key(LAST) + 1) * 86_400
               and pop.signup_at[i] < (day_key(MIDDLE) + 1) * 86_400]
    assert second.account_changes["updated"] == len(changed)
    assert whole.accounts == pop.existing_on(LAST)


def test_truth_holds_dirty_late_and_resent_rows(tmp_path: Path) -> None:
    summary = land_days(SETTINGS, tmp_path, FIRST, LAST)
    rows = sum(sum(d.rows.values()) for d in summary.days)
    rejected = sum(sum(d.rejected.values()) for d in summary.days)
    landed_clean = sum(len(d.clean_ids) for d in summary.days)
    assert rejected > 0 and rows == landed_clean + rejected
    # Re-sent rows land twice, so there are fewer distinct clean ids than clean rows landed.
    assert len(summary.clean_ids()) < landed_clean
    web = (tmp_path / "landing/usage_web" / LAST.isoformat() / f"usage_web_{LAST.isoformat()}.csv").read_text()
    assert web.splitlines()[0] == "usage_id,account_id,event_time,minutes,sessions,errors,device"
    assert summary.cancelled() and all(at.endswith("Z") for at in summary.cancelled().values())
