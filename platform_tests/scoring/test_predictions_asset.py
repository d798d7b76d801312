"""`scoring/predictions` through Dagster on the temporary registry: the three output modes, stamps and
metadata, version specs, a single-run range, explanations in the table, and a blocking check failing."""

from __future__ import annotations

import pytest
from dagster import AssetKey, AssetSelection, DagsterEventType, DagsterInstance, materialize
from pyspark.sql import functions as F

from lakehouse.config.identifiers import dataset_key
from lakehouse.ml.promotion import ModelVersionNotFound
from lakehouse.resources.delta_write import WriteSpec, write_delta
from lakehouse.scoring import checks
from lakehouse.scoring.assets import build_scoring_assets
from lakehouse.scoring.drift import REFERENCE_TAG
from lakehouse.scoring.model import load_scoring_model
from platform_tests.scoring.conftest import CALENDAR, DATASET, NAME, OUT_SCHEMA, settings, stand_in

OP = "scoring__predictions"
TABLE = f"{OUT_SCHEMA}.predictions"


@pytest.fixture(scope="module")
def run(resources, mlflow_store, registry, gold):
    """materialize(day or (first, last), **run config) on one instance; returns the result."""
    with DagsterInstance.ephemeral() as instance:
        def go(day, scoring=None, raise_on_error=True, with_checks=True, **config):
            scoring = scoring or settings()
            assets = [stand_in(scoring), *build_scoring_assets(DATASET, CALENDAR, scoring)]
            tags = None
            if isinstance(day, tuple):
                tags = {"dagster/asset_partition_range_start": day[0], "dagster/asset_partition_range_end": day[1]}
            selection = AssetSelection.assets(AssetKey(dataset_key(DATASET.name, scoring.predictions_key)))
            return materialize(assets, partition_key=None if tags else day, tags=tags, instance=instance,
                               selection=selection if with_checks else selection.without_checks(),
                               resources={**resources, "mlflow": mlflow_store}, raise_on_error=raise_on_error,
                               run_config={"ops": {OP: {"config": config}}})
        yield go


def _meta(result) -> dict:
    event = result.get_asset_materialization_events()[0]  # a range run: one per day, its own row count
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _checks(result) -> dict:
    return {c.check_name: c for c in result.get_asset_check_evaluations()}


def _day(spark, day: str, table: str = TABLE):
    return spark.table(table).where(F.col("event_date") == F.lit(day).cast("date"))


def test_overwrite_replaces_exactly_its_day_and_stamps_every_row(run, spark, mlflow_store):
    first = run("2026-01-26")
    run("2026-01-27")
    other_before = sorted(map(tuple, _day(spark, "2026-01-27").select("transaction_id", "scored_at").collect()))
    again = run("2026-01-26", model_version="2")

    assert sorted(map(tuple, _day(spark, "2026-01-27").select("transaction_id", "scored_at").collect())) == other_before
    rows = _day(spark, "2026-01-26").collect()
    assert len(rows) == 60 and {r["model_version"] for r in rows} == {"2"}

    meta, version = _meta(first), mlflow_store.client().get_model_version(NAME, "1")
    assert (meta["model_name"], meta["model_version"], meta["model_version_spec"]) == (NAME, "1", "production")
    assert meta["mlflow_run_id"] == version.run_id and meta["dagster/row_count"] == 60
    assert meta["threshold"] == pytest.approx(float(version.tags["decision_threshold"]), abs=1e-6)
    assert meta["explanations"] == "off" and meta["write_mode"] == "overwrite"
    stamps = F.countDistinct("model_version", "mlflow_run_id", "threshold", "scored_at")
    stamped = _day(spark, "2026-01-27").agg(stamps, F.count(F.when(F.col("explanation").isNull(), 1))).first()
    assert stamped[0] == 1 and stamped[1] == 60  # one stamp for the run; explanations off
    second = _meta(again)
    assert second["model_version"] == "2" and 0 <= second["predicted_positive_rate"] <= 1
    for result in (first, again):
        found = _checks(result)
        assert all(found[name].passed for name in (checks.ROWS, checks.CONTRACT, checks.VERSION))
        assert isinstance(found[checks.DRIFT].metadata[checks.PSI].value, float)
    # The drift reference was computed once per version and stored on it.
    assert REFERENCE_TAG in mlflow_store.client().get_model_version(NAME, "1").tags


def test_positive_rate_matches_the_rows_written(run, spark):
    meta = _meta(run("2026-01-28"))
    rate = _day(spark, "2026-01-28").agg(F.avg("prediction")).first()[0]
    assert meta["predicted_positive_rate"] == pytest.approx(rate, abs=1e-6)
    assert meta["rows_scored"] == 60


def test_checks_deselected_for_a_run_are_not_evaluated(run, spark):
    result = run("2026-01-28", with_checks=False)
    assert result.success and result.get_asset_check_evaluations() == []
    assert _meta(result)["rows_scored"] == 60 and _day(spark, "2026-01-28").count() == 60


