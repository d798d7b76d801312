"""One processing implementation, wherever it runs: silver -> gold features -> labels for one day of the
demo's bronze, once in-process (LocalCompute) and once through the Databricks entry script in a
subprocess (PipesSubprocessCompute, the code path a cluster runs, reporting back through Dagster Pipes),
each into a data root of its own. The written tables must be identical row for row, and both runs must
record the same materialisation metadata (the Delta IO manager's keys, row counts, schema) and the same
check results. Then a two-day range run (a single-run backfill) through LocalCompute gives each
partition its own row count.

STARTS SPARK: the suite's shared session (LocalCompute), and a local Spark of its own in each Pipes
subprocess (one per step). The bronze input is written with delta-rs, and every table is read back with
delta-rs (an independent Delta reader). Nothing is mocked.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    ExecuteInProcessResult,
    instance_for_test,
    materialize,
)
from deltalake import DeltaTable

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import DATA_ROOT_ENV_VAR
from lakehouse.databricks.compute import LocalCompute, PipesSubprocessCompute
from lakehouse.partitions import build_calendar
from lakehouse.processing.assets import build_processing_assets
from lakehouse.resources.compute import ComputeResource
from lakehouse.resources.spark import SparkResource
from platform_tests.databricks.bronze_tables import DAY, write_bronze

SMALL_SPARK = {"spark.master": "local[2]", "spark.driver.memory": "1g", "spark.sql.shuffle.partitions": "2",
               "spark.default.parallelism": "2", "spark.ui.enabled": "false"}
TABLES = {AssetKey(["card_fraud", "silver", "transactions"]): "silver/transactions",
          AssetKey(["card_fraud", "gold", "transaction_features"]): "gold/transaction_features",
          AssetKey(["card_fraud", "gold", "labels"]): "gold/labels"}
# Metadata that differs between two correct runs: the data root, and Delta's timings and file sizes.
RUN_SPECIFIC = {"location", "operation_metrics"}


@pytest.fixture
def assets() -> list:
    dataset = load_dataset("card_fraud")
    return build_processing_assets(dataset, build_calendar(dataset.partitions))


def local_compute(spark_resource: SparkResource, root: Path) -> LocalCompute:
    _ = spark_resource.spark_session  # the suite's shared session (started once per test session)
    # The same session, this root's warehouse: the steps address path tables by location.
    tables = SparkResource(spark_config=spark_resource.spark_config, data_root=str(root),
                           warehouse_uri=str(root / "warehouse"))
    return LocalCompute(dataset="card_fraud", spark=tables)


def run(assets: list, compute: ComputeResource, root: Path, **partitions: Any) -> ExecuteInProcessResult:
    (root / "dagster_home").mkdir(exist_ok=True)
    with instance_for_test(temp_dir=str(root / "dagster_home")) as instance:
        result = materialize(assets, resources={"compute": compute}, instance=instance, **partitions)
    assert result.success
    return result


def rows(root: Path, table: str) -> list[dict]:
    written = DeltaTable(str(root / "warehouse" / table)).to_pyarrow_table().to_pylist()
    return sorted(written, key=lambda row: row["transaction_id"])


def recorded(result: ExecuteInProcessResult) -> tuple[dict, dict]:
    """({asset: its metadata but the run-specific keys}, {(asset, check): (passed, severity, metadata)})."""
    metadata = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        metadata[materialization.asset_key] = {k: v.value for k, v in materialization.metadata.items()
                                               if k not in RUN_SPECIFIC}
        assert RUN_SPECIFIC <= set(materialization.metadata), materialization.asset_key
    checks = {(e.asset_key, e.check_name): (e.passed, e.severity, {k: v.value for k, v in e.metadata.items()})
              for e in result.get_asset_check_evaluations()}
    return metadata, checks


def test_local_and_pipes_write_the_same_tables_and_record_the_same_metadata(
    tmp_path: Path, assets: list, spark_resource: SparkResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_root, pipes_root = tmp_path / "local", tmp_path / "pipes"
    for root in (local_root, pipes_root):
        write_bronze(root / "warehouse")
    local = run(assets, local_compute(spark_resource, local_root), local_root, partition_key=DAY.isoformat())
    monkeypatch.setenv(DATA_ROOT_ENV_VAR, str(pipes_root))  # the subprocess resolves the same data root
    pipes_compute = PipesSubprocessCompute(dataset="card_fraud", profile="local", data_root=str(pipes_root),
                                           spark_conf=SMALL_SPARK)
    pipes = run(assets, pipes_compute, pipes_root, partition_key=DAY.isoformat())

    for table in TABLES.values():
        assert rows(local_root, table) == rows(pipes_root, table), table
    # What the single-path tests asserted before: the deduplicated day, and the one chargeback's label.
    assert [r["transaction_id"] for r in rows(pipes_root, "silver/transactions")] == [
        "online0", "online1", "pos0", "pos1", "pos2", "pos3"]
    assert {r["transaction_id"]: r["is_fraud"] for r in rows(local_root, "gold/labels")}["pos1"] == 1

    (local_metadata, local_checks), (pipes_metadata, pipes_checks) = recorded(local), recorded(pipes)
    assert local_metadata == pipes_metadata
    assert set(local_metadata) == set(TABLES)
    for metadata in local_metadata.values():
        assert metadata["dagster/row_count"] == 6
        assert metadata["partition_window"].endswith(f"in [{DAY}, {DAY + timedelta(days=1)})")
        assert {"dagster/column_schema", "dagster/table_name", "delta_version", "delta_operation",
                "write_mode"} <= set(metadata)
    silver_columns = local_metadata[AssetKey(["card_fraud", "silver", "transactions"])]["dagster/column_schema"].columns
    assert any(c.description for c in silver_columns)  # the contract's descriptions, as the IO manager shows
    assert local_checks == pipes_checks
    assert len(local_checks) == sum(len(list(a.check_specs)) for a in assets)
    assert all(passed for passed, _, _ in local_checks.values())


def test_a_range_run_gives_each_partition_its_own_row_count(
    tmp_path: Path, assets: list, spark_resource: SparkResource
) -> None:
    write_bronze(tmp_path / "warehouse", later_days=1)
    second = DAY + timedelta(days=1)
    span = {"dagster/asset_partition_range_start": DAY.isoformat(),
            "dagster/asset_partition_range_end": second.isoformat()}
    (tmp_path / "dagster_home").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        result = materialize(assets, resources={"compute": local_compute(spark_resource, tmp_path)},
                             instance=instance, tags=span)
        assert result.success
        for key in TABLES:
            for day, expected in ((DAY, 6), (second, 3)):
                metadata = only_materialisation(instance, key, day.isoformat())
                assert metadata["dagster/row_count"] == expected, (key, day)
                assert metadata["partition_window"].endswith(f"in [{day}, {day + timedelta(days=1)})")
                assert (metadata["rows_in_run_range"], metadata["partition_range"]) == (9, f"{DAY} .. {second}")


def only_materialisation(instance: DagsterInstance, key: AssetKey, partition: str) -> dict:
    records = instance.fetch_materializations(AssetRecordsFilter(asset_key=key, asset_partitions=[partition]),
                                              limit=2).records
    assert len(records) == 1, (key, partition)
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}
