"""Candidate pipelines: the shared preparation, each family's classifier, its grid and CrossValidator.

The PipelineModel of every candidate -- logged, registered and used at scoring -- is
    feature stages (ml/features.py) -> selector (ml/selection.py)      fitted once on the train split
    -> StandardScaler (families with `scale: true`) -> classifier     tuned by CV, refit on the train split
concatenated into one PipelineModel (see train.py).
"""

from __future__ import annotations

from typing import Any

from pyspark.ml import Pipeline, PipelineModel, Transformer
from pyspark.ml.base import Estimator
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import StandardScaler
from pyspark.ml.param import Param
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.ml import MlConfig, ModelFamily
from lakehouse.ml.features import RAW_FEATURES, FeatureSpec, feature_stages
from lakehouse.ml.selection import SELECTED_FEATURES, selector_stage
from lakehouse.ml.training_set import WEIGHT

MODEL_FEATURES = "features"
FOLD = "cv_fold"


def classifier(family: ModelFamily, features_col: str, label: str, seed: int) -> Estimator:
    cls = family.estimator_class()
    estimator = cls(featuresCol=features_col, labelCol=label)
    params = dict(family.params)
    if estimator.hasParam("seed"):
        params.setdefault("seed", seed)
    if estimator.hasParam("weightCol"):
        params.setdefault("weightCol", WEIGHT)
    for name in [*params, *family.grid]:
        if not estimator.hasParam(name):
            raise ValueError(f"{family.estimator} has no param {name!r}")
    return estimator.setParams(**params)


def preparation(spec: FeatureSpec, config: MlConfig) -> tuple[Pipeline, str]:
    """Feature stages + selector, shared by every family; returns the pipeline and its output column.

    Fitted once per training on the whole train split (not inside every CV fold): the imputation
    medians, category indexes and the selection barely move between folds, and refitting them for
    every grid point and fold multiplied the tuning time. Validation and test stay fully out of it."""
    stages: list[Transformer | Estimator] = feature_stages(spec)
    selector = selector_stage(config.feature_selection, RAW_FEATURES, spec.label, config.seed)
    if selector is None:
        return Pipeline(stages=stages), RAW_FEATURES
    return Pipeline(stages=[*stages, selector]), SELECTED_FEATURES


def family_pipeline(family: ModelFamily, input_col: str, label: str, seed: int) -> tuple[Pipeline, Estimator]:
    """[StandardScaler if `scale`] + classifier, tuned by CV on prepared vectors; returns the classifier
    too (the target of the grid)."""
    stages: list[Transformer | Estimator] = []
    if family.scale:
        # withMean=False keeps one-hot vectors sparse; dividing by the deviation is what linear models need.
        stages.append(StandardScaler(inputCol=input_col, outputCol=MODEL_FEATURES, withMean=False, withStd=True))
        input_col = MODEL_FEATURES
    clf = classifier(family, input_col, label, seed)
    return Pipeline(stages=[*stages, clf]), clf


def param_grid(clf: Estimator, family: ModelFamily) -> list[dict[Param, Any]]:
    builder = ParamGridBuilder()
    for name, values in family.grid.items():
        builder.addGrid(clf.getParam(name), values)
    return builder.build()


def with_time_folds(train: DataFrame, folds: int) -> DataFrame:
    """Adds `cv_fold`: contiguous blocks of event days (fold i = the i-th of `folds` equal day ranges)."""
    days = sorted(r["event_date"] for r in train.select("event_date").distinct().collect())
    if len(days) < folds:
        raise ValueError(f"{len(days)} train days cannot make {folds} time-block folds")
    fold_of = train.sparkSession.createDataFrame(
        [(d, i * folds // len(days)) for i, d in enumerate(days)], f"event_date DATE, {FOLD} INT"
    )
    return train.join(F.broadcast(fold_of), on="event_date")


def cross_validator(pipeline: Pipeline, grid: list[dict[Param, Any]], label: str, config: MlConfig) -> CrossValidator:
    cv = config.cross_validation
    evaluator = BinaryClassificationEvaluator(metricName=cv.metric, labelCol=label)
    validator = CrossValidator(
        estimator=pipeline,
        estimatorParamMaps=grid,
        evaluator=evaluator,
        numFolds=cv.folds,
        parallelism=cv.parallelism,
        seed=config.seed,
    )
    return validator.setFoldCol(FOLD) if cv.fold_strategy == "time_blocks" else validator


def stage_params(model: PipelineModel) -> dict[str, Any]:
    """Explicitly set params of the fitted classifier (what the grid chose plus the fixed ones)."""
    clf = model.stages[-1]
    return {p.name: clf.getOrDefault(p) for p in clf.params if clf.isSet(p) and not p.name.endswith("Col")}


def feature_names(model: PipelineModel, sample: DataFrame) -> list[str]:
    """Names of the vector slots the classifier sees, from Spark's ML attribute metadata (schema only)."""
    schema = model.transform(sample.limit(0)).schema
    column = SELECTED_FEATURES if SELECTED_FEATURES in schema.fieldNames() else RAW_FEATURES
    attrs = schema[column].metadata.get("ml_attr", {})
    slots: dict[int, str] = {}
    for group in attrs.get("attrs", {}).values():
        for attr in group:
            slots[int(attr["idx"])] = attr.get("name", f"slot_{attr['idx']}")
    size = int(attrs.get("num_attrs", len(slots)))
    return [_readable(slots.get(i, f"slot_{i}")) for i in range(size)]


def _readable(name: str) -> str:
    # Assembler names look like `amount__imp` or `channel__ohe_online`: show `amount`, `channel=online`.
    for suffix in ("__imp", "__num"):
        name = name.replace(suffix, "")
    return name.replace("__ohe_", "=")


def importances(model: PipelineModel, names: list[str]) -> list[tuple[str, float]]:
    """Feature importances of trees, or |coefficient| of linear models (on scaled features), descending."""
    clf = model.stages[-1]
    if hasattr(clf, "featureImportances"):
        values = clf.featureImportances.toArray()
    elif hasattr(clf, "coefficients"):
        values = abs(clf.coefficients.toArray())
    else:
        return []
    pairs = [(names[i] if i < len(names) else f"slot_{i}", float(v)) for i, v in enumerate(values)]
    return sorted(pairs, key=lambda kv: -kv[1])


def set_threshold(model: PipelineModel, threshold: float) -> None:
    """Store the decision threshold inside the fitted classifier: `prediction` is then 1 iff p > threshold."""
    clf = model.stages[-1]
    if clf.hasParam("threshold"):  # logistic regression: binary threshold on the probability
        clf.set(clf.getParam("threshold"), threshold)
    else:
        clf.set(clf.getParam("thresholds"), [1.0 - threshold, threshold])
