"""Drive and watch the sensors in a live deployment (the dagster-daemon walk-through in docs/automation.md).

    python -m lakehouse.automation.livecheck land gold/transaction_features 2026-01-14
    python -m lakehouse.automation.livecheck land monitoring/model_performance 2026-03-02 \
        --metadata '{"model_version": "3", "pr_auc": 0.05}'
    python -m lakehouse.automation.livecheck wait lakehouse/automation_rule=score_on_new_features --count 1

`land` reports a runless materialisation (what new data written outside Dagster looks like to the
sensors); `wait` polls the runs carrying a tag until `--count` of them reach `--until` and prints each
change. Both use the instance of $DAGSTER_HOME, the one the daemon uses.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
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
    return until == "requested" or (until == "finished" and run.status in DONE) or run.status == DagsterRunStatus.SUCCESS


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
    args = parser.parse_args(argv)
    instance = DagsterInstance.get()  # $DAGSTER_HOME: the daemon's instance
    if args.command == "land":
        land(instance, args.asset, args.partition, json.loads(args.metadata))
        return 0
    return 0 if wait(instance, args.tag, args.count, args.until, args.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
