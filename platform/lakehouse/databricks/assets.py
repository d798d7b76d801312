"""Processing assets that run through the `compute` resource: one definition for every profile.

Same keys, partitions, metadata, check specs and owners as lakehouse.processing.assets; the body is
`compute.run(context, step)`, so the profile's compute resource decides where the step runs (the
run's Spark session, a Databricks cluster through Pipes, or the Pipes entry script as a subprocess).
Inputs are dependencies with the same partition mappings: the step reads the mapped windows itself
(lakehouse.databricks.steps), because on a cluster no IO manager runs.
"""

# No `from __future__ import annotations`: Dagster resolves the resource annotations at definition time.

from typing import Any

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    TimeWindowPartitionMapping,
    asset,
)

from lakehouse.config.contracts import load_contracts
from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.features import load_features
from lakehouse.config.identifiers import dataset_key
from lakehouse.config.processing import load_processing
from lakehouse.databricks.compute import ComputeResource
from lakehouse.partitions import Calendar
from lakehouse.processing import checks
from lakehouse.processing.labels import label_inputs, labels_description

KINDS = {"spark", "delta"}


def build_compute_processing_assets(dataset: DatasetConfig, calendar: Calendar) -> list[AssetsDefinition]:
    config, reg = load_processing(dataset.name), load_features(dataset.name)
    silver_cfg = config.silver
    contract = load_contracts(dataset.name)[silver_cfg.contract]
    silver_key, gold_key, labels_key = (AssetKey(k) for k in config.table_keys(dataset.name))
    late = TimeWindowPartitionMapping(start_offset=0, end_offset=silver_cfg.late_tolerance_days,
                                      allow_nonexistent_upstream_partitions=True)
    lookback = TimeWindowPartitionMapping(start_offset=-reg.lookback_days, end_offset=0,
                                          allow_nonexistent_upstream_partitions=True)
    common: dict[str, Any] = dict(partitions_def=calendar.daily, group_name="processing", kinds=KINDS,
                                  owners=[dataset.owner], backfill_policy=BackfillPolicy.single_run())

    @asset(
        key=silver_key, description=silver_cfg.description,
        deps=[AssetDep(AssetKey(dataset_key(dataset.name, ("bronze", s))), partition_mapping=late) for s in silver_cfg.sources],
        metadata={"partition_expr": silver_cfg.event_date, "column_descriptions": contract.descriptions()},
        check_specs=checks.silver_specs(silver_key), **common,
    )
    def silver(context: AssetExecutionContext, compute: ComputeResource) -> MaterializeResult:
        return compute.run(context, "silver")

    @asset(
        key=gold_key, description="Model features per transaction (see features.yaml, the feature registry).",
        deps=[AssetDep(silver_key, partition_mapping=lookback),
              *[AssetDep(AssetKey(dataset_key(dataset.name, ("bronze", d.source)))) for d in config.dimensions.values()]],
        metadata={"partition_expr": reg.event_date, "column_descriptions": reg.descriptions()},
        check_specs=checks.gold_specs(gold_key), **common,
    )
    def transaction_features(context: AssetExecutionContext, compute: ComputeResource) -> MaterializeResult:
        return compute.run(context, "features")

    @asset(
        key=labels_key,
        description=labels_description(reg.label),
        deps=[AssetDep(gold_key), *[AssetDep(i.key(dataset.name)) for i in label_inputs(reg.label, silver_cfg.table).values()]],
        metadata={"partition_expr": reg.event_date},
        check_specs=checks.labels_specs(labels_key),
        **common,
    )
    def labels(context: AssetExecutionContext, compute: ComputeResource) -> MaterializeResult:
        return compute.run(context, "labels")

    return [silver, transaction_features, labels]
