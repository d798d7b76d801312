"""The optional champion re-score sensor: a promotion re-scores the newest days once; off by default."""

from __future__ import annotations

from dagster import AssetMaterialization, DagsterInstance, Definitions

from lakehouse.automation.champion import SENSOR_NAME, build_champion_rescore_sensor
from lakehouse.config.automation import ChampionRescore, load_automation_config
from platform_tests.automation.stubs import CAL, MODEL, PREDICTIONS, Ticker, run, stub_assets


def promote(instance: DagsterInstance, version: str, promoted: bool = True) -> None:
    week = CAL.weekly.get_last_partition_key()
    metadata = {"promoted": promoted, "model_version": version}
    instance.report_runless_asset_event(AssetMaterialization(asset_key=MODEL, partition=week, metadata=metadata))


def test_disabled_by_default() -> None:
    config = load_automation_config("card_fraud").champion_rescore
    assert not config.enabled and build_champion_rescore_sensor(stub_assets(), config) is None


def test_a_promoted_champion_rescores_the_newest_days_once(instance: DagsterInstance) -> None:
    assets = stub_assets()
    sensor = build_champion_rescore_sensor(assets, ChampionRescore(enabled=True, days=3))
    assert sensor is not None and sensor.name == SENSOR_NAME
    tick = Ticker(sensor, Definitions(assets=assets, sensors=[sensor]), instance)
    assert tick().run_requests == []  # first tick: starts after the newest model event
    promote(instance, "4", promoted=False)  # the gate kept the old champion: nothing to re-score
    assert tick().run_requests == []
    days = CAL.daily.get_partition_keys()[-3:]
    assert run(assets, [PREDICTIONS], days[-1], instance)  # scored before the promotion: still stale after
    promote(instance, "5")
    result = tick()
    assert sorted(r.partition_key for r in result.run_requests) == days
    assert {r.tags["lakehouse/triggered_by"].split("|")[0] for r in result.run_requests} == {"ml/model"}
    assert tick().run_requests == []
