"""What TreeSHAP costs per row for each option, measured in pure Python on ONE core (no Spark), in CPU time.

`python -m lakehouse_tools.bench.treeshap_options [--train 56000] [--rows 1000]` prints a markdown table.

A proxy, not the Spark model: scikit-learn trees of the shapes the scoring benchmark uses (random forest
of 100 trees, depth 10, sqrt features per split, balanced class weights as ml.yaml's `class_weighting`;
GBT of 50 rounds, depth 5) trained on ~56k rows of `make_classification` with 25 numeric features and
~2 % positives. That is fair for cost: TreeSHAP's work per row depends only on the trees' shape
(trees x leaves x depth^2 for the path-dependent algorithm), and scoring hands shap a dict model of
plain node arrays (treeshap.py) -- the same C++ code path shap takes for a scikit-learn tree. Who
trained the trees does not enter, but how many leaves they grow does, so the leaves per tree are
printed (and the sum of leaf depth^2, the work model, whose ratios the timings should follow): compare
them with the Spark model's before trusting a ratio. The average precision column is
the proxy's own holdout metric (a hint of what depth buys on this data, not a verdict on fraud data).

Options: the path-dependent algorithm (shap's default with no background data, what scoring runs),
`approximate=True` (Saabas: one root-to-leaf path per tree, O(trees x depth), not Shapley values),
interventional with a background sample (cost ~ trees x background x path per row), and smaller
forests. The 50-tree forests are the first 50 trees of the 100-tree ones (the trees are independent).
Against the exact (path-dependent) explanation of the same forest: "top-5 overlap" is the mean share
of its top-5 features (by |contribution|) that the option's top 5 also name, "top-1 same" the share
of rows whose largest contribution is the same feature.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: the machine's other core belongs to Spark jobs

import argparse  # noqa: E402 - after the thread limit, which must precede numpy's import
import copy  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

TOP = 5  # scoring's benchmark explains the top 5 features


@dataclass
class Row:
    option: str
    trees: int
    depth: int
    leaves: float  # mean leaves per tree
    work: float  # sum over trees and leaves of depth^2: TreeSHAP's per-row work, up to a constant
    ms_per_1000: float  # explaining 1,000 rows, one core
    agreement: tuple[float, float] | None = None  # (top-5 overlap, top-1 same) with the exact explanation
    average_precision: float | None = None


def _data(train: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    # Imbalanced like fraud (~2 % positives), a few informative features among noise and redundant ones.
    x, y = make_classification(n_samples=train + 20_000, n_features=25, n_informative=10, n_redundant=5,
                               weights=[0.98], flip_y=0.005, class_sep=0.8, random_state=seed)
    return x[:train], y[:train], x[train:], y[train:]


def _first(forest: Any, trees: int) -> Any:
    """The forest's first `trees` trees as a forest of their own."""
    smaller = copy.copy(forest)
    smaller.estimators_, smaller.n_estimators = forest.estimators_[:trees], trees
    return smaller


def _leaves(model: Any) -> float:
    estimators = np.ravel(model.estimators_)
    return float(np.mean([e.tree_.n_leaves for e in estimators]))


def _work(model: Any) -> float:
    """Sum over the trees' leaves of depth^2 (path-dependent TreeSHAP is O(leaves x depth^2) per tree and
    row): a deterministic cost figure next to the timings, which a shared machine makes noisy."""
    total = 0.0
    for estimator in np.ravel(model.estimators_):
        tree = estimator.tree_
        depth = np.zeros(tree.node_count)
        for node in range(tree.node_count):  # parents come before their children in sklearn's arrays
            for child in (tree.children_left[node], tree.children_right[node]):
                if child >= 0:
                    depth[child] = depth[node] + 1
        total += float(np.sum(depth[tree.children_left < 0] ** 2))
    return total


def _explain(explainer: Any, x: np.ndarray, repeats: int = 2, **kwargs: Any) -> tuple[np.ndarray, float]:
    """Per-slot contributions to class 1 (or the margin) and the CPU ms per 1,000 rows, the best of
    `repeats`. CPU time, not wall time: on a shared machine the wall clock also counts the time the
    neighbours held the core, and TreeSHAP here is one thread (shap's C++ loop, OMP_NUM_THREADS=1)."""
    elapsed = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        values = np.asarray(explainer.shap_values(x, check_additivity=False, **kwargs))
        elapsed = min(elapsed, time.process_time() - started)
    if values.ndim == 3:  # (rows, features, classes) for a classifier's probabilities: keep class 1
        values = values[..., 1]
    return values, elapsed * 1000 / len(x) * 1000


def _top(values: np.ndarray) -> np.ndarray:
    return np.argsort(-np.abs(values), axis=1, kind="stable")[:, :TOP]


