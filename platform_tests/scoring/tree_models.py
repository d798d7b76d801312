"""Small hand-built Spark tree models as shap's dict model, for tests that need no Spark session."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pyarrow as pa

from lakehouse.scoring.treeshap import shap_dict

# Two trees of depth 2 on three slots, as Spark saves them: (id, class counts, left, right, slot, threshold).
TWO_TREES = [
    [(0, [23, 17], 1, 2, 0, 0.5), (1, [8, 12], 3, 4, 1, 0.3), (2, [15, 5], -1, -1, -1, 0.0),
     (3, [2, 8], -1, -1, -1, 0.0), (4, [6, 4], -1, -1, -1, 0.0)],
    [(0, [18, 14], 1, 2, 2, 0.0), (1, [10, 2], -1, -1, -1, 0.0), (2, [8, 12], 3, 4, 0, 0.5),
     (3, [1, 9], -1, -1, -1, 0.0), (4, [7, 3], -1, -1, -1, 0.0)],
]
ROWS = np.array(list(itertools.product([0.0, 1.0], [0.0, 1.0], [-1.0, 1.0])))  # reach every leaf of both trees


def base_value(model: dict[str, Any]) -> float:
    """The explainer's expected value: what the contributions of a row are added to."""
    import shap

    return float(np.asarray(shap.TreeExplainer(model).expected_value).reshape(-1)[0])


def forest(trees: list[list[tuple]]) -> dict[str, Any]:
    """shap's dict model (treeshap.shap_dict, as scoring builds it) of a forest given as node tuples: a
    continuous split `x[slot] <= threshold`, or with a 7th element 2 a binary one, `{threshold} -> left`."""
    def data(i: int, stats: list[int], left: int, right: int, slot: int, threshold: float,
             categories: int = -1) -> dict[str, Any]:
        split = {"featureIndex": slot, "leftCategoriesOrThreshold": [threshold] if left >= 0 else [],
                 "numCategories": categories}
        return {"prediction": 0.0, "impurity": 0.0, "rawCount": 0, "gain": 0.0, "id": i, "leftChild": left,
                "rightChild": right, "impurityStats": [float(c) for c in stats], "split": split}

    nodes = pa.Table.from_pylist([{"treeID": t, "nodeData": data(*n)} for t, tree in enumerate(trees) for n in tree])
    forest = type("RandomForestClassificationModel", (), {"treeWeights": [1.0] * len(trees)})()
    return shap_dict(nodes, forest)


def output(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """The dict model's output per row, by walking every tree (`x <= threshold` goes left)."""
    out = np.zeros(len(x))
    for tree in model["trees"]:
        for r, row in enumerate(x):
            i = 0
            while tree["children_left"][i] >= 0:
                left = row[tree["features"][i]] <= tree["thresholds"][i]
                i = tree["children_left"][i] if left else tree["children_right"][i]
            out[r] += tree["values"][i, 0]
    return out
