"""Operations configuration: run-failure alerts and table/model maintenance.

Two halves, because they vary along different axes:
* per environment (the profile YAML's `alerts:` and `maintenance:` sections): where alerts go, whether
  the weekly maintenance really deletes, how long Delta keeps old files for time travel;
* per dataset (`config/datasets/<dataset>/maintenance.yaml`): which assets are Z-ordered by what, how long
  quarantined rows are kept, which registered models are cleaned up (which tables exist: the asset graph).

Secrets (webhook URLs carry their token, SMTP passwords) are never in a file: only the *names* of the
environment variables that hold them, read when an alert is sent.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakehouse.config.base import StrictModel, load_dataset_yaml
from lakehouse.config.identifiers import AssetKeyName, validate_identifier
from lakehouse.config.project import project_cache

# Delta's default `delta.deletedFileRetentionDuration` (7 days). VACUUM below it fails Delta's retention
# check, which stays enabled: a shorter retention can break readers and time travel in progress.
MIN_VACUUM_RETENTION_HOURS = 168


# Identifiers end up in SQL text: the one shared rule (config/identifiers.py).
_identifier = validate_identifier


# ---- alerts (profile) -------------------------------------------------------------------------------


class WebhookChannel(StrictModel):
    name: str = Field(description="Channel name shown in delivery errors (e.g. `incident`, `ops-bus`).")
    url_env: str = Field(description="Environment variable holding the URL the alert is POSTed to as JSON.")
    authorization_env: str | None = Field(
        default=None, description="Environment variable holding an `Authorization` header value, if needed."
    )


class SlackChannel(StrictModel):
    webhook_url_env: str = Field(description="Environment variable holding the Slack incoming-webhook URL.")


class EmailChannel(StrictModel):
    host_env: str = Field(description="Environment variable holding the SMTP server host name.")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SSL, 25 plain).")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="Transport security: STARTTLS upgrade, implicit SSL, or none (local relay)."
    )
    sender: str = Field(description="From address.")
    recipients: list[str] = Field(min_length=1, description="To addresses.")
    user_env: str | None = Field(default=None, description="Environment variable holding the SMTP user name.")
    password_env: str | None = Field(default=None, description="Environment variable holding the SMTP password.")


class AlertSettings(StrictModel):
    webserver_url: str = Field(
        default="http://127.0.0.1:3000",
        description="Base URL of the Dagster webserver; alerts link to <webserver_url>/runs/<run_id>.",
    )
    webserver_url_env: str | None = Field(
        default=None, description="Environment variable holding the base URL instead (read when alerting)."
    )
    local_store: bool = Field(
        default=True,
        description="Append every alert as one JSON line to <data_root>/alerts/alerts.jsonl (an audit trail "
        "that works with no channel configured, and keeps the alert when a channel is down).",
    )
    webhooks: list[WebhookChannel] = Field(default_factory=list, description="Generic JSON webhooks.")
    slack: SlackChannel | None = Field(default=None, description="Slack incoming webhook.")
    email: EmailChannel | None = Field(default=None, description="E-mail over SMTP.")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Network timeout per channel.")
    max_error_chars: int = Field(
        default=4000, ge=200, description="Error text (message + stack) is cut to this length per step."
    )


# ---- maintenance (profile) --------------------------------------------------------------------------


class MaintenanceSettings(StrictModel):
    dry_run: bool = Field(
        default=True,
        description="Run config of the scheduled maintenance run: true reports what VACUUM, quarantine "
        "retention and model clean-up would delete, and deletes nothing.",
    )
    vacuum_retention_hours: int = Field(
        default=MIN_VACUUM_RETENTION_HOURS,
        ge=MIN_VACUUM_RETENTION_HOURS,
        description="VACUUM keeps files needed by versions younger than this (time-travel horizon). "
        f"At least {MIN_VACUUM_RETENTION_HOURS} h: Delta's retention check stays on.",
    )
    cron: str = Field(default="0 3 * * 0", description="Weekly maintenance schedule (cron, partition timezone).")
    schedule_running: bool = Field(
        default=False, description="Whether the maintenance schedule starts RUNNING when the code location loads."
    )


# ---- maintenance plan (dataset) ---------------------------------------------------------------------
# maintenance.yaml states only what the asset graph cannot say: which assets are Z-ordered by what (and
# how far back), how long quarantined rows are kept, the registry clean-up. Which tables exist (VACUUM
# covers every Delta asset), which are quarantines and their partition columns come from the asset graph
# (lakehouse/operations/maintenance_plan.py resolves this file into a MaintenancePlan against it).


class OptimizeRule(StrictModel):
    asset: AssetKeyName = Field(description="Asset key (<schema>/<table>) of the Delta table to compact.")
    zorder_by: list[str] = Field(
        min_length=1, description="Columns to Z-order by: the ones queries filter or join on most."
    )
    recent_days: int | None = Field(
        default=None,
        ge=1,
        description="Only partitions of the last N days (by the asset's partition column, `partition_expr`) are "
        "optimized (ZORDER rewrites every file it selects, so a weekly run over the whole table would rewrite "
        "all history every week). Null: whole table.",
    )

    @field_validator("zorder_by")
    @classmethod
    def _columns(cls, value: list[str]) -> list[str]:
        return [_identifier(column, "column name") for column in value]


class OptimizeTarget(OptimizeRule):
    """An OptimizeRule with its asset's partition column, filled in from the asset graph (not from YAML)."""

    partition_column: str | None = Field(
        default=None, description="The asset's partition (date) column; with `recent_days`, only recent partitions."
    )

    @model_validator(mode="after")
    def _partition(self) -> OptimizeTarget:
        if self.partition_column is not None:
            _identifier(self.partition_column, "column name")
        if self.recent_days is not None and self.partition_column is None:
            raise ValueError(f"{self.asset}: recent_days needs a partitioned asset (partition_expr metadata)")
        return self


