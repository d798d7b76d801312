"""Monitoring of a range of days (a single-run backfill) in four Spark queries whatever the number of days:
for every day the same DayMetrics as metrics.monitor_day, which costs 6 small queries per day.

Each prediction row is joined to the monitored days whose window contains it (a broadcast join with the
small frame of each day's serving version), and every aggregate is grouped by monitored day:
  1. row counts per (day, version): the serving version of each day;
  2. count and percentile_approx of each day's reference scores: its PSI bin edges;
  3. bin counts of each day's reference and current scores (the day's edges joined as an array);
  4. predictions x matured labels summed per (event day, version, PR bin), then per (monitored day, PR bin):
     the counts realised() reports and the histogram pr_curve() reads.
platform_tests/monitoring/test_range_metrics.py checks the result equals monitor_day's, day by day.
percentile_approx's sketch depends on how the rows are split into partitions; grouped by monitored day it
merges the same per-partition sketches as monitor_day's global aggregate over the same input, so the PSI
edges are equal too (also on make run's data). Over differently partitioned inputs (a range read once vs
one day's pruned read) the PSI may move in the 4th decimal, as monitor_day's own does (cached or not).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.config.monitoring import MonitoringConfig
from lakehouse.ml.metrics import Histogram, area, pr_curve
from lakehouse.monitoring.metrics import DayMetrics, Performance, day_metrics, unscored
from lakehouse.scoring.drift import fractions, psi

MONITORED = "_monitored_day"  # the day a joined row is monitored for
VERSION = "_serving_version"


def monitor_days(predictions: DataFrame, labels: DataFrame, days: list[date], config: MonitoringConfig
                 ) -> list[DayMetrics]:
    """[monitor_day(predictions, labels, day, config) for day in days] in four Spark queries. `predictions`
    must cover each day's reference and performance windows, `labels` each performance window."""
    if not days:
        return []
    served = {day: version for day, version in serving_versions(predictions, days, config).items()
              if version is not None}
    if not served:
        return [unscored(day) for day in days]
    ref_rows, edges = reference_edges(predictions, served, config)
    counts = bin_counts_by_day(predictions, served, edges, config)
    performance = realised_by_day(predictions, labels, served, config)
    no_labels = Performance(0, 0, None, None, None, None, None)
    results = []
    for day in days:
        if day not in served:
            results.append(unscored(day))
            continue
        (_, reference), (cur_rows, current) = counts.get((day, False), (0, [])), counts.get((day, True), (0, []))
        value = None
        if ref_rows.get(day, 0) and cur_rows:  # score_psi's rule: no PSI without rows on both sides
            value = psi(fractions(reference), fractions(current))
        results.append(day_metrics(day, served[day], value, ref_rows.get(day, 0), cur_rows,
                                   performance.get(day, no_labels), config))
    return results


def serving_versions(predictions: DataFrame, days: list[date], config: MonitoringConfig) -> dict[date, str | None]:
    """Query 1: each day's version with the most rows (ties: the highest; metrics.serving_version's order,
    nulls last), None when that is a null version; days without rows are absent."""
    p = config.predictions
    counts = (predictions.where(F.col(p.event_date).isin(sorted(set(days))))
              .groupBy(F.col(p.event_date).alias(MONITORED), F.col(p.model_version).alias(VERSION)).count())
    rank = F.row_number().over(Window.partitionBy(MONITORED).orderBy(F.desc("count"), F.desc(VERSION)))
    top = counts.withColumn("_rank", rank).where(F.col("_rank") == 1).collect()
    return {r[MONITORED]: None if r[VERSION] is None else str(r[VERSION]) for r in top}


def in_windows(frame: DataFrame, served: dict[date, str], date_column: str, days_before: int) -> DataFrame:
    """The rows of `frame` some monitored day's window [day - days_before, day] holds (a plain range filter,
    so that an uncached Delta input skips the files of other days)."""
    day = F.col(date_column)
    return frame.where((day >= F.lit(min(served) - timedelta(days=days_before))) & (day <= F.lit(max(served))))


