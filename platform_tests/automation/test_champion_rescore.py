"""The optional champion re-score sensor: a promotion re-scores the newest scored days once, as one range
run; off by default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster import AssetKey, AssetMaterialization, DagsterInstance, build_sensor_context

from lakehouse.automation.champion import RANGE_END, RANGE_START, SENSOR_NAME, build_champion_rescore_sensor
from lakehouse.config.automation import ChampionRescore, load_automation_config
from lakehouse.config.dataset import load_dataset
from lakehouse.partitions import build_calendar

DATASET = "card_fraud"
CAL = build_calendar(load_dataset(DATASET).partitions)
# automation.yaml names ml/model and scoring/predictions within the dataset; the sensor watches its dataset's keys.
MODEL, PREDICTIONS = AssetKey([DATASET, "ml", "model"]), AssetKey([DATASET, "scoring", "predictions"])


def promote(instance: DagsterInstance, version: str, promoted: bool = True) -> None:
    week = CAL.weekly.get_last_partition_key()
    metadata: dict[str, Any] = {"promoted": promoted, "model_version": version}
    instance.report_runless_asset_event(AssetMaterialization(asset_key=MODEL, partition=week, metadata=metadata))


def score(instance: DagsterInstance, days: Sequence[str]) -> None:
    for day in days:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=PREDICTIONS, partition=day))


def test_disabled_by_default() -> None:
    config = load_automation_config(DATASET).champion_rescore
    assert not config.enabled and build_champion_rescore_sensor(config, CAL.daily, DATASET) is None


def test_a_promoted_champion_rescores_the_newest_scored_days_once_in_one_run(instance: DagsterInstance) -> None:
    # The calendar runs to yesterday; the data stopped weeks ago (a demo replaying an earlier quarter):
    # the days re-scored are the newest ones that were scored, not the calendar's newest.
    keys = CAL.daily.get_partition_keys()
    scored = keys[-40:-30]
    score(instance, scored)
    sensor = build_champion_rescore_sensor(ChampionRescore(enabled=True, days=3), CAL.daily, DATASET)
    assert sensor is not None and sensor.name == SENSOR_NAME
    cursor: list[str | None] = [None]

    def tick():
        result = sensor.evaluate_tick(build_sensor_context(cursor=cursor[0], instance=instance))
        cursor[0] = result.cursor or cursor[0]
        return result

    promote(instance, "3")  # before the sensor started: history, not replayed
    assert tick().run_requests == []
    promote(instance, "4", promoted=False)  # the gate kept the old champion: nothing to re-score
    assert tick().run_requests == []
    promote(instance, "5")
    [request] = tick().run_requests
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (scored[-3], scored[-1])
    assert request.asset_selection == [PREDICTIONS] and request.tags["lakehouse/rescore_model_version"] == "5"
    assert tick().run_requests == []  # once


def test_a_gap_in_the_scored_days_ends_the_range(instance: DagsterInstance) -> None:
    """A day not scored (held by a failed check) cannot be in a range run that scores every day in it."""
    keys = CAL.daily.get_partition_keys()
    score(instance, [*keys[-20:-16], *keys[-15:-13]])  # keys[-16] never scored
    sensor = build_champion_rescore_sensor(ChampionRescore(enabled=True, days=7), CAL.daily, DATASET)
    assert sensor is not None
    first = sensor.evaluate_tick(build_sensor_context(instance=instance))
    promote(instance, "2")
    [request] = sensor.evaluate_tick(build_sensor_context(cursor=first.cursor, instance=instance)).run_requests
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (keys[-15], keys[-14])


def test_nothing_scored_yet_requests_nothing(instance: DagsterInstance) -> None:
    sensor = build_champion_rescore_sensor(ChampionRescore(enabled=True, days=7), CAL.daily, DATASET)
    assert sensor is not None
    first = sensor.evaluate_tick(build_sensor_context(instance=instance))
    promote(instance, "2")
    assert sensor.evaluate_tick(build_sensor_context(cursor=first.cursor, instance=instance)).run_requests == []
