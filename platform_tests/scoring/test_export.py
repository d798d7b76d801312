"""Exports: a date range of predictions as one CSV or Parquet file, by function and by the job."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from lakehouse.config.contracts import load_contracts
from lakehouse.config.scoring import ExplanationSettings
from lakehouse.resources.delta_write import WriteSpec, read_table, write_delta
from lakehouse.scoring.export import EXPORT_JOB, build_export_job, default_path, export_predictions
from lakehouse.scoring.model import load_scoring_model
from lakehouse.scoring.predict import score, stamp_for
from platform_tests.scoring.conftest import DATASET, NAME, OUT_SCHEMA, settings

TABLE = "export_source"


@pytest.fixture(scope="module")
def predictions(spark, spark_resource, registry, mlflow_store, gold, spec):
    """Three scored days (2026-01-26 .. 28) with explanations, stored as a predictions table."""
    model = load_scoring_model(mlflow_store, NAME, "1")
    rows = gold.where("event_date BETWEEN DATE'2026-01-26' AND DATE'2026-01-28'")
    stamp = stamp_for(model, datetime(2026, 3, 1, tzinfo=UTC))
    scored = score(model, rows, load_contracts("card_fraud")["predictions"], stamp, spec.columns,
                   ExplanationSettings(mode="on", top_k=2))
    ref = spark_resource.table(OUT_SCHEMA, TABLE)
    write_delta(spark, scored, ref, WriteSpec(partition_by=("event_date",), schema_mode="overwrite"), None)
    return read_table(spark, ref)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_one_readable_file_with_the_rows_of_the_range(predictions, tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    result = export_predictions(predictions, date(2026, 1, 26), date(2026, 1, 27), fmt, path)
    assert result.rows == 120 and path.is_file()
    frame = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert len(frame) == 120 and set(frame["event_date"].astype(str)) == {"2026-01-26", "2026-01-27"}
    assert list(frame.columns) == predictions.columns
    first = frame["explanation"].iloc[0]
    explanation = json.loads(first) if fmt == "csv" else list(first)  # CSV: JSON text; Parquet: structured
    assert len(explanation) == 2 and {"feature", "contribution"} <= set(explanation[0])
    # Exporting again replaces the file.
    assert export_predictions(predictions, date(2026, 1, 28), date(2026, 1, 28), fmt, path).rows == 60
    assert len(pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)) == 60


def test_export_refuses_a_reversed_range_or_unknown_format(predictions, tmp_path):
    with pytest.raises(ValueError, match="before it starts"):
        export_predictions(predictions, date(2026, 1, 27), date(2026, 1, 26), "csv", tmp_path / "x.csv")
    with pytest.raises(ValueError, match="not one of"):
        export_predictions(predictions, date(2026, 1, 26), date(2026, 1, 26), "xlsx", tmp_path / "x.xlsx")


def test_export_job_writes_under_the_data_root_by_default(predictions, spark_resource, data_root):
    job = build_export_job(DATASET, settings(predictions_asset=f"{OUT_SCHEMA}/{TABLE}"))
    assert job.name == EXPORT_JOB
    result = job.execute_in_process(
        run_config={"ops": {"export_predictions_op": {"config": {"start": "2026-01-26", "end": "2026-01-28",
                                                                   "format": "csv"}}}},
        resources={"spark": spark_resource},
    )
    assert result.success
    expected = default_path(str(data_root), "exports", date(2026, 1, 26), date(2026, 1, 28), "csv")
    assert result.output_for_node("export_predictions_op") == str(expected)
    assert expected == data_root / "exports" / "predictions_2026-01-26_2026-01-28.csv"
    assert len(pd.read_csv(expected)) == 180
