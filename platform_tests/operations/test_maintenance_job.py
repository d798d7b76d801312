"""The weekly maintenance job and schedule: real run on real Delta tables + a real MLflow registry, the
schedule's run config per profile, and the tables maintained derived from the asset graph."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from uuid import uuid4

from dagster import DagsterEventType, DefaultScheduleStatus, build_schedule_context, validate_run_config
from mlflow import MlflowClient

from lakehouse.config.operations import (
    MaintenancePlan,
    MaintenanceSettings,
    OptimizeTarget,
    QuarantineTarget,
    RegistryCleanup,
)
from lakehouse.config.profile import load_profile
from lakehouse.definitions import build_definitions
from lakehouse.operations.maintenance_job import (
    DESTRUCTIVE_OPS,
    MAINTENANCE_SCHEDULE,
    build_maintenance_job,
    build_maintenance_schedule,
)
from lakehouse.operations.registry import ARCHIVED_TAG
from lakehouse.resources.mlflow import MlflowResource


def _at(when: datetime):
    return build_schedule_context(scheduled_execution_time=when)


def _op_metadata(result) -> dict[str, dict]:
    return {
        e.step_key: {k: v.value for k, v in e.event_specific_data.metadata.items()}
        for e in result.all_events
        if e.event_type == DagsterEventType.STEP_OUTPUT
    }


def test_job_runs_every_op_as_a_dry_run_by_default(spark, spark_resource, tmp_path: Path) -> None:
    suffix = uuid4().hex[:8]
    table = spark_resource.table("opstest", f"job_{suffix}")
    quarantine = spark_resource.table("opstest", f"job_{suffix}_quarantine")
    rows, schema = [("t1", "c1", date(2026, 1, 9))], "transaction_id string, customer_id string, event_date date"
    spark.createDataFrame(rows, schema).write.format("delta").partitionBy("event_date").save(table.location)
    rows = [("{}", "bad", d) for d in (date(2025, 1, 1), date(2026, 1, 9))]
    schema = "raw_record string, reason string, landing_date date"
    spark.createDataFrame(rows, schema).write.format("delta").partitionBy("landing_date").save(quarantine.location)
    mlflow = MlflowResource(data_root=str(tmp_path), tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
                            experiment="/tests/maintenance")
    client: MlflowClient = mlflow.client()
    client.create_registered_model("job_model")
    for i in range(3):
        client.create_model_version("job_model", source=str(tmp_path / f"m{i}"))
    plan = MaintenancePlan(
        # Misconfigured on purpose (customer_id is no partition column): that op fails, the others run.
        optimize=[OptimizeTarget(asset=f"opstest/job_{suffix}", zorder_by=["customer_id"],
                                 partition_column="customer_id", recent_days=7)],
        vacuum=[f"opstest/job_{suffix}", f"opstest/job_{suffix}_quarantine"],
        quarantine=[QuarantineTarget(asset=f"opstest/job_{suffix}_quarantine", age_column="landing_date")],
        quarantine_retention_days=30,
        registry=RegistryCleanup(models=["job_model"], keep_latest=1),
    )
    job = build_maintenance_job(plan, MaintenanceSettings(), "card_fraud")

    result = job.execute_in_process(
        resources={"spark": spark_resource, "mlflow": mlflow},
        run_config={"ops": {"expire_quarantine": {"config": {"as_of": "2026-01-10"}}}},
        raise_on_error=False,
    )

    assert not result.success
    failed = [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert failed == ["optimize_zorder"]
    meta = _op_metadata(result)
    assert set(meta) == set(DESTRUCTIVE_OPS)
    vacuum = meta["vacuum_tables"]
    # The quarantine table is vacuumed too: deleting its rows only frees storage once VACUUM runs.
    assert vacuum["dry_run"] is True and vacuum["retention_hours"] == 168 and vacuum["tables_processed"] == 2
    assert meta["expire_quarantine"]["rows_expired"] == 1
    assert spark.read.format("delta").load(quarantine.location).count() == 2  # dry run deleted nothing
    assert meta["clean_model_registry"]["versions_to_remove"] == 2
    assert not [v for v in client.search_model_versions("name='job_model'") if v.tags.get(ARCHIVED_TAG)]


def test_schedule_passes_the_profile_dry_run_and_valid_config() -> None:
    settings = MaintenanceSettings(dry_run=False, schedule_running=True, cron="0 4 * * 0")
    job = build_maintenance_job(MaintenancePlan(), settings, "card_fraud")
    schedule = build_maintenance_schedule(job, settings, "UTC")
    assert schedule.default_status == DefaultScheduleStatus.RUNNING and schedule.cron_schedule == "0 4 * * 0"
    [request] = schedule.evaluate_tick(_at(datetime(2026, 1, 11, 4))).run_requests
    assert request.run_config == {"ops": {name: {"config": {"dry_run": False}} for name in DESTRUCTIVE_OPS}}
    assert validate_run_config(job, request.run_config)


def test_local_profile_schedule_is_stopped_and_dry() -> None:
    schedule = build_definitions(load_profile("local")).resolve_schedule_def(MAINTENANCE_SCHEDULE)
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
    [request] = schedule.evaluate_tick(_at(datetime(2026, 1, 11, 3))).run_requests
    assert all(op["config"]["dry_run"] is True for op in request.run_config["ops"].values())
    assert load_profile("prod").maintenance.vacuum_retention_hours >= 168
