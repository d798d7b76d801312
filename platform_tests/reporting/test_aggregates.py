"""Section builders on tiny DataFrames with known answers (pure Spark, no Dagster)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lakehouse.config.reporting import RealisedSection, load_reporting
from lakehouse.ml.metrics import exact_roc_auc
from lakehouse.reporting.aggregates import Period
from lakehouse.reporting.grouping_sets import build_aggregates
from lakehouse.reporting.sections import prepare
from platform_tests.reporting.synthetic import LABELS_SCHEMA, MONDAY, PREDICTIONS_SCHEMA, week_labels, week_rows

CONFIG = load_reporting("card_fraud")
TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)


def aggregates(spark, periods, period="day", sections=None, labels=None, matured=True):
    predictions = spark.createDataFrame(week_rows(), PREDICTIONS_SCHEMA)
    labels = labels if labels is not None else spark.createDataFrame(week_labels(matured), LABELS_SCHEMA)
    frame = prepare(spark, predictions, labels, periods, period, CONFIG.predictions, CONFIG.labels)
    names = sections or list(CONFIG.sections)
    rows = build_aggregates(frame, [(n, CONFIG.sections[n]) for n in names]).collect()
    return {(r.period_start, r.section, r.series, r.bucket, r.metric): r.value for r in rows}, rows


def day(d: date) -> Period:
    return Period(d, d + timedelta(days=1))


def test_summary_by_model_version_and_an_empty_day(spark):
    values, _ = aggregates(spark, [day(MONDAY), day(WEDNESDAY)], sections=["summary"])
    monday = {k[4]: v for k, v in values.items() if k[0] == MONDAY and k[2] == "all"}
    assert (monday["rows"], monday["predicted_positive"], monday["predicted_positive_rate"]) == (4, 2, 0.5)
    assert monday["probability_sum"] == pytest.approx(2.08)
    assert monday["amount_p50"] == 40.0 and (monday["threshold_min"], monday["threshold_max"]) == (0.5, 0.7)
    assert values[(MONDAY, "summary", "model_version 2", "all", "rows")] == 1
    # Wednesday has no predictions: one `all` row with zero volume and undefined rates, not nothing.
    wednesday = {k[4]: v for k, v in values.items() if k[0] == WEDNESDAY}
    assert wednesday["rows"] == 0 and wednesday["predicted_positive_rate"] is None
    assert {k[2] for k in values if k[0] == WEDNESDAY} == {"all"}


def test_timeline_fills_every_hour_and_day(spark):
    values, _ = aggregates(spark, [day(MONDAY)], sections=["by_hour"])
    hours = {k[3]: v for k, v in values.items() if k[4] == "rows"}
    assert len(hours) == 24 and hours["01:00"] == 2 and hours["13:00"] == 1 and hours["02:00"] == 0
    week, _ = aggregates(spark, [Period(MONDAY, MONDAY + timedelta(days=7))], "week", sections=["by_day"])
    days = {k[3]: v for k, v in week.items() if k[4] == "rows"}
    assert days == {(MONDAY + timedelta(days=i)).isoformat(): n for i, n in enumerate([4, 3, 0, 0, 0, 0, 1])}


def test_breakdown_groups_missing_values(spark):
    values, rows = aggregates(spark, [day(MONDAY)], sections=["categories"])
    counts = {k[3]: v for k, v in values.items() if k[4] == "rows"}
    assert counts == {"grocery": 1, "electronics": 1, "(missing)": 1, "travel": 1}
    assert values[(MONDAY, "categories", "all", "electronics", "predicted_positive_rate")] == 1.0


def test_histogram_clips_into_edge_bins_and_keeps_empty_series(spark):
    values, _ = aggregates(spark, [day(MONDAY)], sections=["amounts"])
    fraud = {k[3]: v for k, v in values.items() if k[2] == "predicted fraud" and k[4] == "rows" and k[3] != "all"}
    assert fraud["100-250"] == 1 and fraud["2500+"] == 1 and sum(fraud.values()) == 2  # 9000 is above the last edge
    assert len(fraud) == 9
    legit = values[(MONDAY, "amounts", "predicted legitimate", "all", "p50")]
    assert legit in (5.0, 40.0)  # percentile_approx of two values
    empty, _ = aggregates(spark, [day(WEDNESDAY)], sections=["amounts", "probability"])
    assert empty[(WEDNESDAY, "amounts", "predicted fraud", "all", "rows")] == 0
    assert sum(v for k, v in empty.items() if k[1] == "probability" and k[4] == "rows") == 0


def test_probability_histogram_marks_each_threshold(spark):
    values, _ = aggregates(spark, [day(MONDAY)], sections=["probability"])
    assert values[(MONDAY, "probability", "threshold", "1", "threshold")] == 0.5
    assert values[(MONDAY, "probability", "threshold", "2", "threshold")] == 0.7
    assert values[(MONDAY, "probability", "all", "0.9-0.95", "rows")] == 1


def test_auc_is_exact_with_ties(spark):
    scored = spark.createDataFrame([(MONDAY, 0.5, 1), (MONDAY, 0.8, 1), (MONDAY, 0.5, 0), (MONDAY, 0.2, 0),
                                    (TUESDAY, 0.3, 1)], "period_start date, p double, y int")
    auc = {r.period_start: r.auc for r in exact_roc_auc(scored, "period_start", "p", "y").collect()}
    assert auc[MONDAY] == pytest.approx(3.5 / 4) and auc[TUESDAY] is None  # no negatives: undefined


def test_realised_metrics_computed_once_matured_pending_before(spark):
    done, _ = aggregates(spark, [day(MONDAY)], sections=["realised"])
    get = {k[4]: v for k, v in done.items()}
    assert (get["tp"], get["fp"], get["fn"], get["tn"], get["complete"]) == (1, 1, 1, 1, 1.0)
    assert (get["precision"], get["recall"], get["auc"]) == (0.5, 0.5, 0.75)
    pending, _ = aggregates(spark, [day(MONDAY)], sections=["realised"], matured=False)
    get = {k[4]: v for k, v in pending.items()}
    assert (get["predictions"], get["labels_matured"], get["complete"]) == (4, 0, 0.0)
    assert get["precision"] is None and get["auc"] is None


def test_realised_partial_maturity_respects_the_configured_fraction(spark):
    rows = [(*r[:4], r[0] != "m4", *r[5:]) for r in week_labels()]  # 3 of Monday's 4 labels matured
    labels = spark.createDataFrame(rows, LABELS_SCHEMA)
    strict, _ = aggregates(spark, [day(MONDAY)], sections=["realised"], labels=labels)
    assert strict[(MONDAY, "realised", "all", "all", "matured_fraction")] == 0.75
    assert strict[(MONDAY, "realised", "all", "all", "precision")] is None
    lenient = CONFIG.model_copy(update={"sections": {**CONFIG.sections, "realised": RealisedSection(
        kind="realised", title="Realised", min_matured_fraction=0.7)}})
    predictions = spark.createDataFrame(week_rows(), PREDICTIONS_SCHEMA)
    frame = prepare(spark, predictions, labels, [day(MONDAY)], "day", CONFIG.predictions, CONFIG.labels)
    got = {r.metric: r.value for r in build_aggregates(frame, [("realised", lenient.sections["realised"])]).collect()}
    assert got["complete"] == 1.0 and got["precision"] == 1.0  # matured: m2 tp, m1 tn, m3 fn


def test_a_week_is_the_sum_of_its_days(spark):
    shared = ["summary", "by_hour", "categories", "channels", "amounts", "probability", "realised"]
    days = [day(MONDAY + timedelta(days=i)) for i in range(7)]
    daily, _ = aggregates(spark, days, "day", sections=shared)
    weekly, rows = aggregates(spark, [Period(MONDAY, MONDAY + timedelta(days=7))], "week", sections=shared)
    additive = [r for r in rows if r.additive]
    assert len(additive) > 100
    for r in additive:
        total = sum(v for k, v in daily.items() if k[1:] == (r.section, r.series, r.bucket, r.metric))
        assert r.value == pytest.approx(total), (r.section, r.series, r.bucket, r.metric)
    assert weekly[(MONDAY, "summary", "all", "all", "rows")] == 8
