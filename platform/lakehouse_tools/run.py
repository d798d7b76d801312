"""`make run`: land the demo data and materialise the whole asset graph on the current profile;
`make run DATASET=<name>` (or `lakehouse run <name>`): the same for any dataset of the project, from what
is in its landing zone and source databases.

The card_fraud demo days are the DEMO_WEEKS weeks ending yesterday (the demo clock, demo/clock.py):
afterwards every partition up to yesterday is materialised, and `make dev` carries on from today. Run again
on a later day, it lands the days since and replays the whole range again (every write is idempotent).
The days land in chunks (the first day, then four weeks at a time) with the source databases read after
each: a JDBC read sees the database as it is *now*, so only repeated reads capture the customers' changes
and the merchants' snapshots (a read is ~10 s of small Spark jobs: 4 reads, where the daily schedule
reads every day). subscription_churn lands its four demo weeks the same way (demo/churn/demo_days.py).
A dataset with no demo generator is replayed from its landing zone as it is (`lakehouse land`), the
databases read once. The replay itself, steps 2 to 5, is lakehouse_tools/replay.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import BetaWarning, DagsterInstance

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import PROFILE_ENV_VAR, Profile, known_profiles, load_profile, resolve_data_root
from lakehouse.config.project import PROJECT_ENV_VAR, REPO_ROOT, is_default_project, project_dir
from lakehouse.partitions import build_calendar
from lakehouse_tools.demo import clock, manifest
from lakehouse_tools.demo.churn.demo_days import land_demo_days
from lakehouse_tools.demo.generator import land_next_days
from lakehouse_tools.demo.settings import GeneratorSettings
from lakehouse_tools.replay import Replay, landed_days
from lakehouse_tools.summary import print_summary, say

# The model trains on a week that has ended, whose 6-week window lies in the demo days and whose labels
# (30 days) have matured: 12 weeks ending yesterday always hold one, whatever the weekday (demo/clock.py).
DEMO_WEEKS = 12
DEMO_ROWS_PER_DAY = 1_000
CAPTURE_EVERY_DAYS = 28


def capture_chunks(days: int) -> list[int]:
    """Days landed before each database read: the first day alone, then CAPTURE_EVERY_DAYS at a time."""
    if days == 0:
        return []
    rest = days - 1
    return [1, *[min(CAPTURE_EVERY_DAYS, rest - o) for o in range(0, rest, CAPTURE_EVERY_DAYS)]]
DEMO_DATASET = "card_fraud"  # what demo.generator lands; subscription_churn has DEMO_LANDERS' generator
# Datasets of the shipped project whose demo days `make run` lands itself (chunk by chunk: it yields each
# chunk's last day, after which the source databases are read).
DEMO_LANDERS: dict[str, Callable[[Path], Iterator[date]]] = {"subscription_churn": land_demo_days}


def replay_plan(profile: Profile, root: Path, days_left: int) -> tuple[date, date]:
    """The replay's first and last day. On the demo clock (lakehouse_tools/demo/clock.py) the last day is
    yesterday (less `days_left`) and the first is kept from the data root's first replay; otherwise (a
    project of the user's, a Databricks cluster reading the shipped calendar) DEMO_WEEKS from the
    dataset's start date."""
    if not on_demo_clock(profile, root):
        first = load_dataset(profile.dataset).partitions.start_date
        return first, first + timedelta(days=DEMO_WEEKS * 7 - 1)
    today = datetime.now(ZoneInfo(load_dataset(profile.dataset).partitions.timezone)).date()
    first = clock.recorded_start(root, profile.dataset) or clock.clock_start(today, DEMO_WEEKS * 7, days_left)
    os.environ[PROJECT_ENV_VAR] = str(clock.write_demo_project(root, profile.dataset, first))
    return first, today - timedelta(days=1 + days_left)


def on_demo_clock(profile: Profile, root: Path) -> bool:
    settings = profile.databricks
    if settings is not None and settings.compute == "databricks":
        return False  # the cluster reads the calendar shipped in the wheel (databricks/compute.py)
    return is_default_project() or project_dir() == clock.demo_project_dir(root).resolve()


def days_to_land(root: Path, first: date, last: date) -> int:
    """How many days after the newest landed one the replay lands (0 when the root is up to date)."""
    landed = manifest.landed_days(manifest.load(root))
    if landed and landed[0] != first:
        raise SystemExit(f"{root} holds demo days from {landed[0]}, not from {first} (a replay on another "
                         "calendar, e.g. by an older `make run`): `make clean-data` and run again.")
    return max(0, (last - (landed[-1] if landed else first - timedelta(days=1))).days)


def profile_for(dataset: str | None) -> Profile:
    """The profile a replay of `dataset` runs on: LAKEHOUSE_PROFILE when set (it must name the dataset),
    else the project's `<dataset>_local` profile (`lakehouse new-dataset` writes one), else `local` when
    that is the dataset's. Chosen for every process the run starts: the environment is set here."""
    if dataset is None or os.environ.get(PROFILE_ENV_VAR):
        profile = load_profile()
        if dataset is not None and profile.dataset != dataset:
            raise SystemExit(f"{PROFILE_ENV_VAR}={profile.name} runs dataset {profile.dataset!r}, not {dataset!r}: "
                             f"unset it, or name a profile with dataset: {dataset}")
        return profile
    for name in (f"{dataset}_local", "local"):
        if name in known_profiles() and load_profile(name).dataset == dataset:
            os.environ[PROFILE_ENV_VAR] = name
            return load_profile(name)
    raise SystemExit(f"No profile runs dataset {dataset!r} in {project_dir()}: `lakehouse new-dataset` writes "
                     f"profiles/{dataset}_local.yaml, or set {PROFILE_ENV_VAR} to a profile with dataset: {dataset}")