def rows_of_days(frame: DataFrame, served: dict[date, str], date_column: str, version_column: str,
                 days_before: int, edges: dict[date, list[float]] | None = None) -> DataFrame:
    """`frame`'s rows joined to each monitored day whose window [day - days_before, day] holds them and
    whose serving version scored them (metrics.monitor_day's `in_days(same, ...)`), with the day's PSI
    `_edges` when given. A row is repeated for each such day."""
    rows: list[tuple] = [(day, version) for day, version in sorted(served.items())]
    columns = f"{MONITORED} date, {VERSION} string"
    if edges is not None:
        rows, columns = [(*row, edges[row[0]]) for row in rows], columns + ", _edges array<double>"
    serving = frame.sparkSession.createDataFrame(rows, columns)
    day = F.col(date_column)
    window = (day >= F.date_sub(F.col(MONITORED), days_before)) & (day <= F.col(MONITORED))
    same = F.col(version_column).cast("string") == F.col(VERSION)
    return in_windows(frame, served, date_column, days_before).join(F.broadcast(serving), same & window)


def reference_edges(predictions: DataFrame, served: dict[date, str], config: MonitoringConfig
                    ) -> tuple[dict[date, int], dict[date, list[float]]]:
    """Query 2: per monitored day, the rows of its reference days and their quantile edges, computed as
    metrics.score_psi computes them (percentile_approx at accuracy 10 000, ties merge bins)."""
    p, bins = config.predictions, config.drift.bins
    rows = rows_of_days(predictions, served, p.event_date, p.model_version, config.drift.reference_days)
    reference = rows.where(F.col(p.event_date) < F.col(MONITORED))
    probabilities = F.array(*[F.lit(i / bins) for i in range(1, bins)])
    heads = reference.groupBy(MONITORED).agg(
        F.count(F.lit(1)).alias("_rows"),
        F.percentile_approx(F.col(p.probability).cast("double"), probabilities, 10_000).alias("_q"),
    ).collect()
    ref_rows = {r[MONITORED]: int(r["_rows"]) for r in heads}
    edges = {r[MONITORED]: sorted(set(round(float(q), 9) for q in r["_q"])) for r in heads}
    return ref_rows, edges


def bin_counts_by_day(predictions: DataFrame, served: dict[date, str], edges: dict[date, list[float]],
                      config: MonitoringConfig) -> dict[tuple[date, bool], tuple[int, list[int]]]:
    """Query 3: (rows, count per PSI bin) of each monitored day's reference (False) and current (True) rows."""
    p, slots = config.predictions, config.drift.bins - 1
    # drift.bin_index with each day's own edges, as a fixed sum of comparisons (3x faster than a higher-order
    # aggregate() over the array): edges are padded to bins - 1 with NaN, which Spark orders above every
    # number, so `p > NaN` is false for any p, NaN included. A null score has a null bin, counted in no bin
    # as there (a day without reference rows has no edges and no PSI: only its row count is used).
    padded = {day: [*day_edges, *[math.nan] * (slots - len(day_edges))] for day, day_edges in edges.items()}
    rows = rows_of_days(predictions, served, p.event_date, p.model_version, config.drift.reference_days,
                        {day: padded.get(day, [math.nan] * slots) for day in served})
    probability = F.col(p.probability).cast("double")
    index = sum(((probability > F.col("_edges")[i]).cast("int") for i in range(slots)), F.lit(0))
    grouped = rows.groupBy(MONITORED, (F.col(p.event_date) == F.col(MONITORED)).alias("_current"),
                           index.alias("_bin")).count().collect()
    counts: dict[tuple[date, bool], tuple[int, list[int]]] = {}
    for r in grouped:
        key = (r[MONITORED], r["_current"])
        total, per_bin = counts.get(key, (0, [0] * (len(edges.get(r[MONITORED], [])) + 1)))
        if r["_bin"] is not None:
            per_bin[r["_bin"]] += r["count"]
        counts[key] = (total + r["count"], per_bin)
    return counts


