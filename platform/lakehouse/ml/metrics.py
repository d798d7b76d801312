"""The one home of classification metrics: ML evaluation, monitoring and reporting all compute theirs here.

Binned metrics come from one Spark aggregation: a histogram of the positive-class probability. Scored
rows are grouped into `bins` probability bins (`bucket`: bin b holds p in (b/bins, (b+1)/bins], bin -1
holds p = 0) with their label counts, log-loss and squared-error sums. Everything else -- ROC and PR
curves and their areas, the threshold rule, the confusion matrix at any bin edge -- is computed on the
driver from that small table, so evaluating a split costs one Spark job whatever its size. Thresholds
are bin edges k / bins and a row is positive when p > threshold, exactly Spark's rule for a classifier
whose `thresholds` are [1 - t, t]. Training, the champion gate and monitoring's PR-AUC use these.

Two more, for stored decisions and published figures: `confusion_sums` counts a `prediction` column
against the labels (monitoring's precision / recall, reporting's confusion matrix), and
`exact_roc_auc` is the ROC AUC over the exact scores (Mann-Whitney, ties half) that reports print --
`roc_auc` of a histogram is the same statistic with the scores rounded up to their bin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.config.ml import EvaluationSettings, ThresholdRule, import_object

PROB = "p"
_EPS = 1e-15


def with_probability(scored: DataFrame) -> DataFrame:
    """Adds `p`, the probability of class 1, from a classifier's `probability` vector."""
    # Imported here: pyspark.ml costs ~1 s to import, which reporting and monitoring runs need not pay.
    from pyspark.ml.functions import vector_to_array

    return scored.withColumn(PROB, vector_to_array(F.col("probability"))[1])


@dataclass(frozen=True)
class Histogram:
    bins: int
    positives: np.ndarray  # index b + 1 for bin b in [-1, bins - 1]
    negatives: np.ndarray
    log_loss_sum: float
    brier_sum: float

    @property
    def n(self) -> int:
        return int(self.positives.sum() + self.negatives.sum())

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(tp, fp) for every threshold index k in [0, bins]: rows with bin >= k, i.e. p > k / bins."""
        tp = np.concatenate([np.cumsum(self.positives[::-1])[::-1], [0]])[1:]
        fp = np.concatenate([np.cumsum(self.negatives[::-1])[::-1], [0]])[1:]
        return tp, fp


def bucket(p: Column, bins: int) -> Column:
    """The histogram bin of probability p: b holds p in (b/bins, (b+1)/bins], -1 holds p = 0."""
    return F.greatest(F.lit(-1), F.least(F.lit(bins - 1), F.ceil(p * bins).cast("int") - 1))


def label_counts(bins: int, rows: Iterable[tuple[int, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(positives, negatives) arrays of a Histogram from (bin, positives, rows) triples (bins without rows
    may be absent; a bin listed twice is summed)."""
    positives, negatives = np.zeros(bins + 1), np.zeros(bins + 1)
    for b, pos, n in rows:
        positives[b + 1] += pos
        negatives[b + 1] += n - pos
    return positives, negatives


def histogram(scored: DataFrame, label: str, bins: int) -> Histogram:
    p, y = F.col(PROB), F.col(label).cast("double")
    clipped = F.least(F.greatest(p, F.lit(_EPS)), F.lit(1 - _EPS))
    rows = (
        scored.groupBy(bucket(p, bins).alias("b"))
        .agg(
            F.sum(y).alias("pos"),
            F.count("*").alias("n"),
            F.sum(-(y * F.log(clipped) + (1 - y) * F.log(1 - clipped))).alias("ll"),
            F.sum((p - y) * (p - y)).alias("sq"),
        )
        .collect()
    )
    positives, negatives = label_counts(bins, ((r["b"], r["pos"], r["n"]) for r in rows))
    return Histogram(bins, positives, negatives, sum(r["ll"] for r in rows), sum(r["sq"] for r in rows))


def roc_curve(h: Histogram) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) from the strictest threshold to 'everything positive'."""
    tp, fp = h.counts()
    pos, neg = max(h.positives.sum(), 1), max(h.negatives.sum(), 1)
    fpr = np.concatenate([fp[::-1], [h.negatives.sum()]]) / neg
    tpr = np.concatenate([tp[::-1], [h.positives.sum()]]) / pos
    return fpr, tpr


def pr_curve(h: Histogram) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision), starting at recall 0 with the first precision (as Spark's areaUnderPR)."""
    tp, fp = h.counts()
    tp = np.concatenate([tp[::-1], [h.positives.sum()]])
    fp = np.concatenate([fp[::-1], [h.negatives.sum()]])
    predicted = tp + fp
    keep = predicted > 0
    recall = tp[keep] / max(h.positives.sum(), 1)
    precision = tp[keep] / predicted[keep]
    if not len(precision):
        return np.array([0.0, 1.0]), np.array([0.0, 0.0])
    return np.concatenate([[0.0], recall]), np.concatenate([[precision[0]], precision])


def area(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))


def roc_auc(h: Histogram) -> float:
    """Trapezoid area under the binned ROC curve; 0.0 when a class is missing (MLflow needs a number)."""
    return area(*roc_curve(h))


