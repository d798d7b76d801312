"""Model monitoring (config/datasets/<dataset>/monitoring.yaml): the daily `monitoring/model_performance`
asset (realised performance once labels mature, score drift) and the thresholds whose breach requests
a retraining run. docs/monitoring.md explains each knob.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from lakehouse.config.base import StrictModel, load_dataset_yaml
from lakehouse.config.columns import LabelColumns, PredictionColumns
from lakehouse.config.identifiers import AssetKeyName
from lakehouse.config.project import project_cache


class PerformanceSettings(StrictModel):
    window_days: int = Field(
        default=60, ge=2,
        description="Trailing days (ending on the monitored day) whose matured labels are evaluated; must "
        "exceed the label window (30 days) or nothing in it has matured.",
    )
    min_rows: int = Field(default=500, ge=1, description="Fewer matured rows: no performance metrics (too noisy).")
    min_positives: int = Field(default=10, ge=1, description="Fewer matured positives: no performance metrics.")
    bins: int = Field(default=1000, ge=10, description="Probability bins of the PR curve (as ml.yaml evaluation).")


class DriftSettings(StrictModel):
    reference_days: int = Field(
        default=28, ge=1, description="Days before the monitored day whose scores are the PSI reference."
    )
    bins: int = Field(default=10, ge=2, le=100, description="Quantile bins of the reference distribution.")
    min_rows: int = Field(default=200, ge=1, description="Fewer rows in the day or the reference: no PSI.")


class Thresholds(StrictModel):
    min_pr_auc: float | None = Field(default=0.10, ge=0, le=1, description="Breach below; null disables.")
    min_recall: float | None = Field(default=0.30, ge=0, le=1, description="Breach below; null disables.")
    min_precision: float | None = Field(default=None, ge=0, le=1, description="Breach below; null disables.")
    max_psi_vs_prior_days: float | None = Field(
        default=0.25, gt=0, description="Breach when psi_vs_prior_days (the day's scores vs the reference days) is "
        "above (< 0.1 stable, 0.1-0.25 moderate, > 0.25 shifted); null disables."
    )


class RetrainingSettings(StrictModel):
    enabled: bool = Field(default=True, description="false: no retraining sensor is built.")
    job: str = Field(default="ml_weekly_training", description="Job requested (its latest weekly partition).")
    default_status: Literal["running", "stopped"] = Field(
        default="running", description="Status of the sensor when the code location is first loaded."
    )
    minimum_interval_seconds: int = Field(default=60, ge=5, description="Seconds between two ticks.")


class MonitoringConfig(StrictModel):
    predictions_asset: AssetKeyName = Field(
        default="scoring/predictions", description="Asset key (<schema>/<table>) of the predictions (the asset's input)."
    )
    labels_asset: AssetKeyName = Field(
        default="gold/labels", description="Asset key (<schema>/<table>) of the labels (the asset's input)."
    )
    predictions: PredictionColumns = Field(default_factory=PredictionColumns, description="Predictions columns read.")
    labels: LabelColumns = Field(default_factory=LabelColumns, description="Labels columns read.")
    performance: PerformanceSettings = Field(default_factory=PerformanceSettings, description="Realised performance.")
    drift: DriftSettings = Field(default_factory=DriftSettings, description="Score drift (psi_vs_prior_days).")
    thresholds: Thresholds = Field(default_factory=Thresholds, description="Limits that request retraining.")
    retraining: RetrainingSettings = Field(default_factory=RetrainingSettings, description="The retraining sensor.")

    @model_validator(mode="after")
    def _some_threshold(self) -> MonitoringConfig:
        if self.retraining.enabled and not any(v is not None for v in self.thresholds.model_dump().values()):
            raise ValueError("retraining.enabled needs at least one threshold")
        return self


@project_cache
def load_monitoring_config(dataset: str) -> MonitoringConfig:
    return load_dataset_yaml(dataset, "monitoring.yaml", MonitoringConfig)
