"""The processing steps: the only place silver, gold features and labels are read, written and checked.

Each step reads its run's input windows, calls the pure functions (silver.py, gold.py, labels.py), writes
exactly the run's window (resources/delta_output.py `write_output`: the Delta IO manager's own write and
counts) and evaluates the asset's checks on what was written. Engine-neutral: the same function runs in
the Dagster process (LocalCompute, on the run's Spark session) and on a Databricks cluster or a local
subprocess (dbfs_assets/pipes/processing_step.py, through Dagster Pipes); lakehouse/processing/assets.py
explains why the assets call it instead of returning DataFrames to the IO manager.

Input windows follow the assets' partition mappings: silver day D reads bronze landing days D .. D + late
tolerance; gold reads silver D - look-back .. D and the dimensions up to the window's end; labels read the
gold window and every label event (or, for a label that is an expression on the row, silver's window and
silver's newest event time). A range run (a single-run backfill) reads and writes its whole range at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from dagster import AssetKey
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from lakehouse.config.features import FeatureRegistry, load_features
from lakehouse.config.identifiers import dataset_key, key_table
from lakehouse.config.processing import DimensionSettings, load_processing
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.checks import contract_result
from lakehouse.processing import checks
from lakehouse.processing.gold import build_features
from lakehouse.processing.labels import build_label_table, label_inputs
from lakehouse.processing.silver import build_silver, in_days
from lakehouse.resources.compute import RunDays, StepOutcome
from lakehouse.resources.delta_output import DeltaOutput, Tables, read_input, write_output
from lakehouse.resources.delta_write import WriteSpec, read_table


def read(tables: Tables, dataset: str, schema: str, table: str, column: str | None = None,
         start: date | None = None, end: date | None = None) -> DataFrame:
    """An upstream table of `dataset` (a clear error when it was never materialised), narrowed to the days
    [start, end) of `column` when given."""
    df = read_input(tables, tables.table(schema, table), "/".join(dataset_key(dataset, (schema, table))))
    return in_days(df, column, start, end) if column and start and end else df


def read_dimension(tables: Tables, dataset: str, spec: DimensionSettings, end: date) -> DataFrame:
    """The dimension up to the end of the window: nothing written after it can leak into features."""
    table = read(tables, dataset, "bronze", spec.source)
    if spec.mode == "as_of":
        if spec.valid_from is None:  # the same message as processing/pit.py, which joins it next
            raise ValueError(f"Dimension {spec.source!r}: as_of needs `valid_from`")
        return table.where(F.col(spec.valid_from) < F.lit(end).cast("timestamp"))
    return table.where(F.col(spec.snapshot_date) < F.lit(end))


def _write(tables: Tables, key: AssetKey, df: DataFrame, column: str, days: RunDays) -> DeltaOutput:
    """Overwrite exactly the run's window (replaceWhere), counted per partition, as the IO manager does."""
    ref = tables.table(*key_table(key.path))
    spec = WriteSpec.from_metadata({"partition_expr": column})
    return write_output(tables, df, ref, spec, days.window(column), days.windows(column))


def _written(tables: Tables, key: AssetKey, column: str, days: RunDays) -> DataFrame:
    """What the step has just written, read back for its checks."""
    return in_days(read_table(tables.spark_session, tables.table(*key_table(key.path))), column, days.start, days.end)


def silver_step(tables: Tables, dataset: str, days: RunDays, registry: FeatureRegistry | None = None) -> StepOutcome:
    processing = load_processing(dataset)
    config = processing.silver
    contract = load_contracts(dataset)[config.contract]
    sources = load_sources(dataset)
    start, end = days.start, days.end
    late_end = end + timedelta(days=config.late_tolerance_days)
    bronze = {s: read(tables, dataset, "bronze", s, sources[s].partition_column, start, late_end) for s in config.sources}
    key = AssetKey(processing.table_keys(dataset)[0])
    result = build_silver(bronze, [c.name for c in contract.columns], config, start, end)
    output = _write(tables, key, result.table, config.event_date, days)
    written = _written(tables, key, config.event_date, days)
    return StepOutcome(key, output, [
        contract_result(written, contract, key),
        checks.deduplication_result(written, result.candidates, config.key, key),
    ])


def features_step(tables: Tables, dataset: str, days: RunDays, registry: FeatureRegistry | None = None) -> StepOutcome:
    config, reg = load_processing(dataset), registry or load_features(dataset)
    silver = config.silver
    key = AssetKey(config.table_keys(dataset)[1])
    start, end = days.start, days.end
    history = read(tables, dataset, "silver", silver.table, reg.event_date, start - timedelta(days=reg.lookback_days), end)
    dims = {name: read_dimension(tables, dataset, spec, end) for name, spec in config.dimensions.items()}
    output = _write(tables, key, build_features(history, dims, reg, config, start, end), reg.event_date, days)
    written = _written(tables, key, reg.event_date, days)
    expected = in_days(history, reg.event_date, start, end)
    return StepOutcome(key, output, [
        contract_result(written, checks.gold_contract(reg, silver.key, written.schema), key),
        checks.rows_match_result(written, expected, key),
        checks.required_features_result(written, reg, key),
        checks.leakage_result(history, written, reg, silver.key, key),
    ])


def labels_step(tables: Tables, dataset: str, days: RunDays, registry: FeatureRegistry | None = None) -> StepOutcome:
    config, reg = load_processing(dataset), registry or load_features(dataset)
    key = AssetKey(config.table_keys(dataset)[2])
    start, end = days.start, days.end
    rows = read(tables, dataset, "gold", config.features_table, reg.event_date, start, end)
    # The label events (unpartitioned: the whole table) or silver's rows of the days, as the asset's deps say.
    inputs = {name: read(tables, dataset, i.schema, i.table, *((reg.event_date, start, end) if i.same_days else ()))
              for name, i in label_inputs(reg.label, config.silver.table).items()}
    labels = build_label_table(rows, inputs, lambda: read(tables, dataset, "silver", config.silver.table), reg,
                               config.silver.key)
    output = _write(tables, key, labels, reg.event_date, days)
    written = _written(tables, key, reg.event_date, days)
    return StepOutcome(key, output, [
        checks.rows_match_result(written, rows, key),
        checks.matured_labels_result(written, reg.label, reg.event_date, key),
    ])


Step = Callable[[Tables, str, RunDays, FeatureRegistry | None], StepOutcome]
STEPS: dict[str, Step] = {"silver": silver_step, "features": features_step, "labels": labels_step}


def run_step(step: str, tables: Tables, dataset: str, days: RunDays, registry: FeatureRegistry | None = None) -> StepOutcome:
    """Run one step; `registry` overrides features.yaml (the benchmarks' shorter look-back)."""
    if step not in STEPS:
        raise ValueError(f"Unknown processing step {step!r}; known: {sorted(STEPS)}")
    return STEPS[step](tables, dataset, days, registry)
