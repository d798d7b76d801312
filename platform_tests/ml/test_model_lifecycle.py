"""The model's life on a temporary MLflow store, through the Dagster assets and then directly:

1. the weekly job materialises gold stand-ins -> training set -> model: version 1, first champion;
2. a worse challenger (version 2) is registered but not promoted;
3. a better challenger (version 3) is promoted;
then loading by alias, version resolution, the gate's ERROR case and its decision rule, and the
weekly schedule. One module, one store: each step reads the registry state the previous one left.
"""

from __future__ import annotations

from datetime import UTC, datetime

import mlflow
import pytest
from dagster import AssetKey, AssetSpec, DagsterInstance, Definitions, build_schedule_context, materialize
from pyspark.sql import functions as F

from lakehouse.config.dataset import load_dataset
from lakehouse.config.identifiers import dataset_key
from lakehouse.ml.assets import GATE, build_ml_assets, model_key, training_set_key
from lakehouse.ml.promotion import ModelVersionNotFound, champion_gate, decide, resolve_model_version
from lakehouse.ml.schedules import ML_JOB, ML_SCHEDULE, build_ml_schedules
from lakehouse.ml.tracking import TrainingContext
from lakehouse.ml.workflow import train_register_promote
from lakehouse.partitions import build_calendar
from lakehouse_tools.synthetic_gold import FEATURES_KEY, LABELS_KEY
from platform_tests.ml.conftest import GBT, GOLD_SCHEMA, LR, WEEK, tiny_config

NAME = "card_fraud_classifier"
DATASET = load_dataset("card_fraud")
CALENDAR = build_calendar(DATASET.partitions)
MODEL_KEY, TRAINING_SET_KEY = model_key(DATASET.name), training_set_key(DATASET.name)
ONE_POINT_LR = {**LR, "grid": {}}  # the CV still runs; the gate is what is under test


def _selection(top: int | None) -> dict:
    if top is None:
        return {"method": "none", "params": {}}
    return {"method": "univariate", "params": {"mode": "numTopFeatures", "threshold": top}}


# The label depends on 5 registry features: models restricted to the best 3 are decent, to the best 1
# clearly worse, and a model with every feature the best.
TOP3 = tiny_config(models={"logistic_regression": ONE_POINT_LR, "gbt": {**GBT, "grid": {}}}, feature_selection=_selection(3))
TOP1 = tiny_config(models={"logistic_regression": ONE_POINT_LR}, feature_selection=_selection(1))
ALL = tiny_config(models={"logistic_regression": ONE_POINT_LR}, feature_selection=_selection(None))


# The processing stage's gold assets stand in as external specs of the dataset in the test schema: their keys
# name the tables.
INPUTS = (AssetKey(dataset_key(DATASET.name, (GOLD_SCHEMA, FEATURES_KEY.path[-1]))),
          AssetKey(dataset_key(DATASET.name, (GOLD_SCHEMA, LABELS_KEY.path[-1]))))


def stand_ins() -> list[AssetSpec]:
    meta = {"partition_expr": "event_date"}
    return [AssetSpec(key, partitions_def=CALENDAR.daily, metadata=meta) for key in INPUTS]


def _registry(client) -> tuple[list[int], dict[str, str]]:
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{NAME}'"))
    return versions, {a: str(v) for a, v in client.get_registered_model(NAME).aliases.items()}


@pytest.fixture(scope="module")
def history(gold, resources, mlflow_store, spark_resource, spec):
    """[(dagster result, registry after)], then [(outcome, registry after)] for TOP1 and ALL."""
    client = mlflow_store.client()
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [*stand_ins(), *build_ml_assets(DATASET, CALENDAR, TOP3, INPUTS)],
            partition_key=WEEK.isoformat(),
            resources={**resources, "mlflow": mlflow_store},
            instance=instance,
        )
    steps: list = [(result, _registry(client))]
    ref = spark_resource.table("ml", "training_set")
    stored = spark_resource.spark_session.table(ref.name).where(f"training_week = DATE'{WEEK}'")
    ctx = TrainingContext(table_name=ref.name, table_location=ref.location, table_version=0,
                          training_week=str(WEEK), test_from="2026-01-26", test_to="2026-02-02",
                          tags={"dagster.run_id": "direct"})
    for config in (TOP1, ALL):
        steps.append((train_register_promote(mlflow_store, stored, ctx, spec, config), _registry(client)))
    return steps


