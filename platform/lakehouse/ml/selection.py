"""Feature selection as a pipeline stage, chosen by ml.yaml `feature_selection.method`.

Each method is an Estimator whose fitted form is a plain Spark transformer (VarianceThresholdSelectorModel,
UnivariateFeatureSelectorModel, VectorSlicer), so the selection learnt on the training window is saved
inside the candidate's PipelineModel and applied unchanged at scoring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyspark import keyword_only
from pyspark.ml import Estimator, Transformer
from pyspark.ml.classification import RandomForestClassifier
from pyspark.ml.feature import UnivariateFeatureSelector, VarianceThresholdSelector, VectorSlicer
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasFeaturesCol, HasLabelCol, HasOutputCol, HasSeed
from pyspark.sql import DataFrame

from lakehouse.config.ml import FeatureSelectionSettings

SELECTED_FEATURES = "features_selected"


class ImportanceSelector(Estimator, HasFeaturesCol, HasLabelCol, HasOutputCol, HasSeed):
    """Keeps the `topK` vector slots with the highest random-forest importance.

    Fitting trains a small forest on the stage's input; the fitted stage is a VectorSlicer with the kept
    indices (a native Spark transformer, so the PipelineModel saves and loads without Python classes).
    """

    topK: Param[int] = Param(Params._dummy(), "topK", "vector slots to keep", TypeConverters.toInt)
    numTrees: Param[int] = Param(Params._dummy(), "numTrees", "trees of the ranking forest", TypeConverters.toInt)
    maxDepth: Param[int] = Param(Params._dummy(), "maxDepth", "depth of the ranking forest", TypeConverters.toInt)

    @keyword_only
    def __init__(
        self,
        *,
        featuresCol: str = "features",
        labelCol: str = "label",
        outputCol: str = SELECTED_FEATURES,
        topK: int = 20,
        numTrees: int = 30,
        maxDepth: int = 6,
        seed: int = 42,
    ) -> None:
        super().__init__()
        self._setDefault(topK=20, numTrees=30, maxDepth=6)
        # _input_kwargs is set by pyspark's @keyword_only, which its annotations do not declare.
        kwargs = {k: v for k, v in self._input_kwargs.items() if v is not None}  # type: ignore[attr-defined]
        self._set(**kwargs)

    def _fit(self, dataset: DataFrame) -> Transformer:
        forest = RandomForestClassifier(
            featuresCol=self.getFeaturesCol(),
            labelCol=self.getLabelCol(),
            numTrees=self.getOrDefault(self.numTrees),
            maxDepth=self.getOrDefault(self.maxDepth),
            seed=self.getSeed(),
        )
        importances = forest.fit(dataset).featureImportances.toArray()
        ranked = sorted(range(len(importances)), key=lambda i: (-importances[i], i))
        # Sorted indices keep the original slot order, so the slot names stay readable.
        keep = sorted(ranked[: self.getOrDefault(self.topK)])
        return VectorSlicer(inputCol=self.getFeaturesCol(), outputCol=self.getOutputCol(), indices=keep)


def _variance(inp: str, label: str, params: dict[str, Any], seed: int) -> Estimator:
    return VarianceThresholdSelector(
        featuresCol=inp, outputCol=SELECTED_FEATURES, varianceThreshold=float(params.get("threshold", 0.0))
    )


def _univariate(inp: str, label: str, params: dict[str, Any], seed: int) -> Estimator:
    selector = UnivariateFeatureSelector(
        featuresCol=inp, labelCol=label, outputCol=SELECTED_FEATURES,
        selectionMode=str(params.get("mode", "numTopFeatures")),
    )
    # One-hot slots are 0/1 and numeric slots continuous: the ANOVA F-test (continuous features against a
    # categorical label) ranks both on one scale.
    selector.setFeatureType("continuous").setLabelType("categorical")
    return selector.setSelectionThreshold(float(params.get("threshold", 20)))


def _importance(inp: str, label: str, params: dict[str, Any], seed: int) -> Estimator:
    return ImportanceSelector(
        featuresCol=inp, labelCol=label, outputCol=SELECTED_FEATURES, seed=seed,
        topK=int(params.get("top_k", 20)), numTrees=int(params.get("num_trees", 30)),
        maxDepth=int(params.get("max_depth", 6)),
    )


# A new selection method is one function here plus its name in FeatureSelectionSettings.method.
SELECTORS: dict[str, Callable[[str, str, dict[str, Any], int], Estimator]] = {
    "variance_threshold": _variance,
    "univariate": _univariate,
    "importance": _importance,
}


def selector_stage(settings: FeatureSelectionSettings, input_col: str, label: str, seed: int) -> Estimator | None:
    """The selector for `settings`, reading `input_col` and writing `features_selected`; None for `none`."""
    if settings.method == "none":
        return None
    return SELECTORS[settings.method](input_col, label, settings.params, seed)
