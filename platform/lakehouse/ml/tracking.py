"""MLflow logging of one training: a parent run, a child run per candidate, the best one registered.

Parent run: configuration, the input dataset (the Delta training table at its version), the comparison
table and every candidate's test curves. Child runs: the candidate's params, CV results, validation and
test metrics, curves and feature importances. The best candidate's PipelineModel is logged in its child
run (Spark flavour, signature, input example), registered as a new version and given the challenger
alias; the version's tags carry its threshold, training table version, test window and run ids.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import mlflow
import pyspark
from mlflow.data.delta_dataset_source import DeltaDatasetSource
from mlflow.data.meta_dataset import MetaDataset
from mlflow.models import infer_signature
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.ml import MlConfig
from lakehouse.ml import plots
from lakehouse.ml.features import FeatureSpec
from lakehouse.ml.train import Candidate, TrainingResult, comparison_rows, markdown_table
from lakehouse.ml.training_set import SPLIT
from lakehouse.resources.mlflow import MlflowResource

MODEL_ARTIFACT = "model"
EXAMPLE_ROWS = 5


@dataclass(frozen=True)
class TrainingContext:
    """Where the training data came from and which orchestrator run asked for the training."""

    table_name: str  # e.g. ml.training_set
    table_location: str | None
    table_version: int | None
    training_week: str
    test_from: str
    test_to: str  # exclusive
    tags: dict[str, str] = field(default_factory=dict)  # dagster.run_id, dagster.partition, ...


@dataclass(frozen=True)
class Registered:
    experiment_id: str
    parent_run_id: str
    child_run_ids: dict[str, str]
    model_name: str
    version: str

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_name}/{self.version}"


def _dataset(ctx: TrainingContext) -> MetaDataset:
    # A MetaDataset names the Delta table and version without profiling the DataFrame (SparkDataset would
    # count every row through Python to fill its profile).
    if ctx.table_location:
        source = DeltaDatasetSource(path=ctx.table_location, delta_table_version=ctx.table_version)
    else:
        source = DeltaDatasetSource(delta_table_name=ctx.table_name, delta_table_version=ctx.table_version)
    name = f"{ctx.table_name}@v{ctx.table_version}[training_week={ctx.training_week}]"
    # mlflow declares Dataset.profile abstract but MetaDataset does not define it (Dataset is no ABC, so this runs).
    return MetaDataset(  # type: ignore[abstract]
        source=source, name=name, digest=hashlib.sha256(name.encode()).hexdigest()[:10])


def _metrics(prefix: str, values: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}_{k}": v for k, v in values.items()}


def _log_candidate(c: Candidate, config: MlConfig) -> None:
    family = config.models[c.family]
    mlflow.log_params({
        "family": c.family,
        "estimator": c.estimator,
        **{f"param.{k}": v for k, v in c.params.items() if k not in ("thresholds", "threshold")},
        "grid": json.dumps(family.grid, sort_keys=True),
        "feature_selection": config.feature_selection.method,
        "decision_threshold": c.threshold.threshold,
        "threshold_rule": c.threshold.rule,
        "features_in_model": len(c.importances),
    })
    mlflow.log_metrics({
        **({} if c.cv_metric is None else {f"cv_{config.cross_validation.metric}": c.cv_metric}),
        "fit_seconds": c.fit_seconds,
        **_metrics("val", c.validation.metrics),
        **_metrics("test", c.test.metrics),
    })
    mlflow.log_dict({"grid": c.grid_results, "metric": config.cross_validation.metric}, "cv_results.json")
    mlflow.log_figure(plots.curves({"validation": c.validation.histogram, "test": c.test.histogram}, c.family),
                      "plots/curves.png")
    if c.importances:
        mlflow.log_figure(plots.importances(c.importances, f"{c.family}: feature importance"), "plots/importances.png")
        mlflow.log_text("feature,importance\n" + "\n".join(f"{n},{v:.6g}" for n, v in c.importances), "importances.csv")


def _log_model(c: Candidate, test: DataFrame, spec: FeatureSpec, model_name: str) -> str:
    """Log and register the candidate's PipelineModel; returns the new version number."""
    example = test.select(*spec.columns).limit(EXAMPLE_ROWS)
    predictions = c.model.transform(example).select("prediction").toPandas()
    example_pdf = example.toPandas()
    info = mlflow.spark.log_model(
        c.model,
        artifact_path=MODEL_ARTIFACT,
        registered_model_name=model_name,
        signature=infer_signature(example_pdf, predictions),
        input_example=example_pdf,
        # Explicit requirements: inferring them would reload the model in a subprocess with its own JVM.
        pip_requirements=[f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}"],
    )
    if info.registered_model_version is None:
        raise RuntimeError(f"MLflow did not register {model_name} from run {mlflow.active_run()}")
    return str(info.registered_model_version)