def _metadata(result, key) -> dict:
    event = next(e for e in result.get_asset_materialization_events() if e.materialization.asset_key == key)
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_training_set_asset_reads_the_mapped_days_and_reports_its_splits(history, spark, spark_resource):
    result, _ = history[0]
    assert result.success
    meta = _metadata(result, TRAINING_SET_KEY)
    assert meta["window"] == "event_date in [2026-01-05, 2026-02-02)"
    assert (meta["train_rows"], meta["validation_rows"], meta["test_rows"]) == (1400, 700, 700)
    assert meta["dagster/row_count"] == 2800 and meta["rows_immature_excluded"] == 0


def test_first_model_is_tracked_registered_and_becomes_champion(history, mlflow_store):
    result, (versions, aliases) = history[0]
    assert versions == [1] and aliases == {"champion": "1", "challenger": "1"}
    meta = _metadata(result, MODEL_KEY)
    assert meta["model_uri"] == f"models:/{NAME}/1" and meta["promoted"] is True
    assert "| logistic_regression" in meta["comparison"] and "| gbt" in meta["comparison"]
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == GATE and check.passed and check.metadata["decision"].value == "promoted"
    client = mlflow_store.client()
    parent = client.get_run(meta["mlflow_run_id"])
    assert (parent.data.tags["dagster.run_id"], parent.data.tags["dagster.partition"]) == (result.run_id, str(WEEK))
    assert parent.data.tags["gate.decision"] == "promoted"
    [dataset] = parent.inputs.dataset_inputs
    assert dataset.dataset.name.startswith("ml.training_set@v") and f"training_week={WEEK}" in dataset.dataset.name
    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(r.data.tags["family"] for r in children) == ["gbt", "logistic_regression"]
    best = next(r for r in children if "registered_version" in r.data.tags)
    plots = {a.path for a in client.list_artifacts(best.info.run_id, "plots")}
    assert plots == {"plots/curves.png", "plots/importances.png"}
    version = client.get_model_version(NAME, "1")
    assert float(version.tags["decision_threshold"]) == pytest.approx(meta["decision_threshold"])


def test_worse_challenger_is_not_promoted(history, mlflow_store):
    (first, _), (outcome, (versions, aliases)) = history[0], history[1]
    d = outcome.decision
    assert versions == [1, 2] and aliases == {"champion": "1", "challenger": "2"}
    assert not d.promote and not d.passed and d.severity == "WARN" and "below the margin" in d.reason
    # The champion was re-scored on the challenger's test window (the same days it was tested on).
    assert d.champion_version == "1" and d.champion_value == pytest.approx(_metadata(first, MODEL_KEY)["test_pr_auc"])
    tags = mlflow_store.client().get_model_version(NAME, "2").tags
    assert tags["gate.decision"] == "not promoted" and tags["gate.champion_version_before"] == "1"


def test_better_challenger_is_promoted(history):
    outcome, (versions, aliases) = history[2]
    d = outcome.decision
    assert versions == [1, 2, 3] and aliases == {"champion": "3", "challenger": "3"}
    assert d.promote and d.passed and d.champion_version == "1" and d.challenger_value >= d.champion_value + 0.01


def test_champion_loads_by_alias_and_scores(history, mlflow_store, training_table, spec):
    rows = training_table.where("split = 'test'").select(*spec.columns).limit(50)
    with mlflow_store.activate():
        model = mlflow.spark.load_model(f"models:/{NAME}@champion")
    scored = model.transform(rows).select("probability", "prediction")
    assert scored.count() == 50 and scored.where(F.col("prediction").isNull()).count() == 0


