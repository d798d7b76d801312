"""One Delta write and what it reports: shared by the Delta IO manager and the processing steps.

`write_output` writes a DataFrame (`write_delta`), registers the table and counts its rows; it returns
plain, JSON-safe figures (`DeltaOutput`), because a step on a Databricks cluster sends them back through
Dagster Pipes. `output_metadata` and `partition_metadata` turn them into Dagster metadata in the Dagster
process, so an asset the IO manager writes and an asset that writes itself (resources/compute.py) record
the same keys: `dagster/column_schema` (with the definition's column descriptions), `dagster/table_name`,
`delta_version`, `delta_operation`, `write_mode`, `operation_metrics`, `location`, `partition_window`,
`columns_added` when the schema grew, and the row counts below.

Row counts describe the partition whose page shows them. A one-partition (or unpartitioned) write reports
`dagster/row_count`: rows now in its window (or table). A range run (a single-run backfill) yields one
materialisation per partition; each gets its own partition's `dagster/row_count` and `partition_window`
(0 rows for a day without any), counted by one aggregation over the written window, as partition-scoped
metadata the caller adds; all share `rows_in_run_range` (the range total, never passed as a row count) and
`partition_range` ("first .. last").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from dagster import MetadataValue, TableColumn, TableSchema
from pyspark.sql import DataFrame

from lakehouse.resources.catalog import TableRef
from lakehouse.resources.delta_write import (
    TimeWindowFilter,
    WriteResult,
    WriteSpec,
    read_table,
    rows_by_window,
    table_exists,
    write_delta,
)

# Operation metrics that hold the number of rows a commit wrote, by Delta operation.
_ROWS_WRITTEN = ("numOutputRows", "numTargetRowsInserted")


class Tables(Protocol):
    """Where tables are and the session that reads them: SparkResource in the Dagster process (or a Pipes
    subprocess), ClusterTables (lakehouse/databricks/cluster_tables.py) on a Databricks cluster."""

    @property
    def spark_session(self) -> Any: ...

    def table(self, schema: str, table: str) -> TableRef: ...

    def register(self, ref: TableRef) -> None: ...


@dataclass(frozen=True)
class DeltaOutput:
    """What one write did, as plain values: they cross Dagster Pipes as JSON (`to_json` / `from_json`)."""

    table_name: str
    location: str | None
    version: int
    operation: str
    write_mode: str
    operation_metrics: dict[str, str]
    columns: list[tuple[str, str]]  # (name, Spark SQL type) of the DataFrame written
    columns_added: list[str]
    window: str | None  # the run's whole window as text; None for an unpartitioned write
    rows: int  # rows now in the written scope: the window (a range run: the whole range) or the table
    partition_rows: dict[str, int] = field(default_factory=dict)  # a range run only: each partition's own
    partition_windows: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeltaOutput:
        """The figures back from JSON (an unknown or missing key fails: both sides run this package)."""
        return cls(**{**data, "columns": [(str(name), str(kind)) for name, kind in data["columns"]]})


def require_table(spark: Any, ref: TableRef, asset: str) -> None:
    """Fail naming the asset to materialise first when its table was never written."""
    if not table_exists(spark, ref):
        raise FileNotFoundError(f"Table {ref.name} does not exist yet (location {ref.location}); materialise "
                                f"{asset} first.")


def read_input(tables: Tables, ref: TableRef, asset: str) -> DataFrame:
    """The table of the upstream `asset`, whole (the caller narrows it to the days it reads)."""
    spark = tables.spark_session
    require_table(spark, ref, asset)
    return read_table(spark, ref)


def write_output(
    tables: Tables, df: DataFrame, ref: TableRef, spec: WriteSpec, window: TimeWindowFilter | None,
    partitions: Mapping[str, TimeWindowFilter] | None = None,
) -> DeltaOutput:
    """Write `df` as `spec` says over `window` (None: the whole table), make the table visible by name, and
    count its rows: per partition when `partitions` (the run's partitions and their windows) has several."""
    spark = tables.spark_session
    result = write_delta(spark, df, ref, spec, window)
    tables.register(ref)
    split = dict(partitions or {})
    per_partition: dict[str, int] = {}
    if len(split) > 1:
        # A range run: Dagster records one materialisation per partition, so each gets its own count.
        per_partition = dict(zip(split, rows_by_window(read_table(spark, ref), list(split.values()))))
        rows = sum(per_partition.values())
    else:
        rows = _rows_in_scope(spark, ref, window, result, spec)
    return DeltaOutput(
        table_name=ref.name, location=str(ref.location) if ref.location else None, version=result.version,
        operation=result.operation, write_mode=spec.mode, operation_metrics=dict(result.metrics),
        columns=[(f.name, f.dataType.simpleString()) for f in df.schema.fields],
        columns_added=list(result.schema_change), window=window_text(window) if window is not None else None,
        rows=rows, partition_rows=per_partition,
        partition_windows={key: window_text(split[key]) for key in per_partition},
    )


def output_metadata(output: DeltaOutput, column_descriptions: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The metadata every materialisation of the write shows (a range run: every partition's)."""
    descriptions = dict(column_descriptions or {})
    columns = [TableColumn(name=name, type=kind, description=descriptions.get(name)) for name, kind in output.columns]
    metadata: dict[str, Any] = {
        "dagster/column_schema": TableSchema(columns=columns),
        "dagster/table_name": output.table_name,
        "delta_version": output.version,
        "delta_operation": output.operation,
        "write_mode": output.write_mode,
        "operation_metrics": MetadataValue.json(output.operation_metrics),
    }
    if output.location:
        metadata["location"] = MetadataValue.path(output.location)
    if output.window is not None:
        metadata["partition_window"] = output.window
    if output.columns_added:
        metadata["columns_added"] = ", ".join(output.columns_added)
    if output.partition_rows:
        keys = list(output.partition_rows)
        metadata["rows_in_run_range"] = output.rows
        metadata["partition_range"] = f"{keys[0]} .. {keys[-1]}"
    else:
        metadata["dagster/row_count"] = output.rows
    return metadata


def partition_metadata(output: DeltaOutput) -> dict[str, dict[str, Any]]:
    """{partition key: its own row count and window} of a range run; empty otherwise. The caller records
    them as partition-scoped asset metadata, which Dagster merges over `output_metadata` in that
    partition's event only."""
    return {key: {"dagster/row_count": rows, "partition_window": output.partition_windows[key]}
            for key, rows in output.partition_rows.items()}


def window_text(window: TimeWindowFilter) -> str:
    return f"{window.column} in [{window.start.date()}, {window.end.date()})"


def _rows_in_scope(spark: Any, ref: TableRef, window: TimeWindowFilter | None, result: WriteResult, spec: WriteSpec) -> int:
    """Rows now in the written scope (the partition window, or the whole table)."""
    if spec.mode == "overwrite":
        # An overwrite's output rows are exactly the scope's rows: no extra Spark job needed.
        for key in _ROWS_WRITTEN:
            if key in result.metrics:
                return int(result.metrics[key])
    df = read_table(spark, ref)
    if window is not None:
        df = df.where(window.sql(df.schema))
    return df.count()