def _agreement(values: np.ndarray, exact: np.ndarray) -> tuple[float, float]:
    """(mean share of the exact top 5 in the option's top 5, share of rows with the same top feature)."""
    mine, theirs = _top(values), _top(exact)
    overlap = np.mean([len(set(a) & set(b)) / TOP for a, b in zip(mine, theirs, strict=True)])
    return float(overlap), float(np.mean(mine[:, 0] == theirs[:, 0]))


def aggregation_ms(rows: int, slots: int = 25, features: int = 20) -> float:
    """What treeshap.py does after TreeSHAP, per 1,000 rows: slots summed per feature, top 5 picked, lists
    built for Arrow -- the most that moving the aggregation to Spark could save."""
    rng = np.random.default_rng(0)
    values, names = rng.normal(size=(rows, slots)), np.array([f"f{i}" for i in range(features)], dtype=object)
    membership = np.zeros((slots, features))
    membership[np.arange(slots), np.arange(slots) % features] = 1.0
    started = time.process_time()
    contributions = values @ membership
    order = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :TOP]
    _ = [list(names[o]) for o in order], [contributions[row, o] for row, o in enumerate(order)]
    return (time.process_time() - started) * 1000 / rows * 1000


def measure(train: int, rows: int, background: int = 100, interventional_rows: int = 20) -> list[Row]:
    import shap
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.metrics import average_precision_score
    from sklearn.utils.class_weight import compute_sample_weight

    x, y, x_test, y_test = _data(train)
    explained = x_test[:rows]
    results: list[Row] = []
    for depth in (10, 8, 6):
        forest = RandomForestClassifier(n_estimators=100, max_depth=depth, max_features="sqrt",
                                        class_weight="balanced", n_jobs=1, random_state=0).fit(x, y)
        for trees in (100, 50):
            model = forest if trees == 100 else _first(forest, trees)
            ap = float(average_precision_score(y_test, model.predict_proba(x_test)[:, 1]))
            explainer = shap.TreeExplainer(model)  # built once, as once per Spark task: not timed
            exact, ms = _explain(explainer, explained)
            shape = (trees, depth, _leaves(model), _work(model))
            results.append(Row("path-dependent (default)", *shape, ms, None, ap))
            if (trees, depth) != (100, 10):
                continue
            saabas, ms = _explain(explainer, explained, approximate=True)
            results.append(Row("approximate=True (Saabas)", *shape, ms, _agreement(saabas, exact)))
            sample = shap.sample(x, background, random_state=0)
            interventional = shap.TreeExplainer(model, data=sample, feature_perturbation="interventional")
            # Per row it is ~background x dearer: a few rows give the rate without minutes of waiting.
            values, ms = _explain(interventional, explained[:interventional_rows])
            results.append(Row(f"interventional, {background}-row background", *shape, ms,
                               _agreement(values, exact[:interventional_rows])))
    # Spark's GBT: balanced weights too, 50 rounds of depth 5, step 0.1 (the benchmark's model).
    gbt = GradientBoostingClassifier(n_estimators=50, max_depth=5, learning_rate=0.1, random_state=0)
    gbt.fit(x, y, sample_weight=compute_sample_weight("balanced", y))
    ap = float(average_precision_score(y_test, gbt.predict_proba(x_test)[:, 1]))
    _, ms = _explain(shap.TreeExplainer(gbt), explained)
    results.append(Row("GBT, path-dependent (reference)", 50, 5, _leaves(gbt), _work(gbt), ms, None, ap))
    return results


def table(results: list[Row]) -> str:
    base = next(r for r in results if (r.trees, r.depth) == (100, 10))
    lines = ["| option | trees | depth | leaves / tree | leaves x depth^2 vs 100 x 10 | CPU ms per 1,000 rows | "
             "time vs 100 x 10 exact | top-5 overlap | top-1 same | proxy AP |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        same = " | " if r.agreement is None else f"{r.agreement[0]:.0%} | {r.agreement[1]:.0%}"
        ap = "" if r.average_precision is None else f"{r.average_precision:.3f}"
        lines.append(f"| {r.option} | {r.trees} | {r.depth} | {r.leaves:.0f} | {r.work / base.work:.3f} | "
                     f"{r.ms_per_1000:,.0f} | {r.ms_per_1000 / base.ms_per_1000:.3f} | {same} | {ap} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=56_000, help="Training rows (the benchmark's ~56k)")
    parser.add_argument("--rows", type=int, default=1_000, help="Rows explained per option")
    args = parser.parse_args(argv)
    import shap
    import sklearn

    started = time.perf_counter()
    results = measure(args.train, args.rows)
    print(table(results))
    print(f"\nAfter TreeSHAP, slots -> features and the top {TOP} in numpy: {aggregation_ms(args.rows):.1f} CPU ms "
          "per 1,000 rows (the part Spark-side aggregation could take over).")
    print(f"shap {shap.__version__}, scikit-learn {sklearn.__version__}, OMP_NUM_THREADS="
          f"{os.environ['OMP_NUM_THREADS']}, {args.train:,} training rows, {args.rows:,} rows explained; "
          f"{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
