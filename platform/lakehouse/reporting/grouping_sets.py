"""Every section of a report from ONE Spark aggregation over the period's predictions.

Each section kind (kinds.py, realised.py; the interface in sections.py) declares the grouping keys it
needs; this module computes all of them in a single `GROUPING SETS` aggregation (one scan, one shuffle,
however many sections), collects the small result and lets each kind shape its rows -- zero-filled
buckets, rates, the long layout -- in pandas. One pass instead of a few shuffles per section keeps a
report cheap on a busy cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.reporting.aggregates import LONG_SCHEMA, PREDICTED_POSITIVE, PROB_SUM, ROWS, long_rows
from lakehouse.reporting.kinds import KINDS
from lakehouse.reporting.realised import REALISED
from lakehouse.reporting.sections import MISSING, Aggregated, Frame, Kind

# Computed for every group of every grouping set; kinds add their own (percentiles, label counts).
COMMON: dict[str, Callable[[], Column]] = {
    ROWS: lambda: F.count(F.lit(1)),
    PREDICTED_POSITIVE: lambda: F.sum(F.col("_pred").cast("long")),
    PROB_SUM: lambda: F.sum("_p"),
    "amount_sum": lambda: F.sum("_amount"),
    "threshold_min": lambda: F.min("_threshold"),
    "threshold_max": lambda: F.max("_threshold"),
}
# Every section kind by its `kind:` name in reporting.yaml.
REGISTRY: dict[str, Kind] = {**KINDS, "realised": REALISED}


def base_rows(frame: Frame, sections: Sequence[tuple[str, Any]]) -> DataFrame:
    """One row per prediction with every column a section groups or aggregates by."""
    c = frame.columns
    rows = frame.rows
    if any(REGISTRY[spec.kind].needs_labels for _, spec in sections):
        rows = _with_labels(frame)
    else:
        rows = rows.withColumn("_label", F.lit(None).cast("int")).withColumn("_matured", F.lit(None).cast("boolean"))
    columns: dict[str, Column] = {
        "period_start": F.col("period_start"),
        "mv": F.coalesce(F.col(c.model_version).cast("string"), F.lit(MISSING)),
        "_p": F.col(c.probability).cast("double"),
        "_pred": F.col(c.prediction).cast("int"),
        "_amount": F.col(c.amount).cast("double"),
        "_threshold": F.col(c.threshold).cast("double"),
        "_label": F.col("_label"),
        "_matured": F.coalesce(F.col("_matured"), F.lit(False)),
    }
    for name, spec in sections:
        columns.update(REGISTRY[spec.kind].columns(frame, name, spec))
    return rows.select(*[expr.alias(name) for name, expr in columns.items()])


def _with_labels(frame: Frame) -> DataFrame:
    lc = frame.label_columns
    if frame.labels is None:  # no labels table: nothing ever matures, realised stays pending
        return frame.rows.withColumn("_label", F.lit(None).cast("int")).withColumn("_matured", F.lit(None).cast("boolean"))
    labels = frame.labels.select(F.col(lc.key).alias("_label_key"), F.col(lc.label).cast("int").alias("_label"),
                                 F.col(lc.matured).cast("boolean").alias("_matured"))
    return frame.rows.join(labels, F.col(frame.columns.key) == F.col("_label_key"), "left").drop("_label_key")


def aggregate(frame: Frame, sections: Sequence[tuple[str, Any]]) -> Aggregated:
    base = base_rows(frame, sections)
    sets = list(dict.fromkeys(("period_start", *keys) for name, spec in sections
                              for keys in REGISTRY[spec.kind].sets(name, spec)))
    keys = list(dict.fromkeys(k for s in sets for k in s))
    aggs = {name: make() for name, make in COMMON.items()}
    for name, spec in sections:
        aggs.update(REGISTRY[spec.kind].aggs(name, spec))
    # grouping_id(): bit i (from the left) set when keys[i] is not grouped in the row's set.
    gids = {sum(1 << (len(keys) - 1 - i) for i, k in enumerate(keys) if k not in s): "|".join(s) for s in sets}
    base.persist()  # read by the aggregation and by extra jobs (AUC)
    try:
        grouped = base.groupingSets([list(s) for s in sets], *keys).agg(
            *[expr.alias(name) for name, expr in aggs.items()], F.grouping_id().alias("_gid"))
        collected = [row.asDict() for row in grouped.collect()]
        extras = {name: extra(base, name, spec)
                  for name, spec in sections if (extra := REGISTRY[spec.kind].extra) is not None}
    finally:
        base.unpersist()
    rows = pd.DataFrame(collected, columns=[*keys, *aggs, "_gid"])
    rows["_set"] = rows["_gid"].map(gids)
    return Aggregated(rows, frame.periods, frame.period, extras)


def build_aggregates(frame: Frame, sections: Sequence[tuple[str, Any]]) -> DataFrame:
    """Every section of a report for every period of the frame, in the long layout (a small local frame)."""
    agg = aggregate(frame, sections)
    records: list[tuple[Any, ...]] = []
    for name, spec in sections:
        for wide, metrics in REGISTRY[spec.kind].shape(agg, name, spec):
            records += long_rows(wide, metrics, name, frame.period)
    return frame.spark.createDataFrame(records, LONG_SCHEMA)
