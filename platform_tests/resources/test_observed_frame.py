"""ObservedFrame through the Delta IO manager: aggregates computed by the write itself, on the
materialisation and back in the asset after its yield, in every write mode."""

# No `from __future__ import annotations`: Dagster resolves the context and resource annotations.

import uuid
from datetime import date

import pytest
from dagster import AssetExecutionContext, Output, asset, materialize
from pyspark.sql import functions as F

from lakehouse.resources.delta_io_manager import ObservedFrame
from lakehouse.resources.spark import SparkResource
from platform_tests.resources.test_delta_io_manager import DAILY, day_counts


def observed_asset(name: str, seen: list[dict], write_mode: str):
    @asset(key=["card_fraud", "testing", name], partitions_def=DAILY,
           metadata={"partition_expr": "event_date", "write_mode": write_mode, "merge_keys": ["id", "event_date"]})
    def _asset(context: AssetExecutionContext, spark: SparkResource):
        day = date.fromisoformat(context.partition_key)
        df = spark.spark_session.createDataFrame([(i, i % 2, day) for i in range(5)], "id INT, flag INT, event_date DATE")
        per_flag = F.array(*[F.count(F.when(F.col("flag") == f, 1)) for f in (0, 1)])
        out = ObservedFrame(df, {"rows": F.count(F.lit(1)), "flagged": F.sum("flag"), "per_flag": per_flag,
                                 "max_id": F.max("id")}, published=["rows", "flagged", "per_flag"])
        yield Output(out)
        seen.append(out.values())  # the IO manager has written by now

    return _asset


@pytest.mark.parametrize("write_mode", ["overwrite", "append", "merge"])
def test_observed_values_reach_the_metadata_and_the_asset(spark, resources, instance, spark_resource, write_mode):
    name, seen = f"t_{uuid.uuid4().hex[:8]}", []
    events = observed_asset(name, seen, write_mode)
    for _ in range(2):  # the second run meets an existing table (merge is a real MERGE then)
        result = materialize([events], resources=resources, instance=instance, partition_key="2026-01-02")
    meta = result.asset_materializations_for_node(events.op.name)[0].metadata
    assert (meta["rows"].value, meta["flagged"].value, meta["per_flag"].value) == (5, 2, [3, 2])
    assert "max_id" not in meta  # observed for the asset only
    assert meta["dagster/row_count"].value == (10 if write_mode == "append" else 5)
    assert seen == [{"rows": 5, "flagged": 2, "per_flag": [3, 2], "max_id": 4}] * 2
    assert day_counts(spark, spark_resource.table("testing", name)) == {"2026-01-02": 10 if write_mode == "append" else 5}


def test_an_observed_frame_needs_an_aggregate(spark):
    with pytest.raises(ValueError, match="at least one"):
        ObservedFrame(spark.range(1), {})
