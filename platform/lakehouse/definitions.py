"""The code location: every asset, check, job, schedule and sensor, with resources for the profile.

`dagster dev -w workspace.yaml`, `dg dev`, the daemon and `make run` all load `defs` from here.
Loading reads only LAKEHOUSE_PROFILE and the repository's configuration files; it starts no JVM.
"""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor, multiprocess_executor

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import Profile, load_profile
from lakehouse.ingestion.assets import build_ingestion_assets
from lakehouse.partitions import build_calendar
from lakehouse.resources import build_resources


def build_definitions(profile: Profile | None = None, data_root: str | None = None) -> Definitions:
    profile = profile or load_profile()
    dataset = load_dataset(profile.dataset)
    calendar = build_calendar(dataset.partitions)
    if profile.dagster.executor == "in_process":
        executor = in_process_executor
    else:
        executor = multiprocess_executor.configured({"max_concurrent": profile.dagster.max_concurrent_steps})
    daily_pipeline = define_asset_job(
        "daily_pipeline",
        selection=AssetSelection.all(),
        partitions_def=calendar.daily,
        description="Every daily asset, ingestion to reporting, for one day (or a day range as one run).",
    )
    return Definitions(
        assets=[*build_ingestion_assets(dataset, calendar)],
        jobs=[daily_pipeline],
        resources=build_resources(profile, data_root),
        executor=executor,
    )


defs = build_definitions()
