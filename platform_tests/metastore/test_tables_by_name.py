"""Tables by name in a shared Hive metastore (storage.catalog: metastore), on the PostgreSQL server that
`make test` starts: the IO manager's name-based branch, processing through the compute resource over
names, and two processes that see each other's tables with no folder scan. (platform_tests/resources/
test_delta_io_manager.py and the scoring asset tests run over names in this same suite: see the Makefile.)

STARTS SPARK with the Hive catalog (the suite's one session) and, for the two-process test, a second
local Spark in a subprocess. Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from dagster import AssetKey, asset, materialize

from lakehouse.config.dataset import load_dataset
from lakehouse.databricks.compute import LocalCompute
from lakehouse.partitions import build_calendar
from lakehouse.processing.assets import build_processing_assets
from lakehouse.resources.catalog import TableRef
from lakehouse.resources.delta_write import WriteSpec, read_table, write_delta
from lakehouse.resources.spark import SparkResource
from platform_tests.databricks.bronze_tables import DAY, write_bronze
from platform_tests.metastore.database import PASSWORD_ENV, USER_ENV, metastore_tables

# The other process: writes a table by name, or prints a table's row count, through the platform's own code.
OTHER_PROCESS = """
import json, os, sys
from lakehouse.resources.delta_write import WriteSpec, read_table, write_delta
from lakehouse.resources.spark import SparkResource
settings, action, schema, table = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
resource = SparkResource(**settings, metastore_user=os.environ[sys.argv[5]], metastore_password=os.environ[sys.argv[6]])
spark, ref = resource.spark_session, resource.table(schema, table)
if action == "write":
    write_delta(spark, spark.range(5).withColumnRenamed("id", "n"), ref, WriteSpec(), None)
print("ROWS", read_table(spark, ref).count())
"""


def other_process(spark_resource: SparkResource, action: str, schema: str, table: str) -> int:
    settings = {key: value for key, value in spark_resource.model_dump().items()
                if key not in ("metastore_user", "metastore_password")}
    done = subprocess.run([sys.executable, "-c", OTHER_PROCESS, json.dumps(settings), action, schema, table,
                           USER_ENV, PASSWORD_ENV], env=os.environ, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return int(next(line for line in done.stdout.splitlines() if line.startswith("ROWS")).split()[1])


def test_the_session_catalog_is_the_shared_metastore(spark, spark_resource, resources, instance, test_profile):
    assert spark.conf.get("spark.sql.catalogImplementation") == "hive"
    name = f"t_{uuid.uuid4().hex[:8]}"

    @asset(key=["card_fraud", "testing", name])
    def rows(spark: SparkResource):
        return spark.spark_session.range(3)

    assert materialize([rows], resources=resources, instance=instance).success
    ref = spark_resource.table("testing", name)
    assert ref == TableRef(schema="testing", table=name, location=None)  # by name only
    # The table is a row of the metastore database itself, not of this session's memory.
    assert f"testing.{name}" in metastore_tables()
    assert spark.table(f"testing.{name}").count() == 3
    # Its data is Delta under the profile's warehouse (a managed table of the metastore).
    location = spark.sql(f"DESCRIBE DETAIL testing.{name}").first()
    assert location["format"] == "delta" and str(location["location"]).endswith(f"/warehouse/testing.db/{name}")


def test_two_processes_see_each_others_tables_without_a_scan(spark, spark_resource):
    written_there, written_here = (f"t_{uuid.uuid4().hex[:8]}" for _ in range(2))
    assert other_process(spark_resource, "write", "shared", written_there) == 5
    # Known here at once: no registration, no folder listing (the path catalog's way).
    assert spark.catalog.tableExists(f"shared.{written_there}")
    assert read_table(spark, spark_resource.table("shared", written_there)).count() == 5
    write_delta(spark, spark.range(7), spark_resource.table("shared", written_here), WriteSpec(), None)
    assert other_process(spark_resource, "read", "shared", written_here) == 7


def test_processing_reads_and_writes_tables_by_name(spark, spark_resource, instance, test_profile, tmp_path: Path):
    """One day of bronze (registered by name as external Delta tables) through silver, gold features and
    labels, in-process through the compute resource: every read and write goes through the metastore."""
    bronze = tmp_path / "bronze"
    write_bronze(bronze.parent)
    spark.sql("CREATE SCHEMA IF NOT EXISTS bronze")
    for folder in sorted(p for p in bronze.iterdir() if p.is_dir()):
        spark.sql(f"CREATE TABLE IF NOT EXISTS bronze.{folder.name} USING DELTA LOCATION '{folder}'")
    dataset = load_dataset("card_fraud")
    assets = build_processing_assets(dataset, build_calendar(dataset.partitions))
    result = materialize(assets, resources={"compute": LocalCompute(dataset="card_fraud", spark=spark_resource)},
                         instance=instance, partition_key=DAY.isoformat())
    assert result.success
    rows = {e.asset_key: e.materialization.metadata["dagster/row_count"].value
            for e in result.get_asset_materialization_events()}
    keys = [AssetKey(["card_fraud", *t.split(".")]) for t in ("silver.transactions", "gold.transaction_features",
                                                               "gold.labels")]
    assert rows == dict.fromkeys(keys, 6)
    assert all(e.passed for e in result.get_asset_check_evaluations())
    names = metastore_tables()
    assert {"silver.transactions", "gold.transaction_features", "gold.labels"} <= names
    assert all(e.materialization.metadata["dagster/table_name"].value in names
               for e in result.get_asset_materialization_events())
    labels = spark.table("gold.labels")
    assert labels.count() == 6 and labels.where("is_fraud = 1").count() == 1


def test_the_schema_command_reads_a_profile_and_is_safe_to_run_again(spark, test_profile, tmp_path: Path,
                                                                       monkeypatch) -> None:
    """`python -m lakehouse.resources.metastore --profile <name>` on a metastore in use: it creates only
    what is missing, so the tables registered so far stay."""
    from lakehouse.config.project import PROJECT_ENV_VAR
    from lakehouse.resources import metastore

    spark.sql("CREATE SCHEMA IF NOT EXISTS kept")
    spark.range(1).write.format("delta").saveAsTable(f"kept.t_{uuid.uuid4().hex[:8]}")
    before = metastore_tables()
    settings = test_profile.storage.metastore
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "shared.yaml").write_text(
        "description: a team machine\ndataset: card_fraud\n"
        f"spark: {{packages: [{settings.driver_package}]}}\n"
        f"storage: {{catalog: metastore, metastore: {{url: '{settings.url}', user_env: {USER_ENV}, "
        f"password_env: {PASSWORD_ENV}}}}}\n")
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    assert metastore.main(["--profile", "shared"]) == 0
    assert metastore_tables() == before
