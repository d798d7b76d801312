"""Machine-learning configuration (config/datasets/<dataset>/ml.yaml): what the weekly training reads,
which model families compete with which grids, how candidates are judged and when one is promoted.

Adding a model family, changing a grid, adding a metric or changing feature selection is an edit of
ml.yaml only; docs/ml.md walks through each.
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

from pydantic import Field, model_validator

from lakehouse.config.base import StrictModel, load_dataset_yaml
from lakehouse.config.project import project_cache

# Built-in metrics (lakehouse.ml.metrics) and whether a larger value is better.
BUILTIN_METRICS: dict[str, bool] = {
    "roc_auc": True,
    "pr_auc": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "log_loss": False,
    "brier": False,
}


def import_object(dotted: str) -> Any:
    """`package.module.attribute` -> the attribute; a clear error naming the path when it is wrong."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"{dotted!r} is not a dotted path (package.module.attribute)")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"Cannot import {dotted!r}: {error}") from error


class SplitSettings(StrictModel):
    validation_days: int = Field(
        default=7, ge=1, description="Last days of the window before the test days: threshold and model choice."
    )
    test_days: int = Field(
        default=7, ge=1, description="Last days of the window: held-out test set (reported, and used by the gate)."
    )


class TrainingSetSettings(StrictModel):
    window_weeks: int = Field(default=6, ge=1, description="Weeks of matured, labelled data in each training set.")
    maturity_lag_weeks: int | None = Field(
        default=None,
        ge=0,
        description="Weeks between the training week and the newest week read. Default: the label's maturity "
        "delay (features.yaml label.window_days, or known_after_days for an expression label) rounded up to "
        "weeks, so every day read has matured labels.",
    )
    split: SplitSettings = Field(
        default_factory=SplitSettings,
        description="Time-ordered split (oldest days train, then validation, newest test); never random.",
    )
    class_weighting: Literal["none", "balanced"] = Field(
        default="balanced",
        description="`balanced`: rows weighted n / (2 * n_class) from the train split (column class_weight); "
        "`none`: every row weighs 1.",
    )

    def lag_weeks(self, label_window_days: int) -> int:
        return self.maturity_lag_weeks if self.maturity_lag_weeks is not None else -(-label_window_days // 7)


class FeatureSelectionSettings(StrictModel):
    method: Literal["none", "variance_threshold", "univariate", "importance"] = Field(
        default="none",
        description="none | variance_threshold (VarianceThresholdSelector) | univariate "
        "(UnivariateFeatureSelector, ANOVA F-test) | importance (top-k by random-forest importance).",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="variance_threshold: {threshold}; univariate: {mode, threshold} with mode one of "
        "numTopFeatures, percentile, fpr, fdr, fwe; importance: {top_k, num_trees, max_depth}.",
    )


class ModelFamily(StrictModel):
    estimator: str = Field(
        description="Dotted path of a Spark ML probabilistic classifier "
        "(e.g. pyspark.ml.classification.LogisticRegression)."
    )
    enabled: bool = Field(default=True, description="Set false to keep the entry but skip the family.")
    scale: bool = Field(default=False, description="Insert a StandardScaler before the classifier (linear models).")
    params: dict[str, Any] = Field(default_factory=dict, description="Fixed estimator params (Spark param names).")
    grid: dict[str, list[Any]] = Field(
        default_factory=dict, description="Param grid searched by cross-validation: {param name: [values]}."
    )

    def estimator_class(self) -> type:
        from pyspark.ml.classification import ProbabilisticClassifier

        cls = import_object(self.estimator)
        if not (isinstance(cls, type) and issubclass(cls, ProbabilisticClassifier)):
            raise ValueError(f"{self.estimator} is not a Spark ML ProbabilisticClassifier")
        return cls


class CrossValidationSettings(StrictModel):
    folds: int = Field(default=3, ge=2, description="CrossValidator folds over the train split.")
    parallelism: int = Field(default=1, ge=1, description="Grid points fitted in parallel (driver threads).")
    fold_strategy: Literal["time_blocks", "random"] = Field(
        default="time_blocks",
        description="time_blocks: each fold is a contiguous block of days (foldCol), so a day never sits in "
        "both the fitting and the scoring part; random: Spark's random k-fold.",
    )
    metric: Literal["areaUnderROC", "areaUnderPR"] = Field(
        default="areaUnderPR", description="BinaryClassificationEvaluator metric that picks the grid point."
    )


class CustomMetric(StrictModel):
    function: str = Field(
        description="Dotted path of `fn(scored: DataFrame, threshold: float, **params) -> float`; scored has "
        "columns label, p (probability of class 1) and prediction (at the chosen threshold)."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments passed to the function.")
    greater_is_better: bool = Field(default=True, description="Direction, when used for selection or promotion.")


class ThresholdRule(StrictModel):
    rule: Literal["best_f1", "min_precision", "fixed"] = Field(
        default="best_f1",
        description="best_f1: maximise F1 on validation; min_precision: the lowest threshold whose validation "
        "precision reaches `value` (most recall); fixed: `value` itself.",
    )
    value: float | None = Field(default=None, gt=0, lt=1, description="Precision target or fixed threshold.")

    @model_validator(mode="after")
    def _value_needed(self) -> ThresholdRule:
        if self.rule != "best_f1" and self.value is None:
            raise ValueError(f"threshold rule {self.rule!r} needs `value`")
        return self


class EvaluationSettings(StrictModel):
    metrics: list[str] = Field(
        default_factory=lambda: list(BUILTIN_METRICS),
        description=f"Built-in metrics reported per split: {sorted(BUILTIN_METRICS)}; the confusion matrix "
        "at the threshold is always reported.",
    )
    custom_metrics: dict[str, CustomMetric] = Field(
        default_factory=dict, description="Extra metrics by name, computed on validation and test."
    )
    selection_metric: str = Field(default="pr_auc", description="Validation metric that picks the best family.")
    threshold: ThresholdRule = Field(default_factory=ThresholdRule, description="How the decision threshold is chosen.")
    bins: int = Field(default=1000, ge=10, description="Probability bins for curves and thresholds (resolution).")

    @model_validator(mode="after")
    def _known_metrics(self) -> EvaluationSettings:
        unknown = [m for m in self.metrics if m not in BUILTIN_METRICS]
        if unknown:
            raise ValueError(
                f"Unknown metrics {unknown}; built-in: {sorted(BUILTIN_METRICS)} (add others as custom_metrics)"
            )
        if self.selection_metric not in self.metric_names():
            raise ValueError(f"selection_metric {self.selection_metric!r} is not among {self.metric_names()}")
        return self

    def metric_names(self) -> list[str]:
        return [*self.metrics, *self.custom_metrics]

    def greater_is_better(self, metric: str) -> bool:
        if metric in self.custom_metrics:
            return self.custom_metrics[metric].greater_is_better
        return BUILTIN_METRICS[metric]


class PromotionSettings(StrictModel):
    metric: str = Field(default="pr_auc", description="Test-window metric the champion gate compares.")
    margin: float = Field(
        default=0.005, ge=0, description="The challenger must beat the champion by at least this much."
    )
    floor: float = Field(description="Absolute minimum (maximum for lower-is-better metrics) to become champion.")


class RegistrySettings(StrictModel):
    model_name: str = Field(description="Registered model name in the MLflow Model Registry.")
    challenger_alias: str = Field(default="challenger", description="Alias set on every newly trained best candidate.")
    champion_alias: str = Field(default="champion", description="Alias of the serving model (scoring: `production`).")


class ScheduleSettings(StrictModel):
    hour: int = Field(default=6, ge=0, le=23, description="Hour (partition timezone) of the weekly retraining run.")
    minute: int = Field(default=0, ge=0, le=59, description="Minute of the weekly retraining run.")


class MlConfig(StrictModel):
    training_set: TrainingSetSettings = Field(default_factory=TrainingSetSettings, description="Training data.")
    feature_selection: FeatureSelectionSettings = Field(
        default_factory=FeatureSelectionSettings, description="Selector stage inside every candidate pipeline."
    )
    models: dict[str, ModelFamily] = Field(description="Model families by name; each enabled one is tuned.")
    cross_validation: CrossValidationSettings = Field(
        default_factory=CrossValidationSettings, description="Hyperparameter tuning."
    )
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings, description="Metrics and threshold.")
    promotion: PromotionSettings = Field(description="Champion gate rule.")
    registry: RegistrySettings = Field(description="Model registry names.")
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings, description="Weekly retraining time.")
    seed: int = Field(default=42, description="Seed for every random choice (forests, boosting, CV folds).")

    @model_validator(mode="after")
    def _consistent(self) -> MlConfig:
        if not self.enabled_families():
            raise ValueError("No enabled model family in `models`")
        if self.promotion.metric not in self.evaluation.metric_names():
            known = self.evaluation.metric_names()
            raise ValueError(f"promotion.metric {self.promotion.metric!r} is not among {known}")
        return self

    def check_imports(self) -> None:
        """Resolve every dotted path (estimators, custom metrics). Not done when definitions load: it
        imports Spark ML (~0.4 s); training calls it first, and a test checks each dataset's ml.yaml."""
        for family in self.models.values():
            family.estimator_class()
        for metric in self.evaluation.custom_metrics.values():
            import_object(metric.function)

    def enabled_families(self) -> dict[str, ModelFamily]:
        return {name: family for name, family in self.models.items() if family.enabled}


@project_cache
def load_ml_config(dataset: str) -> MlConfig:
    return load_dataset_yaml(dataset, "ml.yaml", MlConfig)
