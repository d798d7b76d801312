"""maintenance.yaml resolved against the asset graph: the tables the weekly job maintains.

Nobody keeps a list of tables by hand (one went stale): the asset graph is the list.
* VACUUM: every asset of kind `delta` (each is one Delta table, named by its key; config/identifiers.py),
  but those maintenance.yaml `keep_history` names (old versions are read: a model's pinned training set).
* Quarantine retention: every Delta asset whose key is another Delta asset's `_quarantine` side key
  (`side_key`, the rule the ingestion factories name them by), dated by its partition column
  (`partition_expr`, landing_date for batch sources: old rows go as whole files) or, unpartitioned (the
  stream's), by `_ingested_at`, the load time every bronze row carries.
* OPTIMIZE: the assets maintenance.yaml names, each with its partition column from the graph.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from dagster import AssetKey, AssetsDefinition, AssetSpec

from lakehouse.config.identifiers import DERIVED_SUFFIXES, dataset_key, side_key
from lakehouse.config.operations import MaintenanceConfig, MaintenancePlan, OptimizeTarget, QuarantineTarget

DELTA_KIND = "delta"
# Every bronze row carries its load time: the age of a row in an unpartitioned quarantine.
LOAD_TIME_COLUMN = "_ingested_at"


def delta_tables(assets: Iterable[object]) -> dict[AssetKey, str | None]:
    """Every Delta asset's key and its partition column (`partition_expr` metadata, None if unpartitioned)."""
    specs: list[AssetSpec] = []
    for item in assets:
        if isinstance(item, AssetsDefinition):
            specs += list(item.specs)
        elif isinstance(item, AssetSpec):
            specs.append(item)
    return {spec.key: _partition(spec.metadata) for spec in specs if DELTA_KIND in spec.kinds}


def _partition(metadata: Mapping[str, Any]) -> str | None:
    value = metadata.get("partition_expr")
    return None if value is None else str(getattr(value, "value", value))


def _name(key: AssetKey) -> str:
    """The key within its dataset (`schema/table`), as maintenance.yaml and the plan name tables."""
    return "/".join(key.path[1:])


def resolve_plan(config: MaintenanceConfig, assets: Iterable[object], dataset: str) -> MaintenancePlan:
    """The plan for these assets of `dataset` (maintenance.yaml names keys within it); an OPTIMIZE rule
    naming no Delta asset fails when definitions load. The plan names tables by their keys within the dataset."""
    tables = delta_tables(assets)
    optimize = []
    for rule in config.optimize:
        key = AssetKey(dataset_key(dataset, rule.asset))
        if key not in tables:
            raise ValueError(f"maintenance.yaml optimize: {rule.asset!r} is no Delta asset; known: "
                             f"{sorted(_name(k) for k in tables)}")
        optimize.append(OptimizeTarget(**rule.model_dump(), partition_column=tables[key]))
    kept = {AssetKey(dataset_key(dataset, name)) for name in config.keep_history}
    unknown = sorted(_name(k) for k in kept - tables.keys())
    if unknown:
        raise ValueError(f"maintenance.yaml keep_history: {unknown} name no Delta asset")
    owners = [k for k in tables if not k.path[-1].endswith(DERIVED_SUFFIXES)]  # side tables have none
    quarantines = [AssetKey(side_key(k.path, "_quarantine")) for k in owners]
    quarantine = [QuarantineTarget(asset=_name(k), age_column=tables[k] or LOAD_TIME_COLUMN)
                  for k in quarantines if k in tables]
    return MaintenancePlan(
        optimize=optimize,
        vacuum=sorted(_name(k) for k in tables if k not in kept),
        quarantine=quarantine if config.quarantine else [],
        quarantine_retention_days=config.quarantine.retention_days if config.quarantine else None,
        registry=config.registry,
    )
