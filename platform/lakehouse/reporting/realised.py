"""Realised performance: predictions joined to their labels, and metrics once the labels have matured.

A label is final only after its window (e.g. 30 days of chargebacks) has passed, so a fresh report says
`pending` with how many labels have matured; the metrics appear when the report is rebuilt after enough
have (the refresh schedule in jobs.py). Confusion counts are always stored over the matured rows (they
add up over days); precision, recall and AUC only once the period is complete.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.config.reporting import RealisedSection
from lakehouse.reporting.aggregates import ALL, ROWS, TOTALS_INDEX, add, ratio, ratio_of
from lakehouse.reporting.sections import Aggregated, Kind, Part

COUNTS = ["predictions", "labels_matured", "positives", "tp", "fp", "fn", "tn"]
METRICS = (add("predictions", "labels_matured") + ratio("matured_fraction", "complete")
           + add("positives", "tp", "fp", "fn", "tn") + ratio("precision", "recall", "auc"))


def auc_by_period(scored: DataFrame, score: str, label: str) -> DataFrame:
    """Exact ROC AUC per period_start (Mann-Whitney, ties counted half): for each positive, the negatives
    scored below it. One pass over the distinct scores, so it scales with the period's rows."""
    grouped = scored.groupBy("period_start", score).agg(
        F.sum((F.col(label) == 1).cast("long")).alias("_pos"), F.sum((F.col(label) == 0).cast("long")).alias("_neg"))
    below = Window.partitionBy("period_start").orderBy(score).rowsBetween(Window.unboundedPreceding, -1)
    with_below = grouped.withColumn("_neg_below", F.coalesce(F.sum("_neg").over(below), F.lit(0)))
    sums = with_below.groupBy("period_start").agg(
        F.sum(F.col("_pos") * (F.col("_neg_below") + 0.5 * F.col("_neg"))).alias("_u"),
        F.sum("_pos").alias("_p"), F.sum("_neg").alias("_n"))
    return sums.select("period_start", F.try_divide(F.col("_u"), (F.col("_p") * F.col("_n")).cast("double")).alias("auc"))


def _among_matured(condition: Any) -> Any:
    return F.sum(F.when(F.col("_matured") & condition, 1).otherwise(0))


def _aggs(name: str, spec: RealisedSection) -> dict[str, Any]:
    label, pred = F.col("_label"), F.col("_pred")
    return {
        "labels_matured": F.sum(F.col("_matured").cast("long")),
        "positives": _among_matured(label == 1),
        "tp": _among_matured((pred == 1) & (label == 1)),
        "fp": _among_matured((pred == 1) & (label == 0)),
        "fn": _among_matured((pred == 0) & (label == 1)),
        "tn": _among_matured((pred == 0) & (label == 0)),
    }


def _auc(base: DataFrame, name: str, spec: RealisedSection) -> dict[Any, float | None]:
    rows = auc_by_period(base.where(F.col("_matured")), "_p", "_label").collect()
    return {r.period_start: r.auc for r in rows}


def _shape(agg: Aggregated, name: str, spec: RealisedSection) -> list[Part]:
    wide = agg.starts().merge(agg.of(), on="period_start", how="left").rename(columns={ROWS: "predictions"})
    wide[COUNTS] = wide[COUNTS].astype(float).fillna(0.0)
    complete = (wide["predictions"] > 0) & (wide["labels_matured"] >= spec.min_matured_fraction * wide["predictions"])
    wide["matured_fraction"] = ratio_of(wide["labels_matured"], wide["predictions"])
    wide["complete"] = complete.astype(float)
    wide["precision"] = ratio_of(wide["tp"], wide["tp"] + wide["fp"]).where(complete)
    wide["recall"] = ratio_of(wide["tp"], wide["tp"] + wide["fn"]).where(complete)
    auc = pd.to_numeric(wide["period_start"].map(agg.extras[name]), errors="coerce").astype(float)
    wide["auc"] = auc.where(complete)
    return [(wide.assign(series=ALL, bucket=ALL, bucket_index=TOTALS_INDEX), METRICS)]


REALISED = Kind(sets=lambda name, spec: [()], aggs=_aggs, shape=_shape, extra=_auc, needs_labels=True)
