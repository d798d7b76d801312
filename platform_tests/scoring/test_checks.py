"""The checks' functions on crafted input: each one fails when it should, and passes on good rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from dagster import AssetCheckSeverity, AssetKey
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from lakehouse.ingestion.checks import contract_rules, violation_counts
from lakehouse.resources.delta_io_manager import ObservedFrame
from lakehouse.scoring import checks
from lakehouse.scoring.drift import REFERENCE_TAG, Reference, fractions, psi, reference_for, reference_from_scores
from lakehouse.scoring.model import load_scoring_model
from lakehouse.scoring.predict import score, stamp_for
from platform_tests.scoring.conftest import NAME

CONTRACT = load_contracts("card_fraud")["predictions"]
KEY = AssetKey(["card_fraud", "scoring", "predictions"])


SCORED_AT = datetime(2026, 3, 1, tzinfo=UTC)
DAY = (date(2026, 1, 26), date(2026, 1, 27))


@pytest.fixture(scope="module")
def good(registry, mlflow_store, gold, spec):
    model = load_scoring_model(mlflow_store, NAME, "1")
    rows = gold.where("event_date = DATE'2026-01-26'").limit(6)
    return score(model, rows, CONTRACT, stamp_for(model, SCORED_AT), spec.columns)


def _contract(rows):
    """As the asset checks: rule counts observed on the rows written, keys and types on the committed rows."""
    rules = contract_rules(CONTRACT, rows.columns)
    observed = ObservedFrame(rows, {checks.VIOLATIONS: violation_counts(rules)})
    observed.df.write.format("noop").mode("overwrite").save()  # the IO manager's write
    done = checks.committed(rows, "event_date", *DAY, SCORED_AT, CONTRACT.keys)
    return checks.contract_result(KEY, CONTRACT, rows.schema, list(rules), observed.values()[checks.VIOLATIONS], done)


def test_contract_passes_good_rows_and_fails_bad_probability_null_prediction_and_duplicates(good):
    result = _contract(good)
    assert result.passed and result.metadata["rows_checked"].value == 6
    first = F.col("transaction_id") == F.lit(good.first()["transaction_id"])
    bad = good.withColumn("probability", F.when(first, F.lit(1.5)).otherwise(F.col("probability"))) \
              .withColumn("prediction", F.when(first, F.lit(None)).otherwise(F.col("prediction")).cast("int"))
    result = _contract(bad.unionByName(good.limit(2)))
    details = result.metadata["details"].value
    assert not result.passed and result.metadata["errors"].value == 3
    assert "probability: <= 1: 1 rows" in details and "prediction: not null: 1 rows" in details
    assert "transaction_id: unique: 2 rows" in details


def test_contract_checks_only_the_rows_of_this_run_and_the_types(good):
    older = good.withColumn("scored_at", F.lit(datetime(2026, 2, 1)))
    assert _contract(good.unionByName(older)).passed  # the same keys in an earlier run's rows (append)
    retyped = _contract(good.withColumn("prediction", F.col("prediction").cast("double")))
    assert not retyped.passed and "prediction: type double, expected int" in retyped.metadata["details"].value
    missing = _contract(good.drop("threshold"))
    assert not missing.passed and "threshold: missing" in missing.metadata["details"].value


def test_version_check_fails_for_an_unregistered_version_or_mixed_stamps(mlflow_store, registry):
    client = mlflow_store.client()
    assert checks.version_result(KEY, client, NAME, "1", ["1"]).passed
    missing = checks.version_result(KEY, client, NAME, "99", ["99"])
    assert not missing.passed and missing.metadata["registry"].value != "registered"
    assert not checks.version_result(KEY, client, NAME, "1", ["1", "2"]).passed
    assert checks.version_result(KEY, client, NAME, "1", []).passed  # a day without transactions


def test_committed_counts_the_window_and_the_rows_of_this_run(spark):
    run_at = datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)  # microseconds survive the filter
    before = datetime(2026, 3, 1, tzinfo=UTC)
    table = spark.createDataFrame(
        [(date(2026, 1, 26), run_at, "2"), (date(2026, 1, 26), run_at, "2"), (date(2026, 1, 26), before, "1"),
         (date(2026, 1, 27), run_at, "3")],
        "event_date DATE, scored_at TIMESTAMP, model_version STRING")
    found = checks.committed(table, "event_date", date(2026, 1, 26), date(2026, 1, 27), run_at)
    assert (found.rows_in_window, found.rows_of_run, found.versions) == (3, 2, ["2"])


def test_committed_counts_duplicate_keys_among_the_rows_of_this_run_only(spark):
    run_at, before = datetime(2026, 3, 2, 8, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    day = date(2026, 1, 26)
    rows = [("a", run_at), ("a", run_at), ("a", run_at),  # two beyond the first
            ("b", run_at), ("b", before),  # once in this run: the other row is an earlier run's
            ("c", before), ("c", before),  # an earlier run's duplicate is not this run's
            (None, run_at), (None, run_at)]  # a null key is a `not null` violation, not a duplicate
    table = spark.createDataFrame([(day, t, "1", k) for k, t in rows],
                                  "event_date DATE, scored_at TIMESTAMP, model_version STRING, transaction_id STRING")
    found = checks.committed(table, "event_date", day, date(2026, 1, 27), run_at, ["transaction_id"])
    assert (found.rows_in_window, found.rows_of_run, found.duplicates, found.versions) == (9, 6, 2, ["1"])


def test_rows_check_compares_rows_of_this_run_with_the_input():
    assert checks.rows_result(KEY, 60, 60, 120).passed
    assert not checks.rows_result(KEY, 59, 60, 59).passed


def test_psi_is_zero_for_the_same_shares_and_large_for_a_shift():
    same = [0.1] * 10
    assert psi(same, same) == 0.0
    shifted = [0.0] * 5 + [0.2] * 5
    assert psi(same, shifted) > 1.0  # half the bins empty: a clear shift
    assert psi(same, [0.09, 0.11] * 5) < 0.02  # small noise: 10 x 0.01 x ln(1.1 / 0.9) / 2
    with pytest.raises(ValueError, match="bins"):
        psi(same, [1.0])


def test_drift_check_warns_on_a_shift_and_without_a_reference():
    reference = Reference(edges=[0.25, 0.5, 0.75], fractions=[0.25] * 4, rows=400, source="crafted")
    assert checks.drift_result(KEY, reference, [25, 25, 25, 25], 0.2).passed
    shifted = checks.drift_result(KEY, reference, [0, 0, 10, 90], 0.2)
    assert not shifted.passed and shifted.severity == AssetCheckSeverity.WARN
    assert shifted.metadata["psi_vs_test_window"].value > 0.2
    empty = checks.drift_result(KEY, reference, [0, 0, 0, 0], 0.2)
    assert not empty.passed and empty.metadata["reason"].value == "no rows scored in the window"
    none = checks.drift_result(KEY, "model v9 has no training_table tag", [1], 0.2)
    assert not none.passed and none.severity == AssetCheckSeverity.WARN
    assert "no reference" in none.metadata["reason"].value


def test_stats_observed_during_an_action_agree_with_the_reference_bins(spark):
    scores = spark.createDataFrame([(i / 100.0, int(i > 80)) for i in range(100)], "probability DOUBLE, prediction INT")
    reference = reference_from_scores(scores.select(F.col("probability").alias("p")), 4, "crafted bins=4")
    assert len(reference.edges) == 3 and reference.rows == 100
    assert reference.fractions == pytest.approx([0.25] * 4, abs=0.02)
    observed = ObservedFrame(scores, checks.stat_columns(reference.edges))
    observed.df.write.format("noop").mode("overwrite").save()  # the action (the IO manager's write)
    stats = observed.values()
    assert stats[checks.ROWS_SCORED] == 100 and stats[checks.POSITIVE_RATE] == 0.19
    assert fractions(stats[checks.HISTOGRAM]) == pytest.approx(reference.fractions)
    # Never acted on (nothing reported): the same values from one aggregation.
    assert ObservedFrame(scores, checks.stat_columns(reference.edges)).values() == stats
    empty = ObservedFrame(scores.limit(0), checks.stat_columns(reference.edges)).values()
    assert empty == {checks.ROWS_SCORED: 0, checks.POSITIVE_RATE: 0.0, checks.HISTOGRAM: [0, 0, 0, 0]}


def test_reference_is_computed_from_the_test_window_once_and_tagged(registry, mlflow_store, spark_resource):
    client = mlflow_store.client()
    model = load_scoring_model(mlflow_store, NAME, "3")
    assert REFERENCE_TAG not in model.tags
    reference = reference_for(model, spark_resource, client, bins=5)
    assert isinstance(reference, Reference) and reference.rows == 7 * 60  # the 7 test days
    assert "split=test" in reference.source and sum(reference.fractions) == pytest.approx(1.0, abs=1e-4)
    reloaded = load_scoring_model(mlflow_store, NAME, "3")
    assert Reference.from_json(reloaded.tags[REFERENCE_TAG]) == reference
    assert reference_for(reloaded, spark_resource, client, bins=5) == reference  # read from the tag


def test_a_model_without_training_tags_has_no_reference(registry, mlflow_store, spark_resource):
    model = load_scoring_model(mlflow_store, NAME, "1")
    stripped = type(model)(**{**model.__dict__, "tags": {}})
    reason = reference_for(stripped, spark_resource, mlflow_store.client(), bins=10)
    assert isinstance(reason, str) and "training_table" in reason