def use_dagster_home(root: Path, profile: Profile) -> None:
    """DAGSTER_HOME as `make dagster-home` makes it, under the data root, when the caller set none (the
    `lakehouse run` command): the runs are recorded where `make dev` on this data root finds them."""
    if os.environ.get("DAGSTER_HOME"):
        return
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO_ROOT / profile.dagster.instance_template, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)


def usable_days(root: Path, dataset: str) -> tuple[date, date]:
    """The first and last landed day that is a daily partition now (the calendar's start .. yesterday)."""
    days = landed_days(root, dataset)
    if not days:
        raise SystemExit(f"Nothing is landed for {dataset} under {root / 'landing'}: `lakehouse land {dataset} "
                         "<file>...` splits files into its landing folders by event day")
    daily = build_calendar(load_dataset(dataset).partitions).daily
    keys = set(daily.get_partition_keys())
    early = [d for d in days if d < daily.start.date()]
    if early:
        raise SystemExit(f"Days {early[0]} .. {early[-1]} are landed before {dataset}'s calendar starts "
                         f"({daily.start.date()}): move partitions.start_date in its dataset.yaml")
    late = [d for d in days if d.isoformat() not in keys]
    if late:  # today's folder, typically: its partition exists tomorrow, and the landing sensor takes it then
        say(f"  not replayed: {len(late)} landed days that are not partitions yet ({late[0]} .. {late[-1]})")
    days = [d for d in days if d.isoformat() in keys]
    if not days:
        raise SystemExit(f"No landed day of {dataset} is a partition yet (the calendar ends yesterday)")
    return days[0], days[-1]


def replay_demo(profile: Profile, root: Path, days_left: int) -> Replay:
    """card_fraud on the demo clock: land the days since the last replay, then replay them all."""
    first, last = replay_plan(profile, root, days_left)
    from lakehouse.definitions import defs  # after the demo clock chose the project the definitions read

    settings = GeneratorSettings(start_date=first, days=1, rows_per_day=DEMO_ROWS_PER_DAY)
    say(f"Profile {profile.name}: data root {root}, configuration {project_dir()}")
    say(f"Demo: {(last - first).days + 1} days ({first} .. {last}) x {DEMO_ROWS_PER_DAY:,} transactions")
    replay = Replay(defs, profile.dataset)
    with DagsterInstance.get() as instance:
        say("1/5 Landing the days (the first, then four weeks at a time); the source databases are read after each")
        for chunk in capture_chunks(days_to_land(root, first, last)):
            summary = land_next_days(settings, root, chunk)
            rows = sum(d.transaction_rows for d in summary.days)
            dirty = sum(d.dirty_rows for d in summary.days)
            say(f"  landed {summary.days[0].day} .. {summary.days[-1].day}: {rows:,} transactions ({dirty} dirty), "
                f"{sum(d.chargebacks for d in summary.days)} chargebacks")
            replay.read_databases(instance, summary.days[-1].day)
        replay.days(instance, first, last)
    return replay


def replay_landed(profile: Profile, root: Path) -> Replay:
    """Any other dataset: its demo days when it has a generator (DEMO_LANDERS, shipped project only), then
    whatever is in its landing zone, the source databases as they are now."""
    from lakehouse.definitions import defs

    say(f"Profile {profile.name}: dataset {profile.dataset}, data root {root}, configuration {project_dir()}")
    replay = Replay(defs, profile.dataset)
    lander = DEMO_LANDERS.get(profile.dataset) if is_default_project() else None
    with DagsterInstance.get() as instance:
        if lander is not None:
            say("1/5 Landing the demo days in chunks; the source databases are read after each")
            for day in lander(root):
                replay.read_databases(instance, day)
        first, last = usable_days(root, profile.dataset)
        if lander is None:
            say(f"1/5 Landed days {first} .. {last}; reading the source databases as they are now")
            replay.read_databases(instance, last)
        replay.days(instance, first, last)
    return replay


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", help="the dataset to replay (default: the profile's); its profile is "
                        "LAKEHOUSE_PROFILE, else the project's <dataset>_local")
    parser.add_argument("--days-left", type=int, default=0,
                        help="card_fraud demo: end the replay this many days before yesterday (the soak lands them)")
    args = parser.parse_args(argv)
    # The replay's own lines are the progress; Dagster's per-event DEBUG lines and its notes about beta
    # parameters would bury them (every event is still in the instance: `make dev` shows the runs).
    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", message=".*materializes assets with varying BackfillPolicies")

    started = time.perf_counter()
    profile = profile_for(args.dataset)
    root = resolve_data_root(profile.storage.data_root)
    use_dagster_home(root, profile)
    if profile.dataset == DEMO_DATASET:  # on the demo clock, or from the calendar's start (replay_plan)
        replay = replay_demo(profile, root, args.days_left)
    else:
        replay = replay_landed(profile, root)
    print_summary(profile, root, replay.seen, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
