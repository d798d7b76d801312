"""Scoring as a pure function: gold feature rows + a loaded model -> rows of the `predictions` contract.

The registered PipelineModel does all preprocessing (its fitted feature stages), so the rows need only
the model's gold columns; the contract's other columns are carried from the input and cast to the
contract's types. Every row is stamped with the model name, version, MLflow run and threshold, and one
`scored_at` per run (a literal, so the checks can find exactly the rows this run wrote). Explanations
come from explain.py (linear) or treeshap.py (trees: TreeSHAP, or Saabas when scoring.yaml's
`explanations.tree_method` is approximate); the choice between them is made here, above both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.config.contracts import Contract
from lakehouse.config.scoring import ExplanationSettings, TreeMethod
from lakehouse.scoring.explain import (
    EXPLANATION,
    EXPLANATION_TYPE,
    LINEAR_MODELS,
    SlotMap,
    classifier_input,
    linear_explanations,
    slot_map,
)
from lakehouse.scoring.treeshap import shap_dict, tree_explanations

# Contract columns scoring produces; every other contract column is carried from the input.
SCORED = ("probability", "prediction", "threshold", "model_name", "model_version", "mlflow_run_id", "scored_at")


@dataclass(frozen=True)
class Stamp:
    model_name: str
    model_version: str
    mlflow_run_id: str
    threshold: float
    scored_at: datetime  # timezone-aware UTC


def stamp_for(model: Any, scored_at: datetime) -> Stamp:
    return Stamp(model.name, model.version, model.run_id, model.threshold, scored_at)


def positive_probability(column: str = "probability") -> Column:
    """The probability of the positive class (label 1) from a Spark ML probability vector."""
    from pyspark.ml.functions import vector_to_array

    return vector_to_array(F.col(column))[1]


def carried(contract: Contract) -> list[str]:
    return [c.name for c in contract.columns if c.name not in SCORED]


def output_columns(contract: Contract, stamp: Stamp) -> list[Column]:
    """The contract's columns, in its order, from a pipeline output (which keeps the input columns)."""
    values: dict[str, Column] = {
        # The model's own `prediction`: the threshold is stored inside it (p > threshold), exactly as
        # training evaluated and the champion gate judged it.
        "probability": positive_probability(),
        "prediction": F.col("prediction").cast("int"),
        "threshold": F.lit(float(stamp.threshold)),
        "model_name": F.lit(stamp.model_name),
        "model_version": F.lit(stamp.model_version),
        "mlflow_run_id": F.lit(stamp.mlflow_run_id),
        "scored_at": F.lit(stamp.scored_at).cast("timestamp"),
    }
    return [values.get(c.name, F.col(c.name)).cast(c.type).alias(c.name) for c in contract.columns]


def score(
    model: Any, features: DataFrame, contract: Contract, stamp: Stamp, model_features: list[str],
    explanations: ExplanationSettings | None = None,
) -> DataFrame:
    """Contract columns + `explanation`: null when `explanations` is None or its mode is off; otherwise the
    top `top_k` features per row (only rows predicted 1 with `rows: positive`), trees explained by
    `tree_method`. The asset passes scoring.yaml's settings as they are."""
    missing = [c for c in [*carried(contract), *model_features] if c not in features.columns]
    if missing:
        raise ValueError(f"Input rows lack columns {missing} (needed by the {contract.name!r} contract or the "
                         f"model {model.name} v{model.version}); input columns: {features.columns}")
    scored = model.pipeline.transform(features)
    columns = output_columns(contract, stamp)
    if explanations is None or explanations.mode == "off":
        return scored.select(*columns, F.lit(None).cast(EXPLANATION_TYPE).alias(EXPLANATION))
    slots = slot_map(model.pipeline, features, model_features)
    return explain(scored, columns, model, slots, explanations.top_k, explanations.rows == "positive",
                   explanations.tree_method)


def explain(scored: DataFrame, columns: list[Column], model: Any, slots: SlotMap, k: int,
            positives_only: bool = False, tree_method: TreeMethod = "exact") -> DataFrame:
    """`scored` (the pipeline's output) -> `columns` plus `explanation` (top k), by the method the model's
    family allows: exact linear terms (explain.py; `tree_method` does not apply) or, for trees, TreeSHAP or
    Saabas (treeshap.py, by `tree_method`); with `positives_only`, rows the model predicts negative get a
    null explanation, and nothing is computed for them (for trees they pass through Python without their
    vector)."""
    vector, _ = classifier_input(model.pipeline)
    if model.family in LINEAR_MODELS:
        return linear_explanations(scored, columns, vector, model.classifier, slots, k, positives_only)
    if model.tree_nodes is not None:
        return tree_explanations(scored, columns, vector, shap_dict(model.tree_nodes, model.classifier), slots, k,
                                 positives_only, tree_method)
    raise ValueError(
        f"Explanations are not supported for {model.family} (model {model.name} v{model.version}): linear models "
        f"{LINEAR_MODELS} and Spark tree models are; set explanations.mode: off in scoring.yaml"
    )


def explanation_method(model: Any, explanations: ExplanationSettings) -> str:
    """What a run's explanations are, for its metadata: approximate ones must be told apart from Shapley
    values by whoever reads the table."""
    if model.family in LINEAR_MODELS:
        return "exact linear"
    return "Saabas, approximate" if explanations.tree_method == "approximate" else "TreeSHAP, exact"
