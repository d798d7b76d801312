"""Daily usage rows and the landing files they arrive in.

An account uses the service on a day with its own probability; in the ten days before it cancels, it
uses it less and less, watches less and hits more playback errors — the signal the model can learn.
Web and TV usage is exported as CSV, app usage as JSON lines. A landing day's folder holds that day's
rows plus the previous day's late rows and re-sent duplicates, so its bytes depend only on the days up
to it, never on how many days are generated in one call.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from lakehouse_tools.demo.churn.population import DEVICES, Population, Stream, rng
from lakehouse_tools.demo.churn.settings import ChurnSettings
from lakehouse_tools.demo.files import atomic_write, remove_files
from lakehouse_tools.demo.streams import day_key, iso_utc

LANDING = {"usage_web": Path("landing/usage_web"), "usage_app": Path("landing/usage_app")}
COLUMNS = ("usage_id", "account_id", "event_time", "minutes", "sessions", "errors", "device")
WEB_DEVICES = ("web", "tv")  # exported by the players' CSV; ios / android by the apps' JSON
SPELLINGS = {"web": "Browser", "tv": "Smart_TV", "ios": "iPhone", "android": " Android "}
UNKNOWN_DEVICE = "fridge"
_NEAR_DAYS = 10  # usage fades over the last days before a cancellation


@dataclass(frozen=True)
class UsageRow:
    values: dict[str, object]  # the row as exported (None: an empty value)
    source: str  # usage_web | usage_app
    late: bool  # exported with the next day's file
    duplicate: bool  # exported again with the next day's file
    bad: bool  # no account_id: bronze quarantines it
    resent: bool = False  # this copy is the re-sent one, in the next day's file


def day_rows(settings: ChurnSettings, pop: Population, day: date) -> list[UsageRow]:
    """The usage of `day` by every account active that day (signed up before it, not yet cancelled)."""
    key = day_key(day)
    n = pop.existing_on(day - timedelta(days=1))  # usage starts the day after the signup
    r, dirt = rng(settings.seed, Stream.USAGE, key), rng(settings.seed, Stream.DIRT, key)
    until_cancel = pop.cancel_at[:n] // 86_400 - key  # days left; <= 0: already gone
    near = until_cancel <= _NEAR_DAYS
    fade = np.where(near, np.clip(until_cancel, 0, None) / _NEAR_DAYS, 1.0)
    u, noise, extra = r.random(n), r.lognormal(0.0, 0.35, n), r.random(n)
    second = r.integers(6 * 3600, 86_340, n)  # the day's last session ends between 06:00 and 23:59
    used = (until_cancel > 0) & (u < pop.usage_prob[:n] * np.where(near, 0.35 + 0.65 * fade, 1.0))
    minutes = np.round(np.clip(pop.base_minutes[:n] * noise * np.where(near, 0.15 + 0.85 * fade, 1.0), 1.0, 480.0), 1)
    sessions = 1 + r.poisson(minutes / 30.0)
    errors = r.poisson(np.where(near, 1.2, 0.15), n)
    device = np.where(extra < 0.85, pop.device[:n], r.integers(0, len(DEVICES), n))
    times = iso_utc(key * 86_400 + second)
    d = dirt.random((n, 6))
    rows = []
    for i in np.flatnonzero(used).tolist():
        name = DEVICES[device[i]]
        bad = bool(d[i, 0] < settings.missing_account_share)
        spelled = SPELLINGS[name] if d[i, 1] < settings.spelling_share else name
        shown = UNKNOWN_DEVICE if d[i, 2] < settings.unknown_device_share else spelled
        app = name not in WEB_DEVICES
        values: dict[str, object] = {  # as UsageRow.values (a bare literal infers a narrower, invariant type)
            "usage_id": f"u-{pop.ids[i]}-{day.strftime('%Y%m%d')}",
            "account_id": None if bad else pop.ids[i],
            "event_time": times[i],
            "minutes": float(minutes[i]),
            "sessions": None if app and d[i, 3] < settings.missing_sessions_share else int(sessions[i]),
            # The web export writes an empty cell for "no errors"; the apps always send the number.
            "errors": None if not app and errors[i] == 0 else int(errors[i]),
            "device": shown,
        }
        # Late and duplicate rows must still be clean: a quarantined row is not re-sent.
        late = not bad and bool(d[i, 4] < settings.late_share)
        duplicate = not bad and not late and bool(d[i, 5] < settings.duplicate_share)
        rows.append(UsageRow(values, "usage_app" if app else "usage_web", late, duplicate, bad))
    return rows


def landed_rows(settings: ChurnSettings, pop: Population, day: date) -> list[UsageRow]:
    """What landing day `day` holds: its on-time rows, then the day before's late rows and duplicates."""
    today = [row for row in day_rows(settings, pop, day) if not row.late]
    before = day_rows(settings, pop, day - timedelta(days=1)) if day > settings.start_date else []
    return today + [replace(row, resent=row.duplicate) for row in before if row.late or row.duplicate]


def write_landing(root: Path, day: date, rows: list[UsageRow]) -> dict[str, Path]:
    """One file per source for the landing day (a source without rows gets an empty file: the folder
    must exist for the bronze partition); returns the written paths."""
    written = {}
    for source, folder in LANDING.items():
        mine = [row.values for row in rows if row.source == source]
        target = folder / day.isoformat()
        if source == "usage_web":
            remove_files(root / target, "*.csv")
            path, data = target / f"{source}_{day.isoformat()}.csv", _csv(mine)
        else:
            remove_files(root / target, "*.jsonl")
            path, data = target / f"{source}_{day.isoformat()}.jsonl", _jsonl(mine)
        atomic_write(root / path, data)
        written[source] = root / path
    return written


def _csv(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([["" if row[c] is None else row[c] for c in COLUMNS] for row in rows])
    return out.getvalue().encode()


def _jsonl(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows).encode()
