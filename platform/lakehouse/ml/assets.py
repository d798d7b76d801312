"""ML assets (weekly): `ml/training_set` (Delta table) and `ml/model` (MLflow runs + registry), with the
blocking `champion_gate` check declared on the model and returned with its materialisation.

Thin wrappers: the work is in training_set.py, train.py, tracking.py and promotion.py.
"""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

from datetime import date
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
)
from pyspark.sql import DataFrame

from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.identifiers import dataset_key
from lakehouse.config.ml import MlConfig, load_ml_config
from lakehouse.config.processing import load_processing
from lakehouse.ml.features import FeatureSpec, load_feature_spec
from lakehouse.ml.run_config import TrainingRunConfig, effective_config
from lakehouse.ml.training_set import (
    COLUMN_DESCRIPTIONS,
    TRAINING_WEEK,
    build_training_set,
    split_starts,
    window_bounds,
    window_mapping,
)
from lakehouse.partitions import Calendar
from lakehouse.resources.catalog import TableRef
from lakehouse.resources.delta_write import last_commit
from lakehouse.resources.mlflow import MlflowResource
from lakehouse.resources.spark import SparkResource

if TYPE_CHECKING:  # tracking.py imports MLflow, which loading definitions must not pay for
    from lakehouse.ml.tracking import Registered

def training_set_key(dataset: str) -> AssetKey:
    return AssetKey(dataset_key(dataset, "ml/training_set"))


def model_key(dataset: str) -> AssetKey:
    return AssetKey(dataset_key(dataset, "ml/model"))
GATE = "champion_gate"


def build_ml_assets(
    dataset: DatasetConfig, calendar: Calendar, config: MlConfig | None = None,
    inputs: tuple[AssetKey, AssetKey] | None = None,
) -> list[AssetsDefinition | AssetChecksDefinition]:
    """The weekly training set and model assets; `config` overrides ml.yaml, `inputs` the (features, labels)
    asset keys, default processing.yaml's gold tables (tests, experiments: other assets, other tables)."""
    config = config or load_ml_config(dataset.name)
    spec = load_feature_spec(dataset.name)
    if inputs is None:
        processing = load_processing(dataset.name)
        _, features, labels = (AssetKey(k) for k in processing.table_keys(dataset.name))
        inputs = features, labels
    return [_training_set_asset(dataset, calendar, config, spec, inputs), _model_asset(dataset, calendar, config, spec)]


def _training_set_asset(
    dataset: DatasetConfig, calendar: Calendar, config: MlConfig, spec: FeatureSpec, inputs: tuple[AssetKey, AssetKey]
) -> AssetsDefinition:
    mapping = window_mapping(config.training_set, spec.label_window_days)
    features_key, labels_key = inputs
    descriptions = {**{c: spec.descriptions.get(c, "") for c in spec.columns}, **COLUMN_DESCRIPTIONS}

    @asset(
        key=training_set_key(dataset.name),
        partitions_def=calendar.weekly,
        ins={
            "features": AssetIn(features_key, partition_mapping=mapping),
            "labels": AssetIn(labels_key, partition_mapping=mapping),
        },
        # additive: a feature added to the registry becomes a new column of later weeks.
        metadata={"partition_expr": TRAINING_WEEK, "schema_mode": "additive", "column_descriptions": descriptions},
        group_name="ml",
        owners=[dataset.owner],
        kinds={"spark", "delta"},
        description=(f"Gold features of {config.training_set.window_weeks} weeks of matured days joined to "
                     "their labels, split by time into train / validation / test, with class weights."),
    )
    def training_set(context: AssetExecutionContext, features: DataFrame, labels: DataFrame) -> Output[DataFrame]:
        # One week per run: `partition_key` raises on a multi-week range instead of building the first
        # week's window and overwriting the whole range with it.
        week = date.fromisoformat(context.partition_key)
        rows, stats = build_training_set(features, labels, spec, config.training_set, week)
        return Output(rows, metadata=stats.metadata())

    return training_set


