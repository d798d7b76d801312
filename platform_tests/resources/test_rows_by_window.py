"""Per-partition row counts of a range write: `rows_by_window` on its own, and the IO manager without a step.

The range run through Dagster (each partition's materialisation) is in test_delta_io_manager.py.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from dagster import PartitionKeyRange, build_output_context

from lakehouse.resources.delta_write import SchemaMismatchError, TimeWindowFilter, rows_by_window
from platform_tests.resources.test_delta_io_manager import DAILY


def windows(column: str, start: datetime, step: timedelta, n: int) -> list[TimeWindowFilter]:
    return [TimeWindowFilter(column, start + i * step, start + (i + 1) * step) for i in range(n)]


def timestamps(spark, *values: str, kind: str = "TIMESTAMP"):
    rows = ", ".join(f"({kind}'{v}')" for v in values)
    return spark.sql(f"SELECT * FROM VALUES {rows} AS t(ts)")


@pytest.mark.parametrize("kind", ["TIMESTAMP", "TIMESTAMP_NTZ"])
def test_timestamps_fall_in_their_day_and_an_empty_day_counts_zero(spark, kind):
    df = timestamps(spark, "2025-12-31 23:59:59", "2026-01-01 00:00:00", "2026-01-01 23:59:59",
                    "2026-01-03 12:00:00", "2026-01-04 00:00:00", kind=kind)
    days = windows("ts", datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=1), 3)
    assert rows_by_window(df, days) == [2, 0, 1]  # outside the whole window: not counted


def test_hourly_windows_are_not_merged_into_days(spark):
    df = timestamps(spark, "2026-01-01 00:10:00", "2026-01-01 01:00:00", "2026-01-01 01:59:59", "2026-01-01 03:00:00")
    hours = windows("ts", datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1), 3)
    assert rows_by_window(df, hours) == [1, 2, 0]


def test_rows_in_a_gap_between_windows_count_for_none(spark):
    df = spark.sql("SELECT * FROM VALUES (DATE'2026-01-01'), (DATE'2026-01-02'), (DATE'2026-01-03') AS t(d)")
    day1, _, day3 = windows("d", datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=1), 3)
    assert rows_by_window(df, [day1, day3]) == [1, 1]


def test_a_column_that_is_not_a_date_is_refused(spark):
    df = spark.sql("SELECT 1 AS d")
    with pytest.raises(SchemaMismatchError, match="date or timestamp"):
        rows_by_window(df, windows("d", datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=1), 2))


def test_without_a_step_the_range_figures_stay_on_the_output(spark, resources):
    """A bare build_output_context has no per-partition events, so the counts are published as one table."""
    name = f"t_{uuid.uuid4().hex[:8]}"
    df = spark.sql("SELECT * FROM VALUES (1, DATE'2026-01-01'), (2, DATE'2026-01-01'), (3, DATE'2026-01-03') "
                   "AS t(id, event_date)")
    context = build_output_context(
        asset_key=["card_fraud", "testing", name], definition_metadata={"partition_expr": "event_date"},
        asset_partitions_def=DAILY, asset_partition_key_range=PartitionKeyRange("2026-01-01", "2026-01-03"),
    )
    resources["io_manager"].handle_output(context, df)
    meta = {k: v.value for k, v in context.get_logged_metadata().items()}
    assert meta["rows_by_partition"] == {"2026-01-01": 2, "2026-01-02": 0, "2026-01-03": 1}
    assert (meta["rows_in_run_range"], meta["partition_range"]) == (3, "2026-01-01 .. 2026-01-03")
    assert "dagster/row_count" not in meta
