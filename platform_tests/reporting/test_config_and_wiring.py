"""Reporting configuration, asset graph and schedules: no Spark session needed."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from dagster import AssetKey, Definitions, RunRequest, build_schedule_context
from pydantic import ValidationError

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import load_profile
from lakehouse.config.reporting import ReportingConfig, load_reporting
from lakehouse.partitions import build_calendar
from lakehouse.profile_resources import build_resources
from lakehouse.reporting.assets import build_reporting_assets, group_name
from lakehouse.reporting.jobs import build_reporting_jobs, build_reporting_schedules, matured_partition, period_keys
from lakehouse.reporting.paths import resolve_report_root

DATASET = load_dataset("card_fraud")
CALENDAR = build_calendar(DATASET.partitions)


def _raw() -> dict:
    return load_reporting("card_fraud").model_dump()


def test_a_section_is_an_entry_and_typos_are_rejected():
    raw = _raw()
    raw["sections"]["by_country"] = {"kind": "breakdown", "column": "country", "title": "By country"}
    raw["reports"][0]["sections"].append("by_country")
    assert ReportingConfig(**raw).report("daily").sections[-1] == "by_country"

    broken = _raw()
    broken["reports"][0]["sections"].append("by_contry")
    with pytest.raises(ValidationError, match="unknown sections \\['by_contry'\\]"):
        ReportingConfig(**broken)
    bins = _raw()
    bins["sections"]["amounts"]["edges"] = [0, 10, 5]
    with pytest.raises(ValidationError, match="strictly increasing"):
        ReportingConfig(**bins)
    injected = _raw()
    injected["sections"]["categories"]["column"] = "category; DROP TABLE x"
    with pytest.raises(ValidationError, match="Invalid column name"):
        ReportingConfig(**injected)
    no_summary = _raw()
    no_summary["reports"][0]["sections"].remove("summary")
    with pytest.raises(ValidationError, match="needs a section of kind summary"):
        ReportingConfig(**no_summary)


def test_assets_per_report_with_their_period_and_lineage():
    assets = {a.key: a for a in build_reporting_assets(DATASET, CALENDAR)}
    assert set(assets) == {AssetKey(["card_fraud", "reporting", f"{n}_{kind}"]) for n in ("daily", "weekly", "monthly")
                           for kind in ("summary", "report")}
    weekly = assets[AssetKey(["card_fraud", "reporting", "weekly_summary"])]
    assert weekly.partitions_def == CALENDAR.weekly
    assert AssetKey(["card_fraud", "scoring", "predictions"]) in weekly.dependency_keys
    assert AssetKey(["card_fraud", "gold", "labels"]) in weekly.dependency_keys
    assert weekly.metadata_by_key[weekly.key]["partition_expr"] == "period_start"
    report = assets[AssetKey(["card_fraud", "reporting", "monthly_report"])]
    assert report.partitions_def == CALENDAR.monthly
    assert AssetKey(["card_fraud", "reporting", "monthly_summary"]) in report.dependency_keys
    assert report.group_names_by_key[report.key] == group_name(load_reporting("card_fraud").report("monthly"))


def test_jobs_and_schedules_resolve_and_refresh_requests_the_matured_period():
    config = load_reporting("card_fraud")
    jobs = build_reporting_jobs(DATASET.name, config)
    schedules = build_reporting_schedules(config, CALENDAR, label_window_days=30, jobs=jobs)
    defs = Definitions(assets=build_reporting_assets(DATASET, CALENDAR), jobs=jobs,
                       schedules=schedules, resources=build_resources(load_profile("local")))  # starts nothing
    assert defs.resolve_job_def("weekly_reports").partitions_def == CALENDAR.weekly
    refresh = defs.resolve_schedule_def("daily_report_realised_refresh")
    now = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
    repository = defs.get_repository_def()
    with build_schedule_context(scheduled_execution_time=now, repository_def=repository) as context:
        request = refresh.evaluate_tick(context).run_requests[0]
    # Day 10-25's labels matured on 11-25 (day end 10-26 + 30 days): the newest such day on the 26th.
    assert isinstance(request, RunRequest) and request.partition_key == "2026-10-25"
    assert matured_partition(CALENDAR.daily, now, 29) == "2026-10-26"
    assert matured_partition(CALENDAR.weekly, now, 30) == "2026-10-19"  # its last day is 10-25 too
    assert matured_partition(CALENDAR.monthly, now, 30) == "2026-09-01"
    assert period_keys(CALENDAR.weekly, date(2026, 1, 1), date(2026, 1, 7), now) == ["2026-01-05"]
    assert period_keys(CALENDAR.monthly, date(2026, 1, 1), date(2026, 1, 7), now) == ["2026-01-01"]


def test_report_root_resolution(tmp_path):
    assert resolve_report_root("{data_root}/reports", tmp_path) == tmp_path / "reports"
    assert resolve_report_root("out", tmp_path) == tmp_path / "out"
    assert str(resolve_report_root("dbfs:/Volumes/main/fraud/reports", tmp_path)) == "/Volumes/main/fraud/reports"
    assert str(resolve_report_root("dbfs:/mnt/reports", tmp_path)) == "/dbfs/mnt/reports"


def test_loading_the_assets_imports_no_plotting_or_excel_library_and_starts_no_jvm():
    code = ("import sys; from lakehouse.config.dataset import load_dataset; from lakehouse.partitions import build_calendar; "
            "from lakehouse.reporting.assets import build_reporting_assets; "
            "from lakehouse.reporting.jobs import build_reporting_jobs; "
            "d = load_dataset('card_fraud'); build_reporting_assets(d, build_calendar(d.partitions)); "
            "from pyspark import SparkContext; "
            "print(sorted(m for m in ('matplotlib', 'openpyxl', 'jinja2') if m in sys.modules), SparkContext._active_spark_context)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] None"
