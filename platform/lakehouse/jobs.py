"""The daily pipeline job and its schedule, built from the assets' own partitions definitions: an asset
joins `daily_pipeline` (ingest -> process -> score -> daily report, monitoring) by being daily
partitioned — nothing to list here when a stage adds one.

Other periods have their own jobs next to their stage: `ml_weekly_training` (lakehouse.ml.schedules)
and the weekly / monthly report jobs (lakehouse.reporting.jobs). Schedules are built with
`build_schedule_from_partitioned_job`, so each tick requests the partition that has just ended;
backfills of any range go through the UI (asset backfills honour the single-run policy of the Spark
assets).
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

from lakehouse.config.dataset import DatasetConfig
from lakehouse.partitions import Calendar

DAILY_JOB = "daily_pipeline"


def keys_partitioned_by(assets: Sequence[Any], partitions_def: PartitionsDefinition) -> list[AssetKey]:
    """Keys of the assets (multi-assets count key by key) partitioned exactly by `partitions_def`."""
    return [
        key
        for a in assets
        if isinstance(a, AssetsDefinition) and a.partitions_def == partitions_def
        for key in a.keys
    ]


def build_daily_pipeline(assets: Sequence[Any], calendar: Calendar) -> Any:
    """Every daily asset as one partitioned job (unresolved until Definitions resolves it)."""
    return define_asset_job(
        DAILY_JOB,
        selection=AssetSelection.assets(*keys_partitioned_by(assets, calendar.daily)),
        partitions_def=calendar.daily,
        description="Every daily asset, ingestion to the daily report, for one day (or a day range as one run).",
    )


def build_daily_schedule(job: Any, dataset: DatasetConfig, running: bool) -> Any:
    """The daily pipeline for the day just ended; `running` (the profile's choice) decides whether it
    starts on."""
    return build_schedule_from_partitioned_job(
        job, name=f"{DAILY_JOB}_schedule", hour_of_day=dataset.schedules.daily.hour,
        minute_of_hour=dataset.schedules.daily.minute,
        default_status=DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED,
    )
