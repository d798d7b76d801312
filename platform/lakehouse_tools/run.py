"""`make run`: generate the demo data and materialise the whole asset graph on the current profile.

The demo days are the DEMO_WEEKS weeks ending yesterday (the demo clock, demo/clock.py): afterwards
every partition up to yesterday is materialised, and `make dev` carries on from today. Run again on a
later day, it lands the days since and replays the whole range again (every write is idempotent).
It replays production, compressed, in five steps:
1. the demo days land in chunks (the first day, then four weeks at a time), and after each chunk the
   source-database assets read the databases. A JDBC read sees the database as it is *now*: only
   repeated reads capture the customers' changes (each read sees a customer's latest version) and the
   merchants' snapshots, and the read after the first day gives the early days their dimensions. A read
   is ~10 s of small Spark jobs, so the demo reads 4 times (the daily schedule reads every day).
2. ingestion and processing for every demo day as one single-run range (one Spark session, one run);
3. the weekly model for the newest week whose training window is covered and matured (the window
   reads 6 weeks, 5 weeks behind the training week: see ml.yaml), registered and gated in MLflow;
4. every other daily asset (scoring, daily reports, monitoring) for every demo day as one run;
5. the weekly and monthly reports for every week and month of the demo.
Runs are recorded in the Dagster instance at DAGSTER_HOME, so `make dev` shows them afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import (
    AssetSelection,
    BetaWarning,
    DagsterInstance,
    Definitions,
    JobDefinition,
    TimeWindowPartitionsDefinition,
    define_asset_job,
)

from lakehouse.config.dataset import load_dataset
from lakehouse.config.features import load_features
from lakehouse.config.ml import load_ml_config
from lakehouse.config.profile import Profile, load_profile, resolve_data_root
from lakehouse.config.project import PROJECT_ENV_VAR, is_default_project, project_dir
from lakehouse.config.sources import load_sources
from lakehouse.jobs import keys_partitioned_by
from lakehouse.ml.assets import MODEL_KEY, TRAINING_SET_KEY
from lakehouse.ml.schedules import ML_JOB
from lakehouse.ml.training_set import window_bounds
from lakehouse.partitions import build_calendar
from lakehouse_tools.demo import clock, manifest
from lakehouse_tools.demo.generator import land_next_days
from lakehouse_tools.demo.settings import GeneratorSettings
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
BEFORE_MODEL_GROUPS = ("ingestion", "processing")
# The demo trains every family once per grid's first point (ml/run_config.py): a minute instead of
# several; the weekly schedule searches the full grids of ml.yaml.
QUICK_TRAINING = {"ops": {"ml__model": {"config": {"tuning": "quick"}}}}
DEMO_DATASET = "card_fraud"  # what demo.generator lands; other datasets have their own generators and replays


def require_demo_dataset(dataset: str, profile: str) -> None:
    """Fail before landing anything: card transactions landed for another dataset's sources would only
    fail later, at ingestion, with a message about missing files."""
    if dataset != DEMO_DATASET:
        raise SystemExit(
            f"make run replays the {DEMO_DATASET} demo, but profile {profile!r} uses dataset {dataset!r}. "
            "Its end to end run is platform_tests/second_dataset (subscription_churn: "
            ".venv/bin/python -m pytest platform_tests/second_dataset), or use a profile with "
            f"dataset: {DEMO_DATASET}."
        )


def trainable_week(first_day: date, last_day: date, dataset: str, newest_week: date) -> date:
    """The newest Monday, up to `newest_week` (the newest weekly partition: a week that has ended), whose
    training window lies inside the demo days and whose labels have matured by the last day (the
    chargebacks seen by then are the labels' watermark)."""
    settings, label_days = load_ml_config(dataset).training_set, load_features(dataset).label.maturity_days
    week = min(last_day, newest_week)
    week -= timedelta(days=week.weekday())
    while week > first_day:
        start, end = window_bounds(week, settings, label_days)
        # The window's last day (end - 1) is final once a label event from end - 1 + 1 + window is seen.
        if start >= first_day and end + timedelta(days=label_days) <= last_day:
            return week
        week -= timedelta(weeks=1)
    raise ValueError(f"Demo days {first_day} .. {last_day} cover no training window; raise DEMO_WEEKS")


class Replay:
    """The jobs of the replay, resolved once against the code location's definitions."""

    def __init__(self, defs: Definitions, dataset: str) -> None:
        calendar = build_calendar(load_dataset(dataset).partitions)
        assets = list(defs.assets or [])
        jdbc = [["bronze", s.name] for s in load_sources(dataset).values() if s.format == "jdbc"]
        databases = AssetSelection.assets(*jdbc).required_multi_asset_neighbors()
        daily = AssetSelection.assets(*keys_partitioned_by(assets, calendar.daily))
        before_model = AssetSelection.groups(*BEFORE_MODEL_GROUPS) - databases
        jobs = {
            "make_run_source_databases": databases,
            "make_run_ingest_and_process": before_model,
            "make_run_score_and_report_days": daily - databases - before_model,
            # The weekly model trained in step 3; the rest of the weekly assets are the reports.
            "make_run_weekly": AssetSelection.assets(*keys_partitioned_by(assets, calendar.weekly))
            - AssetSelection.assets(TRAINING_SET_KEY, MODEL_KEY),
            "make_run_monthly": AssetSelection.assets(*keys_partitioned_by(assets, calendar.monthly)),
        }
        merged = Definitions.merge(defs, Definitions(jobs=[define_asset_job(n, selection=s) for n, s in jobs.items()]))
        self.jobs: dict[str, JobDefinition] = {n: merged.resolve_job_def(n) for n in [*jobs, ML_JOB]}
        self.seen: dict[str, list] = {}

    def run(self, instance: DagsterInstance, job: str, first: date, last: date | None = None,
            run_config: dict | None = None) -> None:
        started = time.perf_counter()
        run_config = {**(run_config or {}), "loggers": {"console": {"config": {"log_level": "INFO"}}}}
        target = self.jobs[job]
        if not target.asset_layer.executable_asset_keys:
            say(f"  {job}: no assets (stage not in this code location), skipped")
            return
        if last is None:
            result = target.execute_in_process(instance=instance, partition_key=first.isoformat(), run_config=run_config)
        else:
            tags = {"dagster/asset_partition_range_start": first.isoformat(),
                    "dagster/asset_partition_range_end": last.isoformat()}
            result = target.execute_in_process(instance=instance, tags=tags, run_config=run_config)
        for event in result.get_asset_materialization_events():
            mat = event.step_materialization_data.materialization
            rows = mat.metadata.get("dagster/row_count")
            entry = self.seen.setdefault(mat.asset_key.to_user_string(), [0, "-"])
            entry[0] += 1
            entry[1] = rows.value if rows else entry[1]
        span = first.isoformat() if last is None else f"{first} .. {last}"
        say(f"  {job} [{span}] succeeded in {time.perf_counter() - started:.0f} s (run {result.run_id[:8]})")


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


def existing_keys(partitions: TimeWindowPartitionsDefinition, first: date, last: date) -> tuple[date, date] | None:
    """The first and last partition that starts inside first .. last and exists now (a week or month is
    a partition once it has ended)."""
    keys = [k for k in partitions.get_partition_keys() if first <= date.fromisoformat(k) <= last]
    return (date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])) if keys else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days-left", type=int, default=0,
                        help="end the replay this many days before yesterday (the soak lands them on a timer)")
    args = parser.parse_args(argv)
    # The replay's own lines are the progress; Dagster's per-event DEBUG lines and its notes about beta
    # parameters would bury them (every event is still in the instance: `make dev` shows the runs).
    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", message=".*materializes assets with varying BackfillPolicies")

    started = time.perf_counter()
    profile = load_profile()
    require_demo_dataset(profile.dataset, profile.name)
    root = resolve_data_root(profile.storage.data_root)
    first, last = replay_plan(profile, root, args.days_left)
    from lakehouse.definitions import defs  # after the demo clock chose the project the definitions read

    calendar = build_calendar(load_dataset(profile.dataset).partitions)
    settings = GeneratorSettings(start_date=first, days=1, rows_per_day=DEMO_ROWS_PER_DAY)
    say(f"Profile {profile.name}: data root {root}, configuration {project_dir()}")
    say(f"Demo: {(last - first).days + 1} days ({first} .. {last}) x {DEMO_ROWS_PER_DAY:,} transactions")
    replay = Replay(defs, profile.dataset)
    newest_week = calendar.weekly.get_last_partition_key()
    if newest_week is None:
        raise SystemExit(f"No week has ended since the calendar's start {first}: nothing to train on")
    week = trainable_week(first, last, profile.dataset, date.fromisoformat(newest_week))
    with DagsterInstance.get() as instance:
        say("1/5 Landing the days (the first, then four weeks at a time); the source databases are read after each")
        for chunk in capture_chunks(days_to_land(root, first, last)):
            summary = land_next_days(settings, root, chunk)
            rows = sum(d.transaction_rows for d in summary.days)
            dirty = sum(d.dirty_rows for d in summary.days)
            say(f"  landed {summary.days[0].day} .. {summary.days[-1].day}: {rows:,} transactions ({dirty} dirty), "
                f"{sum(d.chargebacks for d in summary.days)} chargebacks")
            replay.run(instance, "make_run_source_databases", summary.days[-1].day)
        say(f"2/5 Ingestion and processing for {first} .. {last} as one run")
        replay.run(instance, "make_run_ingest_and_process", first, last)
        say(f"3/5 Training the weekly model for the week of {week}, quick tuning (MLflow: make mlflow)")
        replay.run(instance, ML_JOB, week, run_config=QUICK_TRAINING)
        say(f"4/5 Scoring, daily reports and monitoring for {first} .. {last} as one run")
        replay.run(instance, "make_run_score_and_report_days", first, last)
        say("5/5 Weekly and monthly reports (the weeks and months that have ended)")
        for job, partitions in (("make_run_weekly", calendar.weekly), ("make_run_monthly", calendar.monthly)):
            span = existing_keys(partitions, first, last)
            if span is None:
                say(f"  {job}: none has ended inside the demo days, skipped")
            else:
                replay.run(instance, job, *span)
    print_summary(profile, root, replay.seen, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
