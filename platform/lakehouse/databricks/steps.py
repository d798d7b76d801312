"""The processing steps as engine-neutral functions: read a partition window's inputs, run the pure
silver / gold functions, write exactly that window, evaluate the asset's checks on what was written.

They run in the Dagster process (LocalCompute, on the run's Spark session) and on a Databricks
cluster (dbfs_assets/pipes/processing_step.py, through Dagster Pipes). They mirror the bodies of
lakehouse.processing.assets (same pure functions, same checks) until those assets call the compute
resource themselves (docs/databricks.md); platform_tests/databricks/test_compute_assets.py fails
when the two asset factories' keys, check specs or mappings drift apart. Input windows follow the
partition mappings: silver day D reads bronze landing days D .. D + late tolerance; gold reads silver
D - look-back .. D; labels read the gold window and every label event (or, for a label that is an
expression on the row, silver's window and silver's newest event time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from dagster import AssetCheckResult, AssetKey
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from lakehouse.config.features import load_features
from lakehouse.config.identifiers import key_table
from lakehouse.config.processing import DimensionSettings, load_processing
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.checks import contract_result
from lakehouse.processing import checks
from lakehouse.processing.gold import build_features
from lakehouse.processing.labels import build_label_table, label_inputs
from lakehouse.processing.silver import build_silver, in_days
from lakehouse.resources.catalog import TableRef, table_ref
from lakehouse.resources.delta_write import TimeWindowFilter, WriteSpec, read_table, write_delta


class Tables(Protocol):
    """Where tables are and the session that reads them: SparkResource locally, ClusterTables on a cluster."""

    @property
    def spark_session(self) -> Any: ...

    def table(self, schema: str, table: str) -> TableRef: ...

    def register(self, ref: TableRef) -> None: ...


@dataclass
class ClusterTables:
    """Unity Catalog tables on a Databricks cluster: names only, the metastore is real (nothing to register)."""

    spark_session: SparkSession
    catalog_name: str
    warehouse: str = ""

    def table(self, schema: str, table: str) -> TableRef:
        return table_ref(schema, table, self.warehouse, self.catalog_name)

    def register(self, ref: TableRef) -> None:
        return None


@dataclass
class StepOutcome:
    """What a step wrote and what its checks found, for one asset."""

    asset_key: AssetKey
    metadata: dict[str, Any]
    checks: list[AssetCheckResult] = field(default_factory=list)


def _read(tables: Tables, schema: str, name: str, column: str | None = None,
          start: date | None = None, end: date | None = None) -> DataFrame:
    df = read_table(tables.spark_session, tables.table(schema, name))
    return in_days(df, column, start, end) if column and start and end else df


def _write(
    tables: Tables, key: AssetKey, df: DataFrame, column: str, start: date, end: date
) -> tuple[TableRef, dict[str, Any]]:
    """Overwrite exactly the window (replaceWhere), as the Delta IO manager does for the local assets."""
    ref = tables.table(*key_table(key.path))
    window = TimeWindowFilter(column, datetime.combine(start, time()), datetime.combine(end, time()))
    spark = tables.spark_session
    result = write_delta(spark, df, ref, WriteSpec.from_metadata({"partition_expr": column}), window)
    tables.register(ref)
    rows = in_days(read_table(spark, ref), column, start, end).count()
    metadata: dict[str, Any] = {
        "dagster/row_count": rows, "dagster/table_name": ref.name, "delta_version": result.version,
        "delta_operation": result.operation, "partition_window": f"{column} in [{start}, {end})",
    }
    if ref.location:
        metadata["location"] = str(ref.location)
    return ref, metadata


def silver_step(tables: Tables, dataset: str, start: date, end: date) -> StepOutcome:
    config = load_processing(dataset).silver
    contract = load_contracts(dataset)[config.contract]
    sources = load_sources(dataset)
    late_end = end + timedelta(days=config.late_tolerance_days)
    bronze = {s: _read(tables, "bronze", s, sources[s].partition_column, start, late_end) for s in config.sources}
    key = AssetKey(load_processing(dataset).table_keys(dataset)[0])
    result = build_silver(bronze, [c.name for c in contract.columns], config, start, end)
    ref, metadata = _write(tables, key, result.table, config.event_date, start, end)
    written = _read(tables, "silver", config.table, config.event_date, start, end)
    return StepOutcome(key, metadata, [
        contract_result(written, contract, key),
        checks.deduplication_result(written, result.candidates, config.key, key),
    ])


def _dimension(tables: Tables, spec: DimensionSettings, end: date) -> DataFrame:
    """The dimension up to the end of the window: nothing written after it can leak into features."""
    table = _read(tables, "bronze", spec.source)
    if spec.mode == "as_of":
        if spec.valid_from is None:  # the same message as processing/pit.py, which joins it next
            raise ValueError(f"Dimension {spec.source!r}: as_of needs `valid_from`")
        return table.where(F.col(spec.valid_from) < F.lit(end).cast("timestamp"))
    return table.where(F.col(spec.snapshot_date) < F.lit(end))


def features_step(tables: Tables, dataset: str, start: date, end: date) -> StepOutcome:
    config, reg = load_processing(dataset), load_features(dataset)
    silver = config.silver
    key = AssetKey(config.table_keys(dataset)[1])
    history = _read(tables, "silver", silver.table, reg.event_date, start - timedelta(days=reg.lookback_days), end)
    dims = {name: _dimension(tables, spec, end) for name, spec in config.dimensions.items()}
    features = build_features(history, dims, reg, config, start, end)
    _, metadata = _write(tables, key, features, reg.event_date, start, end)
    written = _read(tables, "gold", config.features_table, reg.event_date, start, end)
    expected = in_days(history, reg.event_date, start, end)
    return StepOutcome(key, metadata, [
        contract_result(written, checks.gold_contract(reg, silver.key, written.schema), key),
        checks.rows_match_result(written, expected, key),
        checks.required_features_result(written, reg, key),
        checks.leakage_result(history, written, reg, silver.key, key),
    ])


def labels_step(tables: Tables, dataset: str, start: date, end: date) -> StepOutcome:
    config, reg = load_processing(dataset), load_features(dataset)
    key = AssetKey(config.table_keys(dataset)[2])
    rows = _read(tables, "gold", config.features_table, reg.event_date, start, end)
    # The label events (unpartitioned: the whole table) or silver's rows of the days, as the asset's deps say.
    inputs = {name: _read(tables, i.schema, i.table, *((reg.event_date, start, end) if i.same_days else ()))
              for name, i in label_inputs(reg.label, config.silver.table).items()}
    labels = build_label_table(rows, inputs, lambda: _read(tables, "silver", config.silver.table), reg,
                               config.silver.key)
    _, metadata = _write(tables, key, labels, reg.event_date, start, end)
    written = _read(tables, "gold", config.labels_table, reg.event_date, start, end)
    return StepOutcome(key, metadata, [
        checks.rows_match_result(written, rows, key),
        checks.matured_labels_result(written, reg.label, reg.event_date, key),
    ])


Step = Callable[[Tables, str, date, date], StepOutcome]
STEPS: dict[str, Step] = {"silver": silver_step, "features": features_step, "labels": labels_step}


def run_step(step: str, tables: Tables, dataset: str, start: date, end: date) -> StepOutcome:
    if step not in STEPS:
        raise ValueError(f"Unknown processing step {step!r}; known: {sorted(STEPS)}")
    return STEPS[step](tables, dataset, start, end)
