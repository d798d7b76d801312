"""subscription_churn end to end: the second dataset runs through every stage by configuration alone.

Each test reads what one stage wrote during the module's single replay (conftest.py) and compares it
with the generator's truth, so a stage that quietly fell back to card_fraud's names or columns fails.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dagster import AssetKey
from pyspark.sql import functions as F

from lakehouse_tools.demo.churn.population import NEVER, PLANS, build_population
from lakehouse_tools.demo.streams import day_key
from platform_tests.second_dataset.conftest import FIRST, LAST, MID, MONITORED, SETTINGS, WEEK, Replay

DEVICES = {"web", "tv", "ios", "android"}


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_bronze_loads_clean_rows_and_quarantines_rejected_ones(replay: Replay, spark) -> None:
    for source in ("usage_web", "usage_app"):
        landed, rejected, resent = (sum(getattr(d, field)[source] for d in replay.landed.days)
                                    for field in ("rows", "rejected", "resent"))
        assert rejected and resent, source
        # One load covers every landing day, so a re-sent row repeats a key of the same load: quarantined.
        assert replay.table(spark, f"bronze.{source}").count() == landed - rejected - resent, source
        quarantine = replay.table(spark, f"bronze.{source}_quarantine")
        duplicates = quarantine.where(F.col("reason").startswith("duplicate key")).count()
        assert (quarantine.count(), duplicates) == (rejected + resent, resent), source
    exported = sum(len(d.cancelled) + d.withdrawn for d in replay.landed.days)
    assert replay.table(spark, "bronze.cancellations").count() == exported


def test_silver_holds_each_clean_usage_once_with_devices_normalised(replay: Replay, spark) -> None:
    silver = replay.table(spark, "silver.usage_events")
    ids = [r["usage_id"] for r in silver.select("usage_id").collect()]
    assert len(ids) == len(set(ids)) and set(ids) == replay.landed.clean_ids()
    devices = {r["device"] for r in silver.select("device").distinct().collect()}
    assert None in devices and devices - {None} == DEVICES  # unknown spellings nulled, aliases mapped
    nulled = silver.where(F.col("device").isNull() & (F.size("_quality_notes") == 0)).count()
    assert nulled == 0  # every nulled device says why


def test_gold_joins_the_plan_as_it_was_at_each_usage(replay: Replay, spark) -> None:
    gold = replay.table(spark, "gold.account_features")
    assert gold.count() == len(replay.landed.clean_ids())
    # Accounts that changed plan after the first database read (MID): the history holds both versions.
    pop = build_population(SETTINGS, LAST)
    mid_end, last_end = (day_key(MID) + 1) * 86_400, (day_key(LAST) + 1) * 86_400
    changed = {pop.ids[i]: (PLANS[pop.plan[i]], PLANS[pop.new_plan[i]], int(pop.change_at[i]))
               for i in range(len(pop.ids))
               if pop.signup_at[i] < mid_end and pop.change_at[i] != NEVER and mid_end <= pop.change_at[i] < last_end}
    assert changed
    rows = gold.where(F.col("account_id").isin(list(changed))).select("account_id", "event_time", "plan").collect()
    before_after = {"before": 0, "after": 0}
    for r in rows:
        old, new, at = changed[r["account_id"]]
        after = r["event_time"].timestamp() >= at
        assert r["plan"] == (new if after else old), r
        before_after["after" if after else "before"] += 1
    assert before_after["before"] and before_after["after"]


def test_labels_match_the_cancellations_that_arrived(replay: Replay, spark) -> None:
    labels = replay.table(spark, "gold.churn_labels")
    silver = replay.table(spark, "silver.usage_events").select("usage_id", "account_id", "event_time")
    joined = silver.join(labels.select("usage_id", "account_id", "is_churn", "label_matured"),
                         ["usage_id", "account_id"], "left").collect()
    assert len(joined) == labels.count()  # one label row per usage row, keyed by usage_id
    cancelled = {a: _epoch(at) for a, at in replay.landed.cancelled().items()}
    # Collected timestamps are naive local times; .timestamp() reads them back the same way.
    expected = {r["usage_id"]: int(r["account_id"] in cancelled
                                   and cancelled[r["account_id"]] <= r["event_time"].timestamp() + 7 * 86_400)
                for r in joined}
    assert {r["usage_id"]: r["is_churn"] for r in joined} == expected
    assert 0 < sum(expected.values()) < len(expected) / 5
    matured_days = {r["event_date"] for r in labels.where("label_matured").select("event_date").distinct().collect()}
    assert min(matured_days) == FIRST and max(matured_days) < LAST - timedelta(days=7)


def test_the_week_is_trained_registered_and_promoted(replay: Replay, spark) -> None:
    training = replay.table(spark, "ml.training_set").where(F.col("training_week") == F.lit(WEEK))
    days = {r["event_date"] for r in training.select("event_date").distinct().collect()}
    assert days == {WEEK - timedelta(days=i) for i in range(1, 15)}  # 2 weeks, 1 week behind
    splits = {r["split"]: (r["rows"], r["positives"]) for r in
              training.groupBy("split").agg(F.count("*").alias("rows"), F.sum("is_churn").alias("positives")).collect()}
    assert set(splits) == {"train", "validation", "test"} and all(0 < p < n for n, p in splits.values())
    assert {"usage_id", "account_id", "plan", "minutes_to_mean_14d"} <= set(training.columns)
    events = replay.results[f"ml_weekly_training@{WEEK}"].get_asset_materialization_events()
    model = next(e.step_materialization_data.materialization for e in events
                 if e.asset_key == AssetKey(["subscription_churn", "ml", "model"]))
    assert model.metadata["promoted"].value is True
    mlflow = replay.defs.resources["mlflow"]  # the profile's MLflow resource: the store under the replay's root
    assert str(replay.root) in mlflow.resolved_tracking_uri()
    client = mlflow.client()
    champion = client.get_model_version_by_alias("subscription_churn_classifier", "champion")
    assert str(champion.version) == "1" and champion.tags["training_week"] == WEEK.isoformat()


def test_every_usage_day_is_scored_by_the_champion(replay: Replay, spark) -> None:
    predictions = replay.table(spark, "scoring.predictions")
    assert predictions.count() == replay.table(spark, "gold.account_features").count()
    stamped = {(r["model_name"], r["model_version"]) for r in
               predictions.select("model_name", "model_version").distinct().collect()}
    assert stamped == {("subscription_churn_classifier", "1")}
    assert {"usage_id", "account_id", "minutes", "plan", "device", "probability"} <= set(predictions.columns)
    # The flagged rows are riskier: their realised churn rate is above the overall rate.
    labelled = predictions.join(replay.table(spark, "gold.churn_labels").select("usage_id", "is_churn"), "usage_id")
    by_class = labelled.groupBy("prediction").agg(F.avg("is_churn").alias("rate")).collect()
    rates = {r["prediction"]: r["rate"] for r in by_class}
    assert rates[1] > 2 * rates[0]


def test_monthly_and_weekly_reports_are_built_with_realised_metrics(replay: Replay, spark) -> None:
    monthly = replay.table(spark, "reporting.monthly_churn_summary").where(F.col("period_start") == F.lit(FIRST))
    value = {(r["section"], r["series"], r["metric"]): r["value"] for r in monthly.where("bucket = 'all'").collect()}
    assert value[("summary", "all", "rows")] == replay.table(spark, "scoring.predictions").count()
    assert value[("realised", "all", "complete")] == 1.0 and 0.5 < value[("realised", "all", "auc")] <= 1.0
    plans = {r["bucket"] for r in monthly.where("section = 'plans'").select("bucket").distinct().collect()}
    assert set(PLANS) <= plans
    for report, partition in (("monthly_churn", FIRST), ("weekly_churn", WEEK)):
        folder = replay.root / "reports" / report / partition.isoformat()
        assert {"report.html", "report.pdf", "report.xlsx"} <= {p.name for p in folder.iterdir()}, report
        html = (folder / "report.html").read_text()
        assert "Predicted churn" in html and "fraud" not in html.lower(), report  # reporting.yaml's wording


def test_monitoring_evaluates_the_matured_churn_labels(replay: Replay, spark) -> None:
    # Every replayed day is monitored; the last one has the most matured labels behind it.
    rows = replay.table(spark, "monitoring.model_performance").where(F.col("monitoring_date") == F.lit(MONITORED)).collect()
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["model_version"] == "1"
    assert row["evaluated_rows"] >= 200 and row["evaluated_positives"] >= 10 and row["pr_auc"] is not None


def test_the_replay_wrote_only_this_dataset_tables(replay: Replay) -> None:
    tables = {f"{p.parent.parent.name}.{p.parent.name}" for p in (replay.root / "warehouse").glob("*/*/_delta_log")}
    assert {"silver.usage_events", "gold.account_features", "gold.churn_labels", "ml.training_set",
            "scoring.predictions", "reporting.monthly_churn_summary"} <= tables
    assert not {"silver.transactions", "gold.transaction_features", "gold.labels"} & tables
