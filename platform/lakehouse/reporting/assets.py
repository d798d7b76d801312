"""Reporting assets (seed notebook `reporting`): for each report of reporting.yaml, partitioned by its
period (the seed's time_period),

  reporting/<name>_summary  Delta table (long layout, see aggregates.py) through the Delta IO manager,
                            for SQL / BI users; run config `data_table` (+ `labels_table`): the
                            tables of reporting.yaml's asset keys, no others;
  reporting/<name>_report   HTML, PDF, Excel, CSV and PNG files rendered from that table; run config
                            `report_path` (the seed's report_path).

Thin wiring: aggregations in sections.py / realised.py, rendering in render.py. Both assets accept a
range of partitions in one run (single-run backfills, `make run`): every period gets its own report.
"""

# No `from __future__ import annotations`: Dagster resolves the resource annotations at definition time.

import base64
from datetime import UTC, date, datetime
from typing import Any

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
)
from pydantic import Field
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.identifiers import dataset_key, table_name_of
from lakehouse.config.profile import resolve_data_root
from lakehouse.config.reporting import ReportingConfig, ReportSpec, load_reporting
from lakehouse.partitions import Calendar
from lakehouse.reporting.aggregates import COLUMN_DESCRIPTIONS, LONG_COLUMNS, Period
from lakehouse.resources.delta_write import read_table, table_exists
from lakehouse.resources.spark import SparkResource
from lakehouse.run_config import config_schema, op_config, require_table

SCHEMA = "reporting"


def summary_key(dataset: str, report: ReportSpec) -> AssetKey:
    return AssetKey(dataset_key(dataset, (SCHEMA, f"{report.name}_summary")))


def report_key(dataset: str, report: ReportSpec) -> AssetKey:
    return AssetKey(dataset_key(dataset, (SCHEMA, f"{report.name}_report")))


def group_name(report: ReportSpec) -> str:
    """One group per report: a job or backfill selecting a group then has one partitioning."""
    return f"reporting_{report.name}"


class SummaryRunConfig(Config):
    """The seed notebook's `data_table` (and the labels table): the tables of reporting.yaml's asset keys."""

    data_table: str = Field(description=(
        "Predictions table <schema>.<table>: the table of reporting.yaml `predictions_asset`, the summary's "
        "declared upstream. Another value fails the run (lineage would name a table it did not read); to "
        "report on other predictions, point `predictions_asset` at their asset."))
    labels_table: str = Field(description=(
        "Labels table for realised metrics, <schema>.<table>: the table of reporting.yaml `labels_asset`, "
        "or empty (no labels: realised stays pending). Any other table fails the run."))


class ReportRunConfig(Config):
    """The seed notebook's `report_path`; the default comes from reporting.yaml."""

    report_path: str = Field(description=(
        "Reports root; files go to <report_path>/<report>/<partition>/. `{data_root}` is the profile's data root; "
        "dbfs:/ paths map to the Databricks FUSE mounts. Default: reporting.yaml `report_root`."))


def _periods(context: AssetExecutionContext) -> list[Period]:
    partitions = context.assets_def.partitions_def
    windows = [partitions.time_window_for_partition_key(key) for key in context.partition_keys]
    return [Period(w.start.date(), w.end.date()) for w in windows]


def require_own_tables(config: SummaryRunConfig, settings: ReportingConfig) -> None:
    """`data_table` / `labels_table` name the tables of the summary's declared upstream keys, or the run fails
    here, before anything is read or written (lakehouse/run_config.py)."""
    remedy = "to report on other {}, point reporting.yaml `{}` at their asset."
    require_table("data_table", config.data_table, settings.predictions_key,
                  remedy.format("predictions", "predictions_asset"))
    if config.labels_table:
        if settings.labels_key is None:
            raise ValueError(f"labels_table {config.labels_table!r}: reporting.yaml names no `labels_asset`, so the "
                             "summary declares no labels upstream; set labels_asset, or leave labels_table empty.")
        require_table("labels_table", config.labels_table, settings.labels_key, remedy.format("labels", "labels_asset"))


def _read_window(spark: SparkResource, key: AssetKey, column: str, start: date, end: date) -> DataFrame:
    session, ref = spark.spark_session, spark.table_for(key.path)
    if not table_exists(session, ref):
        raise FileNotFoundError(f"Table {ref.name} does not exist (location {ref.location}); materialise "
                                f"{key.to_user_string()} first.")
    return read_table(session, ref).where((F.col(column) >= F.lit(start)) & (F.col(column) < F.lit(end)))


def build_reporting_assets(
    dataset: DatasetConfig, calendar: Calendar, config: ReportingConfig | None = None
) -> list[AssetsDefinition]:
    """Two assets per report of reporting.yaml; `config` overrides the file (tests, experiments)."""
    settings = config or load_reporting(dataset.name)
    partitions = {"day": calendar.daily, "week": calendar.weekly, "month": calendar.monthly}
    assets: list[AssetsDefinition] = []
    for report in settings.reports:
        common: dict[str, Any] = dict(partitions_def=partitions[report.period], group_name=group_name(report),
                                      owners=[dataset.owner], backfill_policy=BackfillPolicy.single_run())
        assets += [_summary_asset(dataset.name, settings, report, common), _report_asset(settings, report, dataset, common)]
    return assets


