"""Blocking checks hold across runs: a partition whose writing run failed a blocking check is not read
by any later run, whoever launches it; the message names the asset, partitions and check. Real Spark,
Delta, IO manager and Dagster instance. The same guard for the processing assets, whose upstreams are
`deps` read by the step (the compute resource asks before dispatching it):
platform_tests/processing/test_compute_contract.py."""

# No `from __future__ import annotations`: Dagster resolves the config and resource annotations.

import uuid

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    BackfillPolicy,
    Config,
    DagsterInstance,
    DailyPartitionsDefinition,
    Output,
    asset,
    materialize,
)

from lakehouse.resources.spark import SparkResource

DAILY = DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")
RANGE = {"dagster/asset_partition_range_start": "2026-01-01", "dagster/asset_partition_range_end": "2026-01-02"}


class Verdict(Config):
    passes: bool = True


def build(name: str):
    up_key = AssetKey(["card_fraud", "testing", f"{name}_up"])  # [<dataset>, <schema>, <table>]
    down_key = AssetKey(["card_fraud", "testing", f"{name}_down"])

    @asset(key=up_key, partitions_def=DAILY, metadata={"partition_expr": "day"},
           backfill_policy=BackfillPolicy.single_run(),
           check_specs=[AssetCheckSpec("rows_valid", asset=up_key, blocking=True)])
    def upstream(context: AssetExecutionContext, config: Verdict, spark: SparkResource):
        days = [(i, k) for i, k in enumerate(context.partition_keys)]
        yield Output(spark.spark_session.createDataFrame(days, "id INT, day STRING")
                     .selectExpr("id", "CAST(day AS DATE) AS day"))
        yield AssetCheckResult(check_name="rows_valid", passed=config.passes)

    @asset(key=down_key, partitions_def=DAILY, metadata={"partition_expr": "day"},
           backfill_policy=BackfillPolicy.single_run(), ins={"rows": AssetIn(up_key)})
    def downstream(rows):
        return rows

    return [upstream, downstream], up_key, down_key


def run(assets, resources, instance, keys, passes: bool = True, **kwargs):
    config = {"ops": {assets[0].op.name: {"config": {"passes": passes}}}} if assets[0].key in keys else None
    return materialize(assets, selection=keys, resources=resources, instance=instance, run_config=config,
                       raise_on_error=False, **kwargs)


def test_a_later_run_refuses_a_partition_whose_blocking_check_failed(spark, resources) -> None:
    assets, up, down = build(f"guard_{uuid.uuid4().hex[:6]}")
    with DagsterInstance.ephemeral() as instance:
        assert run(assets, resources, instance, [up], partition_key="2026-01-01").success
        failed = run(assets, resources, instance, [up], passes=False, partition_key="2026-01-02")
        assert not failed.success  # the blocking check failed its own run; the data is committed

        # A separate run (Launchpad, schedule, backfill) reading the rejected day fails, naming it ...
        result = run(assets, resources, instance, [down], tags=RANGE)
        assert not result.success
        [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        message = failure.event_specific_data.error.message
        assert f"Upstream {up.to_user_string()} is held by its blocking checks" in message
        assert "rows_valid failed for 1 partition(s) ['2026-01-02']" in message
        # ... while the day whose check passed is read as usual.
        assert run(assets, resources, instance, [down], partition_key="2026-01-01").success

        # Re-materialised with a passing check, the day is readable again.
        assert run(assets, resources, instance, [up], partition_key="2026-01-02").success
        assert run(assets, resources, instance, [down], tags=RANGE).success


def test_inside_one_run_dagster_itself_stops_the_downstream(spark, resources) -> None:
    assets, up, down = build(f"guard_{uuid.uuid4().hex[:6]}")
    with DagsterInstance.ephemeral() as instance:
        result = run(assets, resources, instance, [up, down], passes=False, partition_key="2026-01-03")
        assert not result.success
        assert not result.asset_materializations_for_node(assets[1].op.name)