def test_resolve_model_version(history, mlflow_store):
    client = mlflow_store.client()

    def version(spec: str) -> str:
        return str(resolve_model_version(client, NAME, spec).version)

    assert (version("latest"), version("production"), version("2"), version("@challenger")) == ("3", "3", "2", "3")
    with pytest.raises(ModelVersionNotFound) as error:
        resolve_model_version(client, NAME, "staging")
    assert "Versions: [1, 2, 3]" in str(error.value) and "champion -> v3" in str(error.value)
    with pytest.raises(ModelVersionNotFound, match="No registered model"):
        resolve_model_version(client, "no_such_model", "latest")


def test_gate_without_a_servable_model(history, mlflow_store, training_table, spec):
    # A second registered model, so the main registry is left as the tests above read it.
    client = mlflow_store.client()
    client.create_registered_model("gate_test")
    source = client.get_model_version(NAME, "2").source
    client.create_model_version("gate_test", source)
    registry = TOP1.registry.model_copy(update={"model_name": "gate_test"})
    test = training_table.where("split = 'test'")

    # Nothing clears an unreachable floor and there is no champion: ERROR, which blocks downstream.
    unreachable = TOP1.model_copy(update={"registry": registry,
                                          "promotion": TOP1.promotion.model_copy(update={"floor": 0.99})})
    with mlflow_store.activate():
        d = champion_gate(client, "1", 0.4, test, spec, unreachable)
    assert (d.promote, d.passed, d.severity) == (False, False, "ERROR")
    assert "champion" not in client.get_registered_model("gate_test").aliases

    # A champion that cannot read today's features (a feature left the gold contract) cannot serve
    # either: the challenger is judged by the floor alone, and the reason says why.
    client.set_registered_model_alias("gate_test", "champion", "1")
    client.create_model_version("gate_test", source)
    with mlflow_store.activate():
        d = champion_gate(client, "2", 0.4, test.drop("amount"), spec, TOP1.model_copy(update={"registry": registry}))
    assert d.promote and d.champion_version == "1" and d.champion_value is None
    assert "cannot score the current features" in d.reason
    assert str(client.get_registered_model("gate_test").aliases["champion"]) == "2"


@pytest.mark.parametrize(
    ("greater", "challenger", "champion", "expected"),
    [
        (True, 0.30, None, True),  # first model, above the floor
        (True, 0.15, None, False),  # first model, below the floor
        (True, 0.505, 0.50, False),  # better, but by less than the margin
        (True, 0.52, 0.50, True),
        (True, 0.15, 0.10, False),  # beats a weak champion but is below the floor
        (False, 0.09, 0.10, True),  # lower is better (e.g. brier): improves by the margin
        (False, 0.25, None, False),  # lower is better: the floor is a ceiling
    ],
)
def test_decision_rule(greater, challenger, champion, expected):
    promote, reason = decide("m", greater, challenger, champion, margin=0.01, floor=0.2)
    assert promote is expected, reason


def test_weekly_job_and_schedule_request_the_week_that_just_ended(resources):
    defs = Definitions(
        assets=[*stand_ins(), *build_ml_assets(DATASET, CALENDAR, TOP3, INPUTS)],
        schedules=build_ml_schedules(DATASET, TOP3),
        resources=resources,
    )
    job = defs.resolve_job_def(ML_JOB)
    assert job.asset_layer.executable_asset_keys == {AssetKey(["card_fraud", "ml", "training_set"]),
                                                     AssetKey(["card_fraud", "ml", "model"])}
    assert [k.name for k in job.asset_layer.asset_graph.asset_check_keys] == [GATE]
    schedule = defs.resolve_schedule_def(ML_SCHEDULE)
    assert schedule.cron_schedule == "0 6 * * 1"
    tick = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)  # the Monday after the week of 2026-03-02
    [request] = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=tick)).run_requests
    assert request.partition_key == WEEK.isoformat()
