"""Delta IO manager for Spark DataFrames.

Asset key -> table: the key [dataset, schema, table] is the table's only name (SparkResource.table_for, the one
rule in config/identifiers.py). Nothing overrides it: a materialisation is recorded under the asset's key,
so writing another table would make lineage, freshness and the sensors describe a table that did not change.

Per-asset behaviour comes from definition metadata (see WriteSpec.from_metadata):
    partition_expr  date/timestamp column that holds the partition (required on partitioned assets)
    write_mode      overwrite (default) | append | merge; an asset may override it per run by returning
                    Output(df, metadata={"write_mode": ...}) (the seed's `output_mode`)
    (run time only) Output metadata `full_refresh: True` replaces the whole table.
    merge_keys      key columns for merge
    schema_mode     strict (default) | additive | overwrite
    column_descriptions  {column: description}, shown in the column schema metadata

An asset may return an `ObservedFrame` instead of a DataFrame: aggregates Spark computes while the write
runs (DataFrame.observe), added to the output metadata, so stats need no cache and no second pass.

Row counts describe the partition whose page shows them: each partition of a range run (a single-run
backfill) gets its own `dagster/row_count`, and all share `rows_in_run_range` and `partition_range`. The
write, the counts and the metadata are resources/delta_output.py's, which the processing steps use too, so
their materialisations show the same figures. Observed stats stay range-wide.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from dagster import (
    ConfigurableIOManager,
    DagsterInvariantViolationError,
    InputContext,
    MetadataValue,
    OutputContext,
    TimeWindowPartitionsDefinition,
)
from pyspark.sql import Column, DataFrame, Observation

from lakehouse.resources.check_guard import refuse_failed_upstream_input
from lakehouse.resources.delta_output import (
    DeltaOutput,
    output_metadata,
    partition_metadata,
    require_table,
    write_output,
)
from lakehouse.resources.delta_write import TimeWindowFilter, WriteSpec, read_table
from lakehouse.resources.spark import SparkResource


class ObservedFrame:
    """A DataFrame and aggregates computed by the first action over it, i.e. the IO manager's write.

    `ObservedFrame(df, {"rows": F.count(F.lit(1))})`: the IO manager writes `.df` and adds the values
    named in `published` (default: all) to the output metadata; the asset reads `values()` after its
    `yield Output(...)` (Dagster runs handle_output before resuming the asset). Works on classic Spark
    and Spark Connect alike (DataFrame.observe).
    """

    def __init__(self, df: DataFrame, aggregates: Mapping[str, Column], published: Collection[str] | None = None) -> None:
        if not aggregates:
            raise ValueError("ObservedFrame needs at least one named aggregate")
        self._source, self._aggregates = df, [column.alias(name) for name, column in aggregates.items()]
        self._names = list(aggregates)  # the metrics row's columns, in order
        self.published = set(aggregates) if published is None else set(published)
        self._observation = Observation()  # unnamed: a fresh UUID, so runs in one session never collide
        self.df = df.observe(self._observation, *self._aggregates)
        self._values: dict[str, Any] | None = None

    def values(self) -> dict[str, Any]:
        """The observed values; computed by one aggregation if no action reported them (memoised)."""
        if self._values is None:
            observed = _reported(self._observation, self._names)
            if observed is None:
                # E.g. a Spark Connect MERGE from a temp view reports no observed metrics: correct, slower.
                row = self._source.agg(*self._aggregates).first()
                observed = row.asDict(recursive=True) if row is not None else {}
            self._values = observed
        return dict(self._values)

    def metadata(self) -> dict[str, Any]:
        return {name: _metadata_value(value) for name, value in self.values().items() if name in self.published}


def _reported(observation: Observation, names: list[str]) -> dict[str, Any] | None:
    # Classic: `get` blocks until an action reports, forever if none ran the plan; the JVM future says
    # whether one did (observations complete synchronously with their action). Connect: {} if none did.
    if isinstance(observation, Observation):  # classic: Connect's Observation is a class of its own
        # Private `_jo`: pyspark has no public "has an action reported?"; platform_tests/resources/
        # test_private_apis.py fails when `_jo` or the JVM Observation's `future()` changes.
        jvm_observation = observation._jo
        if jvm_observation is None or not jvm_observation.future().isCompleted():
            return None
        row = jvm_observation.getRow()
        if row.schema() is None:
            # A write by table name (saveAsTable: the metastore catalog) reports its metrics row without a
            # schema, which pyspark's `get` asserts (Spark 4.2). The values are right and in the order of
            # the aggregates; one py4j cannot turn into a Python value (a date) leaves it to one aggregation.
            values = {name: row.get(index) for index, name in enumerate(names)} if row.length() == len(names) else {}
            return values if values and all(isinstance(v, _PLAIN) for v in values.values()) else None
    return dict(observation.get) or None


_PLAIN = (bool, int, float, str, Decimal, type(None))


class DeltaSparkIOManager(ConfigurableIOManager):
    """Stores Spark DataFrames as Delta tables and loads exactly the partition window asked for."""

    spark: SparkResource

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        observed = obj if isinstance(obj, ObservedFrame) else None
        if observed is not None:
            obj = observed.df
        if not isinstance(obj, DataFrame):
            raise TypeError(
                f"{context.asset_key.to_user_string()} returned {type(obj).__name__}; the Delta IO manager "
                "stores Spark DataFrames. Return a DataFrame (or an ObservedFrame), or a MaterializeResult for "
                "assets that write themselves."
            )
        metadata = dict(context.definition_metadata or {})
        runtime = {k: _raw(v) for k, v in (context.output_metadata or {}).items()}
        spec = WriteSpec.from_metadata(metadata, runtime.get("write_mode"))
        ref = self.spark.table_for(context.asset_key.path)
        # full_refresh: the asset rebuilt every partition, so the whole table is replaced.
        window = None if runtime.get("full_refresh") else self._window(context, spec.partition_expr)
        output = write_output(self.spark, obj, ref, spec, window, self._partition_windows(context, spec.partition_expr))
        stats = observed.metadata() if observed is not None else {}
        shared = output_metadata(output, metadata.get("column_descriptions"))
        # One call: Dagster rejects a second add_output_metadata naming the same keys.
        context.add_output_metadata({**stats, **shared, **_scope_partitions(context, output)})

    def load_input(self, context: InputContext) -> DataFrame:
        upstream = context.upstream_output
        metadata = dict(upstream.definition_metadata or {}) if upstream else {}
        ref = self.spark.table_for(context.asset_key.path)
        spark = self.spark.spark_session
        require_table(spark, ref, context.asset_key.to_user_string())
        refuse_failed_upstream_input(context)  # blocking checks hold across runs (check_guard.py)
        df = read_table(spark, ref)
        window = self._window(context, metadata.get("partition_expr"))
        if window is not None:
            df = df.where(window.sql(df.schema))
        return df

    @staticmethod
    def _partition_windows(context: OutputContext, partition_expr: str | None) -> dict[str, TimeWindowFilter]:
        """Each partition of the run and its window, in order; empty when there is no time partition to split by."""
        if not (context.has_asset_partitions and partition_expr):
            return {}
        definition = context.asset_partitions_def
        if not isinstance(definition, TimeWindowPartitionsDefinition):
            return {}
        windows = {key: definition.time_window_for_partition_key(key) for key in context.asset_partition_keys}
        return {key: TimeWindowFilter(partition_expr, tw.start, tw.end) for key, tw in windows.items()}

    @staticmethod
    def _window(context: InputContext | OutputContext, partition_expr: str | None) -> TimeWindowFilter | None:
        if not context.has_asset_partitions:
            return None
        if not partition_expr:
            raise ValueError(
                f"Partitioned asset {context.asset_key.to_user_string()} needs `partition_expr` metadata "
                "(the date column that holds its partition)."
            )
        # Spans the whole range in a single-run backfill, one partition otherwise.
        tw = context.asset_partitions_time_window
        return TimeWindowFilter(partition_expr, tw.start, tw.end)


def _raw(value: Any) -> Any:
    return getattr(value, "value", value)


def _metadata_value(value: Any) -> Any:
    """Observed values as Dagster metadata: plain values as they are, anything else (Decimal, date) as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    try:
        return MetadataValue.json(json.loads(json.dumps(value)))
    except (TypeError, ValueError):
        return str(value)


def _scope_partitions(context: OutputContext, output: DeltaOutput) -> dict[str, Any]:
    """Give each partition of a range run its own row count and window; returns what stays on the output.

    The figures go on each partition's materialisation as partition-scoped asset metadata, which Dagster
    1.13 merges over the IO manager's metadata in that partition's event only (the machinery behind
    `AssetExecutionContext.add_asset_metadata(partition_key=...)`). OutputContext offers no public way to
    it (dagster-io/dagster#18123), hence the step context; the range tests pin this on the pinned version.
    """
    own = partition_metadata(output)
    if not own:
        return {}
    try:
        step = context.step_context
    except DagsterInvariantViolationError:
        # No step (a bare build_output_context): no per-partition events to scope, so the figures go here.
        return {"rows_by_partition": MetadataValue.json(output.partition_rows)}
    for key, metadata in own.items():
        step.add_asset_metadata(metadata, asset_key=context.asset_key, partition_key=key)
    return {}
