"""Unattended soak: `make run`'s replay, then the real daemon left alone while days land on a timer, a
late file arrives for an old day, a run is killed, and nothing is launched by hand.

`python -m platform_tests.soak.soak --days 5` (make soak) prints, per event, the latency from landing to
the daily report, the runs launched (each one Spark JVM) and what they materialised, and fails on a
manual launch, a partition built twice for one change, a missing daily report, or a killed run that was
not failed and retried. platform_tests/soak/test_soak.py runs a shortened form under `make test`.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, DagsterRunStatus, RunsFilter

from platform_tests.soak.daemon import (
    REPO, Daemon, active_backfills, soak_env, unfinished_runs, wait_until, worker_pid, write_instance_yaml,
)

DAILY_REPORT, PREDICTIONS = AssetKey(["reporting", "daily_report"]), AssetKey(["scoring", "predictions"])
ROLL_UPS = ("reporting/weekly_", "reporting/monthly_", "monitoring/")  # periods and windows beyond the day
LAUNCHERS = ("dagster/sensor_name", "dagster/backfill", "dagster/parent_run_id")  # a sensor, a backfill, a retry
PHASE_TIMEOUT = 1800.0


@dataclass
class Phase:
    name: str
    day: str
    started: float
    runs: list = field(default_factory=list)
    latency: float | None = None
    killed: str | None = None

    def line(self) -> str:
        rollups = sum(1 for r in self.runs if is_roll_up(r))
        latency = f"{self.latency:.0f} s" if self.latency is not None else "-"
        return (f"{self.name:<28} day {self.day}: landing -> daily report {latency:>6}; runs {len(self.runs)} "
                f"(JVMs {len(self.runs)}), of which retries {sum('dagster/parent_run_id' in r.tags for r in self.runs)}"
                f"{'' if rollups == 0 else f', roll-ups {rollups}'}")


def is_roll_up(run) -> bool:
    keys = [k.to_user_string() for k in (run.asset_selection or [])]
    return bool(keys) and all(k.startswith(ROLL_UPS) for k in keys)


class Soak:
    def __init__(self, work: Path, base: Path | None) -> None:
        self.root, self.home = work / "root", work / "dagster_home"
        self.base, self.phases = base, []
        self.daemon = Daemon(self.root, self.home)
        self.instance: DagsterInstance | None = None

    # ---- set-up -------------------------------------------------------------------------------------
    def prepare(self) -> None:
        if self.base is not None:  # a replayed root and home kept from an earlier soak (development)
            shutil.copytree(self.base / "root", self.root)
            shutil.copytree(self.base / "dagster_home", self.home)
        write_instance_yaml(self.home)
        if self.base is None:
            subprocess.run([sys.executable, "-m", "lakehouse.run"], cwd=REPO, env=soak_env(self.root, self.home),
                           check=True)
        self.instance = DagsterInstance.from_config(str(self.home))

    def start(self) -> None:
        started = time.time()
        self.daemon.start()
        # The first evaluation of every sensor must find nothing to do after the replay.
        time.sleep(75)
        replayed = self.runs_since(started)
        assert replayed == [], f"the daemon launched runs before anything landed: {[r.job_name for r in replayed]}"

    # ---- events ---------------------------------------------------------------------------------------
    def land_next_day(self, name: str = "new day", kill: bool = False) -> Phase:
        started = time.time()
        subprocess.run([sys.executable, "-m", "lakehouse.demo", "land-next-day", "--root", str(self.root)],
                       cwd=REPO, env=soak_env(self.root, self.home), check=True, capture_output=True)
        return self.follow(Phase(name, self.newest_landed_day(), started), kill)

    def late_file(self, day: str, rows: int = 5) -> Phase:
        """A second POS file for an old day: existing rows under new transaction ids."""
        folder = self.root / "landing" / "transactions_csv" / day
        source = sorted(folder.glob("*.csv"))[0]
        with source.open(newline="") as f:
            reader = list(csv.reader(f))
        header, body = reader[0], reader[1 : rows + 1]
        key = header.index("transaction_id")
        started = time.time()
        tmp = folder / ".late_01.csv.tmp"
        with tmp.open("w", newline="") as f:
            csv.writer(f).writerows([header, *[[*r[:key], f"{r[key]}-late", *r[key + 1:]] for r in body]])
        tmp.rename(folder / "late_01.csv")  # atomic, as a landing tool should deliver
        return self.follow(Phase("late file", day, started))

    def follow(self, phase: Phase, kill: bool = False) -> Phase:
        assert self.instance is not None
        if kill:
            phase.killed = self.kill_first_downstream_run(phase.started)
        wait_until(f"the daily report of {phase.day}", lambda: self.built_after(DAILY_REPORT, phase.day, phase.started),
                   PHASE_TIMEOUT, self.daemon)
        phase.latency = self.built_after(DAILY_REPORT, phase.day, phase.started) - phase.started
        # Then until nothing is queued, running or backfilling for two sensor intervals (the roll-ups).
        quiet = [0]

        def settled() -> bool:
            idle = unfinished_runs(self.instance) == 0 and active_backfills(self.instance) == 0
            quiet[0] = quiet[0] + 1 if idle else 0
            return quiet[0] >= 8
        wait_until("the automation to settle", settled, PHASE_TIMEOUT, self.daemon, every=10)
        phase.runs = self.runs_since(phase.started)
        self.phases.append(phase)
        print(phase.line(), flush=True)
        return phase

    def kill_first_downstream_run(self, since: float) -> str:
        """kill -9 the worker of the first automation (backfill) run once it has started."""
        found: list = []

        def started() -> bool:
            found[:] = [r for r in self.runs_since(since)
                        if "dagster/backfill" in r.tags and r.status == DagsterRunStatus.STARTED]
            return bool(found) and worker_pid(self.instance, found[0].run_id) is not None
        wait_until("an automation run to start", started, PHASE_TIMEOUT, self.daemon, every=2)
        time.sleep(10)  # inside its Spark work
        pid = worker_pid(self.instance, found[0].run_id)
        subprocess.run(["kill", "-9", str(pid)], check=False)
        print(f"  killed run {found[0].run_id[:8]} (worker pid {pid})", flush=True)
        return found[0].run_id

    # ---- reading the instance ------------------------------------------------------------------------
    def runs_since(self, since: float) -> list:
        assert self.instance is not None
        after = datetime.fromtimestamp(since, tz=timezone.utc)
        return list(reversed(self.instance.get_runs(RunsFilter(created_after=after))))

    def built_after(self, key: AssetKey, day: str, since: float) -> float:
        assert self.instance is not None
        records = self.instance.fetch_materializations(
            AssetRecordsFilter(asset_key=key, asset_partitions=[day], after_timestamp=since), limit=1).records
        return records[0].timestamp if records else 0.0

    def newest_landed_day(self) -> str:
        days = sorted(p.name for p in (self.root / "landing" / "transactions_csv").iterdir() if p.is_dir())
        return days[-1]

    def materialisations_since(self, since: float) -> list[tuple[str, str, str]]:
        """(asset, partition, run id) of every materialisation since `since`."""
        assert self.instance is not None
        out = []
        for key in self.instance.get_asset_keys():
            for record in self.instance.fetch_materializations(
                    AssetRecordsFilter(asset_key=key, after_timestamp=since), limit=10_000).records:
                out.append((key.to_user_string(), record.partition_key or "", record.run_id))
        return out


def check(soak: Soak) -> None:
    """What a person leaving it running relies on (raises AssertionError with the evidence)."""
    assert soak.instance is not None
    first = min(p.started for p in soak.phases)
    runs = soak.runs_since(first)
    manual = [r.run_id for r in runs if not any(tag in r.tags for tag in LAUNCHERS)]
    assert not manual, f"runs launched by hand or by a schedule: {manual}"
    for phase in soak.phases:
        failed = [r for r in phase.runs if r.status != DagsterRunStatus.SUCCESS]
        retried = {r.tags.get("dagster/parent_run_id") for r in phase.runs}
        assert all(r.run_id in retried for r in failed), f"{phase.name}: failed and not retried: {failed}"
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
        for key in (PREDICTIONS, DAILY_REPORT):
            assert soak.built_after(key, phase.day, phase.started), f"{phase.name}: no {key.to_user_string()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5, help="days landed one after another")
    parser.add_argument("--late-day", default="2026-02-10", help="old day that receives a late file")
    parser.add_argument("--work", type=Path, default=Path(".lakehouse-soak"), help="soak's data root and home")
    parser.add_argument("--base", type=Path, default=None, help="reuse a replayed <base>/root + dagster_home")
    args = parser.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    soak = Soak(args.work.resolve(), args.base)
    soak.prepare()
    try:
        soak.start()
        soak.land_next_day()
        soak.late_file(args.late_day)
        soak.land_next_day("new day, a run killed", kill=True)
        for _ in range(args.days - 2):
            soak.land_next_day()
    finally:
        soak.daemon.stop()
    check(soak)
    print("soak passed:", *[p.line() for p in soak.phases], sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
