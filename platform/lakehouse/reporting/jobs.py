"""Report jobs and schedules: one partitioned job per report (summary + files), a schedule that reports
each period once it has ended, and a refresh schedule that rebuilds the period whose labels have just
matured, so its realised precision / recall / AUC replace `pending`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    schedule,
)

from lakehouse.config.reporting import ReportingConfig, ReportSpec
from lakehouse.partitions import Calendar
from lakehouse.reporting.assets import report_key, summary_key


def job_name(report: ReportSpec) -> str:
    return f"{report.name}_reports"


# Return types are Any: asset jobs and schedules built from them are unresolved until Definitions
# resolves them (see ml/schedules.py).
def build_reporting_jobs(dataset: str, config: ReportingConfig) -> list[Any]:
    return [
        define_asset_job(
            job_name(report),
            selection=AssetSelection.assets(summary_key(dataset, report), report_key(dataset, report)),
            description=f"{report.title}: aggregates (Delta) and files for one {report.period} (or a range as one run).",
        )
        for report in config.reports
    ]


def build_reporting_schedules(
    config: ReportingConfig, calendar: Calendar, label_window_days: int, jobs: list[Any],
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
    periods_run_elsewhere: tuple[str, ...] = (),
) -> list[Any]:
    """Per report: the period just ended, and the period whose labels matured (label window + 1 day ago).
    `jobs` are build_reporting_jobs' (the same objects Definitions gets). `periods_run_elsewhere` (e.g. "day": the daily pipeline already reports each
    day) get only the realised refresh, so no period is reported twice on schedule."""
    partitions = {"day": calendar.daily, "week": calendar.weekly, "month": calendar.monthly}
    schedules: list[Any] = []
    for job, report in zip(jobs, config.reports, strict=True):
        if report.period not in periods_run_elsewhere:
            schedules.append(build_schedule_from_partitioned_job(
                job, name=f"{report.name}_report_schedule", hour_of_day=report.schedule_hour, minute_of_hour=0,
                default_status=default_status, description=f"{report.title} for each {report.period} once it has ended.",
            ))
        schedules.append(_refresh_schedule(job, report, partitions[report.period], label_window_days, default_status))
    return schedules


def matured_partition(partitions_def: Any, now: datetime, label_window_days: int) -> str | None:
    """The newest partition whose every day has matured labels at `now` (its end + the label window)."""
    keys = partitions_def.get_partition_keys(current_time=now - timedelta(days=label_window_days + 1))
    return keys[-1] if keys else None


def _refresh_schedule(job: Any, report: ReportSpec, partitions_def: Any, window: int,
                      default_status: DefaultScheduleStatus) -> Any:
    @schedule(
        name=f"{report.name}_report_realised_refresh", job=job, cron_schedule=f"30 {report.schedule_hour} * * *",
        default_status=default_status,
        description=(f"Rebuilds the {report.name} report whose labels have matured ({window} days + 1), so its "
                     "realised metrics are computed; runs daily, requests each period once."),
    )
    def refresh(context: ScheduleEvaluationContext) -> Any:
        key = matured_partition(partitions_def, context.scheduled_execution_time, window)
        if key is None:
            return SkipReason("No period has matured labels yet.")
        # run_key: a weekly / monthly period matures once, though the schedule ticks daily.
        return RunRequest(run_key=f"{report.name}_realised_{key}", partition_key=key)

    return refresh


def period_keys(partitions_def: Any, first_day: date, last_day: date, now: datetime | None = None) -> list[str]:
    """Partition keys of the periods overlapping [first_day, last_day] that exist at `now` (for `make run`:
    the weeks / months around the demo days)."""
    keys = partitions_def.get_partition_keys(current_time=now)
    out = []
    for key in keys:
        window = partitions_def.time_window_for_partition_key(key)
        if window.start.date() <= last_day and window.end.date() > first_day:
            out.append(key)
    return out
