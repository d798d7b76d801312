"""The replay of a dataset's landed days through the whole graph, as a handful of range runs: what
`make run` does after the demo days have landed, and what `make run DATASET=<name>` does with whatever is
in a dataset's landing zone and source databases.

1. the source-database assets read the databases (after each landed chunk for a demo, once otherwise):
   a JDBC read sees the database as it is now;
2. ingestion and processing for every landed day as one single-run range (one Spark session, one run);
3. the weekly model for the newest week whose training window lies in the landed days and whose labels
   have matured by the last one (ml.yaml, features.yaml), registered and gated in MLflow;
4. every other daily asset (scoring, daily reports, monitoring) for every landed day as one run;
5. the weekly and monthly assets for every week and month that has ended inside the landed days.
Runs are recorded in the Dagster instance given, so `make dev` shows them afterwards.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

from dagster import (
    AssetSelection,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    JobDefinition,
    TimeWindowPartitionsDefinition,
    define_asset_job,
)

from lakehouse.config.dataset import load_dataset
from lakehouse.config.features import load_features
from lakehouse.config.identifiers import dataset_key
from lakehouse.config.ml import load_ml_config
from lakehouse.config.sources import load_sources
from lakehouse.jobs import keys_partitioned_by
from lakehouse.ml.assets import model_key, training_set_key
from lakehouse.ml.schedules import ML_JOB
from lakehouse.ml.training_set import window_bounds
from lakehouse.partitions import build_calendar
from lakehouse_tools.summary import say

BEFORE_MODEL_GROUPS = ("ingestion", "processing")
SOURCE_DATABASES = "make_run_source_databases"


def quick_training(dataset: str) -> dict:
    """Run config training every family once per grid's first point (ml/run_config.py): a minute instead
    of several; the weekly schedule searches the full grids of ml.yaml. The model op is named by its key."""
    return {"ops": {model_key(dataset).to_python_identifier(): {"config": {"tuning": "quick"}}}}


class Replay:
    """The jobs of the replay, resolved once against the code location's definitions."""

    def __init__(self, defs: Definitions, dataset: str) -> None:
        self.dataset = dataset
        self.calendar = build_calendar(load_dataset(dataset).partitions)
        assets = list(defs.assets or [])
        jdbc = [dataset_key(dataset, s.key) for s in load_sources(dataset).values() if s.format == "jdbc"]
        databases = AssetSelection.assets(*jdbc).required_multi_asset_neighbors()
        daily = AssetSelection.assets(*keys_partitioned_by(assets, self.calendar.daily))
        before_model = AssetSelection.groups(*BEFORE_MODEL_GROUPS) - databases
        jobs = {
            SOURCE_DATABASES: databases,
            "make_run_ingest_and_process": before_model,
            "make_run_score_and_report_days": daily - databases - before_model,
            # The weekly model is trained in step 3; the rest of the weekly assets are the reports.
            "make_run_weekly": AssetSelection.assets(*keys_partitioned_by(assets, self.calendar.weekly))
            - AssetSelection.assets(training_set_key(dataset), model_key(dataset)),
            "make_run_monthly": AssetSelection.assets(*keys_partitioned_by(assets, self.calendar.monthly)),
        }
        merged = Definitions.merge(defs, Definitions(jobs=[define_asset_job(n, selection=s) for n, s in jobs.items()]))
        self.jobs: dict[str, JobDefinition] = {n: merged.resolve_job_def(n) for n in [*jobs, ML_JOB]}
        self.seen: dict[str, list] = {}  # asset -> [materialisations, the last row count]
        self.results: dict[str, ExecuteInProcessResult] = {}  # "<job>@<first day>" -> its run
        self.seconds: dict[str, float] = {}
        self.trained_week: date | None = None  # the week step 3 trained

    def run(self, instance: DagsterInstance, job: str, first: date, last: date | None = None,
            run_config: dict | None = None) -> None:
        """One run of `job` over a partition (or the range first .. last); a failed run raises."""
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
        key = f"{job}@{first}"
        self.results[key], self.seconds[key] = result, time.perf_counter() - started
        span = first.isoformat() if last is None else f"{first} .. {last}"
        say(f"  {job} [{span}] succeeded in {self.seconds[key]:.0f} s (run {result.run_id[:8]})")

    def read_databases(self, instance: DagsterInstance, day: date) -> None:
        """Step 1: the source databases as they are now, recorded as the partition `day`."""
        self.run(instance, SOURCE_DATABASES, day)

    def days(self, instance: DagsterInstance, first: date, last: date) -> None:
        """Steps 2 to 5 over the landed days first .. last."""
        newest_week = self.calendar.weekly.get_last_partition_key()
        if newest_week is None:
            raise SystemExit(f"No week of {self.dataset}'s calendar has ended yet: nothing to train on")
        week = self.trained_week = trainable_week(first, last, self.dataset, date.fromisoformat(newest_week))
        say(f"2/5 Ingestion and processing for {first} .. {last} as one run")
        self.run(instance, "make_run_ingest_and_process", first, last)
        say(f"3/5 Training the weekly model for the week of {week}, quick tuning (MLflow: make mlflow)")
        self.run(instance, ML_JOB, week, run_config=quick_training(self.dataset))
        say(f"4/5 Scoring, daily reports and monitoring for {first} .. {last} as one run")
        self.run(instance, "make_run_score_and_report_days", first, last)
        say("5/5 Weekly and monthly assets (the weeks and months that have ended)")
        for job, partitions in (("make_run_weekly", self.calendar.weekly), ("make_run_monthly", self.calendar.monthly)):
            span = existing_keys(partitions, first, last)
            if span is None:
                say(f"  {job}: none has ended inside the landed days, skipped")
            else:
                self.run(instance, job, *span)


