"""Report assets through Dagster, on real Spark + Delta: three runs over synthetic tables (own schemas).

1. daily for Monday, labels not matured                      -> realised pending
2. daily, Monday..Sunday as one run, labels matured          -> realised metrics; Monday replaced; Wednesday
                                                                has no predictions
3. weekly for that week, into a custom report_path            -> equals the sum of its days
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize
from openpyxl import load_workbook

from lakehouse.config.dataset import load_dataset
from lakehouse.config.identifiers import split_table_name
from lakehouse.config.reporting import load_reporting
from lakehouse.partitions import build_calendar
from lakehouse.reporting.assets import build_reporting_assets
from lakehouse.reporting.paths import report_paths
from lakehouse.reporting.views import EMPTY_NOTE
from lakehouse.resources.delta_write import WriteSpec, read_table, write_delta
from platform_tests.reporting.files import page_count, pdf_info, pdf_pages, sheet_rows
from platform_tests.reporting.synthetic import LABELS_SCHEMA, MONDAY, PREDICTIONS_SCHEMA, week_labels, week_rows

# The reports read predictions and labels assets of test schemas (their keys name their tables).
CONFIG = load_reporting("card_fraud").model_copy(
    update={"predictions_asset": "reptest_scoring/predictions", "labels_asset": "reptest_gold/labels"})
DAILY, WEEKLY = CONFIG.report("daily"), CONFIG.report("weekly")
MON, WED, SUN = (MONDAY + timedelta(days=d) for d in (0, 2, 6))
RANGE = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


@dataclass
class Runs:
    pending: object
    matured: object
    weekly: object
    pending_copy: Path  # the daily reports as the first run left them (the second run replaces Monday's)
    custom_root: Path
    reports_root: Path


def _write(spark, spark_resource, schema: str, rows, ddl: str) -> None:
    ref = spark_resource.table(*split_table_name(schema))
    write_delta(spark, spark.createDataFrame(rows, ddl), ref, WriteSpec(partition_expr="event_date"), None)


@pytest.fixture(scope="module")
def runs(spark, spark_resource, resources, data_root, tmp_path_factory) -> Runs:
    _write(spark, spark_resource, "reptest_scoring.predictions", week_rows(), PREDICTIONS_SCHEMA)
    _write(spark, spark_resource, "reptest_gold.labels", week_labels(matured=False), LABELS_SCHEMA)
    dataset = load_dataset("card_fraud")
    assets = {a.key.path[-1]: a for a in build_reporting_assets(dataset, build_calendar(dataset.partitions), CONFIG)}
    daily, weekly = [assets["daily_summary"], assets["daily_report"]], [assets["weekly_summary"], assets["weekly_report"]]
    custom = tmp_path_factory.mktemp("custom_reports")
    reports_root = data_root / "reports"

    with DagsterInstance.ephemeral() as instance:
        def run(pair, tags=None, partition_key=None, report_path=None):
            ops: dict = {}  # data_table / labels_table default to the tables of CONFIG's asset keys
            if report_path:
                ops[pair[1].op.name] = {"config": {"report_path": str(report_path)}}
            return materialize(pair, resources=resources, instance=instance, run_config={"ops": ops}, tags=tags,
                               partition_key=partition_key)

        pending = run(daily, partition_key=MON.isoformat())
        copy = tmp_path_factory.mktemp("pending") / "daily"
        shutil.copytree(reports_root / "daily", copy)
        (reports_root / "daily" / MON.isoformat() / "stale.txt").write_text("left by an older report")
        _write(spark, spark_resource, "reptest_gold.labels", week_labels(matured=True), LABELS_SCHEMA)
        matured = run(daily, tags=dict(zip(RANGE, (MON.isoformat(), SUN.isoformat()))))
        weekly_run = run(weekly, partition_key=MON.isoformat(), report_path=custom)
    return Runs(pending, matured, weekly_run, copy, custom, reports_root)


def _events(result, name: str) -> dict[str, dict]:
    events = [e.materialization for e in result.get_asset_materialization_events()
              if e.materialization.asset_key == AssetKey(["card_fraud", "reporting", name])]
    return {e.partition: {k: v.value for k, v in e.metadata.items()} for e in events}


def _delta(spark, spark_resource, table: str, day) -> dict[tuple, tuple[float, bool]]:
    rows = read_table(spark, spark_resource.table("reporting", table)).where(f"period_start = DATE'{day}'").collect()
    keys = [(r.section, r.series, r.bucket, r.metric) for r in rows]
    assert len(keys) == len(set(keys)), "a rerun must replace the partition's rows, not add to them"
    return {(r.section, r.series, r.bucket, r.metric): (r.value, r.additive) for r in rows}


def test_each_day_of_a_range_run_gets_its_own_report_and_metadata(runs):
    assert runs.pending.success and runs.matured.success and runs.weekly.success
    meta = _events(runs.matured, "daily_report")
    assert sorted(meta) == [(MON + timedelta(days=d)).isoformat() for d in range(7)]
    monday = meta[MON.isoformat()]
    assert "| Predictions | 4 |" in monday["summary"] and "| Predicted fraud | 2 (50.00 %) |" in monday["summary"]
    assert monday["main_chart"].startswith("![main chart](data:image/png;base64,iVBOR")  # a PNG, embedded
    assert monday["report"] == str(runs.reports_root / "daily" / MON.isoformat() / "report.html")
    assert EMPTY_NOTE in meta[WED.isoformat()]["summary"] and meta[WED.isoformat()]["predictions"] == 0
    assert meta[SUN.isoformat()]["predictions"] == 1
    summary = _events(runs.matured, "daily_summary")[MON.isoformat()]
    assert summary["data_table"] == "reptest_scoring.predictions" and summary["dagster/table_name"] == "reporting.daily_summary"


def test_an_empty_day_gives_a_report_that_says_so(runs):
    wednesday = runs.reports_root / "daily" / WED.isoformat()
    assert EMPTY_NOTE in (wednesday / "report.html").read_text()
    assert page_count(wednesday / "report.pdf") == len(DAILY.sections)
    book = load_workbook(wednesday / "report.xlsx")
    assert sheet_rows(book["summary"])[0]["rows"] == 0 and sheet_rows(book["categories"]) == []


def test_pdf_has_one_titled_page_per_section_in_order(runs):
    pdf = runs.reports_root / "daily" / MON.isoformat() / "report.pdf"
    pages = pdf_pages(pdf)
    assert len(pages) == page_count(pdf) == len(DAILY.sections)
    for text, name in zip(pages, DAILY.sections):
        assert CONFIG.sections[name].title in text
    assert pdf_info(pdf)["Title"] == f"{DAILY.title} - {MON.isoformat()}"


def test_excel_and_csv_numbers_equal_the_delta_aggregates(runs, spark, spark_resource):
    folder = runs.reports_root / "daily" / MON.isoformat()
    book = load_workbook(folder / "report.xlsx")
    assert book.sheetnames == ["about", *DAILY.sections]
    delta = _delta(spark, spark_resource, "daily_summary", MON)
    compared = 0
    for section in DAILY.sections:
        for row in sheet_rows(book[section]):
            for metric, value in row.items():
                if metric in ("series", "bucket") or value is None:
                    continue
                assert value == pytest.approx(delta[(section, row["series"], row["bucket"], metric)][0]), (section, row, metric)
                compared += 1
    assert compared > 150
    csv = (folder / "csv" / "categories.csv").read_text().splitlines()
    assert csv[0].startswith("series,bucket,rows,predicted_positive") and len(csv) == 1 + 4


def test_realised_metrics_pending_then_computed(runs, spark, spark_resource):
    pending = _events(runs.pending, "daily_report")[MON.isoformat()]
    assert pending["realised"] == "pending" and "pending: 0 of 4 labels matured (0.0 %)" in pending["summary"]
    assert "Pending: 0 of 4 labels matured" in (runs.pending_copy / MON.isoformat() / "report.html").read_text()
    monday = _events(runs.matured, "daily_report")[MON.isoformat()]
    assert monday["realised"] == "computed"
    assert "precision 50.00 %, recall 50.00 %, AUC 0.75 (4 matured labels)" in monday["summary"]
    delta = _delta(spark, spark_resource, "daily_summary", MON)
    assert delta[("realised", "all", "all", "auc")][0] == 0.75
    # The rerun swapped the whole folder: nothing of the older report survives.
    assert not (runs.reports_root / "daily" / MON.isoformat() / "stale.txt").exists()


def test_a_weekly_report_totals_equal_the_sum_of_its_days(runs, spark, spark_resource):
    days = [MON + timedelta(days=d) for d in range(7)]
    daily = [_delta(spark, spark_resource, "daily_summary", d) for d in days]
    weekly = _delta(spark, spark_resource, "weekly_summary", MON)
    additive = [(k, v) for k, (v, is_additive) in weekly.items() if is_additive and k[0] in DAILY.sections]
    assert len(additive) > 100
    for key, value in additive:
        assert value == pytest.approx(sum(d.get(key, (0.0, True))[0] for d in daily)), key
    # The same in the files a reader opens: the weekly workbook's totals are the days' totals added up.
    week_book = load_workbook(runs.custom_root / "weekly" / MON.isoformat() / "report.xlsx")
    week = sheet_rows(week_book["summary"])[0]
    day_totals = [sheet_rows(load_workbook(runs.reports_root / "daily" / d.isoformat() / "report.xlsx")["summary"])[0]
                  for d in days]
    for metric in ("rows", "predicted_positive", "probability_sum", "amount_sum"):
        assert week[metric] == pytest.approx(sum(t[metric] for t in day_totals)), metric
    assert week["rows"] == 8


def test_report_paths_lists_what_was_made(runs, data_root):
    daily = [runs.reports_root / "daily" / (MON + timedelta(days=d)).isoformat() / "report.html" for d in range(7)]
    assert report_paths(data_root, "card_fraud") == daily  # the weekly one went to the custom report_path
    assert report_paths(data_root, "card_fraud", report_root=str(runs.custom_root)) == [runs.custom_root / "weekly" / MON.isoformat() / "report.html"]
    assert not [p for p in (runs.reports_root / "daily").iterdir() if p.name.startswith(".")]  # no staging left


def test_a_report_without_its_aggregates_is_an_error_not_an_empty_report(runs, resources, instance):
    dataset = load_dataset("card_fraud")
    assets = {a.key.path[-1]: a for a in build_reporting_assets(dataset, build_calendar(dataset.partitions), CONFIG)}
    summary, report = assets["daily_summary"], assets["daily_report"]
    never_built = (SUN + timedelta(days=7)).isoformat()
    message = f"No aggregates for daily partition {never_built}.*card_fraud/reporting/daily_summary"
    with pytest.raises(Exception, match=message):
        materialize([summary, report], selection=[report.key], resources=resources, instance=instance,
                    partition_key=never_built)
    assert not (runs.reports_root / "daily" / never_built).exists()
