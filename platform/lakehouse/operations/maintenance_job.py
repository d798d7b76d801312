"""The weekly maintenance job (op-based: it maintains tables, it produces no asset) and its schedule.

Four independent ops, so one failing table does not stop the others (the run still fails, and alerts):
`optimize_zorder`, `vacuum_tables`, `expire_quarantine`, `clean_model_registry`. The destructive three
take `dry_run` (Launchpad default: true); the schedule passes the profile's `maintenance.dry_run`. Each
op's output metadata is its report: what was (or would be) rewritten, deleted, archived.
"""

# No `from __future__ import annotations`: Dagster reads the op config classes from the annotations.

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dagster import (
    Config,
    DefaultScheduleStatus,
    JobDefinition,
    MetadataValue,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    ScheduleDefinition,
    job,
    op,
)
from pydantic import Field

from lakehouse.config.dataset import load_dataset
from lakehouse.config.identifiers import dataset_key
from lakehouse.config.ml import load_ml_config
from lakehouse.config.operations import (
    MIN_VACUUM_RETENTION_HOURS,
    MaintenancePlan,
    MaintenanceSettings,
    load_maintenance_config,
)
from lakehouse.config.profile import Profile
from lakehouse.operations import maintenance as delta
from lakehouse.operations.maintenance_plan import resolve_plan
from lakehouse.operations.registry import clean_model
from lakehouse.resources.mlflow import MlflowResource
from lakehouse.resources.spark import SparkResource

MAINTENANCE_JOB = "weekly_maintenance"
MAINTENANCE_SCHEDULE = "weekly_maintenance_schedule"
DESTRUCTIVE_OPS = ("vacuum_tables", "expire_quarantine", "clean_model_registry")


class OptimizeConfig(Config):
    as_of: str | None = Field(
        default=None, description="Day (YYYY-MM-DD) `recent_days` counts back from; default today (UTC)."
    )


class VacuumConfig(Config):
    dry_run: bool = Field(default=True, description="List the files VACUUM would delete; delete nothing.")
    retention_hours: int | None = Field(
        default=None,
        ge=MIN_VACUUM_RETENTION_HOURS,
        description="Override the profile's retention (hours, at least 168). Default: the profile's.",
    )


class QuarantineConfig(Config):
    dry_run: bool = Field(default=True, description="Count the rows that would expire; delete nothing.")
    as_of: str | None = Field(
        default=None, description="Day (YYYY-MM-DD) the retention counts back from; default today (UTC)."
    )


class RegistryConfig(Config):
    dry_run: bool = Field(
        default=True, description="Report which versions would be archived or deleted; change nothing."
    )


def _day(as_of: str | None) -> date:
    return date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()


def _table(spark: SparkResource, dataset: str, asset: str) -> Any:
    """The table of a plan entry (a key within the dataset, `<schema>/<table>`)."""
    return spark.table_for(dataset_key(dataset, asset))


def _output(reports: list[dict[str, Any]], **summary: Any) -> Output:
    done = [r for r in reports if r.get("status") != "skipped"]
    skipped = [r.get("table") or r.get("model") for r in reports if r not in done]
    metadata = {**summary, "tables_processed": len(done), "skipped": skipped, "report": MetadataValue.json(reports)}
    return Output(None, metadata=metadata)


