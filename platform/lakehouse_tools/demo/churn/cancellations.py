"""Cancellation requests: the label stream, one folder of JSON lines per day the billing system exports.

A request made on day R reaches the stream folder of day R + delay (the account's export delay, 0 to
`max_export_delay_days`), so the labels arrive after the usage they judge, and the newest days' labels
are incomplete until later folders land. A folder's content depends only on the population, so it is
the same however the days are generated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from lakehouse_tools.demo.churn.population import NEVER, REASONS, Population
from lakehouse_tools.demo.files import atomic_write, remove_files
from lakehouse_tools.demo.streams import day_key, iso_utc

STREAM = Path("stream/cancellations")


@dataclass(frozen=True)
class Request:
    account_id: str
    requested_at: int  # epoch seconds
    status: str  # cancelled | withdrawn

    @property
    def requested_iso(self) -> str:
        return iso_utc(np.array([self.requested_at]))[0]

    def line(self, reason: str | None) -> str:
        row = {"cancellation_id": f"c-{self.account_id}-{self.status}", "account_id": self.account_id,
               "requested_at": self.requested_iso, "status": self.status, "reason": reason}
        return json.dumps(row, separators=(",", ":"))


def exported_on(pop: Population, day: date) -> list[tuple[Request, str | None]]:
    """The requests the stream folder of `day` carries, in request order, with their reasons."""
    key, out = day_key(day), []
    for i, account in enumerate(pop.ids):
        for at, status in ((pop.cancel_at[i], "cancelled"), (pop.withdrawn_at[i], "withdrawn")):
            if at != NEVER and at // 86_400 + pop.delay[i] == key:
                reason = REASONS[pop.reason[i]] if status == "cancelled" else None
                out.append((Request(account, int(at), status), reason))
    return sorted(out, key=lambda item: (item[0].requested_at, item[0].account_id))


def write_stream(root: Path, day: date, requests: list[tuple[Request, str | None]]) -> Path | None:
    """The day's stream file; none on a day without requests (the stream reads whatever files exist)."""
    folder = root / STREAM / day.isoformat()
    remove_files(folder, "*.json")
    (root / STREAM).mkdir(parents=True, exist_ok=True)  # the stream source refuses a missing folder
    if not requests:
        return None
    path = folder / f"cancellations_{day.isoformat()}.json"
    atomic_write(path, "".join(r.line(reason) + "\n" for r, reason in requests).encode())
    return path
