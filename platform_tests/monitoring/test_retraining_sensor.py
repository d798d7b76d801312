"""The retraining sensor against a real sqlite instance: monitoring materialisations are reported with
the metadata the monitoring asset writes, and each tick is resolved by Dagster against the stub
`ml_weekly_training` job (same name, weekly partitions) as the daemon would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetSelection,
    DagsterInstance,
    Definitions,
    asset,
    build_sensor_context,
    define_asset_job,
    instance_for_test,
)

from lakehouse.config.dataset import load_dataset
from lakehouse.config.monitoring import load_monitoring_config
from lakehouse.monitoring.sensors import (
    DAY_TAG,
    REASON_TAG,
    VERSION_TAG,
    build_retraining_sensor,
    monitoring_key,
)
from lakehouse.partitions import build_calendar

DATASET = "card_fraud"
CAL = build_calendar(load_dataset(DATASET).partitions)
CONFIG = load_monitoring_config(DATASET)
MONITORING_KEY = monitoring_key(DATASET)
HEALTHY = {"model_version": "3", "pr_auc": 0.42, "recall": 0.61, "psi_vs_prior_days": 0.04, "evaluated_rows": 5000}
DEGRADED = {**HEALTHY, "pr_auc": 0.07, "evaluated_from": "2026-01-10", "evaluated_to": "2026-02-07"}


@asset(key=MONITORING_KEY, partitions_def=CAL.daily)
def monitoring() -> None: ...


@asset(key=[DATASET, "ml", "model"], partitions_def=CAL.weekly)
def model() -> None: ...


ML_JOB = define_asset_job("ml_weekly_training", selection=AssetSelection.assets(model))


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as inst:
        yield inst


class Ticker:
    def __init__(self, instance: DagsterInstance) -> None:
        self.sensor = build_retraining_sensor(CAL.weekly, CONFIG, DATASET)
        assert self.sensor is not None
        self.defs = Definitions(assets=[monitoring, model], jobs=[ML_JOB], sensors=[self.sensor])
        self.instance = instance
        self.cursor: str | None = None

    def __call__(self) -> Any:
        context = build_sensor_context(cursor=self.cursor, instance=self.instance, definitions=self.defs)
        result = self.sensor.evaluate_tick(context)
        self.cursor = result.cursor
        return result


def monitored(instance: DagsterInstance, day: str, metrics: dict[str, Any], key: AssetKey = MONITORING_KEY) -> None:
    instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=day, metadata=metrics))


def test_the_sensor_reads_its_own_datasets_monitoring_asset(instance: DagsterInstance) -> None:
    assert MONITORING_KEY == AssetKey(["card_fraud", "monitoring", "model_performance"])
    tick = Ticker(instance)
    # Another dataset's monitoring asset in the same instance: its breach is not this dataset's model.
    monitored(instance, "2026-03-02", DEGRADED, monitoring_key("subscription_churn"))
    result = tick()
    assert result.run_requests == [] and "No new monitoring materialisation" in result.skip_message
    monitored(instance, "2026-03-02", DEGRADED)
    assert [r.partition_key for r in tick().run_requests] == ["2026-03-02"]


def test_a_breach_requests_retraining_once_with_the_reason(instance: DagsterInstance) -> None:
    tick = Ticker(instance)
    monitored(instance, "2026-03-01", HEALTHY)
    assert tick().run_requests == []
    monitored(instance, "2026-03-02", DEGRADED)
    result = tick()
    # The week holding the breached day (2026-03-02 is a Monday: its own week), not the newest week by
    # the clock, which may hold no data (replays, demos).
    assert [(r.job_name, r.partition_key) for r in result.run_requests] == [("ml_weekly_training", "2026-03-02")]
    tags = result.run_requests[0].tags
    assert tags[REASON_TAG] == "pr_auc 0.0700 < min 0.1 (matured 2026-01-10..2026-02-07, 5000 rows)"
    assert (tags[DAY_TAG], tags[VERSION_TAG]) == ("2026-03-02", "3")
    assert tick().run_requests == []  # repeated tick: nothing new
    monitored(instance, "2026-03-03", DEGRADED)  # the same breach goes on: still one request
    result = tick()
    assert result.run_requests == [] and "breach open since 2026-03-02" in result.skip_message


def test_no_breach_requests_nothing(instance: DagsterInstance) -> None:
    tick = Ticker(instance)
    for day in ("2026-03-01", "2026-03-02"):
        monitored(instance, day, HEALTHY)
    result = tick()
    assert result.run_requests == [] and "within thresholds" in result.skip_message
    monitored(instance, "2026-03-03", {"model_version": "3", "evaluated_rows": 40})  # too few matured labels
    assert "nothing to judge yet" in tick().skip_message


def test_recovery_then_a_new_breach_is_a_new_request(instance: DagsterInstance) -> None:
    tick = Ticker(instance)
    monitored(instance, "2026-03-02", DEGRADED)
    first = tick().run_requests
    monitored(instance, "2026-03-03", HEALTHY)
    assert tick().run_requests == []
    monitored(instance, "2026-03-04", {**HEALTHY, "psi_vs_prior_days": 0.4})
    second = tick().run_requests
    assert len(first) == len(second) == 1 and first[0].run_key != second[0].run_key
    assert second[0].tags["lakehouse/breached_metrics"] == "psi_vs_prior_days"


def test_only_the_newest_day_is_judged(instance: DagsterInstance) -> None:
    tick = Ticker(instance)
    monitored(instance, "2026-03-05", HEALTHY)
    assert tick().run_requests == []
    monitored(instance, "2026-02-10", DEGRADED)  # a backfill of an old day: history, not the model now
    result = tick()
    assert result.run_requests == [] and "Only days before 2026-03-05" in result.skip_message
    assert json.loads(tick.cursor)["day"] == "2026-03-05"


def test_sensor_module_does_not_import_pyspark() -> None:
    probe = "import sys, lakehouse.monitoring.sensors; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=os.environ)
    assert out.stdout.strip() == "False"


def test_the_retraining_week_holds_the_breached_day_unless_that_week_has_not_ended():
    from lakehouse.monitoring.sensors import training_week

    assert training_week(CAL.weekly, "2026-03-19") == "2026-03-16"  # a Thursday: its Monday's week
    newest = CAL.weekly.get_last_partition_key()
    assert training_week(CAL.weekly, "2999-01-01") == newest  # a week that has not ended: the newest one
