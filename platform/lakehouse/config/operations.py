"""Operations configuration: run-failure alerts and table/model maintenance.

Two halves, because they vary along different axes:
* per environment (the profile YAML's `alerts:` and `maintenance:` sections): where alerts go, whether
  the weekly maintenance really deletes, how long Delta keeps old files for time travel;
* per dataset (`config/datasets/<dataset>/maintenance.yaml`): which tables are Z-ordered by what, which
  quarantine tables expire after how long, which registered models are cleaned up.

Secrets (webhook URLs carry their token, SMTP passwords) are never in a file: only the *names* of the
environment variables that hold them, read when an alert is sent.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakehouse.config.base import StrictModel, load_dataset_yaml
from lakehouse.config.identifiers import validate_identifier, validate_table_name

# Delta's default `delta.deletedFileRetentionDuration` (7 days). VACUUM below it fails Delta's retention
# check, which stays enabled: a shorter retention can break readers and time travel in progress.
MIN_VACUUM_RETENTION_HOURS = 168


# Identifiers end up in SQL text: the one shared rule (config/identifiers.py).
_identifier = validate_identifier
_table_name = validate_table_name


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


class OptimizeTarget(StrictModel):
    table: str = Field(description="Delta table <schema>.<table> to compact.")
    zorder_by: list[str] = Field(
        min_length=1, description="Columns to Z-order by: the ones queries filter or join on most."
    )
    partition_column: str | None = Field(
        default=None, description="Partition (date) column; with `recent_days`, only recent partitions are rewritten."
    )
    recent_days: int | None = Field(
        default=None,
        ge=1,
        description="Only partitions of the last N days are optimized (ZORDER rewrites every file it selects, "
        "so a weekly run over the whole table would rewrite all history every week). Null: whole table.",
    )

    @field_validator("table")
    @classmethod
    def _check_table(cls, value: str) -> str:
        return _table_name(value)

    @model_validator(mode="after")
    def _columns(self) -> OptimizeTarget:
        for column in (*self.zorder_by, *([self.partition_column] if self.partition_column else [])):
            _identifier(column, "column name")
        if self.recent_days is not None and self.partition_column is None:
            raise ValueError(f"{self.table}: recent_days needs partition_column")
        return self


class QuarantineTarget(StrictModel):
    table: str = Field(description="Quarantine table <schema>.<table>.")
    age_column: str = Field(
        description="Date or timestamp column that dates a row (landing_date for batch sources, whose "
        "partitions it is, so old rows go as whole files; _ingested_at for the stream)."
    )

    @model_validator(mode="after")
    def _names(self) -> QuarantineTarget:
        _table_name(self.table)
        _identifier(self.age_column, "column name")
        return self


class QuarantinePlan(StrictModel):
    retention_days: int = Field(ge=1, description="Quarantined rows older than this many days are deleted.")
    tables: list[QuarantineTarget] = Field(description="Every quarantine table and the column that dates its rows.")


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


class MaintenancePlan(StrictModel):
    optimize: list[OptimizeTarget] = Field(default_factory=list, description="Tables to OPTIMIZE … ZORDER BY.")
    vacuum: list[str] = Field(
        default_factory=list, description="Tables to VACUUM with the profile's retention (<schema>.<table>)."
    )
    quarantine: QuarantinePlan | None = Field(default=None, description="Retention of quarantined rows.")
    registry: RegistryCleanup = Field(default_factory=RegistryCleanup, description="Model-version clean-up.")

    @field_validator("vacuum")
    @classmethod
    def _check_vacuum(cls, tables: list[str]) -> list[str]:
        return [_table_name(t) for t in tables]


@cache
def load_maintenance_plan(dataset: str) -> MaintenancePlan:
    return load_dataset_yaml(dataset, "maintenance.yaml", MaintenancePlan)
