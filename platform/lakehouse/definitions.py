"""The code location: every asset, check, job, schedule and sensor, with resources for the profile.

`dagster dev -w workspace.yaml`, `dg dev`, the daemon and `make run` all load `defs` from here.
Loading reads only LAKEHOUSE_PROFILE and the repository's configuration files; it starts no JVM.
"""

from __future__ import annotations

from dagster import DefaultSensorStatus, Definitions, in_process_executor, multiprocess_executor

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import Profile, load_profile
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.assets import build_ingestion_assets
from lakehouse.ingestion.sensors import assets_by_source, build_landing_sensor
from lakehouse.jobs import build_pipeline_jobs, build_pipeline_schedules
from lakehouse.partitions import build_calendar
from lakehouse.ml.assets import build_ml_assets
from lakehouse.ml.schedules import build_ml_schedules
from lakehouse.operations.alerts import build_failure_alert_sensor
from lakehouse.operations.maintenance_job import build_maintenance
from lakehouse.processing.assets import build_processing_assets
from lakehouse.resources import build_resources


def build_definitions(profile: Profile | None = None, data_root: str | None = None) -> Definitions:
    profile = profile or load_profile()
    dataset = load_dataset(profile.dataset)
    calendar = build_calendar(dataset.partitions)
    sources = list(load_sources(dataset.name).values())
    ingestion = build_ingestion_assets(dataset, calendar)
    # Lists nothing now: the sensor resolves the data root and lists landing folders at each tick.
    landing_sensor = build_landing_sensor(
        sources, assets_by_source(sources, ingestion), data_root or profile.storage.data_root
    )
    if profile.dagster.executor == "in_process":
        executor = in_process_executor
    else:
        executor = multiprocess_executor.configured({"max_concurrent": profile.dagster.max_concurrent_steps})
    assets = [*ingestion, *build_processing_assets(dataset, calendar), *build_ml_assets(dataset, calendar)]
    jobs = build_pipeline_jobs(assets, calendar)
    maintenance_job, maintenance_schedule = build_maintenance(profile)
    # Alerts are on wherever the daemon runs: a failed run must never go unnoticed.
    failure_alerts = build_failure_alert_sensor(profile.alerts, profile.name, data_root or profile.storage.data_root,
                                                default_status=DefaultSensorStatus.RUNNING)
    return Definitions(
        assets=assets,
        jobs=[*jobs.values(), maintenance_job],
        schedules=[*build_ml_schedules(dataset), *build_pipeline_schedules(jobs, dataset, profile.dagster.schedules_running),
                   maintenance_schedule],
        sensors=[landing_sensor, failure_alerts],
        resources=build_resources(profile, data_root),
        executor=executor,
    )


defs = build_definitions()
