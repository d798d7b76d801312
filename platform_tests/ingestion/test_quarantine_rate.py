"""The quarantine-rate check: a landing day whose data is unusable makes a red run."""

from typing import Any

from dagster import AssetCheckSeverity

from lakehouse.config.sources import SourceConfig
from platform_tests.ingestion import file_cases
from platform_tests.ingestion.file_cases import HEADER, csv_line, values

D1, D2 = "2026-01-02", "2026-01-03"
# The platform's default limits, not the demo source's own (it warns above 3 %: sources.yaml).
DEFAULT_LIMITS = {name: SourceConfig.model_fields[name].default
                  for name in ("quarantine_warn_share", "quarantine_error_share", "quarantine_error_min_rows")}


def ingest(*args: Any, source: dict[str, Any] | None = None, **kwargs: Any) -> file_cases.Ingested:
    kwargs["source"] = {**DEFAULT_LIMITS, **(source or {})}
    return file_cases.ingest(*args, **kwargs)


def _day(good: int, bad: int, prefix: str) -> str:
    rows = [csv_line(values(f"{prefix}{i}")) for i in range(good)]
    rows += [csv_line(values(f"{prefix}x{i}", amount="N/A")) for i in range(bad)]
    return "\n".join([HEADER, *rows]) + "\n"


def _meta(check) -> dict:
    return {k: v.value for k, v in check.metadata.items()}


def test_a_day_above_the_limit_fails_the_run_with_its_counts(spark, resources, data_root):
    case = ingest(spark, resources, data_root, "rate_error", "csv", {f"{D1}/pos.csv": _day(40, 10, "e")})
    check = case.checks["quarantine_rate"]
    assert not case.success and not check.passed and check.severity == AssetCheckSeverity.ERROR
    meta = _meta(check)
    assert (meta["rows_read"], meta["rows_loaded"], meta["rows_quarantined"]) == (50, 40, 10)
    assert (meta["quarantine_rate"], meta["error_limit"], meta["warn_limit"]) == (0.2, 0.05, 0.01)
    assert meta["worst_day"] == D1 and "10 of 50 rows quarantined (20.0%)" in meta["failing_days"]


def test_a_day_between_the_limits_warns_and_the_run_stays_green(spark, resources, data_root):
    # The blocking check passes (at WARN it would still hold automation downstream); the other one warns.
    case = ingest(spark, resources, data_root, "rate_warn", "csv", {f"{D1}/pos.csv": _day(97, 3, "w")})
    check, warning = case.checks["quarantine_rate"], case.checks["quarantine_rate_warning"]
    assert case.success and check.passed and not warning.passed and warning.severity == AssetCheckSeverity.WARN
    assert _meta(warning)["quarantine_rate"] == 0.03 and "3 of 100 rows quarantined" in _meta(warning)["warning_days"]


def test_a_clean_day_passes(spark, resources, data_root):
    case = ingest(spark, resources, data_root, "rate_clean", "csv", {f"{D1}/pos.csv": _day(20, 0, "c")})
    assert case.success and case.checks["quarantine_rate"].passed and case.checks["quarantine_rate_warning"].passed


def test_a_day_with_nothing_loaded_always_fails(spark, resources, data_root):
    # Three rows, all rejected: below the rows an ERROR otherwise needs, and a limit of 100 % would not help.
    case = ingest(spark, resources, data_root, "rate_nothing", "csv", {f"{D1}/pos.csv": _day(0, 3, "n")},
                  source={"quarantine_error_share": 1.0, "quarantine_warn_share": 1.0})
    check = case.checks["quarantine_rate"]
    assert not case.success and not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert "none loaded" in _meta(check)["failing_days"]


def test_few_rejects_on_a_tiny_day_only_warn(spark, resources, data_root):
    # 2 of 12 rows is 17 %, yet two rows are no sign of an unusable day: below quarantine_error_min_rows.
    case = ingest(spark, resources, data_root, "rate_tiny", "csv", {f"{D1}/pos.csv": _day(10, 2, "t")})
    check, warning = case.checks["quarantine_rate"], case.checks["quarantine_rate_warning"]
    assert case.success and check.passed and not warning.passed
    assert "2 of 12 rows quarantined" in _meta(warning)["warning_days"]


def test_in_a_range_run_each_day_is_judged_on_its_own(spark, resources, data_root):
    # Together 10 of 210 rows (4.8 %) would pass; the second day alone is 10 of 60.
    files = {f"{D1}/pos.csv": _day(150, 0, "a"), f"{D2}/pos.csv": _day(50, 10, "b")}
    case = ingest(spark, resources, data_root, "rate_range", "csv", files)
    check = case.checks["quarantine_rate"]
    assert not case.success and check.severity == AssetCheckSeverity.ERROR
    meta = _meta(check)
    assert meta["worst_day"] == D2 and D1 not in meta["failing_days"]
    assert meta["rows_read"] == 210 and case.checks["reconciliation"].passed
