"""Processing exists once: one asset factory, used by every profile's code location, whose assets run
through the `compute` resource; one module that reads, writes and checks the processing tables; and no
compute implementation that bypasses the base class's guard and metadata. Pure Python: no Spark."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from dagster import AssetsDefinition

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import known_profiles, load_profile
from lakehouse.databricks import compute as computes
from lakehouse.definitions import build_definitions
from lakehouse.partitions import build_calendar
from lakehouse.processing.assets import build_processing_assets
from lakehouse.resources.compute import ComputeResource

PLATFORM = Path(__file__).resolve().parents[2] / "platform"
STEPS_MODULE = PLATFORM / "lakehouse" / "processing" / "steps.py"
# The pure functions of processing; only the steps call them (the benchmark's plain script and floor too).
PURE = {"build_silver", "build_features", "build_label_table"}
BASELINE = PLATFORM / "lakehouse_tools" / "bench" / "processing.py"


def _shape(asset: AssetsDefinition) -> dict:
    spec = asset.specs_by_key[asset.key]
    return {
        "partitions": asset.partitions_def,
        "checks": sorted((c.name, c.blocking, c.description) for c in asset.check_specs),
        "deps": sorted((d.asset_key.to_user_string(), repr(d.partition_mapping)) for d in spec.deps),
        "metadata": {k: spec.metadata.get(k) for k in ("partition_expr", "column_descriptions")},
        "group": spec.group_name, "owners": sorted(spec.owners), "description": spec.description,
        "kinds": sorted(spec.kinds), "backfill": repr(asset.backfill_policy),
        "resources": sorted(asset.required_resource_keys),
    }


@pytest.mark.parametrize("profile", known_profiles())
def test_every_profile_uses_the_one_processing_factory(profile: str) -> None:
    config = load_profile(profile)
    dataset = load_dataset(config.dataset)
    expected = {a.key: _shape(a) for a in build_processing_assets(dataset, build_calendar(dataset.partitions))}
    defs = build_definitions(config)
    built = {a.key: _shape(a) for a in defs.assets or [] if isinstance(a, AssetsDefinition) and a.keys & expected.keys()}
    assert built == expected
    assert isinstance(defs.resources["compute"], ComputeResource)


def test_processing_assets_need_only_the_compute_resource() -> None:
    dataset = load_dataset("card_fraud")
    for asset in build_processing_assets(dataset, build_calendar(dataset.partitions)):
        # Dagster lists the default io_manager for every asset; a MaterializeResult never reaches it.
        assert asset.required_resource_keys - {"io_manager"} == {"compute"}
        # Every upstream is a dependency the step reads itself: no input for an IO manager to load.
        assert all(i.dagster_type.is_nothing for i in asset.op.input_defs), asset.key


def _callers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    return {node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
            } & PURE


def test_only_the_steps_call_the_processing_functions() -> None:
    callers = {path.relative_to(PLATFORM).as_posix(): found for path in sorted(PLATFORM.rglob("*.py"))
               if (found := _callers(path))}
    assert callers.pop(STEPS_MODULE.relative_to(PLATFORM).as_posix()) == PURE
    # The benchmark's plain script and its floor (bench/processing.py: build_features and one write, no checks)
    # are the baselines the steps are measured against, not a second pipeline: the module is allowed whole.
    callers.pop(BASELINE.relative_to(PLATFORM).as_posix(), None)
    assert callers == {}, f"processing computed outside processing/steps.py: {callers}"


def test_no_compute_overrides_the_guarded_run() -> None:
    """`ComputeResource.run` guards blocking checks and records the IO manager's metadata; every
    implementation only says where the step runs (`execute`)."""
    implementations = [c for c in vars(computes).values()
                       if isinstance(c, type) and issubclass(c, ComputeResource) and c is not ComputeResource]
    assert {c.__name__ for c in implementations} >= {"LocalCompute", "PipesSubprocessCompute", "DatabricksCompute"}
    for implementation in implementations:
        assert implementation.run is ComputeResource.run, implementation.__name__
        assert implementation.execute is not ComputeResource.execute or implementation.__name__.startswith("_")
