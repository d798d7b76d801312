"""Landing changes batched into runs: as few runs as the partitions allow (the file ingestion assets have
`BackfillPolicy.single_run()`, so consecutive days run as one range)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dagster import AssetKey, RunRequest

from lakehouse.config.sources import SourceConfig


@dataclass(frozen=True)
class DayFolder:
    day: str
    fingerprint: str
    files: int


def fingerprint(entries: Sequence[tuple[str, int, int]]) -> str:
    """Digest of (name, size, mtime_ns) triples: changes when a file is added, removed or rewritten."""
    text = "\n".join(f"{name}\t{size}\t{mtime}" for name, size, mtime in sorted(entries))
    return hashlib.sha256(text.encode()).hexdigest()[:16]  # 64 bits: collisions are not a concern here


def run_key(source: str, day: str, fp: str) -> str:
    return f"landing:{source}:{day}:{fp}"


Change = tuple[str, SourceConfig, DayFolder]  # (day, source, its day folder)


def batch_changes(changed: Sequence[Change]) -> list[list[Change]]:
    """Changes grouped into as few runs as the partitions allow: one run per run of consecutive days
    whose changed sources are the same (a new day of every source: one run; a late file: one run).
    A gap or a different set of sources starts a new run, so no unchanged day or source is re-read."""
    by_day: dict[str, list[Change]] = {}
    for change in changed:
        by_day.setdefault(change[0], []).append(change)
    batches: list[list[Change]] = []
    previous: tuple[date, frozenset[str]] | None = None
    for day in sorted(by_day):
        sources = frozenset(c[1].name for c in by_day[day])
        current = (date.fromisoformat(day), sources)
        if previous and previous[1] == sources and current[0] - previous[0] == timedelta(days=1):
            batches[-1].extend(by_day[day])
        else:
            batches.append(list(by_day[day]))
        previous = current
    return batches


# The run queue (QueuedRunCoordinator) starts higher `dagster/priority` first, FIFO within a priority.
FRESHEST_PRIORITY, BACKDATED_PRIORITY = "1", "-1"


def range_request(batch: Sequence[Change], keys: Mapping[str, list[AssetKey]], freshest: str) -> RunRequest:
    """One run for a batch; a batch reaching the newest landed day (`freshest`) goes ahead of queued runs,
    a batch of older days (a late file, a backlog) behind them, so a rebuild never delays the newest day."""
    days = sorted({c[0] for c in batch})
    sources = sorted({c[1].name for c in batch})
    digest = fingerprint([(f"{c[1].name}/{c[0]}", 0, int(c[2].fingerprint, 16)) for c in batch])
    tags = {"lakehouse/source": ",".join(sources), "lakehouse/landing_files": str(sum(c[2].files for c in batch)),
            "dagster/priority": FRESHEST_PRIORITY if days[-1] >= freshest else BACKDATED_PRIORITY}
    selection = [k for s in sources for k in keys[s]]
    if len(days) == 1:
        return RunRequest(run_key=run_key(",".join(sources), days[0], digest), partition_key=days[0],
                          asset_selection=selection, tags=tags)
    # A single run over the range (the file ingestion assets have BackfillPolicy.single_run()).
    tags |= {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]}
    return RunRequest(run_key=run_key(",".join(sources), f"{days[0]}...{days[-1]}", digest),
                      asset_selection=selection, tags=tags)
