"""Drive and watch the sensors in a live deployment (the dagster-daemon walk-through in docs/automation.md).

    python -m lakehouse.automation.livecheck land gold/transaction_features 2026-01-14
    python -m lakehouse.automation.livecheck land monitoring/model_performance 2026-03-02 \
        --metadata '{"model_version": "3", "pr_auc": 0.05}'
    python -m lakehouse.automation.livecheck wait lakehouse/automation_rule=score_on_new_features --count 1
    python -m lakehouse.automation.livecheck runs --since 2026-11-26T09:43:00Z

`land` reports a runless materialisation (what new data written outside Dagster looks like to the
sensors); `wait` polls the runs carrying a tag until `--count` of them reach `--until` and prints each
change; `runs` lists the sensor-launched runs created since a time (sensor, job, partition, status,
duration, trigger) and names any (job, partition) requested more than once. All use the instance of
$DAGSTER_HOME, the one the daemon uses.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TextIO

from dagster import AssetKey, AssetMaterialization, DagsterInstance, DagsterRunStatus, RunsFilter

DONE = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def land(instance: DagsterInstance, asset: str, partition: str | None, metadata: dict[str, Any]) -> None:
    event = AssetMaterialization(asset_key=AssetKey.from_user_string(asset), partition=partition, metadata=metadata)
    instance.report_runless_asset_event(event)


def tagged_runs(instance: DagsterInstance, tag: str) -> list[Any]:
    """Runs with tag `key=value` (or any value for a bare `key`), oldest first."""
    key, sep, value = tag.partition("=")
    if sep:
        return list(reversed(instance.get_runs(RunsFilter(tags={key: value}))))
    return [r for r in reversed(instance.get_runs()) if key in r.tags]


def reached(run: Any, until: str) -> bool:
    return (until == "requested" or (until == "finished" and run.status in DONE)
            or run.status == DagsterRunStatus.SUCCESS)


def wait(instance: DagsterInstance, tag: str, count: int, until: str, timeout: float, poll: float = 5.0,
         out: TextIO = sys.stdout, clock: Callable[[], float] = time.monotonic) -> bool:
    """True once `count` tagged runs reached `until` (requested | finished | success); False on timeout
    or when a run failed while success was expected."""
    deadline, shown = clock() + timeout, {}
    while True:
        runs = tagged_runs(instance, tag)
        for run in runs:
            if shown.get(run.run_id) != run.status:
                shown[run.run_id] = run.status
                tags = {k: v for k, v in run.tags.items() if k.startswith(("lakehouse/", "dagster/partition"))}
                print(f"{run.run_id[:8]} {run.job_name} {run.status.value} {json.dumps(tags)}", file=out, flush=True)
        if until == "success" and any(r.status in DONE - {DagsterRunStatus.SUCCESS} for r in runs):
            return False
        if sum(reached(r, until) for r in runs) >= count:
            return True
        if clock() >= deadline:
            print(f"timeout: {len(runs)} runs tagged {tag}", file=out)
            return False
        time.sleep(poll)


def parse_since(text: str) -> datetime:
    """An ISO time (`2026-11-26T09:43:00Z`; no zone = UTC) or epoch seconds."""
    try:
        return datetime.fromtimestamp(float(text), timezone.utc)
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def sensor_runs(instance: DagsterInstance, since: datetime | None = None, out: TextIO = sys.stdout) -> int:
    """Print the runs launched by a sensor (tag dagster/sensor_name) created after `since`, oldest first,
    then the (job, partition) pairs requested more than once; returns how many such pairs there are."""
    records = instance.get_run_records(RunsFilter(created_after=since) if since else None)
    records = sorted((r for r in records if "dagster/sensor_name" in r.dagster_run.tags),
                     key=lambda r: r.create_timestamp)
    for record in records:
        run, tags = record.dagster_run, record.dagster_run.tags
        took = f"{record.end_time - record.start_time:.0f} s" if record.start_time and record.end_time else "-"
        cause = tags.get("lakehouse/triggered_by") or tags.get("lakehouse/retrain_reason", "-")
        print(f"{record.create_timestamp.astimezone(timezone.utc):%H:%M:%S} {run.run_id[:8]} "
              f"{tags['dagster/sensor_name']} {run.job_name} {tags.get('dagster/partition', '-')} "
              f"{run.status.value} {took} <- {cause}", file=out)
    repeated = {k: n for k, n in Counter((r.dagster_run.job_name, r.dagster_run.tags.get("dagster/partition"))
                                         for r in records).items() if n > 1}
    print(f"{len(records)} sensor runs; requested more than once: "
          + (", ".join(f"{job} {part} x{n}" for (job, part), n in repeated.items()) or "none"), file=out)
    return len(repeated)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse.automation.livecheck", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    landing = commands.add_parser("land", help="report a runless materialisation")
    landing.add_argument("asset", help="asset key, schema/table")
    landing.add_argument("partition", nargs="?", help="partition key (omit for unpartitioned assets)")
    landing.add_argument("--metadata", default="{}", help="JSON object of materialisation metadata")
    waiting = commands.add_parser("wait", help="poll runs carrying a tag")
    waiting.add_argument("tag", help="key=value, or key for any value")
    waiting.add_argument("--count", type=int, default=1)
    waiting.add_argument("--until", choices=["requested", "finished", "success"], default="success")
    waiting.add_argument("--timeout", type=float, default=600.0)
    listing = commands.add_parser("runs", help="list sensor-launched runs and repeated (job, partition) pairs")
    listing.add_argument("--since", type=parse_since, help="ISO time (UTC if no zone) or epoch seconds")
    args = parser.parse_args(argv)
    instance = DagsterInstance.get()  # $DAGSTER_HOME: the daemon's instance
    if args.command == "land":
        land(instance, args.asset, args.partition, json.loads(args.metadata))
        return 0
    if args.command == "runs":
        return 1 if sensor_runs(instance, args.since) else 0
    return 0 if wait(instance, args.tag, args.count, args.until, args.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
