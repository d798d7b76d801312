"""Named random streams and small helpers shared by the generator modules.

Every piece of output draws from its own stream keyed by (seed, purpose, date, ...), so a day's
content never depends on what was generated before it, and turning dirty data on or off does not
change the clean rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import IntEnum

import numpy as np

EPOCH = date(1970, 1, 1)


class Stream(IntEnum):
    ENTITIES = 0
    TRANSACTIONS = 1
    ROW_DIRT = 2
    FILE_DIRT = 3
    CUSTOMER_CHANGES = 4
    CHARGEBACKS = 5


FORMAT_CODE = {"csv": 0, "jsonl": 1}


def rng(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, int(stream), *keys])


def day_key(day: date) -> int:
    """Stable per-day key (days since 1970), independent of the start date."""
    return (day - EPOCH).days


def from_key(key: int) -> date:
    return EPOCH + timedelta(days=int(key))


def iso_utc(seconds: np.ndarray) -> list[str]:
    """Epoch seconds -> ISO-8601 UTC strings such as 2026-01-01T13:45:12Z (vectorised)."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return [t + "Z" for t in text.tolist()]


def to_datetime(seconds: int) -> datetime:
    """Epoch seconds -> naive UTC datetime (the source tables store UTC without a zone)."""
    return datetime(1970, 1, 1) + timedelta(seconds=int(seconds))


def amount_text(cents: np.ndarray) -> list[str]:
    """Integer cents -> decimal text with exactly two decimals (exact, no float rounding)."""
    return [f"{c // 100}.{c % 100:02d}" if c >= 0 else f"-{-c // 100}.{-c % 100:02d}" for c in cents.tolist()]


def draw(rng_: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Categorical draw by weights (need not be normalised)."""
    cdf = np.cumsum(weights, dtype=float)
    return np.searchsorted(cdf, rng_.random(size) * cdf[-1], side="right").clip(0, len(weights) - 1)
