"""What daily model monitoring reports for a day, and its minimum-size rules (range_metrics.py computes it).

Both measures look only at rows scored by the day's serving model version: a new champion has a different
score distribution (drift against the old one's scores is expected, not a problem) and must not be blamed
for its predecessor's misses. So after a promotion the metrics stay empty until the new version has enough
reference days and matured labels (the minimums in monitoring.yaml).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from lakehouse.config.monitoring import MonitoringConfig


@dataclass(frozen=True)
class Performance:
    """Realised performance over the matured labels of a window (before the minimum-size rules)."""

    rows: int
    positives: int
    first_day: date | None
    last_day: date | None
    precision: float | None
    recall: float | None
    pr_auc: float | None


NO_LABELS = Performance(0, 0, None, None, None, None, None)


@dataclass(frozen=True)
class DayMetrics:
    monitoring_date: date
    model_version: str | None
    scored_rows: int
    reference_rows: int
    psi_vs_prior_days: float | None
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


def unscored(day: date) -> DayMetrics:
    """A day nothing was scored on (or whose rows have no model version): nothing to monitor."""
    return DayMetrics(day, None, 0, 0, None, 0, 0, None, None, None, None, None)


def day_metrics(day: date, version: str, psi_value: float | None, ref_rows: int, cur_rows: int, result: Performance,
                config: MonitoringConfig) -> DayMetrics:
    """The day's row with the minimum-size rules applied."""
    perf = config.performance
    if min(ref_rows, cur_rows) < config.drift.min_rows:
        psi_value = None  # too few scores for a stable histogram
    enough = result.rows >= perf.min_rows and result.positives >= perf.min_positives
    return DayMetrics(
        day, version, cur_rows, ref_rows, psi_value, result.rows, result.positives, result.first_day, result.last_day,
        result.precision if enough else None, result.recall if enough else None, result.pr_auc if enough else None,
    )
