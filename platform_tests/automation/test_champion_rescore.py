"""The optional champion re-score sensor: a promotion re-scores the newest days once, as one range run;
off by default."""

from __future__ import annotations

from typing import Any

from dagster import AssetKey, AssetMaterialization, DagsterInstance, build_sensor_context

from lakehouse.automation.champion import RANGE_END, RANGE_START, SENSOR_NAME, build_champion_rescore_sensor
from lakehouse.config.automation import ChampionRescore, load_automation_config
from lakehouse.config.dataset import load_dataset
from lakehouse.partitions import build_calendar

CAL = build_calendar(load_dataset("card_fraud").partitions)
MODEL, PREDICTIONS = AssetKey(["ml", "model"]), AssetKey(["scoring", "predictions"])


def promote(instance: DagsterInstance, version: str, promoted: bool = True) -> None:
    week = CAL.weekly.get_last_partition_key()
    metadata: dict[str, Any] = {"promoted": promoted, "model_version": version}
    instance.report_runless_asset_event(AssetMaterialization(asset_key=MODEL, partition=week, metadata=metadata))


def test_disabled_by_default() -> None:
    config = load_automation_config("card_fraud").champion_rescore
    assert not config.enabled and build_champion_rescore_sensor(config, CAL.daily) is None


def test_a_promoted_champion_rescores_the_newest_days_once_in_one_run(instance: DagsterInstance) -> None:
    sensor = build_champion_rescore_sensor(ChampionRescore(enabled=True, days=3), CAL.daily)
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
    days = CAL.daily.get_partition_keys()[-3:]
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (days[0], days[-1])
    assert request.asset_selection == [PREDICTIONS] and request.tags["lakehouse/rescore_model_version"] == "5"
    assert tick().run_requests == []  # once
