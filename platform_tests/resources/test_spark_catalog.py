"""The path catalog: tables written by one process are readable by name from another, concurrently."""

import os
import subprocess
import sys

import pytest

from lakehouse.config.profile import load_profile
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
