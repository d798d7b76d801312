"""Gold on tiny hand-made frames: rolling windows across midnight and partitions, a card's first
transaction, point-in-time dimensions, labels with maturity, and the leakage check."""

from datetime import date, datetime, timedelta

import pytest
from dagster import AssetKey
from pyspark.sql import functions as F

from lakehouse.config.features import load_features
from lakehouse.config.processing import load_processing
from lakehouse.ingestion.checks import contract_result
from lakehouse.processing import features as feature_builders
from lakehouse.processing.checks import gold_contract, leakage_result, matured_labels_result
from lakehouse.processing.gold import build_features
from lakehouse.processing.labels import build_labels

REG, CONFIG = load_features("card_fraud"), load_processing("card_fraud")
SILVER = ("transaction_id string, customer_id string, merchant_id string, event_time timestamp, event_date date, "
          "amount double, channel string, category string, entry_mode string, country string, device_id string")
CUSTOMERS = ("customer_id string, updated_at timestamp, is_deleted boolean, home_country string, signup_date date, "
             "segment string, credit_limit int")
MERCHANTS = "merchant_id string, landing_date date, risk_tier string"


def txn(tid, when, amount=10.0, customer="c1", device=None, country="DE", merchant="m1"):
    ts = datetime.fromisoformat(when)
    return (tid, customer, merchant, ts, ts.date(), amount, "pos", "grocery", "chip", country, device)


def gold(spark, txns, day, customers=None, merchants=None):
    history = spark.createDataFrame(txns, SILVER)
    dims = {
        "customers": spark.createDataFrame(customers or [("c1", datetime(2025, 1, 1), False, "DE", date(2024, 1, 1), "mass", 1000)], CUSTOMERS),
        "merchants": spark.createDataFrame(merchants or [("m1", date(2026, 1, 1), "low")], MERCHANTS),
    }
    start = date.fromisoformat(day)
    out = build_features(history, dims, REG, CONFIG, start, start + timedelta(days=1))
    return {r["transaction_id"]: r for r in out.collect()}


def test_a_cards_first_transaction_has_neutral_history_features(spark):
    rows = gold(spark, [txn("t1", "2026-01-02 10:00:00", device="d1")], "2026-01-02")
    first = rows["t1"]
    assert first["txn_count_24h"] == 0 and first["amount_sum_24h"] == 0
    assert first["seconds_since_previous"] == 2592000 and first["amount_to_mean_30d"] == 1.0
    assert first["new_device"] == 1.0


def test_windows_span_midnight_and_partition_boundaries(spark):
    txns = [txn("a", "2026-01-01 23:50:00", 20.0, device="d1"), txn("b", "2026-01-02 00:10:00", 40.0, device="d1"),
            txn("c", "2026-01-02 00:20:00", 30.0, customer="c2")]
    rows = gold(spark, txns, "2026-01-02")  # a is in the previous partition: read through the look-back
    assert set(rows) == {"b", "c"}
    b = rows["b"]
    assert b["txn_count_1h"] == 1 and b["amount_sum_1h"] == 20.0 and b["seconds_since_previous"] == 1200
    assert b["amount_to_mean_30d"] == 2.0 and b["new_device"] == 0.0
    assert rows["c"]["txn_count_1h"] == 0  # another card's history does not count


def test_customer_attributes_are_as_of_the_event(spark):
    customers = [("c1", datetime(2025, 1, 1), False, "DE", date(2024, 1, 1), "mass", 1000),
                 ("c1", datetime(2026, 1, 2, 12), False, "FR", date(2024, 1, 1), "affluent", 5000),  # after t1
                 ("c2", datetime(2025, 1, 1), False, "DE", date(2025, 12, 30), "student", 300),
                 ("c2", datetime(2026, 1, 2, 1), True, "DE", date(2025, 12, 30), "student", 300)]  # closed
    txns = [txn("t1", "2026-01-02 10:00:00"), txn("t2", "2026-01-02 13:00:00", country="FR"),
            txn("t3", "2026-01-02 09:00:00", customer="c2"), txn("t4", "2026-01-02 09:30:00", customer="c3")]
    rows = gold(spark, txns, "2026-01-02", customers=customers)
    assert rows["t1"]["customer_segment"] == "mass" and rows["t1"]["country_mismatch"] == 0.0
    assert rows["t2"]["customer_segment"] == "affluent" and rows["t2"]["country_mismatch"] == 0.0
    assert rows["t1"]["days_since_signup"] == (date(2026, 1, 2) - date(2024, 1, 1)).days
    assert rows["t3"]["customer_segment"] is None  # deleted before the event
    assert rows["t4"]["customer_segment"] is None and rows["t4"]["country_mismatch"] is None  # unknown customer


def test_merchant_snapshot_falls_back_to_the_latest_earlier_day(spark):
    merchants = [("m1", date(2026, 1, 1), "low"), ("m1", date(2026, 1, 3), "high")]
    rows = gold(spark, [txn("t1", "2026-01-02 10:00:00")], "2026-01-02", merchants=merchants)
    assert rows["t1"]["merchant_risk_tier"] == "low"  # the 2026-01-03 snapshot is in the future