def test_merge_rerun_is_idempotent_and_restamps(run, spark):
    run("2026-01-29", output_mode="merge")
    before = {r["transaction_id"]: r["scored_at"] for r in _day(spark, "2026-01-29").collect()}
    result = run("2026-01-29", output_mode="merge")
    after = {r["transaction_id"]: r["scored_at"] for r in _day(spark, "2026-01-29").collect()}
    assert len(before) == len(after) == 60 and _day(spark, "2026-01-29").count() == 60
    assert set(after) == set(before) and all(after[k] > before[k] for k in after)
    assert _checks(result)[checks.ROWS].passed and _meta(result)["write_mode"] == "merge"


def test_append_appends(run, spark):
    run("2026-01-30", output_mode="append")
    result = run("2026-01-30", output_mode="append")
    assert _day(spark, "2026-01-30").count() == 120
    rows_check = _checks(result)[checks.ROWS]
    assert rows_check.passed and rows_check.metadata["rows_in_window"].value == 120
    assert rows_check.metadata["rows_scored"].value == 60


def test_version_specs_resolve(registry, mlflow_store):
    def version(spec: str) -> str:
        return load_scoring_model(mlflow_store, NAME, spec).version

    assert [version(s) for s in ("latest", "production", "2", "@champion")] == ["3", "1", "2", "1"]
    with pytest.raises(ModelVersionNotFound, match=r"Versions: \[1, 2, 3\]"):
        load_scoring_model(mlflow_store, NAME, "staging")


def test_unknown_version_fails_the_run_listing_what_exists(run):
    result = run("2026-01-31", raise_on_error=False, model_version="7")
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    error = failure.step_failure_data.error
    text = str(error.message) + str(error.cause.message if error.cause else "")
    assert "'7'" in text and "Versions: [1, 2, 3]" in text and "champion -> v1" in text


def test_single_run_range_and_explanations_in_the_same_table(run, spark, spec):
    on = settings(explanations={"mode": "on", "top_k": 3})
    result = run(("2026-01-31", "2026-02-01"), scoring=on, model_version="2")
    assert {e.partition for e in result.get_asset_materialization_events()} == {"2026-01-31", "2026-02-01"}
    per_day = {e.partition: e.materialization.metadata["dagster/row_count"].value
               for e in result.get_asset_materialization_events()}
    assert per_day == {"2026-01-31": 60, "2026-02-01": 60}  # each day's page shows its own rows
    assert (_meta(result)["rows_in_run_range"], _meta(result)["partition_range"]) == (120, "2026-01-31 .. 2026-02-01")
    assert _meta(result)["explanations"] == "on (top 3, all rows, TreeSHAP, exact)"  # v2: the forest
    assert _checks(result)[checks.ROWS].metadata["input_rows"].value == 120
    rows = spark.table(TABLE).where("event_date >= DATE'2026-01-31'").collect()
    assert len(rows) == 120 and all(len(r["explanation"]) == 3 for r in rows)
    assert {e["feature"] for r in rows for e in r["explanation"]} <= set(spec.columns)
    assert spark.table(TABLE).schema["explanation"].dataType.simpleString() == \
        "array<struct<feature:string,contribution:double>>"


def test_duplicate_input_rows_fail_the_blocking_contract_check(run, spark, spark_resource, gold):
    """Crafted input (one transaction twice), scored as other assets (scoring.yaml's `features_asset` and
    `predictions_asset`: run config cannot redirect them): the contract's unique key fails."""
    day = gold.where("event_date = DATE'2026-01-25'")
    ref = spark_resource.table("scoretest_bad", "transaction_features")
    write_delta(spark, day.unionByName(day.limit(1)), ref, WriteSpec(schema_mode="overwrite"), None)
    bad = settings(features_asset="scoretest_bad/transaction_features", predictions_asset=f"{OUT_SCHEMA}/bad_predictions")
    result = run("2026-01-25", scoring=bad, raise_on_error=False)
    found = _checks(result)
    assert not found[checks.CONTRACT].passed and "transaction_id" in found[checks.CONTRACT].metadata["details"].value
    rows = found[checks.ROWS]
    assert rows.passed and rows.metadata["input_rows"].value == 61  # all scored; it is the key that is broken
    assert not result.success  # a failed blocking check fails the run


def test_a_missing_input_table_fails_the_run_naming_it(run):
    missing = settings(features_asset="scoretest_nothing/transaction_features")
    result = run("2026-01-26", scoring=missing, raise_on_error=False)
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    error = failure.step_failure_data.error
    text = str(error.message) + str(error.cause.message if error.cause else "")
    assert not result.success and "Input table scoretest_nothing.transaction_features does not exist" in text


def test_a_run_config_table_other_than_the_assets_fails_before_scoring(run, spark):
    """The seed's output_table stays in the Launchpad, but may only name this asset's own table."""
    result = run("2026-01-26", raise_on_error=False, output_table="scoretest_elsewhere.predictions")
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    error = failure.step_failure_data.error  # the step error; the ValueError is its cause
    assert "export_predictions" in error.to_string() and "ValueError" in error.to_string()
    assert not spark.catalog.tableExists("scoretest_elsewhere.predictions")
