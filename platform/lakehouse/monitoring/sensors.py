"""The retraining sensor: reads the newest monitoring/model_performance materialisation and, when its
metrics cross a threshold of monitoring.yaml, requests the weekly training job (its latest weekly
partition) once per breach episode (breach.py), with the reason in the run's tags.

Cursor: {"v": 1, "after": <storage id read>, "day": <newest day judged>, "episode": {...} | null}.
Run key: retrain:<model version>:<first breached day>, so a retried tick never launches twice.
Runs in the daemon: no pyspark here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DefaultSensorStatus,
    EventLogRecord,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    TimeWindowPartitionsDefinition,
    sensor,
)

from lakehouse.config.identifiers import dataset_key
from lakehouse.config.monitoring import MonitoringConfig
from lakehouse.monitoring.breach import Episode, breaches, judged, reason, step


def monitoring_key(dataset: str) -> AssetKey:
    """The daily monitoring asset of `dataset`, whose materialisations the retraining sensor reads."""
    return AssetKey(dataset_key(dataset, "monitoring/model_performance"))


SENSOR_NAME = "retrain_on_model_degradation"
REASON_TAG, DAY_TAG, VERSION_TAG = "lakehouse/retrain_reason", "lakehouse/monitoring_day", "lakehouse/model_version"
METRICS_TAG = "lakehouse/breached_metrics"
PAGE = 1000  # monitoring writes one materialisation per day: a page covers years
CURSOR_VERSION = 1


def parse_cursor(raw: str | None) -> tuple[int, str | None, Episode | None]:
    """(storage id read, newest day judged, open episode); a missing or unreadable cursor starts over
    (the newest day is judged again; the run key keeps an already requested episode from repeating)."""
    try:
        data = json.loads(raw) if raw else {}
        if data.get("v") != CURSOR_VERSION:
            return 0, None, None
        ep = data.get("episode")
        episode = Episode(ep["since"], ep["model_version"], tuple(ep["metrics"])) if ep else None
        return int(data["after"]), data.get("day"), episode
    except (ValueError, TypeError, KeyError):
        return 0, None, None


def dump_cursor(after: int, day: str | None, episode: Episode | None) -> str:
    payload = {"v": CURSOR_VERSION, "after": after, "day": day, "episode": asdict(episode) if episode else None}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def newest_day(records: Sequence[EventLogRecord], judged_day: str | None) -> EventLogRecord | None:
    """The materialisation of the newest day (latest write of it). Re-materialised older days (a backfill)
    describe the past, not the serving model now, so they are not judged."""
    fresh = [r for r in records if r.partition_key and (judged_day is None or r.partition_key >= judged_day)]
    return max(fresh, key=lambda r: (r.partition_key, r.storage_id)) if fresh else None


def build_retraining_sensor(
    weekly: TimeWindowPartitionsDefinition, config: MonitoringConfig, dataset: str, name: str = SENSOR_NAME
) -> SensorDefinition | None:
    """None when retraining.enabled is false. `weekly`: the training job's partitions (the request names
    the latest one, as the weekly schedule would); `dataset`: whose monitoring asset it reads."""
    settings = config.retraining
    if not settings.enabled:
        return None
    status = DefaultSensorStatus.RUNNING if settings.default_status == "running" else DefaultSensorStatus.STOPPED

    @sensor(
        name=name,
        job_name=settings.job,
        minimum_interval_seconds=settings.minimum_interval_seconds,
        default_status=status,
        description=f"Requests {settings.job} once per breach of the monitoring thresholds (docs/monitoring.md).",
    )
    def _sensor(context: SensorEvaluationContext) -> SensorResult:
        return evaluate(context, weekly, config, monitoring_key(dataset))

    return _sensor


def training_week(weekly: TimeWindowPartitionsDefinition, day: str) -> str | None:
    """The week to retrain: the one holding the breached day if it has ended, else the newest ended week.
    In production (the day is yesterday) that is the newest week; replayed or late monitoring of an old
    day trains on the data around that day, not on a week the clock reached without data (a demo)."""
    newest = weekly.get_last_partition_key()
    if newest is None:
        return None
    start = datetime.combine(date.fromisoformat(day), time(0), tzinfo=ZoneInfo(weekly.timezone))
    holding = weekly.get_partition_key_for_timestamp(start.timestamp())
    return min(holding, newest)  # ISO dates: text order is time order


def evaluate(
    context: SensorEvaluationContext, weekly: TimeWindowPartitionsDefinition, config: MonitoringConfig, monitored: AssetKey
) -> SensorResult:
    after, judged_day, episode = parse_cursor(context.cursor)
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=monitored, after_storage_id=after), limit=PAGE, ascending=True
    ).records
    if not records:
        return SensorResult(skip_reason=SkipReason("No new monitoring materialisation"), cursor=context.cursor)
    after = records[-1].storage_id
    latest = newest_day(records, judged_day)
    if latest is None or latest.asset_materialization is None:
        note = f"Only days before {judged_day} were re-materialised: not judged"
        return SensorResult(skip_reason=SkipReason(note), cursor=dump_cursor(after, judged_day, episode))
    day = str(latest.partition_key)
    metrics: dict[str, Any] = {k: v.value for k, v in latest.asset_materialization.metadata.items()}
    version = str(metrics.get("model_version") or "unknown")
    found = breaches(metrics, config.thresholds)
    new_episode, request = step(episode, day, version, found, judged(metrics, config.thresholds))
    week = training_week(weekly, day)
    if request and week is None:  # nothing to train yet; the breach is judged again next time
        return SensorResult(skip_reason=SkipReason("Breach, but no weekly partition exists yet"),
                            cursor=dump_cursor(after, judged_day, episode))
    cursor = dump_cursor(after, day, new_episode)
    why = reason(found, metrics)
    if not request:
        if new_episode:
            state = f"breach open since {new_episode.since}, retraining requested then" + (f": {why}" if why else "")
        elif judged(metrics, config.thresholds):
            state = "within thresholds"
        else:
            state = "nothing to judge yet (too few matured labels or reference rows)"
        return SensorResult(skip_reason=SkipReason(f"{day}, model v{version}: {state}"), cursor=cursor)
    assert new_episode is not None and week is not None
    context.log.info(f"Requesting {config.retraining.job} for week {week}: {why}")
    return SensorResult(
        run_requests=[RunRequest(
            run_key=f"retrain:{version}:{new_episode.since}",
            job_name=config.retraining.job,
            partition_key=week,
            tags={REASON_TAG: why, DAY_TAG: day, VERSION_TAG: version, METRICS_TAG: ",".join(new_episode.metrics)},
        )],
        cursor=cursor,
    )