def pr_auc(h: Histogram) -> float:
    """Trapezoid area under the binned PR curve (Spark's areaUnderPR rule)."""
    return area(*pr_curve(h))


def rate(numerator: float, denominator: float) -> float | None:
    """A ratio of counts, None when the denominator is 0 (precision with nothing flagged is undefined)."""
    return numerator / denominator if denominator else None


def at_threshold(h: Histogram, k: int) -> dict[str, float]:
    """Confusion matrix, precision, recall and F1 at threshold k / bins."""
    tp_all, fp_all = h.counts()
    tp, fp = float(tp_all[k]), float(fp_all[k])
    fn, tn = float(h.positives.sum()) - tp, float(h.negatives.sum()) - fp
    # 0.0 where undefined: the threshold rules compare these numbers, and MLflow logs them.
    precision, recall = rate(tp, tp + fp) or 0.0, rate(tp, tp + fn) or 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "tn": tn, "fn": fn}


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    index: int
    rule: str
    met: bool  # False when min_precision could not be reached on validation


def choose_threshold(h: Histogram, rule: ThresholdRule) -> ThresholdChoice:
    """Apply the declared rule on the validation histogram; thresholds stay inside (0, 1)."""
    candidates = range(h.bins - 1, 0, -1)  # strictest first: ties go to fewer alerts
    if rule.rule == "fixed":
        k = int(min(max(round(float(rule.value or 0.5) * h.bins), 1), h.bins - 1))
        return ThresholdChoice(k / h.bins, k, "fixed", True)
    scores = {k: at_threshold(h, k) for k in candidates}
    if rule.rule == "best_f1":
        k = max(candidates, key=lambda i: scores[i]["f1"])
        return ThresholdChoice(k / h.bins, k, "best_f1", True)
    target = float(rule.value or 0.0)
    reaching = [k for k in candidates if scores[k]["tp"] > 0 and scores[k]["precision"] >= target]
    if reaching:
        k = min(reaching)  # the lowest threshold that reaches the target: the most recall
        return ThresholdChoice(k / h.bins, k, f"min_precision {target}", True)
    k = max(candidates, key=lambda i: scores[i]["precision"])
    return ThresholdChoice(k / h.bins, k, f"min_precision {target} (not reached: highest precision)", False)


def summary(h: Histogram, k: int, names: list[str]) -> dict[str, float]:
    """The requested built-in metrics plus the confusion matrix at threshold index k."""
    n = max(h.n, 1)
    values = {
        "roc_auc": roc_auc(h),
        "pr_auc": pr_auc(h),
        "log_loss": h.log_loss_sum / n,
        "brier": h.brier_sum / n,
        **at_threshold(h, k),
    }
    keep = [*names, "tp", "fp", "tn", "fn"]
    return {name: float(values[name]) for name in keep if name in values}


def custom_metrics(scored: DataFrame, threshold: float, settings: EvaluationSettings) -> dict[str, float]:
    """Each configured custom metric on a scored frame (label, p, prediction at the threshold)."""
    results = {}
    for name, metric in settings.custom_metrics.items():
        fn = partial(import_object(metric.function), **metric.params)
        results[name] = float(fn(scored, threshold))
    return results


def alert_rate(scored: DataFrame, threshold: float, **_: Any) -> float:
    """Share of rows flagged at the threshold: the analysts' review load (an example custom metric)."""
    row = scored.agg(F.avg((F.col(PROB) > F.lit(threshold)).cast("double")).alias("rate")).first()
    return float(row["rate"] or 0.0) if row else 0.0


def confusion_sums(prediction: Column, label: Column, where: Column | None = None) -> dict[str, Column]:
    """tp, fp, fn, tn of stored 0/1 decisions against 0/1 labels, as Spark aggregates (to run in the same job
    as others), over the rows `where` holds; a row whose decision or label is null counts in none."""
    keep = F.lit(True) if where is None else where
    cells = {"tp": (1, 1), "fp": (1, 0), "fn": (0, 1), "tn": (0, 0)}
    return {name: F.sum(F.when(keep & (prediction == p) & (label == y), 1).otherwise(0))
            for name, (p, y) in cells.items()}


def exact_roc_auc(scored: DataFrame, group: str, score: str, label: str) -> DataFrame:
    """(group, auc): the exact ROC AUC per value of `group` (Mann-Whitney, ties counted half): for each
    positive, the negatives scored below it. One pass over the distinct scores, so it scales with the
    rows; null (undefined) for a group without positives or negatives."""
    grouped = scored.groupBy(group, score).agg(
        F.sum((F.col(label) == 1).cast("long")).alias("_pos"), F.sum((F.col(label) == 0).cast("long")).alias("_neg"))
    below = Window.partitionBy(group).orderBy(score).rowsBetween(Window.unboundedPreceding, -1)
    with_below = grouped.withColumn("_neg_below", F.coalesce(F.sum("_neg").over(below), F.lit(0)))
    sums = with_below.groupBy(group).agg(
        F.sum(F.col("_pos") * (F.col("_neg_below") + 0.5 * F.col("_neg"))).alias("_u"),
        F.sum("_pos").alias("_p"), F.sum("_neg").alias("_n"))
    return sums.select(group, F.try_divide(F.col("_u"), (F.col("_p") * F.col("_n")).cast("double")).alias("auc"))
