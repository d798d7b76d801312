"""`make run`: generate the demo data and materialise the whole asset graph on the current profile.

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

import sys
import time
import warnings
from datetime import date, timedelta

from dagster import AssetSelection, BetaWarning, DagsterInstance, Definitions, JobDefinition, define_asset_job

from lakehouse.config.dataset import load_dataset
from lakehouse.config.features import load_features
from lakehouse.config.ml import load_ml_config
from lakehouse.config.profile import load_profile, resolve_data_root
from lakehouse.config.sources import load_sources
from lakehouse.jobs import keys_partitioned_by
from lakehouse.ml.assets import MODEL_KEY, TRAINING_SET_KEY
from lakehouse.ml.schedules import ML_JOB
from lakehouse.ml.training_set import window_bounds
from lakehouse.partitions import build_calendar
from lakehouse_tools.demo.generator import land_next_days
from lakehouse_tools.demo.settings import GeneratorSettings
from lakehouse_tools.summary import print_summary, say

DEMO_WEEKS = 11  # the first week the model can train on: 6 weeks of window + 5 weeks of label maturity
DEMO_ROWS_PER_DAY = 1_000
CAPTURE_EVERY_DAYS = 28


def capture_chunks(days: int) -> list[int]:
    """Days landed before each database read: the first day alone, then CAPTURE_EVERY_DAYS at a time."""
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


def trainable_week(first_day: date, last_day: date, dataset: str) -> date:
    """The newest Monday whose training window lies inside the demo days and whose labels have matured
    by the last day (the chargebacks seen by then are the labels' watermark)."""
    settings, label_days = load_ml_config(dataset).training_set, load_features(dataset).label.maturity_days
    week = last_day - timedelta(days=last_day.weekday())
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


def main() -> int:
    # The replay's own lines are the progress; Dagster's per-event DEBUG lines and its notes about beta
    # parameters would bury them (every event is still in the instance: `make dev` shows the runs).
    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", message=".*materializes assets with varying BackfillPolicies")
    from lakehouse.definitions import defs

    started = time.perf_counter()
    profile = load_profile()
    require_demo_dataset(profile.dataset, profile.name)
    root = resolve_data_root(profile.storage.data_root)
    dataset = load_dataset(profile.dataset)
    first = dataset.partitions.start_date
    days = DEMO_WEEKS * 7
    last = first + timedelta(days=days - 1)
    settings = GeneratorSettings(start_date=first, days=1, rows_per_day=DEMO_ROWS_PER_DAY)
    say(f"Profile {profile.name}: data root {root}")
    say(f"Demo: {days} days ({first} .. {last}) x {DEMO_ROWS_PER_DAY:,} transactions")
    replay = Replay(defs, profile.dataset)
    week = trainable_week(first, last, profile.dataset)
    with DagsterInstance.get() as instance:
        say("1/5 Landing the days (the first, then four weeks at a time); the source databases are read after each")
        for chunk in capture_chunks(days):
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
        say("5/5 Weekly and monthly reports")
        first_monday = first + timedelta(days=(7 - first.weekday()) % 7)  # weekly partitions start on Mondays
        replay.run(instance, "make_run_weekly", first_monday, last - timedelta(days=last.weekday()))
        replay.run(instance, "make_run_monthly", first.replace(day=1), last.replace(day=1))
    print_summary(profile, root, replay.seen, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
