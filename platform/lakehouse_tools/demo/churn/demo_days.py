"""The churn demo's days for `make run DATASET=subscription_churn` (and its end-to-end test): four weeks
from the dataset's start, landed in two chunks with the billing database read after each, so the
accounts' plan changes between the reads reach the history (as the daily read does in production)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from lakehouse_tools.demo.churn.generator import LandingSummary, land_days
from lakehouse_tools.demo.churn.settings import ChurnSettings

SETTINGS = ChurnSettings()
FIRST = SETTINGS.start_date
MID, LAST = FIRST + timedelta(days=13), FIRST + timedelta(days=27)
CHUNKS = ((FIRST, MID), (MID + timedelta(days=1), LAST))


def land_demo_days(root: Path, truth: list[LandingSummary] | None = None) -> Iterator[date]:
    """Land each chunk and yield its last day, after which the source database is to be read. Re-landing
    writes the same bytes, so a second `make run` replays the same days. `truth` collects what landed."""
    for first, last in CHUNKS:
        summary = land_days(SETTINGS, root, first, last)
        if truth is not None:
            truth.append(summary)
        yield last
