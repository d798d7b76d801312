"""Per-row explanations: each feature's contribution to the row's score, top-k by |contribution|.

The classifier sees assembled vector slots; contributions are computed per slot and summed per gold
feature (a categorical feature's one-hot slots sum to that feature; only the row's own category is
non-zero). Slot names come from Spark's ML attribute metadata of the assembled vector (schema only).

- Linear models (LogisticRegression): exact, in the JVM: contribution = coefficient x the value the
  classifier saw, i.e. the standardised value when the family scales (StandardScaler withMean=False:
  x / sd). Contributions plus the intercept sum to the logit.
- Trees (RandomForest, GBT, DecisionTree): TreeSHAP, or Saabas with scoring.yaml's `tree_method:
  approximate` (treeshap.py, which builds on this module), in mapInPandas. Contributions plus the
  explainer's base value sum to the class-1 probability (forest, tree) or the margin (GBT).

Which method a model gets is decided by the scoring function (predict.py), above both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

EXPLANATION = "explanation"
EXPLANATION_TYPE = "array<struct<feature:string,contribution:double>>"
LINEAR_MODELS = ("LogisticRegressionModel",)
_X = "_explain_x"


@dataclass(frozen=True)
class SlotMap:
    """Which gold feature owns each slot of the classifier's input vector."""

    features: tuple[str, ...]  # features owning at least one slot, in registry order
    slot_feature: tuple[int, ...]  # per slot: index into `features`

    @property
    def size(self) -> int:
        return len(self.slot_feature)


def classifier_input(pipeline: Any) -> tuple[str, str]:
    """(vector column the classifier reads, column whose metadata names its slots). A StandardScaler
    keeps slots one to one but drops their names, so names are read before it."""
    column = pipeline.stages[-1].getFeaturesCol()
    named = column
    for stage in reversed(pipeline.stages[:-1]):
        if type(stage).__name__ == "StandardScalerModel" and stage.getOutputCol() == named:
            named = stage.getInputCol()
    return column, named


def slot_map(pipeline: Any, sample: DataFrame, features: list[str]) -> SlotMap:
    """Map the classifier's slots to `features` (the model's gold columns) from the schema metadata."""
    _, named = classifier_input(pipeline)
    attrs = pipeline.transform(sample.limit(0)).schema[named].metadata.get("ml_attr", {})
    names = {int(a["idx"]): a.get("name") for group in attrs.get("attrs", {}).values() for a in group}
    size = int(attrs.get("num_attrs", len(names)))
    owners: list[str] = []
    for idx in range(size):
        name = names.get(idx)
        candidates = [f for f in features if name is not None and (name == f or name.startswith(f + "__"))]
        if not candidates:
            raise ValueError(f"Slot {idx} of {named!r} ({name!r}) belongs to none of the model's features {features}")
        owners.append(max(candidates, key=len))  # `amount` vs `amount_sum_1h`: the longest prefix owns it
    used = tuple(f for f in features if f in owners)
    return SlotMap(features=used, slot_feature=tuple(used.index(o) for o in owners))


def top_k(features: list[str], contributions: list[Column], k: int) -> Column:
    """The k (feature, contribution) pairs of largest |contribution|, largest first (ties by feature name).

    Built without lambdas (`transform`, `filter`): Spark evaluates higher-order functions row by row in the
    interpreter, which cost as much as the scoring itself; sort_array, slice, arrays_zip and a struct
    field read are code-generated."""
    keyed = F.array(*[F.struct((-F.abs(c)).alias("key"), F.lit(f).alias("feature"), c.alias("contribution"))
                      for f, c in zip(features, contributions, strict=True)])
    kept = F.slice(F.sort_array(keyed), 1, k)
    return F.arrays_zip(kept["feature"], kept["contribution"])


def linear_contributions(classifier: Any, x: Column, slots: SlotMap) -> list[Column]:
    """Every feature's exact contribution to the logit (in `slots.features` order): sum over its slots of
    coefficient x value, where `x` is the classifier's input as an array<double>."""
    coefficients = classifier.coefficients.toArray()
    if len(coefficients) != slots.size:
        raise ValueError(f"{len(coefficients)} coefficients for {slots.size} named slots")
    terms: list[list[Column]] = [[] for _ in slots.features]
    for j, (owner, beta) in enumerate(zip(slots.slot_feature, coefficients, strict=True)):
        if beta != 0.0:  # a zero coefficient contributes nothing; skipping it keeps the expression small
            terms[owner].append(F.lit(float(beta)) * x[j])
    return [sum(t[1:], t[0]) if t else F.lit(0.0) for t in terms]


def linear_explanations(scored: DataFrame, columns: list[Column], vector: str, classifier: Any, slots: SlotMap,
                        k: int, positives_only: bool = False) -> DataFrame:
    """`columns` plus `explanation` (top k) for a linear classifier reading `vector`; with `positives_only`,
    rows the model predicts negative get a null explanation."""
    from pyspark.ml.functions import vector_to_array

    # The vector becomes an array in its own projection: referenced once per slot, the conversion
    # would otherwise run once per slot (Spark keeps a non-cheap expression used many times apart).
    with_x = scored.select("*", vector_to_array(F.col(vector)).alias(_X))
    explanation = top_k(list(slots.features), linear_contributions(classifier, F.col(_X), slots), k)
    if positives_only:
        explanation = F.when(F.col("prediction") == 1.0, explanation)
    return with_x.select(*columns, explanation.cast(EXPLANATION_TYPE).alias(EXPLANATION))
