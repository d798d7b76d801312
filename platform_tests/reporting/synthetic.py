"""Tiny synthetic predictions and labels for the reporting tests (known answers, a handful of rows)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

PREDICTIONS_SCHEMA = (
    "transaction_id string, event_date date, event_time timestamp, customer_id string, amount double, "
    "category string, channel string, probability double, prediction int, threshold double, model_name string, "
    "model_version string, mlflow_run_id string, scored_at timestamp"
)
LABELS_SCHEMA = "transaction_id string, event_date date, is_fraud int, label_observed_at timestamp, " \
                "label_matured boolean, labels_as_of timestamp"

MONDAY = date(2026, 7, 6)


def prediction(tid: str, day: date, hour: int, amount: float, probability: float, category: str | None = "grocery",
               channel: str = "pos", version: str = "1", threshold: float = 0.5) -> tuple[Any, ...]:
    at = datetime(day.year, day.month, day.day, hour, 15)
    return (tid, day, at, f"c_{tid}", amount, category, channel, probability, int(probability >= threshold), threshold,
            "fraud_model", version, "run1", at + timedelta(hours=1))


def label(tid: str, day: date, is_fraud: int, matured: bool) -> tuple[Any, ...]:
    observed = datetime(day.year, day.month, day.day, 12) + timedelta(days=3) if is_fraud else None
    return (tid, day, is_fraud, observed, matured, datetime(2026, 9, 1))


def week_rows() -> list[tuple[Any, ...]]:
    """Monday: 4 rows; Tuesday: 3; Wednesday: none; Sunday: 1 -- two model versions, every case of the bins."""
    mon, tue, sun = MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=6)
    return [
        prediction("m1", mon, 1, 5.0, 0.02),
        prediction("m2", mon, 1, 120.0, 0.91, category="electronics", channel="online"),
        prediction("m3", mon, 13, 40.0, 0.40, category=None),
        prediction("m4", mon, 23, 9000.0, 0.75, category="travel", channel="online", version="2", threshold=0.7),
        prediction("t1", tue, 0, 60.0, 0.10),
        prediction("t2", tue, 8, 300.0, 0.55, category="electronics"),
        prediction("t3", tue, 8, 20.0, 0.05, category="gaming", channel="atm"),
        prediction("s1", sun, 22, 75.0, 0.65, category="travel", version="2", threshold=0.7),
    ]


def week_labels(matured: bool = True) -> list[tuple[Any, ...]]:
    frauds = {"m2", "m3", "t2"}
    return [label(r[0], r[1], int(r[0] in frauds), matured) for r in week_rows()]
