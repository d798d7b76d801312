"""The daily pipeline on a remote engine: a Spark Connect server started from the pyspark distribution,
and the `remote` profile pointing at it. Every step runs in its own process (the profile's multiprocess
executor) as a Connect client, so no asset can reach a driver-local API (SparkContext, RDDs, py4j, the
DeltaTable Python API): any such call fails here. Nothing is mocked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import (
    AssetCheckSeverity,
    AssetSelection,
    DagsterInstance,
    Definitions,
    JobDefinition,
    JobExecutionResult,
    define_asset_job,
    execute_job,
    instance_for_test,
    reconstructable,
)

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import DATA_ROOT_ENV_VAR, PROFILE_ENV_VAR, load_profile
from lakehouse.config.sources import load_sources
from lakehouse_tools.demo.generator import generate, land_next_day
from lakehouse_tools.demo.settings import GeneratorSettings
from lakehouse_tools.spark_connect import LocalConnectServer

pytestmark = [pytest.mark.remote_spark, pytest.mark.timeout(600)]

DAYS = 2
# The server is the only JVM of the test: small, 2 threads, 2 shuffle partitions. 2 GB: with 1 GB it ran
# out of heap analysing the JSON ingestion plan under CI's load (stop 24; the plan is smaller since).
SERVER_CONF = {"spark.master": "local[2]", "spark.driver.memory": "2g", "spark.sql.shuffle.partitions": "2",
               "spark.default.parallelism": "2"}


def remote_daily_pipeline() -> JobDefinition:
    """Ingestion + processing for one day, as `make run` replays a day (the chargebacks stream, which
    is unpartitioned, included). Rebuilt in every step process from the environment: LAKEHOUSE_PROFILE,
    the data root, SPARK_REMOTE."""
    from lakehouse.definitions import build_definitions

    job = define_asset_job("remote_daily", selection=AssetSelection.groups("ingestion", "processing"))
    defs = Definitions.merge(build_definitions(load_profile("remote")), Definitions(jobs=[job]))
    return defs.resolve_job_def("remote_daily")


@pytest.fixture(scope="module")
def remote_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("remote-lakehouse")
    with pytest.MonkeyPatch.context() as env, LocalConnectServer(
        root / "warehouse", root / "logs" / "spark-connect.log", overrides=SERVER_CONF
    ) as server:
        env.setenv(PROFILE_ENV_VAR, "remote")
        env.setenv(DATA_ROOT_ENV_VAR, str(root))
        env.setenv("SPARK_REMOTE", server.url)
        env.setenv("SPARK_LOCAL_IP", "127.0.0.1")
        yield root
        # Close the client while the server still answers: left open, its exit hook sends clean-up RPCs
        # (the ML model cache) to a stopped server and retries them for many minutes (a hung CI job).
        _remote_session().stop()


def _remote_session():
    from pyspark.sql import SparkSession

    return SparkSession.builder.remote(__import__("os").environ["SPARK_REMOTE"]).getOrCreate()


def test_daily_pipeline_runs_on_spark_connect(remote_root: Path) -> None:
    profile = load_profile("remote")
    assert profile.dagster.executor == "multiprocess" and profile.spark.remote
    start = load_dataset(profile.dataset).partitions.start_date
    # Chargebacks reported the next day, so day 2's stream run has events: its foreachBatch function
    # runs in a Python worker of the server and merges into the table day 1 created.
    settings = GeneratorSettings(start_date=start, days=1, rows_per_day=40, customers=20, merchants=30,
                                 fraud_rate=0.2, chargeback_delay_median_days=1.0, chargeback_delay_max_days=1)
    started = time.monotonic()
    # The stream folder exists before anything is reported (the generator writes its first file with
    # the first chargeback); the stream asset refuses a missing folder as a configuration error.
    (remote_root / load_sources(profile.dataset)["chargebacks"].location).mkdir(parents=True, exist_ok=True)
    runs = []
    (remote_root / "dagster_home").mkdir()
    with instance_for_test(temp_dir=str(remote_root / "dagster_home")) as instance:
        for index in range(DAYS):
            day = start + timedelta(days=index)
            if index == 0:
                generate(settings, remote_root)
            else:
                land_next_day(settings, remote_root)
            result = execute_job(reconstructable(remote_daily_pipeline), instance=instance,
                                 tags={"dagster/partition": day.isoformat()}, raise_on_error=False)
            assert result.success, _failure_report(result, remote_root)
            runs.append(result)
            for stat in instance.get_run_step_stats(result.run_id):
                print(f"  {day} {stat.step_key:40s} {stat.end_time - stat.start_time:6.1f} s")
        _assert_materialised(instance, runs)
    print(f"remote daily pipeline: {DAYS} days in {time.monotonic() - started:.0f} s")

    spark = _remote_session()
    assert "connect" in type(spark).__module__  # this process never started a JVM
    for table in ("bronze.transactions_pos", "bronze.customers", "bronze.chargebacks", "silver.transactions",
                  "gold.transaction_features", "gold.labels"):
        assert spark.table(table).count() > 0, table
    days = {r["event_date"] for r in spark.table("silver.transactions").select("event_date").distinct().collect()}
    assert days == {start + timedelta(days=i) for i in range(DAYS)}


def _failure_report(result: JobExecutionResult, root: Path) -> str:
    """Each failed step's error with its causes, then the end of the server's log: a failure on CI must be
    readable from its output alone."""
    errors = []
    for event in (e for e in result.all_events if e.is_failure):
        error = getattr(event.event_specific_data, "error", None)
        errors.append(f"{event.message}\n{error.to_string() if error is not None else ''}")
    log = root / "logs" / "spark-connect.log"
    tail = log.read_text(errors="replace").splitlines()[-60:] if log.exists() else ["(no server log)"]
    return "\n".join([*errors, "--- spark-connect.log (end) ---", *tail])


def _assert_materialised(instance: DagsterInstance, runs: list) -> None:
    for result in runs:
        mats = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert {"card_fraud/silver/transactions", "card_fraud/gold/transaction_features", "card_fraud/gold/labels",
                "card_fraud/bronze/customers", "card_fraud/bronze/chargebacks",
                "card_fraud/bronze/transactions_pos"} <= mats
        checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        # WARN checks may fail: one dirty row of a 40-row day is above quarantine_rate_warning's share.
        failed = [(c.asset_key, c.check_name) for c in checks if not c.passed and c.severity == AssetCheckSeverity.ERROR]
        assert checks and not failed, failed