# In the builders below `settings` is reporting.yaml and `config` the run config of one run.


def _summary_asset(
    dataset: str, settings: ReportingConfig, report: ReportSpec, common: dict[str, Any]
) -> AssetsDefinition:
    predictions_key = AssetKey(dataset_key(dataset, settings.predictions_key))
    labels_key = AssetKey(dataset_key(dataset, settings.labels_key)) if settings.labels_key else None
    deps = [AssetDep(key) for key in (predictions_key, labels_key) if key]
    defaults = {"data_table": table_name_of(settings.predictions_key),
                "labels_table": table_name_of(settings.labels_key) if settings.labels_key else ""}
    sections = [(name, settings.sections[name]) for name in report.sections]

    @asset(
        key=summary_key(dataset, report), deps=deps, kinds={"spark", "delta"},
        metadata={"partition_expr": "period_start", "column_descriptions": COLUMN_DESCRIPTIONS},
        description=(f"Aggregates of the {report.name} report ({', '.join(report.sections)}), one row per period, "
                     "section, series, bucket and metric; additive values sum over sub-periods."),
        config_schema=config_schema(SummaryRunConfig, defaults),
        **common,
    )
    def summary(context: AssetExecutionContext, spark: SparkResource):
        from lakehouse.reporting.grouping_sets import build_aggregates
        from lakehouse.reporting.sections import prepare

        config = op_config(context, SummaryRunConfig)
        require_own_tables(config, settings)
        periods = _periods(context)
        start, end = periods[0].start, periods[-1].end
        predictions = _read_window(spark, predictions_key, settings.predictions.event_date, start, end)
        labels = (_read_window(spark, labels_key, settings.labels.event_date, start, end)
                  if config.labels_table and labels_key else None)
        frame = prepare(spark.spark_session, predictions, labels, periods, report.period, settings.predictions,
                        settings.labels)
        # One Spark aggregation for every section, collected (a few hundred rows per period) and handed
        # to the IO manager as a small local frame.
        return Output(build_aggregates(frame, sections),
                      metadata={"data_table": config.data_table, "labels_table": config.labels_table or "(none)"})

    return summary


def _report_asset(
    settings: ReportingConfig, report: ReportSpec, dataset: DatasetConfig, common: dict[str, Any]
) -> AssetsDefinition:
    source = summary_key(dataset.name, report)

    @asset(
        key=report_key(dataset.name, report), ins={"aggregates": AssetIn(source)}, kinds={"html", "pdf", "excel"},
        description=f"{report.description} Files: HTML (charts embedded), PDF, Excel, CSV, PNG.",
        config_schema=config_schema(ReportRunConfig, {"report_path": settings.report_root}),
        **common,
    )
    def report_files(context: AssetExecutionContext, spark: SparkResource, aggregates: DataFrame) -> MaterializeResult:
        from lakehouse.reporting.parallel import render_all
        from lakehouse.reporting.paths import resolve_report_root
        from lakehouse.reporting.render import ReportContext, report_directory

        config = op_config(context, ReportRunConfig)
        root = resolve_report_root(config.report_path, resolve_data_root(spark.data_root))
        import pandas as pd  # here, not at module level: loading definitions must not pay for pandas

        rows = pd.DataFrame([r.asDict() for r in aggregates.collect()], columns=LONG_COLUMNS)
        about = {"aggregates table": spark.table_for(source.path).name, "dagster run": context.run.run_id}
        now = datetime.now(UTC)
        jobs = []
        for key, period in zip(context.partition_keys, _periods(context)):
            part = rows[rows["period_start"] == period.start]
            if part.empty:  # an empty period still has aggregate rows (zero volume): none means never built
                raise ValueError(f"No aggregates for {report.name} partition {key} in {about['aggregates table']}; "
                                 f"materialise {source.to_user_string()} for it first.")
            ctx = ReportContext(settings, report, period, key, now, dataset.partitions.timezone, about)
            jobs.append((part, ctx, report_directory(root, report.name, key)))
        for key, rendered in zip(context.partition_keys, render_all(jobs, settings.render_processes)):
            context.add_asset_metadata(_metadata(rendered), partition_key=key)
        return MaterializeResult()

    return report_files


def _metadata(rendered: Any) -> dict[str, Any]:
    """Summary, paths and the main chart (the UI renders data: images in markdown) for one partition."""
    headline = rendered.headline
    chart = base64.b64encode(rendered.main_chart).decode("ascii")
    return {
        "summary": MetadataValue.md(rendered.markdown),
        "main_chart": MetadataValue.md(f"![main chart](data:image/png;base64,{chart})"),
        "report": MetadataValue.path(str(rendered.files["report.html"])),
        "report_dir": MetadataValue.path(str(rendered.directory)),
        "predictions": headline.predictions,
        "predicted_positive_rate": MetadataValue.float(headline.rate) if headline.rate is not None else MetadataValue.null(),
        "realised": headline.realised.status,
        "files": len(rendered.files),
    }
