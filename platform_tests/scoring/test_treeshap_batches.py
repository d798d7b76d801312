"""explain_batch and shap's two methods on hand-built trees: the mapInPandas step without Spark."""

from __future__ import annotations

import numpy as np
import pytest

from platform_tests.scoring.tree_models import ROWS, TWO_TREES, base_value
from platform_tests.scoring.tree_models import forest as _forest
from platform_tests.scoring.tree_models import output as _output


def test_approximate_contributions_sum_with_the_base_value_to_the_models_output():
    """Saabas (`approximate=True`) on shap's dict model: one value per row and slot, as explain_batch
    reads them; other values than TreeSHAP's, the same total."""
    import shap

    model = _forest(TWO_TREES)
    explainer = shap.TreeExplainer(model)
    approximate = np.asarray(explainer.shap_values(ROWS, approximate=True, check_additivity=False))
    exact = np.asarray(explainer.shap_values(ROWS, check_additivity=False))
    assert approximate.shape == exact.shape == ROWS.shape
    assert base_value(model) + approximate.sum(axis=1) == pytest.approx(_output(model, ROWS), abs=1e-12)
    assert base_value(model) + exact.sum(axis=1) == pytest.approx(_output(model, ROWS), abs=1e-12)
    assert not np.allclose(approximate, exact)


def test_approximate_equals_exact_on_a_stump():
    """One split, one feature on every path: Saabas and Shapley values coincide."""
    import shap

    stump = _forest([[(0, [10, 10], 1, 2, 1, 0.3), (1, [2, 8], -1, -1, -1, 0.0), (2, [8, 2], -1, -1, -1, 0.0)]])
    explainer = shap.TreeExplainer(stump)
    approximate = np.asarray(explainer.shap_values(ROWS, approximate=True, check_additivity=False))
    exact = np.asarray(explainer.shap_values(ROWS, check_additivity=False))
    assert np.abs(approximate[:, 1]).min() > 0  # every row is explained by the split's slot
    assert approximate == pytest.approx(exact, abs=1e-12)


def test_a_batch_is_explained_by_the_approximate_method_when_asked():
    """explain_batch(approximate=True): Saabas values summed per feature, top k largest first."""
    import pandas as pd
    import shap

    from lakehouse.scoring.treeshap import _X, explain_batch

    explainer = shap.TreeExplainer(_forest(TWO_TREES))
    membership = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])  # slot 0 is "a"; slots 1 and 2 are "b"
    names = np.array(["a", "b"], dtype=object)
    batch = pd.DataFrame({"transaction_id": [str(i) for i in range(len(ROWS))], _X: list(ROWS)})
    out = explain_batch(explainer, batch.copy(), membership, names, 2, approximate=True)
    saabas = np.asarray(explainer.shap_values(ROWS, approximate=True, check_additivity=False)) @ membership
    for row, features, values in zip(saabas, out["_explain_features"], out["_explain_values"], strict=True):
        assert dict(zip(features, values, strict=True)) == pytest.approx({"a": row[0], "b": row[1]})
        assert abs(values[0]) >= abs(values[1])
    exact = explain_batch(explainer, batch.copy(), membership, names, 2)
    assert not np.allclose(np.vstack(out["_explain_values"]), np.vstack(exact["_explain_values"]))


def test_a_batch_is_explained_per_feature_and_an_empty_batch_stays_empty():
    """The mapInPandas step without Spark: slots summed per feature, top k; a batch with no rows (a
    partition the positives left empty) must not fail."""
    import pandas as pd
    import shap

    from lakehouse.scoring.treeshap import _X, explain_batch

    # One tree on slot 1 (`x <= 0.3` goes left to class 1); slots 1 and 2 belong to feature "b".
    tree = [(0, [10, 10], 1, 2, 1, 0.3), (1, [0, 10], -1, -1, -1, 0.0), (2, [10, 0], -1, -1, -1, 0.0)]
    explainer = shap.TreeExplainer(_forest([tree]))
    membership = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    names = np.array(["a", "b"], dtype=object)
    batch = pd.DataFrame({"transaction_id": ["x", "y"], _X: [np.array([0.0, 0.1, 0.0]), np.array([5.0, 0.9, 1.0])]})
    out = explain_batch(explainer, batch.copy(), membership, names, 1)
    assert list(out.columns) == ["transaction_id", "_explain_features", "_explain_values"]
    assert out["_explain_features"].tolist() == [["b"], ["b"]]
    assert [v.tolist() for v in out["_explain_values"]] == [pytest.approx([0.5]), pytest.approx([-0.5])]
    empty = explain_batch(explainer, batch.iloc[:0].copy(), membership, names, 1)
    assert len(empty) == 0 and "_explain_values" in empty.columns
    # A row without a vector (predicted negative, rows: positive) keeps its place and gets nulls.
    mixed = pd.DataFrame({"transaction_id": ["x", "n", "y"], _X: [batch[_X][0], None, batch[_X][1]]})
    out = explain_batch(explainer, mixed.copy(), membership, names, 1)
    assert out["transaction_id"].tolist() == ["x", "n", "y"]
    assert out["_explain_features"].tolist() == [["b"], None, ["b"]]
    assert out["_explain_values"][1] is None and out["_explain_values"][2].tolist() == pytest.approx([-0.5])
    unexplained = explain_batch(explainer, mixed.iloc[1:2].copy(), membership, names, 1)
    assert unexplained["_explain_features"].tolist() == [None]


def test_binary_categorical_split_with_category_one_left_is_translated():
    """A one-hot slot split `{1.0} -> left`: x = 1 must reach the left leaf (class 1), x = 0 the right."""
    import shap

    tree = [(0, [10, 10], 1, 2, 0, 1.0, 2), (1, [0, 10], -1, -1, -1, 0.0), (2, [10, 0], -1, -1, -1, 0.0)]
    explainer = shap.TreeExplainer(_forest([tree]))
    values = np.asarray(explainer.shap_values(np.array([[1.0], [0.0]]), check_additivity=False)).reshape(2)
    base = float(np.asarray(explainer.expected_value).reshape(-1)[0])
    assert base == pytest.approx(0.5)
    assert base + values == pytest.approx([1.0, 0.0])