class QuarantineRetention(StrictModel):
    retention_days: int = Field(ge=1, description=(
        "Rows of every quarantine table (each source's <schema>/<name>_quarantine asset) older than this many "
        "days are deleted."))


class QuarantineTarget(StrictModel):
    """A quarantine table to expire, derived from the asset graph."""

    asset: AssetKeyName = Field(description="Asset key of the quarantine table.")
    age_column: str = Field(
        description="Date or timestamp column that dates a row: the asset's partition column (landing_date for "
        "batch sources, so old rows go as whole files), else `_ingested_at` (the stream's)."
    )

    @field_validator("age_column")
    @classmethod
    def _column(cls, value: str) -> str:
        return _identifier(value, "column name")


class RegistryCleanup(StrictModel):
    models: list[str] | None = Field(
        default=None, description="Registered model names; null: the dataset's model from ml.yaml."
    )
    keep_latest: int = Field(default=5, ge=1, description="Newest versions kept whatever their aliases.")
    action: Literal["tag", "delete"] = Field(
        default="tag",
        description="tag: mark older un-aliased versions `archived=true` (reversible, files kept). delete: "
        "delete those versions from the registry (their run artifacts stay in the tracking store).",
    )


class MaintenanceConfig(StrictModel):
    """maintenance.yaml."""

    optimize: list[OptimizeRule] = Field(default_factory=list, description="Assets to OPTIMIZE … ZORDER BY.")
    quarantine: QuarantineRetention | None = Field(default=None, description="Retention of quarantined rows.")
    registry: RegistryCleanup = Field(default_factory=RegistryCleanup, description="Model-version clean-up.")
    keep_history: list[AssetKeyName] = Field(
        default_factory=list,
        description="Delta assets VACUUM leaves alone because something reads their old versions (a model "
        "pins the training set version it was trained on: `training_table@vN`, read for its drift reference).",
    )


class MaintenancePlan(StrictModel):
    """What the weekly job maintains: maintenance.yaml resolved against the asset graph."""

    optimize: list[OptimizeTarget] = Field(default_factory=list, description="Assets to OPTIMIZE … ZORDER BY.")
    vacuum: list[AssetKeyName] = Field(
        default_factory=list, description="Assets to VACUUM with the profile's retention: every Delta asset."
    )
    quarantine: list[QuarantineTarget] = Field(default_factory=list, description="Quarantine tables that expire.")
    quarantine_retention_days: int | None = Field(default=None, ge=1, description="Null: quarantines never expire.")
    registry: RegistryCleanup = Field(default_factory=RegistryCleanup, description="Model-version clean-up.")


@project_cache
def load_maintenance_config(dataset: str) -> MaintenanceConfig:
    return load_dataset_yaml(dataset, "maintenance.yaml", MaintenanceConfig)
