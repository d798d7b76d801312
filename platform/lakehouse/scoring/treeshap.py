"""TreeSHAP (or Saabas) for Spark tree models: the saved node table -> shap's dict model -> mapInPandas.

Why not `shap.TreeExplainer(spark_model)`: it walks the JVM tree over py4j (several calls per node,
minutes for a 100-tree forest), it cannot be pickled to the executors, and it refuses categorical
splits -- which every one-hot slot is, since Spark trees treat binary (one-hot) attributes as
2-category features. The node table Spark saved with the model (read from the downloaded MLflow
artifact, model.py) has the same information; a binary categorical split becomes `x <= 0.5`, with the
children swapped when category 1 goes left.

Values explained: class-1 probability for forests and single trees (each tree's leaf class shares,
weighted like Spark's vote average), the margin for GBT (sum of weighted regression-tree outputs;
Spark's probability is 1 / (1 + exp(-2 margin))).

Methods (scoring.yaml `explanations.tree_method`): exact is path-dependent TreeSHAP, O(leaves x depth^2)
per tree and row; approximate is Saabas (shap's `approximate=True`, O(depth) per tree and row): each
split on the row's path credits its feature with the change of the node value, child minus parent. The
sums telescope to leaf minus root, so both methods add up, with the same base value (the sum of the root
values), to the same output; Saabas values are not Shapley values (one feature order, lower splits
over-weighted). It reads the internal nodes' values, which `_tree` fills with each node's own class
share / prediction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.config.scoring import TreeMethod
from lakehouse.scoring.explain import EXPLANATION, EXPLANATION_TYPE, SlotMap

_X, _NAMES, _VALUES = "_explain_x", "_explain_features", "_explain_values"


def _split(node: dict[str, Any]) -> tuple[int, float, bool]:
    """(feature index, threshold, swap children?) for Spark's `x <= threshold` goes left."""
    split = node["split"]
    bounds, categories = split["leftCategoriesOrThreshold"], split["numCategories"]
    if categories == -1:
        return split["featureIndex"], float(bounds[0]), False
    if categories == 2 and len(bounds) == 1 and bounds[0] in (0.0, 1.0):
        return split["featureIndex"], 0.5, bounds[0] == 1.0
    raise NotImplementedError(
        f"Categorical split on slot {split['featureIndex']} with {categories} categories (left: {bounds}); "
        "only continuous and binary (one-hot) splits can be explained"
    )


def _tree(nodes: list[dict[str, Any]], weight: float, regression: bool) -> dict[str, np.ndarray]:
    n = len(nodes)
    left, right = np.full(n, -1, np.int32), np.full(n, -1, np.int32)
    feature, threshold = np.full(n, -2, np.int32), np.full(n, -2.0)
    value, cover = np.zeros((n, 1)), np.zeros(n)
    for node in nodes:
        i, stats = node["id"], node["impurityStats"]
        if regression:  # variance stats: [weighted count, sum, sum of squares]
            value[i, 0], cover[i] = node["prediction"] * weight, stats[0]
        else:  # class counts (weighted): the tree's vote is the class-1 share
            total = float(sum(stats))
            value[i, 0], cover[i] = (stats[1] / total if total else 0.0) * weight, total
        if node["leftChild"] >= 0:
            feature[i], threshold[i], swap = _split(node)
            children = (node["leftChild"], node["rightChild"])
            left[i], right[i] = children[::-1] if swap else children
    return {"children_left": left, "children_right": right, "children_default": left.copy(), "features": feature,
            "thresholds": threshold, "values": value, "node_sample_weight": cover}


def shap_dict(nodes: Any, classifier: Any) -> dict[str, Any]:
    """The classifier's node table (pyarrow) as shap's dict model."""
    family = type(classifier).__name__
    rows = nodes.to_pylist()
    by_tree: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_tree[row.get("treeID", 0)].append(row["nodeData"] if "nodeData" in row else row)
    weights = list(classifier.treeWeights) if hasattr(classifier, "treeWeights") else [1.0]
    if len(weights) != len(by_tree):
        raise ValueError(f"{family}: {len(weights)} tree weights for {len(by_tree)} saved trees")
    regression = family == "GBTClassificationModel"
    # Forest: Spark averages the trees' votes; GBT: the margin is the weighted sum of tree outputs.
    scale = [w if regression else w / sum(weights) for w in weights]
    trees = [_tree(by_tree[t], scale[t], regression) for t in sorted(by_tree)]
    return {"trees": trees, "base_offset": 0.0, "tree_output": "raw_value", "input_dtype": np.float64,
            "internal_dtype": np.float64}


