"""Realised performance: predictions joined to their labels, and metrics once the labels have matured.

A label is final only after its window (e.g. 30 days of chargebacks) has passed, so a fresh report says
`pending` with how many labels have matured; the metrics appear when the report is rebuilt after enough
have (the refresh schedule in jobs.py). Confusion counts are always stored over the matured rows (they
add up over days); precision, recall and AUC only once the period is complete. The confusion counts and
the exact ROC AUC are lakehouse.ml.metrics' (the metrics module ML and monitoring use too).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.reporting import RealisedSection
from lakehouse.ml.metrics import confusion_sums, exact_roc_auc
from lakehouse.reporting.aggregates import ALL, ROWS, TOTALS_INDEX, add, ratio, ratio_of
from lakehouse.reporting.sections import Aggregated, Kind, Part

COUNTS = ["predictions", "labels_matured", "positives", "tp", "fp", "fn", "tn"]
METRICS = (add("predictions", "labels_matured") + ratio("matured_fraction", "complete")
           + add("positives", "tp", "fp", "fn", "tn") + ratio("precision", "recall", "auc"))


def _aggs(name: str, spec: RealisedSection) -> dict[str, Any]:
    matured, label = F.col("_matured"), F.col("_label")
    return {
        "labels_matured": F.sum(matured.cast("long")),
        "positives": F.sum(F.when(matured & (label == 1), 1).otherwise(0)),
        **confusion_sums(F.col("_pred"), label, where=matured),
    }


def _auc(base: DataFrame, name: str, spec: RealisedSection) -> dict[Any, float | None]:
    rows = exact_roc_auc(base.where(F.col("_matured")), "period_start", "_p", "_label").collect()
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
