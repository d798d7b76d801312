"""Processing assets (seed notebook `data_processing`): silver transactions, gold features, labels.

Thin wiring: the Spark work is in silver.py, gold.py, pit.py, labels.py; the checks in checks.py.
Partition mappings make each day read exactly what it needs: silver day D reads bronze landing days
D .. D + late tolerance; gold day D reads silver D - look-back .. D.
"""

# No `from __future__ import annotations`: Dagster resolves the resource annotations at definition time.

from datetime import date
from typing import Any

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Output,
    TimeWindowPartitionMapping,
    asset,
)
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.features import FeatureRegistry, load_features
from lakehouse.config.identifiers import dataset_key
from lakehouse.config.processing import load_processing
from lakehouse.ingestion.checks import contract_result
from lakehouse.partitions import Calendar
from lakehouse.processing import checks
from lakehouse.processing.gold import build_features
from lakehouse.processing.labels import build_label_table, label_inputs, labels_description
from lakehouse.processing.silver import build_silver, in_days
from lakehouse.resources.spark import SparkResource

KINDS = {"spark", "delta"}


def _days(context: AssetExecutionContext) -> tuple[date, date]:
    window = context.partition_time_window
    return window.start.date(), window.end.date()


def _written(spark: SparkResource, schema: str, table: str, column: str, start: date, end: date) -> DataFrame:
    return in_days(spark.spark_session.table(spark.table(schema, table).name), column, start, end)


def build_processing_assets(
    dataset: DatasetConfig, calendar: Calendar, registry: FeatureRegistry | None = None
) -> list[AssetsDefinition]:
    """Silver, gold features and labels; `registry` overrides features.yaml (benchmarks, experiments)."""
    config, reg = load_processing(dataset.name), registry or load_features(dataset.name)
    silver_cfg = config.silver
    contract = load_contracts(dataset.name)[silver_cfg.contract]
    columns = [c.name for c in contract.columns]
    silver_key, gold_key, labels_key = (AssetKey(k) for k in config.table_keys(dataset.name))
    late = TimeWindowPartitionMapping(start_offset=0, end_offset=silver_cfg.late_tolerance_days,
                                      allow_nonexistent_upstream_partitions=True)
    common: dict[str, Any] = dict(partitions_def=calendar.daily, group_name="processing", kinds=KINDS,
                                  owners=[dataset.owner], backfill_policy=BackfillPolicy.single_run())

    @asset(
        key=silver_key, description=silver_cfg.description,
        ins={s: AssetIn(AssetKey(dataset_key(dataset.name, ("bronze", s))), partition_mapping=late) for s in silver_cfg.sources},
        metadata={"partition_expr": silver_cfg.event_date, "column_descriptions": contract.descriptions()},
        check_specs=checks.silver_specs(silver_key), **common,
    )
    def silver(context: AssetExecutionContext, spark: SparkResource, **bronze: DataFrame):
        start, end = _days(context)
        result = build_silver(bronze, columns, silver_cfg, start, end)
        yield Output(result.table)
        written = _written(spark, "silver", silver_cfg.table, silver_cfg.event_date, start, end)
        yield contract_result(written, contract, silver_key)
        yield checks.deduplication_result(written, result.candidates, silver_cfg.key, silver_key)

    lookback = TimeWindowPartitionMapping(start_offset=-reg.lookback_days, end_offset=0,
                                          allow_nonexistent_upstream_partitions=True)

    @asset(
        key=gold_key, description="Model features per transaction (see features.yaml, the feature registry).",
        ins={"history": AssetIn(silver_key, partition_mapping=lookback)},
        deps=[AssetDep(AssetKey(dataset_key(dataset.name, ("bronze", d.source)))) for d in config.dimensions.values()],
        metadata={"partition_expr": reg.event_date, "column_descriptions": reg.descriptions()},
        check_specs=checks.gold_specs(gold_key), **common,
    )
    def transaction_features(context: AssetExecutionContext, spark: SparkResource, history: DataFrame):
        start, end = _days(context)
        session = spark.spark_session
        dims = {name: read_dimension(session, spark, spec, end) for name, spec in config.dimensions.items()}
        yield Output(build_features(history, dims, reg, config, start, end))
        written = _written(spark, "gold", gold_key.path[-1], reg.event_date, start, end)
        expected = in_days(history, reg.event_date, start, end)
        yield contract_result(written, checks.gold_contract(reg, silver_cfg.key, written.schema), gold_key)
        yield checks.rows_match_result(written, expected, gold_key)
        yield checks.required_features_result(written, reg, gold_key)
        yield checks.leakage_result(history, written, reg, silver_cfg.key, gold_key)

    upstream = label_inputs(reg.label, silver_cfg.table)  # label events, or silver's rows (an expression)

    @asset(
        key=labels_key, description=labels_description(reg.label),
        # Labels are read off gold's rows (the same rows as silver's, with the label key kept), so a change
        # that reaches gold reaches its labels in the same run — see docs/automation.md, "A late file".
        ins={"rows": AssetIn(gold_key), **{name: AssetIn(i.key(dataset.name)) for name, i in upstream.items()}},
        metadata={"partition_expr": reg.event_date},
        check_specs=checks.labels_specs(labels_key),
        **common,
    )
    def labels(context: AssetExecutionContext, spark: SparkResource, rows: DataFrame, **inputs: DataFrame):
        start, end = _days(context)

        def whole_silver() -> DataFrame:  # read only for an expression label's watermark
            return spark.spark_session.table(spark.table("silver", silver_cfg.table).name)

        yield Output(build_label_table(rows, inputs, whole_silver, reg, silver_cfg.key))
        written = _written(spark, "gold", config.labels_table, reg.event_date, start, end)
        yield checks.rows_match_result(written, rows, labels_key)
        yield checks.matured_labels_result(written, reg.label, reg.event_date, labels_key)

    return [silver, transaction_features, labels]


def read_dimension(session: Any, spark: SparkResource, spec: Any, end: date) -> DataFrame:
    """The dimension up to the end of the window: nothing written after it can leak into features."""
    table = session.table(spark.table("bronze", spec.source).name)
    if spec.mode == "as_of":
        return table.where(F.col(spec.valid_from) < F.lit(end).cast("timestamp"))
    return table.where(F.col(spec.snapshot_date) < F.lit(end))
