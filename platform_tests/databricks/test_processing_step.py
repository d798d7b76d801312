"""The processing steps run (1) through the Databricks entry script under PipesSubprocessClient - the
very script a cluster runs, reporting its materialisation and check results to a Dagster instance -
and (2) in-process through LocalCompute. Real local Spark on tiny data, one partition; the bronze
input tables are written with delta-rs so the test process needs no JVM for (1). Nothing is mocked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, instance_for_test, materialize
from deltalake import DeltaTable

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import DATA_ROOT_ENV_VAR
from lakehouse.databricks.assets import build_compute_processing_assets
from lakehouse.databricks.compute import LocalCompute, PipesSubprocessCompute
from lakehouse.partitions import build_calendar
from lakehouse.resources.spark import SparkResource
from platform_tests.databricks.bronze_tables import DAY, write_bronze

SMALL_SPARK = {"spark.master": "local[2]", "spark.driver.memory": "1g", "spark.sql.shuffle.partitions": "2",
               "spark.default.parallelism": "2", "spark.ui.enabled": "false"}
SILVER, FEATURES, LABELS = (AssetKey(["card_fraud", "silver", "transactions"]),
                            AssetKey(["card_fraud", "gold", "transaction_features"]),
                            AssetKey(["card_fraud", "gold", "labels"]))


@pytest.fixture
def assets() -> list:
    dataset = load_dataset("card_fraud")
    return build_compute_processing_assets(dataset, build_calendar(dataset.partitions))


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(DATA_ROOT_ENV_VAR, str(tmp_path))  # the subprocess resolves the same data root
    write_bronze(tmp_path / "warehouse")
    yield tmp_path


def test_entry_script_reports_materialisation_and_checks_through_pipes(root: Path, assets: list) -> None:
    silver = assets[0]
    compute = PipesSubprocessCompute(dataset="card_fraud", profile="local", data_root=str(root),
                                     spark_conf=SMALL_SPARK)
    (root / "dagster_home").mkdir()
    with instance_for_test(temp_dir=str(root / "dagster_home")) as instance:
        result = materialize([silver], resources={"compute": compute}, instance=instance, partition_key=DAY.isoformat())
        assert result.success
        stored = instance.get_latest_materialization_event(SILVER)
        assert stored is not None and stored.asset_materialization is not None
        metadata = stored.asset_materialization.metadata
        assert metadata["dagster/row_count"].value == 6
        assert metadata["partition_window"].value == f"event_date in [{DAY}, 2026-07-03)"
        assert stored.asset_materialization.partition == DAY.isoformat()
        checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
        assert checks == {"contract": True, "deduplication": True}
    # Read back by an independent Delta reader: the subprocess wrote exactly the deduplicated day.
    written = DeltaTable(str(root / "warehouse" / "silver" / "transactions")).to_pyarrow_table()
    assert sorted(written.column("transaction_id").to_pylist()) == ["online0", "online1", "pos0", "pos1", "pos2", "pos3"]


def test_local_compute_runs_every_step_in_process(root: Path, assets: list, spark_resource: SparkResource) -> None:
    _ = spark_resource.spark_session  # the suite's shared session (started once per test session)
    # The same session, this test's warehouse: steps address path tables by location.
    tables = SparkResource(spark_config=spark_resource.spark_config, data_root=str(root),
                           warehouse_uri=str(root / "warehouse"))
    compute = LocalCompute(dataset="card_fraud", spark=tables)
    with DagsterInstance.ephemeral() as instance:
        result = materialize(assets, resources={"compute": compute}, instance=instance, partition_key=DAY.isoformat())
    assert result.success
    rows = {e.asset_key: e.materialization.metadata["dagster/row_count"].value
            for e in result.get_asset_materialization_events()}
    assert rows == {SILVER: 6, FEATURES: 6, LABELS: 6}
    checks = {(e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert all(checks.values()) and len(checks) == sum(len(list(a.check_specs)) for a in assets)
    labels = DeltaTable(str(root / "warehouse" / "gold" / "labels")).to_pyarrow_table().to_pydict()
    assert dict(zip(labels["transaction_id"], labels["is_fraud"]))["pos1"] == 1 and sum(labels["is_fraud"]) == 1
