"""Processing assets (seed notebook `data_processing`): silver transactions, gold features, labels.

One definition for every profile; the body is `compute.run(context, step)`, and the profile's `compute`
resource decides where the step (processing/steps.py) runs: on the run's own Spark session, in a Pipes
subprocess, or on a Databricks cluster through Dagster Pipes (docs/databricks.md).

Why these assets write their tables themselves instead of returning DataFrames to the Delta IO manager:
one step function must run on any compute target, and on a cluster no IO manager runs (resources and IO
managers stay in the Dagster process; only the step crosses Pipes). So the upstreams are `deps` with the
partition mappings that make each day read exactly what it needs (silver day D reads bronze landing days
D .. D + late tolerance; gold day D reads silver D - look-back .. D), and the step reads those windows.
Nothing of the IO manager is lost, because the compute resource runs the IO manager's own functions in the
Dagster process (resources/compute.py): the blocking-check guard before the step is dispatched
(resources/check_guard.py), and after it the same metadata and per-partition row counts
(resources/delta_output.py, which the IO manager writes through too).
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
from lakehouse.config.features import FeatureRegistry, load_features
from lakehouse.config.identifiers import dataset_key
from lakehouse.config.processing import load_processing
from lakehouse.partitions import Calendar
from lakehouse.processing import checks
from lakehouse.processing.labels import label_inputs, labels_description
from lakehouse.resources.compute import ComputeResource

KINDS = {"spark", "delta"}


def build_processing_assets(
    dataset: DatasetConfig, calendar: Calendar, registry: FeatureRegistry | None = None
) -> list[AssetsDefinition]:
    """Silver, gold features and labels. `registry` overrides features.yaml in the definitions (the
    look-back mapping); a compute given the same override runs the steps with it (the benchmarks)."""
    config, reg = load_processing(dataset.name), registry or load_features(dataset.name)
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
        key=labels_key, description=labels_description(reg.label),
        # Labels are read off gold's rows (the same rows as silver's, with the label key kept), so a change
        # that reaches gold reaches its labels in the same run — see docs/automation.md, "A late file".
        # Besides gold: the label events (unpartitioned), or silver's rows of the same days (an expression).
        deps=[AssetDep(gold_key), *[AssetDep(i.key(dataset.name)) for i in label_inputs(reg.label, silver_cfg.table).values()]],
        metadata={"partition_expr": reg.event_date},
        check_specs=checks.labels_specs(labels_key),
        **common,
    )
    def labels(context: AssetExecutionContext, compute: ComputeResource) -> MaterializeResult:
        return compute.run(context, "labels")

    return [silver, transaction_features, labels]
