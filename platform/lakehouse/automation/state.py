"""The rematerialisation sensor's cursor: the only state it keeps between ticks (a restart resumes from it).

    {"v": 1,
     "after": 1234,                                   # upstream events up to this storage id are read
     "waiting": {"gold/transaction_features": [1201]},  # events whose run had not finished yet
     "pending": {"reporting/weekly_report|2026-01-05":
                 [1190, "<run id>", 1767600000.0, "scoring/predictions|2026-01-07"]}}

`pending` holds stale downstream partitions not requested yet (being materialised by another run, an
upstream partition in progress, or over the per-tick cap) with the upstream event that made them stale.
Both maps are bounded by what is in flight: an entry leaves once its run finishes or it is requested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from dagster import AssetKey

from lakehouse.automation.events import Trigger
from lakehouse.automation.graph import Target

VERSION = 1
_SEP = "|"  # asset keys are `schema/table`; partition keys are dates: neither holds a `|`


@dataclass
class Cursor:
    after: int
    waiting: dict[AssetKey, list[int]] = field(default_factory=dict)
    pending: dict[Target, Trigger] = field(default_factory=dict)


def target_id(target: Target) -> str:
    key, partition = target
    return key.to_user_string() + (_SEP + partition if partition is not None else "")


def parse_target(text: str) -> Target:
    key, sep, partition = text.partition(_SEP)
    return AssetKey.from_user_string(key), (partition if sep else None)


def parse_cursor(raw: str | None) -> Cursor | None:
    """None when there is no cursor or it is unreadable (then the sensor starts from the newest event)."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
        if data.get("v") != VERSION:
            return None
        waiting = {AssetKey.from_user_string(k): [int(i) for i in ids] for k, ids in data.get("waiting", {}).items()}
        pending = {
            parse_target(t): Trigger(int(sid), str(run_id), float(ts), str(source))
            for t, (sid, run_id, ts, source) in data.get("pending", {}).items()
        }
        return Cursor(int(data["after"]), waiting, pending)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None


def dump_cursor(cursor: Cursor) -> str:
    return json.dumps(
        {
            "v": VERSION,
            "after": cursor.after,
            "waiting": {k.to_user_string(): sorted(ids) for k, ids in sorted(cursor.waiting.items()) if ids},
            "pending": {
                target_id(t): [tr.storage_id, tr.run_id, tr.timestamp, tr.source]
                for t, tr in sorted(cursor.pending.items(), key=lambda item: target_id(item[0]))
            },
        },
        sort_keys=True,
        separators=(",", ":"),
    )
