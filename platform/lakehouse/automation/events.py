"""What the rematerialisation sensors read from the Dagster instance, cached for one tick.

Only public instance methods: materialisation records (`fetch_materializations`), run records, and the
ASSET_MATERIALIZATION_PLANNED / ASSET_CHECK_EVALUATION events of runs. The planned events are what
Dagster writes when a run is created (queued or not), one per asset and partition (or partition range)
the run will materialise, so they say what an unfinished run is about to write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    EventLogRecord,
    RunRecord,
    RunsFilter,
)

from lakehouse.automation.graph import Target

# Runs that may still write: everything but the terminal statuses (queued runs included, unlike
# Dagster's IN_PROGRESS_RUN_STATUSES, because a queued run will write what it planned).
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
UNFINISHED = [s for s in DagsterRunStatus if s not in FINISHED and s != DagsterRunStatus.MANAGED]


@dataclass(frozen=True)
class Trigger:
    """The upstream materialisation that makes a downstream partition stale."""

    storage_id: int
    run_id: str  # "" for a runless event (reported data)
    timestamp: float
    source: str = ""  # `schema/table|partition` of the upstream event, for run tags and logs


@dataclass(frozen=True)
class Event:
    key: AssetKey
    partition: str | None
    trigger: Trigger
    metadata: Mapping[str, Any]  # the materialisation's metadata, raw values


def to_event(record: EventLogRecord) -> Event:
    materialization = record.asset_materialization
    assert record.asset_key is not None and materialization is not None  # materialisation records only
    source = record.asset_key.to_user_string() + (f"|{record.partition_key}" if record.partition_key else "")
    trigger = Trigger(record.storage_id, record.run_id, record.timestamp, source)
    metadata = {name: value.value for name, value in materialization.metadata.items()}
    return Event(record.asset_key, record.partition_key, trigger, metadata)


class InstanceView:
    """Reads for one tick. Cached: a tick must see one consistent picture, and asks the same questions often."""

    def __init__(self, instance: DagsterInstance) -> None:
        self.instance = instance
        self.run_record = cache(self._run_record)
        self.failed_blocking_checks = cache(self._failed_blocking_checks)
        self.latest = cache(self._latest)

    def newest_storage_id(self, keys: Iterable[AssetKey]) -> int:
        newest = [self.instance.fetch_materializations(k, limit=1).records for k in keys]
        return max((r[0].storage_id for r in newest if r), default=0)

    def new_events(self, keys: Sequence[AssetKey], after: int, page: int) -> tuple[list[Event], int]:
        """Materialisations of `keys` with storage id > `after`, oldest first, and the new watermark.
        A key with more than `page` new events caps the watermark, so nothing is skipped."""
        fetched = [
            self.instance.fetch_materializations(
                AssetRecordsFilter(asset_key=k, after_storage_id=after), limit=page, ascending=True
            ).records
            for k in keys
        ]
        full = [records[-1].storage_id for records in fetched if len(records) == page]
        bound = min(full) if full else None
        events = sorted(
            (to_event(r) for records in fetched for r in records if bound is None or r.storage_id <= bound),
            key=lambda e: e.trigger.storage_id,
        )
        watermark = bound if bound is not None else max([after, *(e.trigger.storage_id for e in events)])
        return events, watermark

    def events_by_id(self, ids: Mapping[AssetKey, Sequence[int]]) -> list[Event]:
        records = [
            r
            for key, storage_ids in ids.items()
            if storage_ids
            for r in self.instance.fetch_materializations(
                AssetRecordsFilter(asset_key=key, storage_ids=list(storage_ids)), limit=len(storage_ids)
            ).records
        ]
        return sorted((to_event(r) for r in records), key=lambda e: e.trigger.storage_id)

    def _run_record(self, run_id: str) -> RunRecord | None:
        return self.instance.get_run_record_by_id(run_id) if run_id else None

    def finished(self, run_id: str) -> bool:
        """Runless events and deleted runs count as finished: nothing else will happen to them."""
        record = self.run_record(run_id)
        return record is None or record.dagster_run.status in FINISHED

    def _failed_blocking_checks(self, run_id: str) -> frozenset[Target]:
        """(asset, partition) whose blocking ERROR check failed in the run (partition None: whole run)."""
        if not run_id:
            return frozenset()
        records = self.instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
        failed = set()
        for record in records:
            dagster_event = record.event_log_entry.dagster_event
            evaluation = dagster_event.event_specific_data if dagster_event else None
            if (evaluation is not None and not evaluation.passed and evaluation.blocking
                    and evaluation.severity == AssetCheckSeverity.ERROR):
                failed.add((evaluation.asset_key, evaluation.partition))
        return frozenset(failed)

    def checks_failed(self, event: Event) -> bool:
        failed = self.failed_blocking_checks(event.trigger.run_id)
        return (event.key, event.partition) in failed or (event.key, None) in failed

    def planned(self) -> dict[AssetKey, set[str | None]]:
        """What unfinished runs will materialise: {asset: partitions}; None = unpartitioned / all."""
        result: dict[AssetKey, set[str | None]] = {}
        for run in self.instance.get_runs(RunsFilter(statuses=UNFINISHED)):
            records = self.instance.get_records_for_run(
                run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED
            ).records
            for record in records:
                dagster_event = record.event_log_entry.dagster_event
                data = dagster_event.event_specific_data if dagster_event else None
                if data is None:
                    continue
                keys = data.partitions_subset.get_partition_keys() if data.partitions_subset else [data.partition]
                result.setdefault(data.asset_key, set()).update(keys)
        return result

    def _latest(self, key: AssetKey, partition: str | None) -> EventLogRecord | None:
        records = self.instance.fetch_materializations(
            AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None), limit=1
        ).records
        return records[0] if records else None

    def up_to_date(self, key: AssetKey, partition: str | None, trigger: Trigger) -> bool:
        """Whether the partition was materialised after, and from data that includes, the trigger: in the
        same run after it (a daily run doing gold then predictions), or by a run that started after it.
        A run that started before the trigger may have read the old data, so it does not count."""
        record = self.latest(key, partition)
        if record is None or record.storage_id <= trigger.storage_id:
            return False
        if trigger.run_id and record.run_id == trigger.run_id:
            return True
        run = self.run_record(record.run_id)
        started = record.timestamp if run is None else run.start_time
        return started is not None and started >= trigger.timestamp


def busy(planned: Mapping[AssetKey, set[str | None]], target: Target) -> bool:
    """Whether an unfinished run will write the target (partition None: any partition of the asset)."""
    key, partition = target
    partitions = planned.get(key)
    if not partitions:
        return False
    return partition is None or partition in partitions or None in partitions