def _model_asset(dataset: DatasetConfig, calendar: Calendar, ml: MlConfig, spec: FeatureSpec) -> AssetsDefinition:
    families = ", ".join(ml.enabled_families())
    model_asset_key, training_set_table = model_key(dataset.name), training_set_key(dataset.name)

    @asset(
        key=model_asset_key,
        partitions_def=calendar.weekly,
        ins={"training_set": AssetIn(training_set_table)},
        check_specs=[
            AssetCheckSpec(
                GATE, asset=model_asset_key, blocking=True,
                description=(f"Challenger becomes `{ml.registry.champion_alias}` only if {ml.promotion.metric} "
                             f">= floor {ml.promotion.floor} and beats the champion by {ml.promotion.margin} "
                             "on the same test window. WARN: champion kept; ERROR: no model clears the floor."),
            )
        ],
        group_name="ml",
        owners=[dataset.owner],
        kinds={"spark", "mlflow"},
        description=(f"Tunes {families} with cross-validation, registers the best as a new version of "
                     f"`{ml.registry.model_name}` (alias `{ml.registry.challenger_alias}`)."),
    )
    def model(
        context: AssetExecutionContext,
        config: TrainingRunConfig,
        training_set: DataFrame,
        spark: SparkResource,
        mlflow: MlflowResource,
    ) -> MaterializeResult:
        # Imported here: MLflow is only needed when a model is trained, not when definitions load.
        from lakehouse.ml.tracking import TrainingContext
        from lakehouse.ml.train import comparison_rows, markdown_table
        from lakehouse.ml.workflow import train_register_promote

        ref = spark.table_for(training_set_table.path)
        week = context.partition_time_window.start.date()
        run_ml = effective_config(ml, config.families, config.tuning)  # ml.yaml narrowed by this run
        window_end = window_bounds(week, ml.training_set, spec.label_window_days)[1]
        test_start = split_starts(window_end, ml.training_set)[1]
        ctx = TrainingContext(
            table_name=ref.name,
            table_location=ref.location,
            table_version=_delta_version(spark.spark_session, ref),
            training_week=context.partition_key,
            test_from=str(test_start),
            test_to=str(window_end),
            tags={"dagster.run_id": context.run.run_id, "dagster.partition": context.partition_key,
                  "dagster.asset": model_asset_key.to_user_string(), "lakehouse.tuning": config.tuning,
                  "lakehouse.families": ",".join(run_ml.enabled_families())},
        )
        outcome = train_register_promote(mlflow, training_set, ctx, spec, run_ml)
        result, registered, decision = outcome.result, outcome.registered, outcome.decision
        links = _links(mlflow, registered)
        metadata: dict[str, Any] = {
            "mlflow_run_id": registered.parent_run_id,
            "mlflow_experiment_id": registered.experiment_id,
            "mlflow_tracking_uri": mlflow.resolved_tracking_uri(),
            "model_uri": registered.model_uri,
            "model_version": registered.version,  # plain text: automation/champion.py reads it
            **links,
            "best_family": result.best.family,
            "decision_threshold": result.best.threshold.threshold,
            "comparison": MetadataValue.md(markdown_table(comparison_rows(result, run_ml))),
            "promoted": decision.promote,
            "tuning": config.tuning,
            **{f"test_{k}": v for k, v in result.best.test.metrics.items()},
        }
        gate = AssetCheckResult(
            check_name=GATE,
            passed=decision.passed,
            severity=AssetCheckSeverity.WARN if decision.severity == "WARN" else AssetCheckSeverity.ERROR,
            metadata=decision.metadata(),
        )
        return MaterializeResult(metadata=metadata, check_results=[gate])

    return model


def _links(mlflow: MlflowResource, registered: "Registered") -> dict[str, MetadataValue]:
    """Clickable links to the parent run and the registered version, when the profile has an MLflow UI."""
    run = mlflow.run_url(registered.experiment_id, registered.parent_run_id)
    version = mlflow.model_version_url(registered.model_name, registered.version)
    return {
        **({"mlflow_run_url": MetadataValue.url(run)} if run else {}),
        **({"mlflow_model_version_url": MetadataValue.url(version)} if version else {}),
    }


def _delta_version(session: Any, ref: TableRef) -> int:
    """Current version of the training table: the one this run just read (named in MLflow's dataset).
    Through Delta SQL, so it works on Spark Connect too."""
    return last_commit(session, ref)[0]
