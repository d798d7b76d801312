"""What a person leaving the daemon running relies on, judged from the instance and the data root after
the soak's events (platform_tests/soak/soak.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from dagster import AssetKey, DagsterRunStatus

from platform_tests.soak.champion import DATASET, RESCORE_TAG, rescored_versions

if TYPE_CHECKING:
    from platform_tests.soak.soak import Phase, Soak

DAILY_REPORT = AssetKey([DATASET, "reporting", "daily_report"])
PREDICTIONS = AssetKey([DATASET, "scoring", "predictions"])
SILVER = AssetKey([DATASET, "silver", "transactions"])
# Periods and windows beyond the day, as user strings of keys ([<dataset>, <schema>, <table>]).
ROLL_UPS = tuple(f"{DATASET}/{prefix}" for prefix in ("reporting/weekly_", "reporting/monthly_", "monitoring/"))
LAUNCHERS = ("dagster/sensor_name", "dagster/backfill", "dagster/parent_run_id")  # a sensor, a backfill, a retry


def is_roll_up(run) -> bool:
    keys = [k.to_user_string() for k in (run.asset_selection or [])]
    return bool(keys) and all(k.startswith(ROLL_UPS) for k in keys)


def chain_runs(runs: list, day: str) -> list:
    """The runs from landing to the daily report of `day`: over that day, no roll-up, no retry (the
    daily read of the source databases may fall inside a phase; it is not part of the chain)."""
    return [r for r in runs if covers(r, day) and not is_roll_up(r) and "dagster/parent_run_id" not in r.tags]


def covers(run, day: str) -> bool:
    """The run's partition or partition range holds `day`."""
    start = run.tags.get("dagster/asset_partition_range_start") or run.tags.get("dagster/partition")
    end = run.tags.get("dagster/asset_partition_range_end") or start
    return start is not None and start <= day <= end


def check(soak: Soak) -> None:
    """Raises AssertionError with the evidence."""
    assert soak.instance is not None
    first = min(p.started for p in soak.phases)
    manual = [r.run_id for r in soak.runs_since(first) if not any(tag in r.tags for tag in LAUNCHERS)]
    assert not manual, f"runs launched by hand or by a schedule: {manual}"
    for phase in soak.phases:
        retried = {r.tags.get("dagster/parent_run_id") for r in phase.runs}
        failed = [r for r in phase.runs if r.status != DagsterRunStatus.SUCCESS]
        if phase.red:
            check_red(soak, phase, failed, retried)
        else:
            assert all(r.run_id in retried for r in failed), f"{phase.name}: failed and not retried: {failed}"
            chain = chain_runs(phase.runs, phase.day)
            assert len(chain) <= phase.max_chain_runs, f"{phase.name}: {len(chain)} runs to the daily report: " + \
                ", ".join(str([k.to_user_string() for k in r.asset_selection or []]) for r in chain)
            for key in (PREDICTIONS, DAILY_REPORT):
                assert soak.built_after(key, phase.day, phase.started), f"{phase.name}: no {key.to_user_string()}"
        if phase.champion:
            check_rescore(soak, phase)
        if phase.killed:
            killed = soak.instance.get_run_by_id(phase.killed)
            assert killed is not None and killed.status == DagsterRunStatus.FAILURE, "the killed run is not FAILURE"
            assert phase.killed in retried, "the killed run was not retried"
        # Each (asset, partition) built once per change, a retry of a failed run aside.
        seen: dict[tuple[str, str], list[str]] = {}
        ids = {r.run_id for r in phase.runs}
        for asset, partition, run_id in soak.materialisations_since(phase.started):
            if run_id in ids and soak.instance.get_run_by_id(run_id).tags.get("dagster/parent_run_id") is None:
                seen.setdefault((asset, partition), []).append(run_id)
        twice = {k: v for k, v in seen.items() if len(v) > 1}
        assert not twice, f"{phase.name}: built more than once: {twice}"


def check_red(soak: Soak, phase: Phase, failed: list, retried: set) -> None:
    """An unusable day: one red landing run, not retried (a contract failure is not transient), alerted
    once, its quarantine_rate check failed, and nothing downstream rebuilt from it."""
    assert len(failed) == 1 and "dagster/sensor_name" in failed[0].tags, f"{phase.name}: red runs {failed}"
    red = failed[0]
    assert red.run_id not in retried, f"{phase.name}: a failed check was retried"
    checks = [e for e in soak.instance.all_logs(red.run_id)
              if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"]
    rate = [e.dagster_event.asset_check_evaluation_data for e in checks
            if e.dagster_event.asset_check_evaluation_data.check_name == "quarantine_rate"]
    assert rate and not rate[0].passed, f"{phase.name}: quarantine_rate did not fail"
    assert phase.day in str(rate[0].metadata["failing_days"].value), rate[0].metadata
    alerts = soak.root / "alerts" / "alerts.jsonl"
    lines = [json.loads(line) for line in alerts.read_text().splitlines()] if alerts.exists() else []
    assert [a["run_id"] for a in lines].count(red.run_id) == 1, f"{phase.name}: alerts {lines}"
    assert not soak.built_after(SILVER, phase.day, phase.started), f"{phase.name}: silver rebuilt from it"


def check_rescore(soak: Soak, phase: Phase) -> None:
    """One re-score run, by the sensor, over the newest scored days, every one scored with the new champion."""
    rescores = [r for r in phase.runs if r.tags.get(RESCORE_TAG) == phase.champion]
    assert len(rescores) == 1 and "dagster/sensor_name" in rescores[0].tags, f"{phase.name}: re-score runs {rescores}"
    versions = rescored_versions(soak.instance, PREDICTIONS, phase.started)
    assert len(versions) == phase.rescore_days and max(versions) == phase.day, f"{phase.name}: re-scored {versions}"
    assert set(versions.values()) == {phase.champion}, f"{phase.name}: scored with {versions}, not v{phase.champion}"
