"""The daily pipeline job, built from the assets' own partitions definitions: an asset joins
`daily_pipeline` (ingest -> process -> score -> daily report, monitoring) by being daily partitioned —
nothing to list here when a stage adds one.

It has no schedule: in production the landing sensor ingests each landed day and Declarative Automation
runs the rest (lakehouse/automation, docs/automation.md). The job is for launching days by hand and for
job backfills; asset backfills of any range go through the UI and honour the single-run policy of the
Spark assets. Other periods have their own jobs next to their stage: `ml_weekly_training`
(lakehouse.ml.schedules) and the weekly / monthly report jobs (lakehouse.reporting.jobs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    PartitionsDefinition,
    define_asset_job,
)

from lakehouse.config.identifiers import dataset_key
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


def partitions_of(assets: Sequence[Any], dataset: str, key: str) -> PartitionsDefinition | None:
    """The partitions definition of the dataset's asset `key` (`schema/table`); a missing asset is an error."""
    wanted = AssetKey(dataset_key(dataset, key))
    for a in assets:
        if isinstance(a, AssetsDefinition) and wanted in a.keys:
            return a.partitions_def
    raise ValueError(f"No asset {key!r} in the code location")