def pr_bin(probability: Column, bins: int) -> Column:
    """lakehouse.ml.metrics.histogram's bin: b holds p in (b/bins, (b+1)/bins], -1 holds p = 0."""
    return F.greatest(F.lit(-1), F.least(F.lit(bins - 1), F.ceil(probability * bins).cast("int") - 1))


def realised_by_day(predictions: DataFrame, labels: DataFrame, served: dict[date, str], config: MonitoringConfig
                    ) -> dict[date, Performance]:
    """Query 4: metrics.realised of each monitored day's performance window. Rows x labels are summed per
    (event day, version, PR bin) before being joined to the monitored days: the window repeats every row
    for window_days days, the sums only for the (few hundred) bins a day fills."""
    p, lab, bins = config.predictions, config.labels, config.performance.bins
    matured = labels.where(F.col(lab.matured)).select(
        F.col(lab.key).alias("_key"), F.col(lab.event_date).alias("_day"), F.col(lab.label).cast("int").alias("_label"))
    window_days = config.performance.window_days
    joined = in_windows(predictions, served, p.event_date, window_days - 1).select(
        F.col(p.key).alias("_key"), F.col(p.event_date).alias("_day"), F.col(p.probability).cast("double").alias("_p"),
        F.col(p.prediction).cast("int").alias("_pred"), F.col(p.model_version).alias("_version"),
    ).join(matured, ["_key", "_day"])
    label, flagged = F.col("_label"), F.col("_pred") == 1
    per_event_day = joined.groupBy("_day", "_version", pr_bin(F.col("_p"), bins).alias("_b")).agg(
        F.count(F.lit(1)).alias("_n"), F.sum(label).alias("_pos"),
        F.sum((flagged & (label == 1)).cast("long")).alias("_tp"), F.sum(flagged.cast("long")).alias("_flagged"))
    rows = rows_of_days(per_event_day, served, "_day", "_version", window_days - 1)
    grouped = rows.groupBy(MONITORED, "_b").agg(
        *[F.sum(c).alias(c) for c in ("_n", "_pos", "_tp", "_flagged")],
        F.min("_day").alias("_first"), F.max("_day").alias("_last"),
    ).collect()
    by_day = defaultdict(list)
    for r in grouped:
        by_day[r[MONITORED]].append(r)
    return {day: _performance(day_rows, bins) for day, day_rows in by_day.items()}


def _performance(day_rows: list, bins: int) -> Performance:
    """metrics.realised's numbers from one monitored day's per-bin sums."""
    rows = sum(int(r["_n"]) for r in day_rows)
    pos = sum(int(r["_pos"] or 0) for r in day_rows)
    tp, flagged = sum(int(r["_tp"] or 0) for r in day_rows), sum(int(r["_flagged"] or 0) for r in day_rows)
    return Performance(rows, pos, min(r["_first"] for r in day_rows), max(r["_last"] for r in day_rows),
                       tp / flagged if flagged else None, tp / pos if pos else None,
                       area(*pr_curve(_histogram(day_rows, bins))) if pos else None)


def _histogram(day_rows: list, bins: int) -> Histogram:
    """lakehouse.ml.metrics.histogram's label counts from the per-bin sums. PR-AUC reads only those: the
    loss sums are not computed (NaN rather than a misleading 0)."""
    positives, negatives = np.zeros(bins + 1), np.zeros(bins + 1)
    for r in day_rows:
        positives[r["_b"] + 1] = r["_pos"]
        negatives[r["_b"] + 1] = r["_n"] - r["_pos"]
    return Histogram(bins, positives, negatives, float("nan"), float("nan"))
