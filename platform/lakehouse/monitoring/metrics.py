"""Daily model monitoring as pure Spark functions: realised performance once labels mature, and score drift.

Both look only at rows scored by the day's serving model version: a new champion has a different score
distribution (drift against the old one's scores is expected, not a problem) and must not be blamed for
its predecessor's misses. So after a promotion the metrics stay empty until the new version has enough
reference days and matured labels (the minimums in monitoring.yaml).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.monitoring import LabelColumns, MonitoringConfig, PredictionColumns
from lakehouse.ml.metrics import PROB, area, histogram, pr_curve
from lakehouse.scoring.drift import bin_counts, fractions, psi


@dataclass(frozen=True)
class Performance:
    rows: int
    positives: int
    first_day: date | None
    last_day: date | None
    precision: float | None
    recall: float | None
    pr_auc: float | None


@dataclass(frozen=True)
class DayMetrics:
    monitoring_date: date
    model_version: str | None
    scored_rows: int
    reference_rows: int
    psi: float | None
    evaluated_rows: int
    evaluated_positives: int
    evaluated_from: date | None
    evaluated_to: date | None
    precision: float | None
    recall: float | None
    pr_auc: float | None

    def metadata(self) -> dict[str, Any]:
        """Materialisation metadata (what the retraining sensor reads): values that exist, dates as text."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v is not None}


def in_days(frame: DataFrame, column: str, start: date, end: date) -> DataFrame:
    """Rows whose `column` day lies in [start, end)."""
    return frame.where((F.col(column) >= F.lit(start)) & (F.col(column) < F.lit(end)))


def serving_version(day_rows: DataFrame, column: str) -> str | None:
    """The version that scored most of the day's rows (ties: the highest), None when nothing was scored."""
    row = day_rows.groupBy(column).count().orderBy(F.desc("count"), F.desc(column)).first()
    return None if row is None or row[column] is None else str(row[column])


def realised(predictions: DataFrame, labels: DataFrame, p: PredictionColumns, lab: LabelColumns, bins: int) -> Performance:
    """Precision and recall of the stored decisions and PR-AUC of the probabilities, over the rows whose
    label has matured (an immature label may still turn positive: counting it negative would flatter recall)."""
    matured = labels.where(F.col(lab.matured)).select(
        F.col(lab.key).alias("_key"), F.col(lab.date).alias("_day"), F.col(lab.label).cast("int").alias("_label"))
    joined = predictions.select(
        F.col(p.key).alias("_key"), F.col(p.date).alias("_day"), F.col(p.probability).cast("double").alias(PROB),
        F.col(p.prediction).cast("int").alias("_pred"),
    ).join(matured, ["_key", "_day"])
    row = joined.agg(
        F.count(F.lit(1)).alias("rows"), F.sum("_label").alias("pos"),
        F.sum(((F.col("_pred") == 1) & (F.col("_label") == 1)).cast("long")).alias("tp"),
        F.sum((F.col("_pred") == 1).cast("long")).alias("flagged"),
        F.min("_day").alias("first"), F.max("_day").alias("last"),
    ).first()
    rows, pos = int(row["rows"]) if row else 0, int(row["pos"] or 0) if row else 0
    if not rows:
        return Performance(0, 0, None, None, None, None, None)
    assert row is not None  # rows > 0 came from it
    tp, flagged = int(row["tp"] or 0), int(row["flagged"] or 0)
    pr_auc = area(*pr_curve(histogram(joined, "_label", bins))) if pos else None
    return Performance(rows, pos, row["first"], row["last"], tp / flagged if flagged else None,
                       tp / pos if pos else None, pr_auc)


def score_psi(current: DataFrame, reference: DataFrame, column: str, bins: int) -> tuple[float | None, int, int]:
    """(PSI of `current` against `reference` over the reference's quantile bins, reference rows, current rows).
    Three Spark jobs: reference quantiles with its count, then each side's bin counts with its count."""
    probabilities = F.array(*[F.lit(i / bins) for i in range(1, bins)])
    head = reference.agg(F.count(F.lit(1)).alias("_rows"),
                         F.percentile_approx(F.col(column), probabilities, 10_000).alias("_q")).first()
    ref_rows = int(head["_rows"]) if head else 0
    edges = sorted(set(round(float(q), 9) for q in head["_q"])) if ref_rows and head else []  # ties merge bins
    counts = []
    for frame in (reference, current):
        row = frame.agg(F.count(F.lit(1)).alias("_rows"), *bin_counts(F.col(column), edges)).first()
        assert row is not None  # a global aggregate always has its one row
        counts.append((int(row["_rows"]), [int(row[f"_bin_{b}"] or 0) for b in range(len(edges) + 1)]))
    cur_rows = counts[1][0]
    if not ref_rows or not cur_rows:
        return None, ref_rows, cur_rows
    return psi(fractions(counts[0][1]), fractions(counts[1][1])), ref_rows, cur_rows


def monitor_day(predictions: DataFrame, labels: DataFrame, day: date, config: MonitoringConfig) -> DayMetrics:
    """Everything monitored for `day`. `predictions` must cover the reference and performance windows
    before it, `labels` the performance window (the asset's partition mappings load exactly that).
    The definition, day by day: the asset runs range_metrics.monitor_days, tested equal to it."""
    p, perf, drift = config.predictions, config.performance, config.drift
    next_day = day + timedelta(days=1)
    version = serving_version(in_days(predictions, p.date, day, next_day), p.model_version)
    if version is None:
        return unscored(day)
    same = predictions.where(F.col(p.model_version).cast("string") == F.lit(version))
    current = in_days(same, p.date, day, next_day).select(F.col(p.probability).cast("double").alias("_p"))
    reference = in_days(same, p.date, day - timedelta(days=drift.reference_days), day).select(
        F.col(p.probability).cast("double").alias("_p"))
    value, ref_rows, cur_rows = score_psi(current, reference, "_p", drift.bins)
    window = in_days(same, p.date, next_day - timedelta(days=perf.window_days), next_day)
    return day_metrics(day, version, value, ref_rows, cur_rows, realised(window, labels, p, config.labels, perf.bins),
                       config)


def unscored(day: date) -> DayMetrics:
    """A day nothing was scored on (or whose rows have no model version): nothing to monitor."""
    return DayMetrics(day, None, 0, 0, None, 0, 0, None, None, None, None, None)


def day_metrics(day: date, version: str, psi_value: float | None, ref_rows: int, cur_rows: int, result: Performance,
                config: MonitoringConfig) -> DayMetrics:
    """The day's row with the minimum-size rules applied (shared by monitor_day and range_metrics.monitor_days)."""
    perf = config.performance
    if min(ref_rows, cur_rows) < config.drift.min_rows:
        psi_value = None  # too few scores for a stable histogram
    enough = result.rows >= perf.min_rows and result.positives >= perf.min_positives
    return DayMetrics(
        day, version, cur_rows, ref_rows, psi_value, result.rows, result.positives, result.first_day, result.last_day,
        result.precision if enough else None, result.recall if enough else None, result.pr_auc if enough else None,
    )
