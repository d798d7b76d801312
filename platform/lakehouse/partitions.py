"""Partition calendar: daily, weekly and monthly definitions from one configured start date, and the
mappings later stages need. Weeks start on Monday (ISO weeks)."""

from __future__ import annotations

from dataclasses import dataclass

from dagster import (
    DailyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionMapping,
    WeeklyPartitionsDefinition,
)

from lakehouse.config.dataset import PartitionSettings


@dataclass(frozen=True)
class Calendar:
    daily: DailyPartitionsDefinition
    weekly: WeeklyPartitionsDefinition
    monthly: MonthlyPartitionsDefinition


def build_calendar(settings: PartitionSettings) -> Calendar:
    start = settings.start_date.isoformat()
    tz, offset = settings.timezone, settings.end_offset
    return Calendar(
        daily=DailyPartitionsDefinition(start_date=start, timezone=tz, end_offset=offset),
        # day_offset=1: weeks run Monday..Sunday.
        weekly=WeeklyPartitionsDefinition(start_date=start, timezone=tz, end_offset=offset, day_offset=1),
        monthly=MonthlyPartitionsDefinition(start_date=start, timezone=tz, end_offset=offset),
    )


def lookback(days: int) -> TimeWindowPartitionMapping:
    """A daily asset reading its own day plus the `days` before it (rolling-window features).

    With equal granularities the offsets count in upstream partitions; allow_nonexistent lets the first
    days of the calendar read the shorter history that exists."""
    return TimeWindowPartitionMapping(start_offset=-days, end_offset=0, allow_nonexistent_upstream_partitions=True)
