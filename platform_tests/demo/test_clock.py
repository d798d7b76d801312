"""The demo clock (lakehouse_tools/demo/clock.py): `make run` replays the weeks ending yesterday on a demo
project kept in the data root, and the calendar the definitions build follows it (no JVM here)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import WeeklyPartitionsDefinition

from lakehouse.config.dataset import load_dataset
from lakehouse.config.project import DEFAULT_PROJECT_DIR, PROJECT_ENV_VAR
from lakehouse.partitions import build_calendar
from lakehouse_tools.demo import clock, manifest
from lakehouse_tools.replay import existing_keys, trainable_week
from lakehouse_tools.run import DEMO_WEEKS, days_to_land


def test_the_demo_project_moves_the_calendar_and_links_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = clock.write_demo_project(tmp_path, "card_fraud", date(2026, 9, 11))
    monkeypatch.setenv(PROJECT_ENV_VAR, str(project))
    assert load_dataset("card_fraud").partitions.start_date == date(2026, 9, 11)
    assert build_calendar(load_dataset("card_fraud").partitions).daily.get_first_partition_key() == "2026-09-11"
    # The other files are the shipped ones (edits apply), the other dataset is the shipped folder.
    shipped = DEFAULT_PROJECT_DIR / "datasets"
    assert (project / "datasets/card_fraud/features.yaml").resolve() == (shipped / "card_fraud/features.yaml").resolve()
    assert (project / "datasets/subscription_churn").resolve() == (shipped / "subscription_churn").resolve()
    assert load_dataset("subscription_churn").partitions.start_date == date(2026, 1, 1)
    # Kept from the first replay, and rewriting the project is idempotent.
    assert clock.recorded_start(tmp_path, "card_fraud") == date(2026, 9, 11)
    clock.write_demo_project(tmp_path, "card_fraud", date(2026, 9, 11))
    assert clock.recorded_start(tmp_path, "card_fraud") == date(2026, 9, 11)
    assert clock.recorded_start(tmp_path / "elsewhere", "card_fraud") is None


@pytest.mark.parametrize("days_left", [0, 2, 5])
def test_every_weekday_the_replay_ending_yesterday_holds_a_week_the_model_can_train_on(days_left: int) -> None:
    for today in (date(2026, 12, 1) + timedelta(days=i) for i in range(14)):
        first = clock.clock_start(today, DEMO_WEEKS * 7, days_left)
        last = today - timedelta(days=1 + days_left)
        assert (last - first).days + 1 == DEMO_WEEKS * 7
        newest_week = today - timedelta(days=today.weekday() + 7)  # the newest week that has ended
        week = trainable_week(first, last, "card_fraud", newest_week)
        assert week.weekday() == 0 and week <= newest_week


def test_the_weeks_and_months_replayed_are_those_that_have_ended() -> None:
    weeks = WeeklyPartitionsDefinition(start_date="2026-09-11", day_offset=1, end_date="2026-12-04")
    assert existing_keys(weeks, date(2026, 9, 11), date(2026, 12, 3)) == (date(2026, 9, 14), date(2026, 11, 23))
    assert existing_keys(weeks, date(2026, 9, 11), date(2026, 9, 13)) is None


def test_a_root_replayed_on_another_calendar_is_refused(tmp_path: Path) -> None:
    assert days_to_land(tmp_path, date(2026, 9, 11), date(2026, 12, 3)) == 84
    manifest.save(tmp_path, {"days": {"2026-01-01": {}}})
    with pytest.raises(SystemExit, match="holds demo days from 2026-01-01, not from 2026-09-11.*make clean-data"):
        days_to_land(tmp_path, date(2026, 9, 11), date(2026, 12, 3))
