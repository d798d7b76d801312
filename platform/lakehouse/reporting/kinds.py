"""Section kinds: summary, timeline, breakdown, histogram (realised is in realised.py).

Each kind names the grouping keys it needs (computed in the single aggregation of sections.py) and shapes
the collected groups into the long layout: every bucket of the period present (zero when empty), rates
undefined (null) over zero rows, percentiles from the approximate-percentile arrays.
"""

from __future__ import annotations

from datetime import timedelta
from functools import reduce

import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehouse.config.reporting import BreakdownSection, HistogramSection, SummarySection, TimelineSection
from lakehouse.reporting.aggregates import (
    ALL,
    PREDICTED_POSITIVE,
    PROB_MEAN,
    PROB_SUM,
    RATE,
    ROWS,
    TOTALS_INDEX,
    add,
    percentile_agg,
    percentile_name,
    pick,
    ratio,
    ratio_of,
)
from lakehouse.reporting.sections import MISSING, THRESHOLD_SERIES, Aggregated, Frame, Kind, Part

COUNTS = [ROWS, PREDICTED_POSITIVE, PROB_SUM, "amount_sum"]
COUNT_METRICS = add(ROWS, PREDICTED_POSITIVE) + ratio(RATE) + add(PROB_SUM) + ratio(PROB_MEAN)


def _counted(df: pd.DataFrame) -> pd.DataFrame:
    """Zero counts for buckets without rows, then the rates (undefined over zero rows)."""
    df[COUNTS] = df[COUNTS].astype(float).fillna(0.0)
    df[RATE] = ratio_of(df[PREDICTED_POSITIVE], df[ROWS])
    df[PROB_MEAN] = ratio_of(df[PROB_SUM], df[ROWS])
    return df


def _percentiles(df: pd.DataFrame, source: str, ps: list[float], prefix: str = "") -> list[str]:
    names = [percentile_name(p, prefix) for p in ps]
    for i, name in enumerate(names):
        df[name] = [pick(v, i) for v in df[source]]
    return names


# summary: overall and per model version ---------------------------------------------------------------


def _summary_shape(agg: Aggregated, name: str, spec: SummarySection) -> list[Part]:
    overall = agg.starts().merge(agg.of(), on="period_start", how="left").assign(series=ALL)
    versions = agg.of("mv")
    versions["series"] = "model_version " + versions["mv"].astype(str)
    wide = _counted(pd.concat([overall, versions], ignore_index=True))
    wide["amount_mean"] = ratio_of(wide["amount_sum"], wide[ROWS])
    probs = _percentiles(wide, f"pp_{name}", spec.percentiles, "probability_")
    amounts = _percentiles(wide, f"ap_{name}", spec.percentiles, "amount_")
    wide = wide.assign(bucket=ALL, bucket_index=TOTALS_INDEX)
    metrics = (COUNT_METRICS + ratio(*probs) + add("amount_sum") + ratio("amount_mean", *amounts)
               + ratio("threshold_min", "threshold_max"))
    return [(wide, metrics)]


SUMMARY = Kind(
    sets=lambda name, spec: [(), ("mv",)],
    aggs=lambda name, spec: {f"pp_{name}": percentile_agg("_p", spec.percentiles),
                             f"ap_{name}": percentile_agg("_amount", spec.percentiles)},
    shape=_summary_shape,
)


# timeline: every hour of the day / day of the period ----------------------------------------------------


def _timeline_columns(frame: Frame, name: str, spec: TimelineSection) -> dict[str, Column]:
    c = frame.columns
    if spec.grain == "hour":
        return {"hour": F.hour(F.col(c.event_time))}
    return {"day": F.datediff(F.col(c.event_date), F.col("period_start"))}


def _timeline_shape(agg: Aggregated, name: str, spec: TimelineSection) -> list[Part]:
    if spec.grain == "hour":
        buckets = [(p.start, f"{h:02d}:00", h) for p in agg.periods for h in range(24)]
    else:
        buckets = [(p.start, (p.start + timedelta(days=k)).isoformat(), k)
                   for p in agg.periods for k in range((p.end - p.start).days)]
    grid = pd.DataFrame(buckets, columns=["period_start", "bucket", "bucket_index"])
    got = agg.of(spec.grain).rename(columns={spec.grain: "bucket_index"})[["period_start", "bucket_index", *COUNTS]]
    got["bucket_index"] = pd.to_numeric(got["bucket_index"]).astype("int64")
    wide = _counted(grid.merge(got, on=["period_start", "bucket_index"], how="left")).assign(series=ALL)
    return [(wide, COUNT_METRICS)]


TIMELINE = Kind(sets=lambda name, spec: [(spec.grain,)], columns=_timeline_columns, shape=_timeline_shape)


# breakdown: per value of a column ---------------------------------------------------------------------------


