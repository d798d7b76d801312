"""`python -m lakehouse_tools.one_day YYYY-MM-DD`: the daily pipeline for one landed day on the current
profile (LAKEHOUSE_PROFILE, LAKEHOUSE_DATA_ROOT), as `make run`'s steps for that one partition: the source
databases, ingestion and processing, then scoring, the daily reports and monitoring. Prints each step's time
and every asset's row count, so the same day can be compared across engines (docs/remote-spark.md, "One
day at 1,000,000 transactions": local[2] against a standalone cluster behind Spark Connect).

It needs a data root where `make run` has trained a champion (scoring uses it) and the day has landed
(`python -m lakehouse_tools.demo next-day --root <data root> --rows-per-day N`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date

from dagster import DagsterInstance

from lakehouse.config.profile import load_profile, resolve_data_root
from lakehouse.config.project import PROJECT_ENV_VAR, is_default_project
from lakehouse.definitions import build_definitions
from lakehouse_tools.demo import clock
from lakehouse_tools.replay import Replay
from lakehouse_tools.run import use_dagster_home
from lakehouse_tools.summary import say

STEPS = ("make_run_ingest_and_process", "make_run_score_and_report_days")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse_tools.one_day", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("day", type=date.fromisoformat, help="the landed day (partition), YYYY-MM-DD")
    parser.add_argument("--skip-databases", action="store_true", help="do not read the source databases first")
    args = parser.parse_args(argv)
    profile = load_profile()
    root = resolve_data_root(profile.storage.data_root)
    if is_default_project() and clock.demo_project_dir(root).is_dir():
        # `make run` replayed the demo on a clock of its own: its project (the calendar's start) is the one.
        os.environ[PROJECT_ENV_VAR] = str(clock.demo_project_dir(root))
        profile = load_profile()
    use_dagster_home(root, profile)
    replay = Replay(build_definitions(profile), profile.dataset)
    started = time.perf_counter()
    with DagsterInstance.get() as instance:
        if not args.skip_databases:
            replay.read_databases(instance, args.day)
        for job in STEPS:
            replay.run(instance, job, args.day)
    say(f"Profile {profile.name}, day {args.day}: {time.perf_counter() - started:.0f} s in all")
    for step, seconds in replay.seconds.items():
        say(f"  {step}: {seconds:.1f} s")
    for asset, (materialisations, rows) in sorted(replay.seen.items()):
        say(f"  {asset}: {rows} rows ({materialisations} materialisation(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
