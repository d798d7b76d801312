"""Pipeline jobs and their schedules, one per partition granularity, built from the assets' own
partitions definitions: an asset joins the daily, weekly-reports or monthly job by being daily, weekly
or monthly partitioned — nothing to list here when a stage adds one.

- `daily_pipeline`: every daily asset (ingest -> process -> score -> daily report, monitoring).
- `ml_weekly_training` (lakehouse.ml.schedules): the weekly model; its own schedule.
- `weekly_reports` / `monthly_reports`: every other weekly / monthly asset (the period reports).
Schedules are built with `build_schedule_from_partitioned_job`, so each tick requests the partition
that has just ended; backfills of any range go through the UI (asset backfills honour the single-run
policy of the Spark assets).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster import (
    AssetKey,
    AssetSelection,
    AssetsDefinition,
    DefaultScheduleStatus,
    PartitionsDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from lakehouse.config.dataset import DatasetConfig, ScheduleTime
from lakehouse.ml.assets import MODEL_KEY, TRAINING_SET_KEY
from lakehouse.partitions import Calendar

DAILY_JOB, WEEKLY_JOB, MONTHLY_JOB = "daily_pipeline", "weekly_reports", "monthly_reports"
_ML_KEYS = {TRAINING_SET_KEY, MODEL_KEY}


def keys_partitioned_by(assets: Sequence[Any], partitions_def: PartitionsDefinition) -> list[AssetKey]:
    """Keys of the assets (multi-assets count key by key) partitioned exactly by `partitions_def`."""
    return [
        key
        for a in assets
        if isinstance(a, AssetsDefinition) and a.partitions_def == partitions_def
        for key in a.keys
        if key not in _ML_KEYS
    ]


def build_pipeline_jobs(assets: Sequence[Any], calendar: Calendar) -> dict[str, Any]:
    """The three partitioned jobs (unresolved until Definitions resolves them)."""
    described = {
        DAILY_JOB: (calendar.daily, "Every daily asset, ingestion to the daily report, for one day (or a range)."),
        WEEKLY_JOB: (calendar.weekly, "The weekly reports (the model has its own job, ml_weekly_training)."),
        MONTHLY_JOB: (calendar.monthly, "The monthly reports."),
    }
    jobs = {}
    for name, (partitions_def, description) in described.items():
        keys = keys_partitioned_by(assets, partitions_def)
        if keys:
            jobs[name] = define_asset_job(name, selection=AssetSelection.assets(*keys),
                                          partitions_def=partitions_def, description=description)
    return jobs


def build_pipeline_schedules(jobs: dict[str, Any], dataset: DatasetConfig, running: bool) -> list[Any]:
    """One schedule per job; `running` (the profile's choice) decides whether they start on."""
    status = DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED
    times: dict[str, tuple[ScheduleTime, dict[str, int]]] = {
        DAILY_JOB: (dataset.schedules.daily, {}),
        WEEKLY_JOB: (dataset.schedules.weekly_reports, {"day_of_week": 1}),
        MONTHLY_JOB: (dataset.schedules.monthly_reports, {"day_of_month": 1}),
    }
    return [
        build_schedule_from_partitioned_job(
            job, name=f"{name}_schedule", hour_of_day=times[name][0].hour, minute_of_hour=times[name][0].minute,
            default_status=status, **times[name][1],
        )
        for name, job in jobs.items()
    ]
