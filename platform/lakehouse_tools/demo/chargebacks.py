"""Chargebacks: labels that arrive days after the transaction, as a stream of JSON-lines files.

Landing day D decides which of its transactions will be charged back and when, and stages those
events under `_generator/chargebacks_pending/<report day>/from_<D>.jsonl`. The stream folder of a
day R is assembled from what earlier days staged for R, so nothing appears in the stream before
the day it is reported, and a day's folder depends only on the days before it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np

from lakehouse_tools.demo.files import atomic_write, file_record, remove_files
from lakehouse_tools.demo.streams import FORMAT_CODE, Stream, from_key, iso_utc, rng
from lakehouse_tools.demo.transactions import DayContext

PENDING = Path("_generator/chargebacks_pending")
STREAM = Path("stream/chargebacks")
MISLABELED_SHARE = 0.3  # unreported fraud that still comes back, but as a "dispute"
DISPUTE_SHARE = 0.7  # legit chargebacks: dispute vs other


def select(
    ctx: DayContext, fmt: str, file_no: int, chunk_no: int, tids: list[str], is_fraud: np.ndarray, ok: np.ndarray
) -> list[tuple[int, str]]:
    """(report day key, JSON line) for the transactions of one chunk that get a chargeback."""
    s = ctx.settings
    r = rng(s.seed, Stream.CHARGEBACKS, ctx.key, FORMAT_CODE[fmt], file_no, chunk_no)
    n = len(tids)
    u, reason_u = r.random(n), r.random(n)
    delay = np.round(r.lognormal(np.log(s.chargeback_delay_median_days), s.chargeback_delay_sigma, n))
    delay = delay.clip(1, s.chargeback_delay_max_days).astype(np.int64)
    time_of_day = r.integers(6 * 3600, 22 * 3600, n)
    share = s.fraud_chargeback_share
    fraud = is_fraud & (u < share)
    mislabeled = is_fraud & (u >= share) & (u < share + (1 - share) * MISLABELED_SHARE)
    legit = ~is_fraud & (u < s.dispute_rate)
    chosen = np.flatnonzero((fraud | mislabeled | legit) & ok)
    # Reports count from the landing day: a late-arriving transaction cannot be disputed before it lands.
    report_day = ctx.key + delay[chosen]
    reported = iso_utc(report_day * 86_400 + time_of_day[chosen])
    out = []
    for i, day_key, at in zip(chosen.tolist(), report_day.tolist(), reported):
        reason = "fraud" if fraud[i] else "dispute" if (mislabeled[i] or reason_u[i] < DISPUTE_SHARE) else "other"
        tid = tids[i]
        line = json.dumps(
            {"chargeback_id": "cb-" + tid[3:], "transaction_id": tid, "reported_at": at, "reason": reason},
            separators=(",", ":"),
        )
        out.append((day_key, line))
    return out


def stage(root: Path, landed: date, items: list[tuple[int, str]]) -> int:
    """Replace what landing day `landed` staged before; returns the number of staged events."""
    name = f"from_{landed.isoformat()}.jsonl"
    remove_files(root / PENDING, f"*/{name}")
    by_day: dict[int, list[str]] = {}
    for day_key, line in items:
        by_day.setdefault(day_key, []).append(line)
    for day_key, lines in sorted(by_day.items()):
        atomic_write(root / PENDING / from_key(day_key).isoformat() / name, ("\n".join(lines) + "\n").encode())
    return len(items)


def land(root: Path, day: date, files_per_day: int) -> tuple[list[dict], dict[str, int]]:
    """Write the stream folder of `day` from staged events; returns file records and counts by reason."""
    folder = root / STREAM / day.isoformat()
    remove_files(folder, "chargebacks_*.json")
    events = []
    for staged in sorted((root / PENDING / day.isoformat()).glob("from_*.jsonl")):
        events += [(json.loads(line), line) for line in staged.read_text().splitlines() if line]
    events.sort(key=lambda e: (e[0]["reported_at"], e[0]["chargeback_id"]))
    counts: dict[str, int] = {"fraud": 0, "dispute": 0, "other": 0}
    for event, _ in events:
        counts[event["reason"]] += 1
    records = []
    n_files = min(files_per_day, len(events))
    for k in range(n_files):
        part = events[k * len(events) // n_files : (k + 1) * len(events) // n_files]
        rel = STREAM / day.isoformat() / f"chargebacks_{day.isoformat()}_{k + 1:02d}.json"
        data = ("\n".join(line for _, line in part) + "\n").encode()
        atomic_write(root / rel, data)
        records.append(file_record(rel, data, rows=len(part)))
    return records, counts
