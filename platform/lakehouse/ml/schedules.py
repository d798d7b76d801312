"""Weekly retraining: a partitioned asset job over the ML assets and the schedule built from it.

The schedule runs once per weekly partition (Mondays: the calendar's weeks start on Monday) at the
configured hour, and requests the week that has just ended -- the week whose training set reads the
days that have matured by now.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetSelection, DefaultScheduleStatus, build_schedule_from_partitioned_job, define_asset_job

from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.ml import MlConfig, load_ml_config
from lakehouse.ml.assets import model_key, training_set_key

ML_JOB = "ml_weekly_training"
ML_SCHEDULE = "ml_weekly_retraining"


# Return types are Any: an asset job and the schedule built from it are "unresolved" definitions until
# Definitions resolves them, and Dagster exports neither class publicly.
def build_ml_job(dataset: str) -> Any:
    """Training set + model (with its champion_gate check) for one week."""
    return define_asset_job(
        ML_JOB,
        # Partitioned by the assets' weekly partitions (Dagster infers it from the selection).
        selection=AssetSelection.assets(training_set_key(dataset), model_key(dataset)),
        description="Weekly retraining: training set, candidate tuning, registration and the champion gate.",
    )


def build_ml_schedules(
    dataset: DatasetConfig,
    config: MlConfig | None = None,
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
) -> list[Any]:
    """The weekly retraining schedule (its job comes with it: Definitions picks the job up from it)."""
    config = config or load_ml_config(dataset.name)
    schedule = build_schedule_from_partitioned_job(
        build_ml_job(dataset.name),
        name=ML_SCHEDULE,
        hour_of_day=config.schedule.hour,
        minute_of_hour=config.schedule.minute,
        default_status=default_status,
        description=f"Retrain {config.registry.model_name} every week on the newest matured weeks.",
    )
    return [schedule]
