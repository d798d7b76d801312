"""Labels from the row itself (issue #18 item 3) on tiny hand-made frames, then through Dagster: the
expression decides each row, nulls stay unknown, maturity flips exactly at the delay, and the asset reads
silver's rows of the day (no label source) into the same table shape as event labels. Needs Spark."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, asset, materialize
from pyspark.sql import functions as F

from lakehouse.config.dataset import load_dataset
from lakehouse.config.features import ExpressionLabel, load_features
from lakehouse.config.project import PROJECT_ENV_VAR
from lakehouse.partitions import build_calendar
from lakehouse.processing.assets import build_processing_assets
from lakehouse.processing.checks import matured_labels_result
from lakehouse.processing.labels import build_expression_labels, build_label_table
from platform_tests.processing.expression_project import EXPRESSION, expression_project

SILVER = "transaction_id string, customer_id string, currency string, event_time timestamp, event_date date"
COLUMNS = ["transaction_id", "event_date", "is_foreign", "label_observed_at", "label_matured", "labels_as_of"]
DAY = date(2026, 1, 2)


def label(days: int = 2) -> ExpressionLabel:
    return ExpressionLabel(name="is_foreign", description="d", expression=EXPRESSION, known_after_days=days)


def day_rows(spark, currencies: dict[str, str | None], day: date = DAY, hour: int = 10):
    return spark.createDataFrame([(tid, "c1", cur, datetime(day.year, day.month, day.day, hour + i), day)
                                  for i, (tid, cur) in enumerate(currencies.items())], SILVER)


def labels_of(spark, silver, watermark: datetime, days: int = 2) -> dict:
    """Labels of `silver`'s rows; the whole table is the rows plus one later row at `watermark`."""
    later = spark.createDataFrame([("later", "c9", "EUR", watermark, watermark.date())], SILVER)
    gold = silver.select("transaction_id", "customer_id", "event_time", "event_date")
    out = build_expression_labels(gold, silver, silver.unionByName(later), label(days), "event_time", "event_date",
                                  "transaction_id")
    assert out.columns == COLUMNS  # the event labels' shape: training, reports and monitoring read it
    return {r["transaction_id"]: r for r in out.collect()}


def test_each_row_is_labelled_by_the_expression_and_nulls_stay_unknown(spark):
    silver = day_rows(spark, {"usd": "USD", "eur": "EUR", "none": None, "chf": "CHF"})
    got = labels_of(spark, silver, datetime(2026, 2, 1))
    assert {t: r["is_foreign"] for t, r in got.items()} == {"usd": 1, "eur": 0, "none": None, "chf": 1}
    # Exactly Spark's own value of the expression on each row: nothing coerced, nulls included.
    spark_says = {r["transaction_id"]: r["v"] for r in silver.selectExpr("transaction_id", f"CAST({EXPRESSION} AS INT) AS v").collect()}
    assert {t: r["is_foreign"] for t, r in got.items()} == spark_says
    assert got["usd"]["label_observed_at"] == datetime(2026, 1, 2, 10)  # a positive is seen with its row
    assert got["eur"]["label_observed_at"] is None and got["none"]["label_observed_at"] is None
    assert {t for t, r in got.items() if r["label_matured"]} == {"usd", "eur", "chf"}  # the unknown never matures
    assert {r["labels_as_of"] for r in got.values()} == {datetime(2026, 2, 1)}


@pytest.mark.parametrize("days, before, at", [
    (2, datetime(2026, 1, 4, 23, 59, 59), datetime(2026, 1, 5)),  # final once an event 2 days after the day's end
    (0, datetime(2026, 1, 2, 23, 59, 59), datetime(2026, 1, 3)),  # 0: once any later day's event is seen
])
def test_maturity_flips_exactly_at_the_delay(spark, days, before, at):
    silver = day_rows(spark, {"usd": "USD", "eur": "EUR"})
    assert not any(r["label_matured"] for r in labels_of(spark, silver, before, days).values())
    assert all(r["label_matured"] for r in labels_of(spark, silver, at, days).values())