def _breakdown_shape(agg: Aggregated, name: str, spec: BreakdownSection) -> list[Part]:
    got = _counted(agg.of(f"k_{name}").rename(columns={f"k_{name}": "bucket"}))
    got = got.sort_values(["period_start", ROWS, "bucket"], ascending=[True, False, True])
    got["bucket_index"] = got.groupby("period_start").cumcount()
    return [(got.assign(series=ALL), COUNT_METRICS + add("amount_sum"))]


BREAKDOWN = Kind(
    sets=lambda name, spec: [(f"k_{name}",)],
    columns=lambda frame, name, spec: {f"k_{name}": F.coalesce(F.col(spec.column).cast("string"), F.lit(MISSING))},
    shape=_breakdown_shape,
)


# histogram: fixed bins, optional series, percentiles, thresholds ------------------------------------------


def bin_labels(spec: HistogramSection) -> list[str]:
    edges = spec.edges
    labels = [f"{lo:g}-{hi:g}" for lo, hi in zip(edges, edges[1:])]
    if spec.open_upper:
        labels[-1] = f"{edges[-2]:g}+"
    return labels


def bin_index(value: Column, edges: list[float]) -> Column:
    """Number of interior edges <= value: values below / above the range fall in the first / last bin."""
    interior = edges[1:-1]
    if not interior:
        return F.when(value.isNotNull(), F.lit(0))
    return reduce(lambda acc, col: acc + col, [(value >= F.lit(float(e))).cast("int") for e in interior])


def _series(spec: HistogramSection) -> Column:
    if spec.by is None:
        return F.lit(ALL)
    raw = F.col(spec.by).cast("string")
    labelled = raw
    for value, label in spec.series_labels.items():
        labelled = F.when(raw == F.lit(value), F.lit(label)).otherwise(labelled)
    return F.coalesce(labelled, F.lit(MISSING))


def _histogram_columns(frame: Frame, name: str, spec: HistogramSection) -> dict[str, Column]:
    value = F.col(spec.column).cast("double")
    return {f"s_{name}": _series(spec), f"i_{name}": bin_index(value, spec.edges), f"v_{name}": value}


def _histogram_shape(agg: Aggregated, name: str, spec: HistogramSection) -> list[Part]:
    s, i = f"s_{name}", f"i_{name}"
    totals = agg.of(s).rename(columns={s: "series"})
    known = list(spec.series_labels.values()) if spec.by else [ALL]
    keys = agg.starts().merge(pd.DataFrame({"series": known}), how="cross")
    keys = pd.concat([keys, totals[["period_start", "series"]]]).drop_duplicates(ignore_index=True)
    labels = bin_labels(spec)
    grid = keys.merge(pd.DataFrame({"bucket_index": range(len(labels)), "bucket": labels}), how="cross")
    bins = agg.of(s, i).rename(columns={s: "series", i: "bucket_index"}).dropna(subset=["bucket_index"])
    bins["bucket_index"] = pd.to_numeric(bins["bucket_index"]).astype("int64")
    binned = grid.merge(bins[["period_start", "series", "bucket_index", ROWS]], how="left")
    binned[ROWS] = binned[ROWS].astype(float).fillna(0.0)

    stats = keys.merge(totals, how="left")
    stats[[ROWS, f"vc_{name}", f"vs_{name}"]] = stats[[ROWS, f"vc_{name}", f"vs_{name}"]].astype(float).fillna(0.0)
    stats["missing"] = stats[ROWS] - stats[f"vc_{name}"]
    stats["sum"], stats["mean"] = stats[f"vs_{name}"], ratio_of(stats[f"vs_{name}"], stats[f"vc_{name}"])
    names = _percentiles(stats, f"vp_{name}", spec.percentiles)
    parts: list[Part] = [(binned, add(ROWS)),
                         (stats.assign(bucket=ALL, bucket_index=TOTALS_INDEX), add(ROWS, "missing", "sum") + ratio("mean", *names))]
    if spec.mark_threshold:
        versions = agg.of("mv").rename(columns={"mv": "bucket", "threshold_max": "threshold"})
        parts.append((versions.assign(series=THRESHOLD_SERIES, bucket_index=0), ratio("threshold")))
    return parts


HISTOGRAM = Kind(
    sets=lambda name, spec: [(f"s_{name}", f"i_{name}"), (f"s_{name}",), *([("mv",)] if spec.mark_threshold else [])],
    columns=_histogram_columns,
    aggs=lambda name, spec: {f"vc_{name}": F.count(f"v_{name}"), f"vs_{name}": F.sum(f"v_{name}"),
                             f"vp_{name}": percentile_agg(f"v_{name}", spec.percentiles)},
    shape=_histogram_shape,
)

KINDS: dict[str, Kind] = {"summary": SUMMARY, "timeline": TIMELINE, "breakdown": BREAKDOWN, "histogram": HISTOGRAM}