def trainable_week(first_day: date, last_day: date, dataset: str, newest_week: date) -> date:
    """The newest Monday, up to `newest_week` (the newest weekly partition: a week that has ended), whose
    training window lies inside the days and whose labels have matured by the last day."""
    settings, label_days = load_ml_config(dataset).training_set, load_features(dataset).label.maturity_days
    week = min(last_day, newest_week)
    week -= timedelta(days=week.weekday())
    while week > first_day:
        start, end = window_bounds(week, settings, label_days)
        # The window's last day (end - 1) is final once a label event from end - 1 + 1 + window is seen.
        if start >= first_day and end + timedelta(days=label_days) <= last_day:
            return week
        week -= timedelta(weeks=1)
    weeks = settings.window_weeks + settings.lag_weeks(label_days)
    raise SystemExit(f"Days {first_day} .. {last_day} of {dataset} cover no training week: a week's training window "
                     f"is {settings.window_weeks} weeks ending {settings.lag_weeks(label_days)} weeks before it, and its "
                     f"labels mature {label_days} days later (ml.yaml training_set, features.yaml label), so about "
                     f"{weeks} weeks and {label_days} days of landed days are needed. Land more days.")


def existing_keys(partitions: TimeWindowPartitionsDefinition, first: date, last: date) -> tuple[date, date] | None:
    """The first and last partition that starts inside first .. last and exists now (a week or month is
    a partition once it has ended)."""
    keys = [k for k in partitions.get_partition_keys() if first <= date.fromisoformat(k) <= last]
    return (date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])) if keys else None


def landed_days(root: Path, dataset: str) -> list[date]:
    """The landing days of the dataset's file sources under the data root: folders named YYYY-MM-DD
    (`lakehouse land` and the demo generators write them)."""
    days: set[date] = set()
    for source in load_sources(dataset).values():
        if source.format not in ("csv", "json") or source.location is None:
            continue
        folder = root / source.location
        for child in folder.iterdir() if folder.is_dir() else []:
            try:
                days.add(date.fromisoformat(child.name))
            except ValueError:
                continue  # not a landing day (a hidden or stray folder): the landing sensor ignores it too
    return sorted(days)
