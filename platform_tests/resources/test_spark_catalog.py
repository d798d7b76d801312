"""The path catalog: tables written by one process are readable by name from another, concurrently."""

import os
import subprocess
import sys
import uuid

import pytest

from lakehouse.config.profile import load_profile
from lakehouse.resources.path_catalog import named_tables
from lakehouse.resources.spark import spark_config_for


def test_a_second_process_reads_tables_by_name_while_this_session_is_alive(spark, spark_resource, data_root):
    ref = spark_resource.table("testing", "shared_by_name")
    spark.range(5).write.format("delta").mode("overwrite").save(ref.location)
    env = {**os.environ, "LAKEHOUSE_DATA_ROOT": str(data_root)}
    # A separate JVM with its own catalog: with an embedded Derby metastore this would fail to lock.
    out = subprocess.run(
        [sys.executable, "-m", "lakehouse_tools.query", "SELECT count(*) AS n FROM testing.shared_by_name"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "|5  |" in out.stdout.replace(" ", "") or "|5|" in out.stdout.replace(" ", ""), out.stdout


def test_sql_registers_the_tables_it_names_and_nothing_else(spark, spark_resource):
    """The lazy path catalog: a table written by location (another process's write) is unknown by name
    until a query names it; SparkResource.sql registers exactly the tables its text names."""
    named, other = (spark_resource.table("testing", f"lazy_{n}_{uuid.uuid4().hex[:6]}") for n in ("a", "b"))
    for ref, rows in ((named, 3), (other, 2)):
        spark.range(rows).write.format("delta").save(ref.location)
    assert not spark.catalog.tableExists(named.name)
    assert spark_resource.sql(f"SELECT count(*) AS n FROM {named.name}").first()["n"] == 3
    assert spark.catalog.tableExists(named.name) and not spark.catalog.tableExists(other.name)


@pytest.mark.parametrize(("sql", "tables"), [
    ("SELECT * FROM silver.transactions t JOIN gold.labels l USING (transaction_id)",
     {("silver", "transactions"), ("gold", "labels")}),
    ("SHOW TABLES IN bronze", {("bronze", None)}),
    ("WITH x AS (SELECT 1) SELECT * FROM x", set()),
    ("DESCRIBE HISTORY scoring.predictions", {("scoring", "predictions")}),
])
def test_named_tables_reads_what_a_query_names(sql, tables):
    assert named_tables(sql) == tables


def test_remote_profile_selects_spark_connect_without_local_jars():
    config = spark_config_for(load_profile("remote"))
    assert config["spark.remote"].startswith("sc://")
    assert "spark.jars.packages" not in config and "spark.master" not in config


def test_local_profile_configures_delta_and_the_jdbc_drivers():
    config = spark_config_for(load_profile("local"))
    assert config["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert "io.delta:delta-spark_4.2_2.13" in config["spark.jars.packages"]
    assert "org.postgresql:postgresql" in config["spark.jars.packages"]


@pytest.mark.parametrize("name", ["local", "dev", "staging", "prod", "remote", "databricks"])
def test_every_profile_file_is_valid(name):
    profile = load_profile(name)
    assert profile.name == name and profile.description


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"known profiles: \['databricks', 'dev', 'local', 'prod', 'remote', 'staging', 'subscription_churn_local'\]"):
        load_profile("qa")
