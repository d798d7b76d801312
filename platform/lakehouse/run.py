"""`make run`: generate the demo data and materialise the whole asset graph on the current profile.

It replays production, compressed: the demo days land one after another and, after each landing,
the source-database assets read that day's state (a JDBC read sees the database as it is *now*, so
only a run per landed day captures the customers' change history). Everything that can process a
range then runs as one single-run backfill over all demo days (one Spark session, one run).
Runs are recorded in the Dagster instance at DAGSTER_HOME, so `make dev` shows them afterwards.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

from dagster import AssetSelection, DagsterInstance, Definitions, JobDefinition, define_asset_job

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import load_profile, resolve_data_root
from lakehouse.config.sources import load_sources
from lakehouse.demo.generator import generate, land_next_day
from lakehouse.demo.settings import GeneratorSettings

DEMO_DAYS = 7
DEMO_ROWS_PER_DAY = 2_000


def _say(message: str) -> None:
    print(f"[lakehouse {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _jobs(defs: Definitions, dataset: str) -> tuple[JobDefinition, JobDefinition]:
    from lakehouse.definitions import DAILY_GROUPS

    jdbc = [["bronze", s.name] for s in load_sources(dataset).values() if s.format == "jdbc"]
    databases = AssetSelection.assets(*jdbc).required_multi_asset_neighbors()
    with_jobs = Definitions.merge(
        defs,
        Definitions(jobs=[
            define_asset_job("make_run_source_databases", selection=databases),
            define_asset_job("make_run_range", selection=AssetSelection.groups(*DAILY_GROUPS) - databases),
        ]),
    )
    return with_jobs.resolve_job_def("make_run_source_databases"), with_jobs.resolve_job_def("make_run_range")


def _report(result, seen: dict[str, list]) -> None:
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        rows = mat.metadata.get("dagster/row_count")
        entry = seen.setdefault(mat.asset_key.to_user_string(), [0, "-"])
        entry[0] += 1
        entry[1] = rows.value if rows else entry[1]


def main() -> int:
    from lakehouse.definitions import defs

    profile = load_profile()
    root = resolve_data_root(profile.storage.data_root)
    start = load_dataset(profile.dataset).partitions.start_date
    settings = GeneratorSettings(start_date=start, days=1, rows_per_day=DEMO_ROWS_PER_DAY)
    _say(f"Profile {profile.name}: data root {root}; {DEMO_DAYS} demo days x {DEMO_ROWS_PER_DAY} transactions")
    databases_job, range_job = _jobs(defs, profile.dataset)
    seen: dict[str, list] = {}
    with DagsterInstance.get() as instance:
        for index in range(DEMO_DAYS):
            day = start + timedelta(days=index)
            summary = generate(settings, root) if index == 0 else land_next_day(settings, root)
            _say(f"Landed {summary.days[-1].line()}")
            result = databases_job.execute_in_process(instance=instance, partition_key=day.isoformat())
            _report(result, seen)
        last = start + timedelta(days=DEMO_DAYS - 1)
        _say(f"Materialising every other asset for {start} .. {last} as one run")
        tags = {"dagster/asset_partition_range_start": start.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat()}
        result = range_job.execute_in_process(instance=instance, tags=tags)
        _report(result, seen)
        _say(f"Run {result.run_id} succeeded")
    for key, (materialisations, rows) in sorted(seen.items()):
        _say(f"  {key:42s} materialisations={materialisations:<3d} rows={rows}")
    _say("Reading a table by name from a new Spark session (python -m lakehouse.query):")
    subprocess.run([sys.executable, "-m", "lakehouse.query",
                    "SELECT landing_date, count(*) AS rows FROM bronze.transactions_pos GROUP BY landing_date "
                    "ORDER BY landing_date"], check=True)
    _say(f"Tables: {root / 'warehouse'}   Dagster UI: make dev (http://127.0.0.1:3000)   MLflow UI: make mlflow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
