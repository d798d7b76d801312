"""Label maturity refresh: a day's labels change until its maturity delay has passed, because label
events (chargebacks) arrive up to `window_days` later, or — for a label that is an expression on the row
— the day is final only `known_after_days` after it (`maturity_days` either way). The daily pipeline
computes labels for the day just ended only, so this schedule recomputes every day whose labels can still
change — the trailing delay, as one single-run range — each day; the oldest of them becomes final
(`label_matured`) that day, which is what training and realised-performance monitoring read.
"""

from __future__ import annotations

from typing import Any

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.features import load_features
from lakehouse.config.processing import load_processing
from lakehouse.partitions import Calendar

LABELS_JOB = "labels_maturity_refresh"


def build_labels_refresh(dataset: DatasetConfig, calendar: Calendar, running: bool) -> tuple[Any, Any]:
    """(job, schedule): the labels of the last `maturity_days + 2` days, recomputed daily as one run.

    At a tick on day T the newest partition is T-1, and the events seen run through T-1; day D is final
    once an event from D + 1 + window is seen, so the day maturing now is T-1-(1+window): the range
    reaches back to it, and every younger day is refreshed with the events seen so far."""
    window = load_features(dataset.name).label.maturity_days
    key = AssetKey(["gold", load_processing(dataset.name).labels_table])
    job = define_asset_job(LABELS_JOB, selection=AssetSelection.assets(key), partitions_def=calendar.daily,
                           description=f"Recompute the labels of the last {window + 2} days (still maturing).")
    hour, minute = dataset.schedules.daily.hour + 1, dataset.schedules.daily.minute

    @schedule(
        name=f"{LABELS_JOB}_schedule", job=job, cron_schedule=f"{minute} {hour % 24} * * *",
        execution_timezone=dataset.partitions.timezone,
        default_status=DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED,
        description=f"Daily, after the daily pipeline: labels of the {window + 2} days that may still change "
                    "(label events still arriving, or the maturity delay not passed); the oldest becomes final.",
    )
    def labels_refresh(context: ScheduleEvaluationContext) -> RunRequest:
        keys = calendar.daily.get_partition_keys(current_time=context.scheduled_execution_time)
        first = max(0, len(keys) - (window + 2))
        last_key = keys[-1]
        return RunRequest(
            run_key=f"labels_{last_key}",
            tags={"dagster/asset_partition_range_start": keys[first], "dagster/asset_partition_range_end": last_key},
        )

    return job, labels_refresh