def build_maintenance_job(plan: MaintenancePlan, settings: MaintenanceSettings, dataset: str) -> JobDefinition:
    """The job for one dataset's plan; the profile's retention is bound here, so a Launchpad run in
    prod uses prod's retention unless it is overridden explicitly."""

    @op(out=Out(Nothing), description="OPTIMIZE … ZORDER BY for the assets maintenance.yaml names.")
    def optimize_zorder(context: OpExecutionContext, config: OptimizeConfig, spark: SparkResource):
        session, day = spark.spark_session, _day(config.as_of)
        reports = []
        for target in plan.optimize:
            reports.append(delta.optimize_table(session, _table(spark, dataset, target.asset), target, day))
            context.log.info("OPTIMIZE %s: %s", target.asset, reports[-1])
        yield _output(reports, files_removed=sum(r.get("files_removed", 0) for r in reports))

    @op(out=Out(Nothing), description="VACUUM every Delta asset (quarantines included) with the profile's retention (>= 168 h).")
    def vacuum_tables(context: OpExecutionContext, config: VacuumConfig, spark: SparkResource):
        hours = config.retention_hours or settings.vacuum_retention_hours
        reports = []
        for name in plan.vacuum:
            reports.append(delta.vacuum_table(spark.spark_session, _table(spark, dataset, name), hours, config.dry_run))
            summary = {k: v for k, v in reports[-1].items() if k != "files"}
            context.log.info("VACUUM %s (dry_run=%s): %s", name, config.dry_run, summary)
        key = "files_deletable" if config.dry_run else "files_deleted"
        total = sum(r.get(key, 0) for r in reports)
        yield _output(reports, dry_run=config.dry_run, retention_hours=hours, **{key: total})

    @op(out=Out(Nothing), description="Delete quarantined rows older than the dataset's retention.")
    def expire_quarantine(context: OpExecutionContext, config: QuarantineConfig, spark: SparkResource):
        reports = []
        if plan.quarantine_retention_days is not None:
            cutoff = _day(config.as_of) - timedelta(days=plan.quarantine_retention_days)
            for target in plan.quarantine:
                ref = _table(spark, dataset, target.asset)
                session = spark.spark_session
                reports.append(delta.expire_quarantine(session, ref, target.age_column, cutoff, config.dry_run))
                context.log.info("Quarantine %s (dry_run=%s): %s", target.asset, config.dry_run, reports[-1])
        expired = sum(r.get("rows_expired", 0) for r in reports)
        yield _output(reports, dry_run=config.dry_run, rows_expired=expired)

    @op(out=Out(Nothing), description="Archive-tag or delete model versions: keep aliased ones and the newest N.")
    def clean_model_registry(context: OpExecutionContext, config: RegistryConfig, mlflow: MlflowResource):
        cleanup = plan.registry
        names = cleanup.models if cleanup.models is not None else [load_ml_config(dataset).registry.model_name]
        client = mlflow.client()
        reports = [clean_model(client, n, cleanup.keep_latest, cleanup.action, config.dry_run) for n in names]
        for report in reports:
            summary = {k: v for k, v in report.items() if k != "versions"}
            context.log.info("Registry %s (dry_run=%s): %s", report["model"], config.dry_run, summary)
        removed = sum(len(r.get("archived", r.get("deleted", []))) for r in reports)
        key = "versions_to_remove" if config.dry_run else "versions_removed"
        yield _output(reports, dry_run=config.dry_run, action=cleanup.action, **{key: removed})

    @job(
        name=MAINTENANCE_JOB,
        description="Weekly maintenance: Z-order compaction, VACUUM, quarantine retention, model-registry clean-up.",
        tags={"lakehouse/kind": "maintenance"},
    )
    def weekly_maintenance() -> None:
        optimize_zorder()
        vacuum_tables()
        expire_quarantine()
        clean_model_registry()

    return weekly_maintenance


def maintenance_run_config(dry_run: bool) -> dict[str, Any]:
    return {"ops": {name: {"config": {"dry_run": dry_run}} for name in DESTRUCTIVE_OPS}}


def build_maintenance_schedule(
    maintenance_job: JobDefinition, settings: MaintenanceSettings, timezone_name: str
) -> ScheduleDefinition:
    return ScheduleDefinition(
        name=MAINTENANCE_SCHEDULE,
        job=maintenance_job,
        cron_schedule=settings.cron,
        execution_timezone=timezone_name,
        run_config=maintenance_run_config(settings.dry_run),
        default_status=DefaultScheduleStatus.RUNNING if settings.schedule_running else DefaultScheduleStatus.STOPPED,
        description=f"Weekly table and model maintenance ({'dry run' if settings.dry_run else 'deleting'}).",
    )


def build_maintenance(profile: Profile, assets: Sequence[object]) -> tuple[JobDefinition, ScheduleDefinition]:
    """The job and schedule for the profile's dataset (what to maintain: maintenance.yaml over `assets`, the
    code location's asset graph) and environment (how hard)."""
    plan = resolve_plan(load_maintenance_config(profile.dataset), assets, profile.dataset)
    maintenance_job = build_maintenance_job(plan, profile.maintenance, profile.dataset)
    timezone_name = load_dataset(profile.dataset).partitions.timezone
    return maintenance_job, build_maintenance_schedule(maintenance_job, profile.maintenance, timezone_name)
