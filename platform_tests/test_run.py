"""`make run`'s replay plan (pure parts; the replay itself is `make run`)."""

from datetime import date, timedelta

import pytest

from lakehouse_tools.run import CAPTURE_EVERY_DAYS, DEMO_WEEKS, capture_chunks, require_demo_dataset, trainable_week


@pytest.mark.parametrize("days", [0, 1, 2, 15, 16, DEMO_WEEKS * 7])
def test_every_demo_day_lands_once_and_the_databases_are_read_after_the_first_day(days):
    chunks = capture_chunks(days)
    if days == 0:  # a root already landed up to the last day
        assert chunks == []
        return
    assert sum(chunks) == days and chunks[0] == 1 and all(0 < c <= CAPTURE_EVERY_DAYS for c in chunks)


def test_the_model_trains_on_the_newest_week_that_has_ended_and_is_covered_and_matured():
    first = date(2026, 1, 1)
    last = first + timedelta(days=DEMO_WEEKS * 7 - 1)  # 2026-03-25, a Wednesday
    assert trainable_week(first, last, "card_fraud", newest_week=date(2026, 11, 23)) == date(2026, 3, 23)
    # The week of 03-23 has not ended yet on 03-26: the one before it.
    assert trainable_week(first, last, "card_fraud", newest_week=date(2026, 3, 16)) == date(2026, 3, 16)
    with pytest.raises(ValueError, match="raise DEMO_WEEKS"):
        trainable_week(first, last - timedelta(weeks=3), "card_fraud", newest_week=date(2026, 11, 23))


def test_a_profile_on_another_dataset_is_refused_before_anything_lands():
    require_demo_dataset("card_fraud", "local")
    with pytest.raises(SystemExit, match="profile 'churn_dev' uses dataset 'subscription_churn'.*second_dataset"):
        require_demo_dataset("subscription_churn", "churn_dev")
