"""The label maturity refresh recomputes exactly the days whose labels can still change, as one run."""

from datetime import UTC, datetime

from dagster import DagsterInstance, build_schedule_context

from lakehouse.config.dataset import load_dataset
from lakehouse.partitions import build_calendar
from lakehouse.processing.schedules import build_labels_refresh


def test_refresh_requests_the_trailing_label_window_as_one_range():
    dataset = load_dataset("card_fraud")
    job, schedule = build_labels_refresh(dataset, build_calendar(dataset.partitions), running=False)
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(instance=instance,
                                         scheduled_execution_time=datetime(2026, 3, 20, 3, tzinfo=UTC))
        request = schedule.evaluate_tick(context).run_requests[0]
    # 30-day window, chargebacks seen through yesterday (19 March): 16 February is final once an event
    # from 16 + 1 + 30 days = 19 March is seen, so it matures today and is the range's first day.
    assert request.tags["dagster/asset_partition_range_start"] == "2026-02-16"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-03-19"
    assert request.run_key == "labels_2026-03-19"
