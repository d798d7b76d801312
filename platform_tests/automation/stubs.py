"""Stub assets with the real keys and partitions definitions (no Spark), and a ticker that evaluates a
sensor tick by tick and launches what it requests in-process, as the daemon would."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    DagsterInstance,
    Definitions,
    MaterializeResult,
    SensorDefinition,
    asset,
    build_sensor_context,
    materialize,
)

from lakehouse.config.dataset import load_dataset
from lakehouse.partitions import build_calendar

CAL = build_calendar(load_dataset("card_fraud").partitions)
GOLD, LABELS = AssetKey(["gold", "transaction_features"]), AssetKey(["gold", "labels"])
PREDICTIONS = AssetKey(["scoring", "predictions"])
# As lakehouse/reporting builds them: per period a summary table reading predictions and labels, and a
# report reading the summary.
PERIODS = ("daily", "weekly", "monthly")
SUMMARY = {p: AssetKey(["reporting", f"{p}_summary"]) for p in PERIODS}
REPORT = {p: AssetKey(["reporting", f"{p}_report"]) for p in PERIODS}
MODEL = AssetKey(["ml", "model"])

# Called inside the predictions stub while its run is in progress (a tick "mid-run").
MID_RUN: list[Callable[[], None]] = []


def stub_assets(gold_check_passes: bool = True) -> list[AssetsDefinition]:
    daily, weekly, monthly = CAL.daily, CAL.weekly, CAL.monthly

    @asset(key=GOLD, partitions_def=daily, check_specs=[AssetCheckSpec("rows", asset=GOLD, blocking=True)])
    def gold() -> MaterializeResult:
        return MaterializeResult(check_results=[AssetCheckResult(check_name="rows", passed=gold_check_passes)])

    @asset(key=LABELS, partitions_def=daily)
    def labels() -> None: ...

    @asset(key=PREDICTIONS, partitions_def=daily, deps=[GOLD])
    def predictions() -> None:
        for hook in MID_RUN:
            hook()

    @asset(key=MODEL, partitions_def=weekly)
    def model() -> None: ...

    reporting = []
    for period, partitions_def in zip(PERIODS, (daily, weekly, monthly)):
        # Default mappings: a week / month reads the days it holds.
        @asset(key=SUMMARY[period], partitions_def=partitions_def, deps=[PREDICTIONS, LABELS])
        def summary() -> None: ...

        @asset(key=REPORT[period], partitions_def=partitions_def, deps=[SUMMARY[period]])
        def report() -> None: ...

        reporting += [summary, report]
    return [gold, labels, predictions, model, *reporting]


class Ticker:
    """One sensor on one instance, ticked like the daemon does: the cursor carries over between ticks."""

    def __init__(self, sensor: SensorDefinition, defs: Definitions, instance: DagsterInstance) -> None:
        self.sensor, self.defs, self.instance = sensor, defs, instance
        self.cursor: str | None = None

    def __call__(self) -> Any:
        result = self.sensor.evaluate_tick(
            build_sensor_context(cursor=self.cursor, instance=self.instance, definitions=self.defs)
        )
        self.cursor = result.cursor
        return result

    def state(self) -> dict[str, Any]:
        return json.loads(self.cursor or "{}")

    def launch(self, result: Any) -> None:
        """Run every request in-process, as the daemon would launch it (job, partition, selection, tags)."""
        for request in result.run_requests:
            self.defs.resolve_job_def(request.job_name).execute_in_process(
                instance=self.instance, partition_key=request.partition_key,
                asset_selection=request.asset_selection, tags=request.tags,
            )


def land(instance: DagsterInstance, key: AssetKey, *days: str) -> None:
    """New data for these days, reported as runless materialisations (as an external writer would)."""
    for day in days:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=day))


def run(assets: list[AssetsDefinition], keys: list[AssetKey], day: str, instance: DagsterInstance) -> bool:
    """One run materialising `keys` for `day` (e.g. the daily schedule: gold then predictions)."""
    result = materialize(assets, instance=instance, partition_key=day, selection=keys, raise_on_error=False)
    return result.success


def requested(result: Any) -> set[tuple[str, str | None, tuple[str, ...]]]:
    """(job, partition, selected assets) of each run request."""
    return {
        (r.job_name, r.partition_key, tuple(sorted(k.to_user_string() for k in r.asset_selection)))
        for r in result.run_requests
    }
