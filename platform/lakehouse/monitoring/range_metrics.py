"""Daily model monitoring of one day or a range of days (a single-run backfill): the DayMetrics of every
day in four Spark queries whatever the number of days -- one day is the range of one day.

For day D and its serving version (the version that scored most of D's rows): `psi_vs_prior_days`, the PSI
(scoring/drift.py) of D's probabilities against that version's scores of the `drift.reference_days` days
before D, and the realised precision / recall (of the stored decisions) and PR-AUC (lakehouse.ml.metrics'
histogram) over that version's rows of the last `performance.window_days` days whose label has matured.

Each prediction row is joined to the monitored days whose window contains it (a broadcast join with the
small frame of each day's serving version), and every aggregate is grouped by monitored day:
  1. row counts per (day, version): the serving version of each day;
  2. count and percentile_approx of each day's reference scores: its PSI bin edges;
  3. bin counts of each day's reference and current scores (the day's edges joined as an array);
  4. predictions x matured labels summed per (event day, version, PR bin), then per (monitored day, PR bin):
     the confusion counts and the PR histogram of each day's window.
platform_tests/monitoring/test_range_metrics.py checks that a range equals its days monitored one by one.
percentile_approx's sketch depends on how the rows are split into partitions; grouped by monitored day it
merges the same per-partition sketches as a one-day run over the same input, so the PSI edges are equal
too. Over differently partitioned inputs (a range read once vs one day's pruned read) the PSI may move in
the 4th decimal.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.config.monitoring import MonitoringConfig
from lakehouse.ml.metrics import Histogram, bucket, confusion_sums, label_counts, pr_auc, rate
from lakehouse.monitoring.metrics import NO_LABELS, DayMetrics, Performance, day_metrics, unscored
from lakehouse.scoring.drift import bin_index, fractions, psi, quantile_edges, quantiles

MONITORED = "_monitored_day"  # the day a joined row is monitored for
VERSION = "_serving_version"


def monitor_days(predictions: DataFrame, labels: DataFrame, days: list[date], config: MonitoringConfig
                 ) -> list[DayMetrics]:
    """The DayMetrics of each of `days`, in four Spark queries. `predictions` must cover each day's reference
    and performance windows, `labels` each performance window (the asset's partition mappings load exactly
    that)."""
    if not days:
        return []
    served = {day: version for day, version in serving_versions(predictions, days, config).items()
              if version is not None}
    if not served:
        return [unscored(day) for day in days]
    ref_rows, edges = reference_edges(predictions, served, config)
    counts = bin_counts_by_day(predictions, served, edges, config)
    performance = realised_by_day(predictions, labels, served, config)
    results = []
    for day in days:
        if day not in served:
            results.append(unscored(day))
            continue
        (_, reference), (cur_rows, current) = counts.get((day, False), (0, [])), counts.get((day, True), (0, []))
        value = None
        if ref_rows.get(day, 0) and cur_rows:  # no PSI without rows on both sides
            value = psi(fractions(reference), fractions(current))
        results.append(day_metrics(day, served[day], value, ref_rows.get(day, 0), cur_rows,
                                   performance.get(day, NO_LABELS), config))
    return results


def serving_versions(predictions: DataFrame, days: list[date], config: MonitoringConfig) -> dict[date, str | None]:
    """Query 1: each day's version with the most rows (ties: the highest, nulls last), None when that is a
    null version; days without rows are absent."""
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
    whose serving version scored them, with the day's PSI `_edges` when given. A row is repeated for each
    such day."""
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
    """Query 2: per monitored day, the rows of its reference days and their quantile edges (drift.quantiles,
    as scoring's reference)."""
    p = config.predictions
    rows = rows_of_days(predictions, served, p.event_date, p.model_version, config.drift.reference_days)
    reference = rows.where(F.col(p.event_date) < F.col(MONITORED))
    heads = reference.groupBy(MONITORED).agg(
        F.count(F.lit(1)).alias("_rows"),
        quantiles(F.col(p.probability).cast("double"), config.drift.bins).alias("_q"),
    ).collect()
    ref_rows = {r[MONITORED]: int(r["_rows"]) for r in heads}
    edges = {r[MONITORED]: quantile_edges(r["_q"]) for r in heads}
    return ref_rows, edges


