"""Export predictions for a date range as CSV or Parquet (the seed's "Exporting Results").

`export_predictions` is the function (notebooks call it); `build_export_job` wraps it in a one-op job
whose run config is the range, format, path and table. The default path is
`<data_root>/exports/predictions_<start>_<end>.<format>`, one file, replaced when it exists. CSV has no
nested types, so `explanation` is written as its JSON text there; Parquet keeps the structure.
"""

# No `from __future__ import annotations`: Dagster resolves the resource annotations at definition time.

import shutil
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dagster import Config, JobDefinition, MetadataValue, OpExecutionContext, Output, job, op
from pydantic import Field
from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.identifiers import split_table_name, table_name_of
from lakehouse.config.profile import resolve_data_root
from lakehouse.config.scoring import ScoringSettings, load_scoring_config
from lakehouse.ingestion.file_source import in_window
from lakehouse.resources.delta_write import read_table, table_exists
from lakehouse.resources.spark import SparkResource
from lakehouse.run_config import config_schema, op_config
from lakehouse.scoring.explain import EXPLANATION

FORMATS = ("csv", "parquet")
EXPORT_JOB = "export_predictions"


@dataclass(frozen=True)
class ExportResult:
    path: str
    rows: int
    format: str


def default_path(data_root: str, directory: str, start: date, end: date, fmt: str) -> Path:
    folder = Path(directory)
    base = folder if folder.is_absolute() else resolve_data_root(data_root) / folder
    return base / f"predictions_{start}_{end}.{fmt}"


def export_predictions(
    predictions: DataFrame, start: date, end: date, fmt: str, path: Path, event_date: str = "event_date"
) -> ExportResult:
    """Rows of days [start, end] (both inclusive) into one local file; returns its path and row count."""
    if fmt not in FORMATS:
        raise ValueError(f"Export format {fmt!r} is not one of {FORMATS}")
    if end < start:
        raise ValueError(f"Export range ends ({end}) before it starts ({start})")
    rows = in_window(predictions, event_date, start, end + timedelta(days=1))
    if fmt == "csv" and EXPLANATION in rows.columns:
        rows = rows.withColumn(EXPLANATION, F.to_json(EXPLANATION))
    counted = Observation("export")  # counts while writing: no second pass over the rows
    rows = rows.observe(counted, F.count(F.lit(1)).alias("rows"))
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = path.parent / f".{path.name}.{uuid.uuid4().hex}"
    try:
        writer = rows.coalesce(1).write.mode("overwrite")  # one file for whoever opens the export
        if fmt == "csv":
            # RFC 4180 quoting (a quote inside a field is doubled), as pandas and spreadsheets read it.
            writer.option("header", "true").option("escape", '"').csv(str(parts))
        else:
            writer.parquet(str(parts))
        [part] = sorted(parts.glob(f"part-*.{fmt}")) or sorted(parts.glob("part-*"))
        if path.is_dir():
            shutil.rmtree(path)
        part.replace(path)
    finally:
        shutil.rmtree(parts, ignore_errors=True)  # the part folder is scratch either way
    return ExportResult(path=str(path), rows=int(counted.get["rows"]), format=fmt)


class ExportConfig(Config):
    """Which predictions to export, and where; `format` and `table` default to scoring.yaml."""

    start: str = Field(description="First day exported (YYYY-MM-DD), inclusive.")
    end: str = Field(description="Last day exported (YYYY-MM-DD), inclusive.")
    format: str = Field(description="csv or parquet (default: scoring.yaml `export.format`).")
    path: str = Field(
        default="", description="Target file. Empty: <data_root>/exports/predictions_<start>_<end>.<format>."
    )
    table: str = Field(description=(
        "Predictions table read, <schema>.<table> (default: the table of scoring.yaml `predictions_asset`). "
        "An export is an op, not an asset: it writes a file and records no materialisation, so any table may be read."))


def build_export_job(dataset: DatasetConfig, settings: ScoringSettings | None = None) -> JobDefinition:
    """Job `export_predictions` (one op); defaults of format and table come from scoring.yaml."""
    settings = settings or load_scoring_config(dataset.name)
    defaults = {"format": settings.export.format, "table": table_name_of(settings.predictions_key)}

    @op(name="export_predictions_op", description="Write the predictions of a date range to one CSV or Parquet file.",
        tags={"kind": "spark"}, config_schema=config_schema(ExportConfig, defaults))
    def export_op(context: OpExecutionContext, spark: SparkResource) -> Output[str]:
        config = op_config(context, ExportConfig)
        start, end = date.fromisoformat(config.start), date.fromisoformat(config.end)
        ref = spark.table(*split_table_name(config.table, "table"))
        session = spark.spark_session
        if not table_exists(session, ref):
            raise FileNotFoundError(f"Predictions table {ref.name} does not exist (location {ref.location})")
        path = Path(config.path) if config.path else default_path(
            spark.data_root, settings.export.directory, start, end, config.format)
        result = export_predictions(read_table(session, ref), start, end, config.format, path, settings.event_date)
        context.log.info(f"Exported {result.rows} rows of {ref.name} [{start}, {end}] to {result.path}")
        return Output(result.path, metadata=_metadata(result, ref.name, start, end))

    @job(name=EXPORT_JOB, description="Export scoring predictions for a date range as CSV or Parquet (run config).")
    def export_job() -> None:
        export_op()

    return export_job


def _metadata(result: ExportResult, table: str, start: date, end: date) -> dict[str, Any]:
    return {"path": MetadataValue.path(result.path), "rows": result.rows, "format": result.format,
            "table": table, "range": f"[{start}, {end}]"}
