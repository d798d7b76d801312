"""Which stale downstream partitions to request this tick: pure functions, no instance access.

Stale partitions are grouped into runs by (job, partition): one job per partitions definition, so a
day's daily assets share one run, and the week and the month get a run each. Groups are decided in
topological order, oldest partition first. A group waits (stays in the cursor) while
- another run will write one of its partitions (the daily schedule mid-run: no duplicate),
- a partition it reads is being written by a run, or is requested / waiting this tick (a weekly summary
  that reads daily summaries waits until they are rebuilt, instead of reading the old ones),
- the per-tick cap is reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dagster import AssetKey

from lakehouse.automation.events import Trigger
from lakehouse.automation.graph import Target

BEING_WRITTEN = "being materialised by another run"
UPSTREAM_BUSY = "an upstream partition it reads is in progress"
UPSTREAM_HELD = "an upstream partition it reads is requested or waiting this tick"
CAPPED = "over max_partitions_per_tick"


@dataclass(frozen=True)
class Group:
    job: str
    partition: str | None
    keys: tuple[AssetKey, ...]
    trigger: Trigger  # the newest upstream event among the members
    level: int

    def targets(self) -> set[Target]:
        return {(k, self.partition) for k in self.keys}


def newest(a: Trigger | None, b: Trigger) -> Trigger:
    return b if a is None or b.storage_id > a.storage_id else a


def group(stale: Mapping[Target, Trigger], job_of: Mapping[AssetKey, str], levels: Mapping[AssetKey, int]) -> list[Group]:
    members: dict[tuple[str, str | None], list[AssetKey]] = {}
    triggers: dict[tuple[str, str | None], Trigger] = {}
    for (key, partition), trigger in stale.items():
        slot = (job_of[key], partition)
        members.setdefault(slot, []).append(key)
        triggers[slot] = newest(triggers.get(slot), trigger)
    groups = [
        Group(job, partition, tuple(sorted(keys, key=AssetKey.to_user_string)), triggers[(job, partition)],
              min(levels[k] for k in keys))
        for (job, partition), keys in members.items()
    ]
    return sorted(groups, key=lambda g: (g.level, g.partition or "", g.job))


def _overlaps(target: Target, held: Mapping[AssetKey, set[str | None]]) -> bool:
    key, partition = target
    partitions = held.get(key, set())
    return bool(partitions) and (partition is None or partition in partitions or None in partitions)


def choose(
    groups: list[Group],
    parents: Callable[[Group], set[Target]],
    busy: Callable[[Target], bool],
    cap: int,
) -> tuple[list[Group], list[tuple[Group, str]]]:
    """(groups to request now, groups that wait with the reason). `groups` must be in `group()`'s order."""
    requested: list[Group] = []
    waiting: list[tuple[Group, str]] = []
    held: dict[AssetKey, set[str | None]] = {}
    for g in groups:
        own = g.targets()
        upstream = parents(g) - own  # assets of the same run are ordered by the run itself
        if any(busy(t) for t in own):
            reason: str | None = BEING_WRITTEN
        elif any(busy(t) for t in upstream):
            reason = UPSTREAM_BUSY
        elif any(_overlaps(t, held) for t in upstream):
            reason = UPSTREAM_HELD
        elif len(requested) >= cap:
            reason = CAPPED
        else:
            reason = None
        if reason is None:
            requested.append(g)
        else:
            waiting.append((g, reason))
        for key, partition in own:
            held.setdefault(key, set()).add(partition)
    return requested, waiting