def test_labels_positive_within_the_window_and_maturity(spark):
    rows = spark.createDataFrame([("t1", datetime(2026, 1, 2, 10), date(2026, 1, 2)),
                                  ("t2", datetime(2026, 1, 2, 11), date(2026, 1, 2)),
                                  ("t3", datetime(2026, 1, 2, 12), date(2026, 1, 2))],
                                 "transaction_id string, event_time timestamp, event_date date")
    events = spark.createDataFrame([("t1", datetime(2026, 1, 9), "fraud"), ("t2", datetime(2026, 3, 1), "fraud"),
                                    ("t3", datetime(2026, 1, 5), "dispute")],
                                   "transaction_id string, reported_at timestamp, reason string")
    labels = {r["transaction_id"]: r for r in build_labels(rows, events, REG.label, "event_time", "event_date").collect()}
    assert labels["t1"]["is_fraud"] == 1 and labels["t1"]["label_observed_at"] == datetime(2026, 1, 9)
    assert labels["t2"]["is_fraud"] == 0  # reported after the label window
    assert labels["t3"]["is_fraud"] == 0  # a dispute is not fraud
    assert all(r["label_matured"] for r in labels.values())  # the newest event (March) is past the window
    early = events.where(F.col("reported_at") < datetime(2026, 1, 20))
    assert not any(r["label_matured"] for r in build_labels(rows, early, REG.label, "event_time", "event_date").collect())


def test_matured_labels_check_catches_a_row_flagged_final_too_early(spark):
    rows = spark.createDataFrame([("t1", datetime(2026, 1, 2, 10), date(2026, 1, 2)),
                                  ("t2", datetime(2026, 1, 20, 10), date(2026, 1, 20))],
                                 "transaction_id string, event_time timestamp, event_date date")
    events = spark.createDataFrame([("t1", datetime(2026, 2, 5), "fraud")],
                                   "transaction_id string, reported_at timestamp, reason string")
    labels = build_labels(rows, events, REG.label, "event_time", "event_date")
    good = matured_labels_result(labels, REG.label, "event_date", AssetKey(["card_fraud", "gold", "labels"]))
    assert good.passed and good.metadata["matured"].value == 1  # 2 Jan matured on 2 Feb; 20 Jan not yet
    early = labels.withColumn("label_matured", F.lit(True))  # a bug that marks every day final
    bad = matured_labels_result(early, REG.label, "event_date", AssetKey(["card_fraud", "gold", "labels"]))
    assert not bad.passed and bad.metadata["wrong_flag"].value == 1


def test_gold_contract_from_the_registry_catches_nulls_in_required_features(spark):
    txns = [txn("a1", "2026-01-02 10:00:00"), txn("a2", "2026-01-02 11:00:00", customer="c1")]
    history = spark.createDataFrame(txns, SILVER)
    dims = {"customers": spark.createDataFrame([("c1", datetime(2025, 1, 1), False, "DE", date(2024, 1, 1), "mass", 1)], CUSTOMERS),
            "merchants": spark.createDataFrame([("m1", date(2026, 1, 1), "low")], MERCHANTS)}
    written = build_features(history, dims, REG, CONFIG, date(2026, 1, 2), date(2026, 1, 3))
    contract = gold_contract(REG, "transaction_id", written.schema)
    assert contract_result(written, contract, AssetKey(["card_fraud", "gold", "x"])).passed
    broken = written.withColumn("hour", F.when(F.col("transaction_id") == "a2", F.lit(None)).otherwise(F.col("hour")))
    failed = contract_result(broken, gold_contract(REG, "transaction_id", broken.schema),
                             AssetKey(["card_fraud", "gold", "x"]))
    assert not failed.passed and "hour" in failed.metadata["details"].value


def _leakage(spark, txns):
    history = spark.createDataFrame(txns, SILVER)
    dims = {"customers": spark.createDataFrame([("c1", datetime(2025, 1, 1), False, "DE", date(2024, 1, 1), "mass", 1)], CUSTOMERS),
            "merchants": spark.createDataFrame([("m1", date(2026, 1, 1), "low")], MERCHANTS)}
    written = build_features(history, dims, REG, CONFIG, date(2026, 1, 2), date(2026, 1, 3))
    return leakage_result(history, written, REG, "transaction_id", AssetKey(["card_fraud", "gold", "x"]))


TXNS = [txn(f"t{i}", f"2026-01-02 {10 + i:02d}:00:00", 10.0 * (i + 1)) for i in range(6)]


def test_leakage_check_passes_for_backward_looking_features(spark):
    result = _leakage(spark, TXNS)
    assert result.passed and result.metadata["rows_compared"].value >= 3


def test_leakage_check_catches_a_feature_that_reads_the_future(spark, monkeypatch):
    def leaky_count(reg, params):  # counts the card's transactions in the NEXT `seconds`
        window = feature_builders.Window.partitionBy(reg.entity).orderBy(F.col(reg.event_time).cast("long"))
        return F.count(F.lit(1)).over(window.rangeBetween(0, int(params["seconds"])))

    monkeypatch.setitem(feature_builders.WINDOW_BUILDERS, "rolling_count", leaky_count)
    result = _leakage(spark, TXNS)
    assert not result.passed
    assert "txn_count_24h" in result.metadata["features_with_future_data"].value


def test_unknown_transform_is_a_clear_error(spark):
    bad = REG.model_copy(update={"features": [*REG.features[:1], REG.features[0].model_copy(update={"name": "x", "transform": "magic"})]})
    with pytest.raises(ValueError, match="Unknown feature transforms \\['magic'\\]"):
        feature_builders.add_window_features(spark.createDataFrame(TXNS, SILVER), bad, "transaction_id")
