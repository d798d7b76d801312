"""Processing assets through Dagster: checks run on what was written, and a failed blocking check
(the leakage check, given a feature that reads the future) stops everything downstream."""

from datetime import date, datetime

import pytest
from dagster import AssetIn, AssetKey, DagsterInstance, asset, materialize
from pyspark.sql import DataFrame

from lakehouse.config.dataset import load_dataset
from lakehouse.partitions import build_calendar
from lakehouse.processing import features as feature_builders
from lakehouse.processing.assets import build_processing_assets
from lakehouse.resources.delta_write import WriteSpec, table_exists, write_delta

DAY = "2026-07-02"
SILVER_ROWS = [(f"e2e{i}", "e2e_c1", "e2e_m1", datetime(2026, 7, 2, 8 + i), date(2026, 7, 2), 10.0 + i, "pos",
                "grocery", "chip", "DE", None) for i in range(5)]
SILVER_SCHEMA = ("transaction_id string, customer_id string, merchant_id string, event_time timestamp, "
                 "event_date date, amount double, channel string, category string, entry_mode string, country string, "
                 "device_id string")


def _ensure_dimensions(spark, spark_resource) -> None:
    """The dimension tables gold joins; created here only when the ingestion tests have not made them."""
    dims = {
        "customers_history": ("customer_id string, updated_at timestamp, is_deleted boolean, home_country string, "
                              "signup_date date, segment string, credit_limit int, landing_date date",
                              [("e2e_c1", datetime(2026, 1, 1), False, "DE", date(2025, 1, 1), "mass", 100, date(2026, 1, 1))]),
        "merchants": ("merchant_id string, risk_tier string, landing_date date", [("e2e_m1", "low", date(2026, 7, 1))]),
    }
    for table, (schema, rows) in dims.items():
        ref = spark_resource.table("bronze", table)
        if not table_exists(spark, ref):
            write_delta(spark, spark.createDataFrame(rows, schema), ref, WriteSpec(), None)
        spark_resource.register(ref)


@pytest.fixture
def processing_assets():
    dataset = load_dataset("card_fraud")
    silver, gold, labels = build_processing_assets(dataset, build_calendar(dataset.partitions))
    return silver, gold, labels


def test_blocking_leakage_check_stops_downstream(spark, spark_resource, resources, processing_assets, monkeypatch):
    _, gold, _ = processing_assets
    _ensure_dimensions(spark, spark_resource)

    @asset(key=["card_fraud", "silver", "transactions"], partitions_def=gold.partitions_def,
           metadata={"partition_expr": "event_date"})
    def silver_stand_in(context) -> DataFrame:  # stands in for silver: tiny rows for one July day
        return spark.createDataFrame(SILVER_ROWS, SILVER_SCHEMA)

    ran: list[str] = []

    @asset(key=["card_fraud", "testing", "model_input"], partitions_def=gold.partitions_def,
           ins={"features": AssetIn(["card_fraud", "gold", "transaction_features"])})
    def downstream(features) -> None:
        ran.append("downstream")

    def leaky_count(reg, params):
        window = feature_builders.Window.partitionBy(reg.entity).orderBy(feature_builders.F.col(reg.event_time).cast("long"))
        return feature_builders.F.count(feature_builders.F.lit(1)).over(window.rangeBetween(0, int(params["seconds"])))

    with DagsterInstance.ephemeral() as instance:
        ok = materialize([silver_stand_in, gold, downstream], resources=resources,
                         instance=instance, partition_key=DAY, selection=[silver_stand_in.key, gold.key, downstream.key])
        assert ok.success and ran == ["downstream"]
        checks = {e.check_name: e.passed for e in ok.get_asset_check_evaluations()}
        assert checks == {"contract": True, "rows_match_silver": True, "required_features": True, "no_leakage": True}

        monkeypatch.setitem(feature_builders.WINDOW_BUILDERS, "rolling_count", leaky_count)
        ran.clear()
        failed = materialize([silver_stand_in, gold, downstream], resources=resources, instance=instance,
                             partition_key=DAY, raise_on_error=False,
                             selection=[silver_stand_in.key, gold.key, downstream.key])
    assert not failed.success
    assert ran == []  # the blocking check failed, so the downstream step never ran
    leak = [e for e in failed.get_asset_check_evaluations() if e.check_name == "no_leakage"]
    assert leak and not leak[0].passed and leak[0].asset_key == AssetKey(["card_fraud", "gold", "transaction_features"])