def log_and_register(
    resource: MlflowResource,
    result: TrainingResult,
    training_set: DataFrame,
    ctx: TrainingContext,
    spec: FeatureSpec,
    config: MlConfig,
) -> Registered:
    test = training_set.where(F.col(SPLIT) == "test")
    registry = config.registry
    children: dict[str, str] = {}
    version = ""
    with resource.activate() as experiment_id:
        run_name = f"train {ctx.training_week}"
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=ctx.tags) as parent:
            mlflow.log_params({
                "training_week": ctx.training_week,
                "training_table": f"{ctx.table_name}@v{ctx.table_version}",
                "test_window": f"[{ctx.test_from}, {ctx.test_to})",
                "window_weeks": config.training_set.window_weeks,
                "class_weighting": config.training_set.class_weighting,
                "feature_selection": json.dumps(config.feature_selection.model_dump(), sort_keys=True),
                "cv": json.dumps(config.cross_validation.model_dump(), sort_keys=True),
                "selection_metric": result.selection_metric,
                "seed": config.seed,
                "features": ",".join(spec.columns),
            })
            mlflow.log_input(_dataset(ctx), context="training")
            for c in result.candidates:
                with mlflow.start_run(experiment_id=experiment_id, run_name=c.family, nested=True,
                                      tags={**ctx.tags, "family": c.family}) as child:
                    mlflow.log_input(_dataset(ctx), context="training")
                    _log_candidate(c, config)
                    if c is result.best:
                        version = _log_model(c, test, spec, registry.model_name)
                        mlflow.set_tag("registered_version", version)
                    children[c.family] = child.info.run_id
            rows = comparison_rows(result, config)
            mlflow.log_text(markdown_table(rows), "comparison.md")
            mlflow.log_dict({"candidates": rows}, "comparison.json")
            mlflow.log_figure(plots.curves({c.family: c.test.histogram for c in result.candidates}, "test window"),
                              "plots/test_curves.png")
            mlflow.log_metrics(_metrics("best_test", result.best.test.metrics))
            mlflow.set_tags({"best_family": result.best.family, "registered_model": registry.model_name,
                             "registered_version": version})
        client = resource.client()
        client.set_registered_model_alias(registry.model_name, registry.challenger_alias, version)
        for key, value in _version_tags(result.best, ctx, parent.info.run_id, children[result.best.family]).items():
            client.set_model_version_tag(registry.model_name, version, key, value)
    return Registered(experiment_id, parent.info.run_id, children, registry.model_name, version)


def _version_tags(best: Candidate, ctx: TrainingContext, parent: str, child: str) -> dict[str, Any]:
    return {
        "family": best.family,
        "decision_threshold": f"{best.threshold.threshold:.6g}",
        "threshold_rule": best.threshold.rule,
        "training_week": ctx.training_week,
        "training_table": f"{ctx.table_name}@v{ctx.table_version}",
        "test_window": f"[{ctx.test_from}, {ctx.test_to})",
        "parent_run_id": parent,
        "candidate_run_id": child,
        **ctx.tags,
        **{f"test_{k}": f"{v:.6g}" for k, v in best.test.metrics.items()},
    }