def test_the_matured_labels_check_holds_and_refuses_a_matured_unknown(spark):
    silver = day_rows(spark, {"usd": "USD", "none": None}).unionByName(day_rows(spark, {"late": "USD"}, date(2026, 1, 30)))
    gold = silver.select("transaction_id", "event_time", "event_date")
    spec = label()
    built = build_expression_labels(gold, silver, silver, spec, "event_time", "event_date", "transaction_id")
    good = matured_labels_result(built, spec, "event_date", AssetKey(["card_fraud", "gold", "labels"]))
    assert good.passed and good.metadata["unknown"].value == 1 and good.metadata["matured"].value == 1
    bad = matured_labels_result(built.withColumn("label_matured", F.lit(True)), spec, "event_date",
                                AssetKey(["card_fraud", "gold", "labels"]))
    assert not bad.passed and bad.metadata["wrong_flag"].value == 2  # the unknown row and the 30 January one


def test_the_whole_silver_table_is_read_only_for_an_expression_label(spark, tmp_path, monkeypatch):
    events = spark.createDataFrame([("t1", datetime(2026, 1, 3), "fraud")],
                                   "transaction_id string, reported_at timestamp, reason string")
    rows = day_rows(spark, {"t1": "USD"}).select("transaction_id", "event_time", "event_date")

    def refuse():
        raise AssertionError("an event label must not read silver")

    event_labels = build_label_table(rows, {"events": events}, refuse, load_features("card_fraud"), "transaction_id")
    assert event_labels.collect()[0]["is_fraud"] == 1
    expression_project(tmp_path)
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    silver = day_rows(spark, {"t1": "USD"})
    table = build_label_table(rows, {"silver": silver}, lambda: silver, load_features("card_fraud"), "transaction_id")
    assert [(r["transaction_id"], r["is_foreign"]) for r in table.collect()] == [("t1", 1)]


def test_the_labels_asset_reads_the_silver_day_and_matures_as_silver_grows(spark, resources, tmp_path: Path,
                                                                          monkeypatch):
    """Through Dagster and the compute resource (LocalCompute, the step on this session), on tables of its
    own: gold/labels of a day from silver's rows of that day (no chargebacks anywhere), and final once
    silver holds an event 2 days after it. The stand-ins are written by the Delta IO manager."""
    expression_project(tmp_path, tables={"silver_table": "lx_transactions", "features_table": "lx_features",
                                         "labels_table": "lx_labels"})
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    dataset = load_dataset("card_fraud")
    _, _, labels = build_processing_assets(dataset, build_calendar(dataset.partitions))
    by_day = {"2026-01-02": {"a": "USD", "b": "EUR", "c": None}, "2026-01-05": {"d": "EUR"}}
    partitions, meta = labels.partitions_def, {"partition_expr": "event_date"}

    @asset(key=["card_fraud", "silver", "lx_transactions"], partitions_def=partitions, metadata=meta)
    def silver_stand_in(context):
        return day_rows(spark, by_day[context.partition_key], date.fromisoformat(context.partition_key))

    @asset(key=["card_fraud", "gold", "lx_features"], partitions_def=partitions, metadata=meta)
    def gold_stand_in(context):
        return day_rows(spark, by_day[context.partition_key], date.fromisoformat(context.partition_key)).drop("currency")

    def run(day: str, *assets):
        result = materialize([silver_stand_in, gold_stand_in, labels], resources=resources, instance=instance,
                             partition_key=day, selection=[a.key for a in assets])
        assert result.success
        return result

    with DagsterInstance.ephemeral() as instance:
        first = run("2026-01-02", silver_stand_in, gold_stand_in, labels)
        assert {e.check_name: e.passed for e in first.get_asset_check_evaluations()} == {
            "rows_match_silver": True, "matured_labels": True}
        table = spark.table(resources["spark"].table("gold", "lx_labels").name)
        assert {r["transaction_id"]: (r["is_foreign"], r["label_matured"]) for r in table.collect()} == {
            "a": (1, False), "b": (0, False), "c": (None, False)}
        run("2026-01-05", silver_stand_in)  # a later day lands in silver: the watermark moves past 4 January
        run("2026-01-02", labels)  # the maturity refresh rebuilds the day
        table = spark.table(resources["spark"].table("gold", "lx_labels").name)
        assert {r["transaction_id"]: r["label_matured"] for r in table.collect()} == {"a": True, "b": True, "c": False}