def bin_counts_by_day(predictions: DataFrame, served: dict[date, str], edges: dict[date, list[float]],
                      config: MonitoringConfig) -> dict[tuple[date, bool], tuple[int, list[int]]]:
    """Query 3: (rows, count per PSI bin) of each monitored day's reference (False) and current (True) rows."""
    p, slots = config.predictions, config.drift.bins - 1
    # drift.bin_index with each day's own edges read from the joined array, a fixed sum of comparisons (3x
    # faster than a higher-order aggregate() over the array): edges are padded to bins - 1 with NaN, which
    # Spark orders above every number, so `p > NaN` is false for any p, NaN included. A null score has a
    # null bin, counted in no bin (a day without reference rows has no edges and no PSI: only its row
    # count is used).
    padded = {day: [*day_edges, *[math.nan] * (slots - len(day_edges))] for day, day_edges in edges.items()}
    rows = rows_of_days(predictions, served, p.event_date, p.model_version, config.drift.reference_days,
                        {day: padded.get(day, [math.nan] * slots) for day in served})
    probability = F.col(p.probability).cast("double")
    index = bin_index(probability, [F.col("_edges")[i] for i in range(slots)])
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


def realised_by_day(predictions: DataFrame, labels: DataFrame, served: dict[date, str], config: MonitoringConfig
                    ) -> dict[date, Performance]:
    """Query 4: the realised performance of each monitored day's window, over the rows whose label has matured
    (an immature label may still turn positive: counting it negative would flatter recall). Rows x labels
    are summed per (event day, version, PR bin) before being joined to the monitored days: the window
    repeats every row for window_days days, the sums only for the (few hundred) bins a day fills."""
    p, lab, bins = config.predictions, config.labels, config.performance.bins
    matured = labels.where(F.col(lab.matured)).select(
        F.col(lab.key).alias("_key"), F.col(lab.event_date).alias("_day"), F.col(lab.label).cast("int").alias("_label"))
    window_days = config.performance.window_days
    joined = in_windows(predictions, served, p.event_date, window_days - 1).select(
        F.col(p.key).alias("_key"), F.col(p.event_date).alias("_day"), F.col(p.probability).cast("double").alias("_p"),
        F.col(p.prediction).cast("int").alias("_pred"), F.col(p.model_version).alias("_version"),
    ).join(matured, ["_key", "_day"])
    confusion = confusion_sums(F.col("_pred"), F.col("_label"))
    per_event_day = joined.groupBy("_day", "_version", bucket(F.col("_p"), bins).alias("_b")).agg(
        F.count(F.lit(1)).alias("_n"), F.sum("_label").alias("_pos"),
        *[expr.alias(f"_{name}") for name, expr in confusion.items() if name != "tn"])
    rows = rows_of_days(per_event_day, served, "_day", "_version", window_days - 1)
    grouped = rows.groupBy(MONITORED, "_b").agg(
        *[F.sum(c).alias(c) for c in ("_n", "_pos", "_tp", "_fp", "_fn")],
        F.min("_day").alias("_first"), F.max("_day").alias("_last"),
    ).collect()
    by_day = defaultdict(list)
    for r in grouped:
        by_day[r[MONITORED]].append(r)
    return {day: _performance(day_rows, bins) for day, day_rows in by_day.items()}


def _performance(day_rows: list, bins: int) -> Performance:
    """One monitored day's numbers from its per-bin sums: precision and recall of the stored decisions,
    PR-AUC of the probabilities (undefined without a positive)."""
    rows = sum(int(r["_n"]) for r in day_rows)
    pos = sum(int(r["_pos"] or 0) for r in day_rows)
    tp, fp, fn = (sum(int(r[c] or 0) for r in day_rows) for c in ("_tp", "_fp", "_fn"))
    # The histogram's label counts; PR-AUC reads only those: the loss sums are not computed (NaN rather
    # than a misleading 0).
    positives, negatives = label_counts(bins, ((r["_b"], r["_pos"] or 0, r["_n"]) for r in day_rows))
    histogram = Histogram(bins, positives, negatives, float("nan"), float("nan"))
    return Performance(rows, pos, min(r["_first"] for r in day_rows), max(r["_last"] for r in day_rows),
                       rate(tp, tp + fp), rate(tp, tp + fn), pr_auc(histogram) if pos else None)
