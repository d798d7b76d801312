"""Unattended soak: `make run`'s replay, then the real daemon left alone while days land on a timer, a
late file arrives for an old day, a corrupted file for another, a run is killed, and nothing is launched
by hand.

`python -m platform_tests.soak.soak --days 5` (make soak) prints, per event, the latency from landing to
the daily report, the runs launched (each one Spark JVM) and what they materialised, and fails on a
manual launch, a partition built twice for one change, more than 3 runs from landing to a daily report,
a missing daily report, a corrupted day that is not red, alerted and held, or a killed run that was not
failed and retried (platform_tests/soak/verdict.py). platform_tests/soak/test_soak.py runs a shortened form under `make test`.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, DagsterRunStatus, RunsFilter

from lakehouse_tools.demo.clock import recorded_start
from platform_tests.soak.champion import promote_new_champion, switch_on_champion_rescore
from platform_tests.soak.daemon import (
    REPO,
    Daemon,
    active_backfills,
    soak_env,
    unfinished_runs,
    wait_until,
    worker_pid,
    write_instance_yaml,
)
from platform_tests.soak.verdict import DAILY_REPORT, chain_runs, check, covers, is_roll_up

PHASE_TIMEOUT = 1800.0


@dataclass
class Phase:
    name: str
    day: str
    started: float
    runs: list = field(default_factory=list)
    latency: float | None = None
    killed: str | None = None
    red: bool = False  # the landed data is unusable: its landing run must fail, alert and hold downstream
    champion: str | None = None  # the model version a promotion made champion in this phase
    rescore_days: int = 0  # how many scored days the promotion must re-score
    max_chain_runs: int = 3  # runs from landing to the daily report (issue 15's goal)

    def line(self) -> str:
        rollups = sum(1 for r in self.runs if is_roll_up(r))
        latency = f"{self.latency:.0f} s" if self.latency is not None else "-"
        retries = sum("dagster/parent_run_id" in r.tags for r in self.runs)
        return (f"{self.name:<24} day {self.day}: landing -> daily report {latency:>6}; runs {len(self.runs)} "
                f"(one JVM each): to the daily report {len(chain_runs(self.runs, self.day))}, roll-ups {rollups}, "
                f"retries {retries}{'; red as expected' if self.red else ''}")


class Soak:
    def __init__(self, work: Path, base: Path | None) -> None:
        self.root, self.home = work / "root", work / "dagster_home"
        self.base = base
        self.phases: list[Phase] = []
        self.daemon = Daemon(self.root, self.home)
        self.instance: DagsterInstance | None = None
        self.rescore_days = 0

    # ---- set-up -------------------------------------------------------------------------------------
    def prepare(self, days_left: int) -> None:
        """`make run`'s replay on the demo clock, ending `days_left` days before yesterday: the soak lands
        those days itself, so every day it lands has a partition already (as in production)."""
        if self.base is not None:  # a replayed root and home kept from an earlier soak (development)
            shutil.copytree(self.base / "root", self.root)
            shutil.copytree(self.base / "dagster_home", self.home)
        write_instance_yaml(self.home)
        if self.base is None:
            subprocess.run([sys.executable, "-m", "lakehouse_tools.run", "--days-left", str(days_left)], cwd=REPO,
                           env=soak_env(self.root, self.home, replayed=False), check=True)
        self.rescore_days = switch_on_champion_rescore(self.root)
        self.instance = DagsterInstance.from_config(str(self.home))

    def replayed_day(self, offset: int) -> str:
        """The replay's first day plus `offset` days (the demo clock chose the first day)."""
        first = recorded_start(self.root, "card_fraud")
        assert first is not None, f"no demo project in {self.root}: the replay did not run on the demo clock"
        return (first + timedelta(days=offset)).isoformat()

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
        subprocess.run([sys.executable, "-m", "lakehouse_tools.demo", "land-next-day", "--root", str(self.root)],
                       cwd=REPO, env=soak_env(self.root, self.home), check=True, capture_output=True)
        return self.follow(Phase(name, self.newest_landed_day(), started), kill)

    def late_file(self, day: str, rows: int = 5) -> Phase:
        """A second POS file for an old day: existing rows under new transaction ids."""
        started = time.time()
        self.deliver(day, "late_01.csv", lambda header, body: [
            [value if name != "transaction_id" else f"{value}-late" for name, value in zip(header, row)]
            for row in body[:rows]])
        # Four, not three: gold starts beside labels, so the daily reports wait (docs/automation.md).
        return self.follow(Phase("late file", day, started))

    def corrupted_file(self, day: str, share: float = 0.1) -> Phase:
        """A file for an old day holding a tenth of the day's rows again with unreadable amounts: the day's
        landing run must fail its blocking quarantine_rate check and alert, and nothing is rebuilt from it."""
        started = time.time()
        self.deliver(day, "corrupt_01.csv", lambda header, body: [
            [f"{value}-bad" if name == "transaction_id" else "#####" if name == "amount" else value
             for name, value in zip(header, row)]
            for row in body[: max(20, int(len(body) * share))]])
        phase = Phase("corrupted file", day, started, red=True)
        wait_until(f"the landing run of {day} to fail", lambda: any(
            r.status == DagsterRunStatus.FAILURE for r in self.runs_since(started)), PHASE_TIMEOUT, self.daemon)
        return self.settle(phase)

    def new_champion(self) -> Phase:
        """A champion promoted (platform_tests/soak/champion.py): the newest scored days re-scored with it."""
        assert self.instance is not None
        started = time.time()
        version = promote_new_champion(self.root, self.instance)
        # Two runs to the daily report: the re-score, then the reports of its days.
        phase = Phase("new champion", self.newest_landed_day(), started, champion=version,
                      rescore_days=self.rescore_days, max_chain_runs=2)
        return self.follow(phase)

    def deliver(self, day: str, name: str, rows_from: Callable[[list[str], list[list[str]]], list[list[str]]]) -> None:
        """Write rows made from the day's landed rows as a new file, atomically (as a landing tool should)."""
        folder = self.root / "landing" / "transactions_csv" / day
        header, body = [], []
        for source in sorted(folder.glob("*.csv")):
            # The demo's dirty rows hold bytes that are not UTF-8: carried through unchanged.
            with source.open(newline="", encoding="utf-8", errors="surrogateescape") as f:
                lines = list(csv.reader(f))
            if not lines:
                continue  # the demo's zero-byte companion file (dirty kind empty_file): nothing to copy
            header, *rows = lines
            body += rows
        assert header, f"no CSV with a header in {folder}"
        tmp = folder / f".{name}.tmp"
        with tmp.open("w", newline="", encoding="utf-8", errors="surrogateescape") as f:
            csv.writer(f).writerows([header, *rows_from(header, body)])
        tmp.rename(folder / name)

    def follow(self, phase: Phase, kill: bool = False) -> Phase:
        assert self.instance is not None
        if kill:
            phase.killed = self.kill_first_downstream_run(phase.started, phase.day)
        wait_until(f"the daily report of {phase.day}", lambda: self.built_after(DAILY_REPORT, phase.day, phase.started),
                   PHASE_TIMEOUT, self.daemon)
        phase.latency = self.built_after(DAILY_REPORT, phase.day, phase.started) - phase.started
        return self.settle(phase)

    def settle(self, phase: Phase) -> Phase:
        """Wait until nothing is queued, running or backfilling for two sensor intervals (the roll-ups)."""
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

    def kill_first_downstream_run(self, since: float, day: str) -> str:
        """kill -9 the worker of the first automation (backfill) run over `day`, once it has started."""
        found: list = []

        def started() -> bool:
            found[:] = [r for r in self.runs_since(since)
                        if "dagster/backfill" in r.tags and r.status == DagsterRunStatus.STARTED
                        and covers(r, day)]
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
        after = datetime.fromtimestamp(since, tz=UTC)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5, help="days landed one after another")
    parser.add_argument("--late-day", type=int, default=40, help="old day (replay's first day + N) that receives a late file")
    parser.add_argument("--corrupt-day", type=int, default=54, help="old day (first day + N) that receives a corrupted file")
    parser.add_argument("--work", type=Path, default=Path(".lakehouse-soak"), help="soak's data root and home")
    parser.add_argument("--base", type=Path, default=None, help="reuse a replayed <base>/root + dagster_home")
    parser.add_argument("--short", action="store_true",
                        help="make test's form: one landed day whose first automation run is killed, the late file and "
                             "the corrupted file; no further days, no new champion (--days is ignored)")
    args = parser.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    soak = Soak(args.work.resolve(), args.base)
    soak.prepare(days_left=1 if args.short else args.days)
    try:
        soak.start()
        (short_events if args.short else full_events)(soak, args)
    finally:
        soak.daemon.stop()
    check(soak)  # platform_tests/soak/verdict.py
    print("soak passed:", *[p.line() for p in soak.phases], sep="\n  ")
    return 0


def short_events(soak: Soak, args: argparse.Namespace) -> None:
    """Each kind of event once, so the soak fits in make test beside the other suites."""
    soak.land_next_day("new day, a run killed", kill=True)
    soak.late_file(soak.replayed_day(args.late_day))
    soak.corrupted_file(soak.replayed_day(args.corrupt_day))


def full_events(soak: Soak, args: argparse.Namespace) -> None:
    soak.land_next_day()
    soak.late_file(soak.replayed_day(args.late_day))
    # The corrupted day stays held while the next days flow: automation holds per partition
    # (lakehouse.automation.held), so no run is requested for it and none is refused.
    soak.corrupted_file(soak.replayed_day(args.corrupt_day))
    soak.land_next_day("new day, a run killed", kill=True)
    for _ in range(args.days - 2):
        soak.land_next_day()
    soak.new_champion()


if __name__ == "__main__":
    sys.exit(main())
