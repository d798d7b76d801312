"""The code location: every asset, check, job, schedule and sensor, with resources for the profile.

`defs` is the location of LAKEHOUSE_PROFILE (default `local`), built on first access: `dagster dev -w
workspace.yaml`, `dg dev`, the daemon and `make run` load it. Any other attribute named like a profile is that profile's location:
a workspace lists one location per dataset (`attribute: subscription_churn_local`, workspace.demos.yaml),
so several datasets share one webserver, daemon and instance (docs/architecture.md, "Several datasets").
Loading reads only LAKEHOUSE_PROFILE, LAKEHOUSE_PROJECT_DIR and the project's configuration files (the
shipped demo project by default: config/project.py); it starts no JVM.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from dagster import DefaultScheduleStatus, DefaultSensorStatus, Definitions, in_process_executor, multiprocess_executor

from lakehouse.automation.champion import build_champion_rescore_sensor
from lakehouse.automation.conditions import DailyCron, with_automation
from lakehouse.config.automation import AutomationConfig, load_automation_config
from lakehouse.config.dataset import load_dataset
from lakehouse.config.features import load_features
from lakehouse.config.monitoring import load_monitoring_config
from lakehouse.config.profile import Profile, known_profiles, load_profile
from lakehouse.config.reporting import load_reporting
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.assets import build_ingestion_assets
from lakehouse.ingestion.sensors import assets_by_source, build_landing_sensor
from lakehouse.jobs import build_daily_pipeline, partitions_of
from lakehouse.ml.assets import build_ml_assets
from lakehouse.ml.schedules import build_ml_schedules
from lakehouse.monitoring.assets import build_monitoring_assets
from lakehouse.monitoring.sensors import build_retraining_sensor
from lakehouse.operations.alerts import build_failure_alert_sensor
from lakehouse.operations.grants_job import build_grants_job
from lakehouse.operations.maintenance_job import build_maintenance
from lakehouse.partitions import Calendar, build_calendar
from lakehouse.processing.assets import build_processing_assets
from lakehouse.profile_resources import build_resources
from lakehouse.reporting.assets import build_reporting_assets
from lakehouse.reporting.jobs import build_reporting_jobs, build_reporting_schedules
from lakehouse.scoring.assets import build_scoring_assets
from lakehouse.scoring.export import build_export_job


def build_definitions(profile: Profile | None = None, data_root: str | None = None) -> Definitions:
    profile = profile or load_profile()
    dataset = load_dataset(profile.dataset)
    calendar = build_calendar(dataset.partitions)
    sources = list(load_sources(dataset.name).values())
    ingestion = build_ingestion_assets(dataset, calendar)
    # Lists nothing now: the sensor resolves the data root and lists landing folders at each tick.
    landing_sensor = build_landing_sensor(
        sources, assets_by_source(dataset.name, sources, ingestion), data_root or profile.storage.data_root
    )
    if profile.dagster.executor == "in_process":
        executor = in_process_executor
    else:
        executor = multiprocess_executor.configured({"max_concurrent": profile.dagster.max_concurrent_steps})
    assets = [
        *ingestion,
        # One definition for every profile: the profile's `compute` resource decides where the steps run.
        *build_processing_assets(dataset, calendar),
        *build_ml_assets(dataset, calendar),
        *build_scoring_assets(dataset, calendar),
        *build_reporting_assets(dataset, calendar),
        *build_monitoring_assets(dataset, calendar),
    ]
    running = profile.dagster.schedules_running
    daily_pipeline = build_daily_pipeline(assets, calendar)
    reporting = load_reporting(dataset.name)
    report_jobs = build_reporting_jobs(dataset.name, reporting)  # the same objects go to jobs= and to their schedules
    report_schedules = build_reporting_schedules(
        reporting, calendar, load_features(dataset.name).label.maturity_days, report_jobs,
        DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED,
        # Declarative Automation builds every report when its predictions change (automation.yaml): the
        # schedules only refresh the periods whose labels have matured.
        periods_run_elsewhere=("day", "week", "month"),
    )
    maintenance_job, maintenance_schedule = build_maintenance(profile, assets)
    # Alerts are on wherever the daemon runs: a failed run must never go unnoticed.
    failure_alerts = build_failure_alert_sensor(profile.alerts, profile.name, data_root or profile.storage.data_root,
                                                default_status=DefaultSensorStatus.RUNNING)
    automation = load_automation_config(dataset.name)
    # Only where the profile declares `access:` (the Unity Catalog environments): elsewhere nothing to grant.
    grants_job = build_grants_job(profile)
    defs = Definitions(
        assets=assets,
        # daily_pipeline has no schedule: the landing sensor and the automation conditions run each day's
        # chain as data lands; the job stays for backfills and hand-launched days.
        jobs=[daily_pipeline, *report_jobs, maintenance_job, build_export_job(dataset),
              *([grants_job] if grants_job else [])],
        schedules=[*build_ml_schedules(dataset), *report_schedules, maintenance_schedule],
        sensors=[landing_sensor, failure_alerts, *_optional_sensors(assets, automation, dataset.name, calendar)],
        resources=build_resources(profile, data_root),
        executor=executor,
    )
    return with_automation(defs, automation, DailyCron.of(dataset))


def _optional_sensors(assets: list[Any], automation: AutomationConfig, dataset: str, calendar: Calendar) -> list[Any]:
    """Re-scoring when the champion changes (None while disabled) and retraining when monitoring sees the
    model degrade."""
    rescore = automation.champion_rescore
    optional = [build_champion_rescore_sensor(rescore, partitions_of(assets, dataset, rescore.target), dataset),
                build_retraining_sensor(calendar.weekly, load_monitoring_config(dataset), dataset)]
    return [s for s in optional if s]


@cache
def definitions_for(profile: str | None) -> Definitions:
    """The code location of `profile` (None: LAKEHOUSE_PROFILE), built once per process, on first access."""
    return build_definitions(load_profile(profile))


def __getattr__(name: str) -> Definitions:
    """`defs` (the location of LAKEHOUSE_PROFILE), or `attribute: <profile>` in a workspace file: that
    profile's location. Built on first access, not at import: a location of one profile never builds, nor
    fails on, another's. A module-level __getattr__ because profiles are configuration (the project's
    profiles/ folder), not code: a new dataset's location needs a workspace entry, never a Python file."""
    if name == "defs":
        return definitions_for(None)
    if name.startswith("__") or name not in known_profiles():
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}; a code location is `defs` or a "
                             f"profile: {known_profiles()}")
    return definitions_for(name)


def __dir__() -> list[str]:
    """Lists `defs`: Dagster finds a module's Definitions among its listed members (`-m` with no attribute)."""
    return [*globals(), "defs"]