def explain_batch(explainer: Any, pdf: Any, membership: np.ndarray, names: np.ndarray, top: int,
                  approximate: bool = False) -> Any:
    """One Arrow batch (pandas) in mapInPandas: its `_X` vectors replaced by the top features and their
    contributions (slots summed per feature by `membership`): TreeSHAP values, or Saabas values with
    `approximate`. A row without a vector (not to be explained) gets nulls; an empty batch stays empty."""
    vectors = pdf.pop(_X)
    explained = vectors.notna().to_numpy()
    width = membership.shape[0]
    x = np.vstack(vectors[explained].to_numpy()) if explained.any() else np.empty((0, width))
    # One output per row and slot, for either method; the explicit width also holds for no rows (-1 cannot).
    raw = explainer.shap_values(x, approximate=approximate, check_additivity=False)
    contributions = np.asarray(raw).reshape(len(x), width) @ membership  # slots -> features
    order = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :top]
    features: list[Any] = [None] * len(pdf)
    values: list[Any] = [None] * len(pdf)
    for row, (position, kept) in enumerate(zip(np.flatnonzero(explained), order, strict=True)):
        features[position], values[position] = list(names[kept]), contributions[row, kept]
    pdf[_NAMES], pdf[_VALUES] = features, values
    return pdf


def tree_explanations(
    scored: DataFrame, columns: list[Column], vector: str, model: dict[str, Any], slots: SlotMap, k: int,
    positives_only: bool = False, method: TreeMethod = "exact",
) -> DataFrame:
    """`columns` plus `explanation`: TreeSHAP (`method` exact) or Saabas (approximate) per row in
    mapInPandas (the explainer is built once per task from the pickled dict model, on the executor). With
    `positives_only` the rows predicted 0 reach Python without their vector and get a null explanation."""
    from pyspark.ml.functions import vector_to_array

    approximate = method == "approximate"
    x = vector_to_array(F.col(vector))
    if positives_only:
        # One pass: splitting the rows into two branches (explained, not) would run the pipeline -- every
        # tree -- twice, which cost more than carrying the negatives' other columns through Python.
        x = F.when(F.col("prediction").eqNullSafe(1.0), x)
    frame = scored.select(*columns, x.alias(_X))
    if not approximate:
        # A day is often one file, hence one task: spread the rows so TreeSHAP (CPU-bound, milliseconds a
        # row) uses every core. An explicit count is never coalesced away by adaptive execution. Saabas
        # costs microseconds a row: there the shuffle would cost more than it spreads.
        frame = frame.repartition(int(scored.sparkSession.conf.get("spark.sql.shuffle.partitions") or 8))
    keep = [f for f in frame.schema.fields if f.name != _X]
    schema = T.StructType([*keep, T.StructField(_NAMES, T.ArrayType(T.StringType())),
                           T.StructField(_VALUES, T.ArrayType(T.DoubleType()))])
    names = np.array(slots.features, dtype=object)
    membership = np.zeros((slots.size, len(slots.features)))  # slot x feature: 1 where the feature owns it
    membership[np.arange(slots.size), list(slots.slot_feature)] = 1.0
    top = min(k, len(slots.features))

    def run(batches: Any) -> Any:
        import shap  # on the executor

        explainer = shap.TreeExplainer(model)
        for pdf in batches:
            yield explain_batch(explainer, pdf, membership, names, top, approximate)

    pairs = F.zip_with(_NAMES, _VALUES, lambda f, v: F.struct(f.alias("feature"), v.alias("contribution")))
    explained = frame.mapInPandas(run, schema)
    return explained.select(*[f.name for f in keep], pairs.cast(EXPLANATION_TYPE).alias(EXPLANATION))
