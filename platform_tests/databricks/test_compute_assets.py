"""The compute-resource processing assets must stay interchangeable with lakehouse.processing.assets:
same keys, partitions, check specs, upstream mappings and table metadata. Fails when either drifts."""

from __future__ import annotations

from dagster import AssetsDefinition

from lakehouse.config.dataset import load_dataset
from lakehouse.databricks.assets import build_compute_processing_assets
from lakehouse.partitions import build_calendar
from lakehouse.processing.assets import build_processing_assets


def _shape(asset: AssetsDefinition) -> dict:
    key = asset.key
    spec = asset.specs_by_key[key]
    return {
        "partitions": asset.partitions_def,
        "checks": sorted((c.name, c.blocking) for c in asset.check_specs),
        "deps": sorted((d.asset_key.to_user_string(), repr(d.partition_mapping)) for d in spec.deps),
        "metadata": {k: spec.metadata.get(k) for k in ("partition_expr", "column_descriptions")},
        "group": spec.group_name, "owners": sorted(spec.owners), "description": spec.description,
    }


def test_compute_assets_match_the_processing_assets() -> None:
    dataset = load_dataset("card_fraud")
    calendar = build_calendar(dataset.partitions)
    local = {a.key: _shape(a) for a in build_processing_assets(dataset, calendar)}
    compute = {a.key: _shape(a) for a in build_compute_processing_assets(dataset, calendar)}
    assert compute.keys() == local.keys()
    for key in local:
        assert compute[key] == local[key], key.to_user_string()


def test_compute_assets_need_only_the_compute_resource() -> None:
    dataset = load_dataset("card_fraud")
    for asset in build_compute_processing_assets(dataset, build_calendar(dataset.partitions)):
        # Dagster lists the default io_manager for every asset; a MaterializeResult never reaches it.
        assert asset.required_resource_keys - {"io_manager"} == {"compute"}
