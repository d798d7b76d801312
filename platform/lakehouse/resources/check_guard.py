"""Blocking checks that hold across runs: no asset reads an upstream partition whose latest
materialisation failed a blocking check, however the reading run was launched.

Dagster's `blocking=True` stops downstream steps only inside the run that ran the check; a later run (a
schedule, a backfill, the Launchpad) would read the partition the check rejected. Declarative
Automation holds automated runs back (per partition, with the same question: automation/held.py), but
nothing else. So before anything is read, the instance is asked: which runs wrote the partitions about to
be read, and did any of them record a failed blocking ERROR check on that asset? Then the run fails with a
message naming the asset, the partitions and the checks (docs/automation.md, "Blocking checks"). Two
callers ask: the Delta IO manager before it loads an input (`refuse_failed_upstream_input`), and the
`compute` resource before it dispatches a processing step anywhere, for every upstream the step reads
(`refuse_failed_upstream_deps`: those assets declare `deps`, which no IO manager loads).

A check is judged by the run that wrote the partition: the whole written window is what a check of a
range run evaluated. Re-materialise the partition (or fix and re-run its asset) to clear the hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DagsterInvariantViolationError,
    Failure,
    InputContext,
    MetadataValue,
)

# Partitions named in the error message; the count of all of them is always given.
_SHOWN = 10


def failed_blocking_checks(instance: DagsterInstance, run_id: str, asset_key: AssetKey) -> list[str]:
    """Names of the blocking ERROR checks on `asset_key` that failed in run `run_id`."""
    failed = []
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data if entry.dagster_event else None
        # The event's data is typed as the union of every event's payload; these events carry this one.
        if (isinstance(evaluation, AssetCheckEvaluation) and evaluation.asset_key == asset_key and evaluation.blocking
                and not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR):
            failed.append(evaluation.check_name)
    return sorted(set(failed))


def writers(instance: DagsterInstance, asset_key: AssetKey, partitions: Sequence[str] | None) -> dict[str, list[str]]:
    """{run id: partitions} of the latest materialisation of each partition (unpartitioned: [""])."""
    if not partitions:
        records = instance.fetch_materializations(asset_key, limit=1).records
        return {records[0].run_id: [""]} if records else {}
    latest = instance.event_log_storage.get_latest_storage_id_by_partition(
        asset_key, DagsterEventType.ASSET_MATERIALIZATION, set(partitions))
    if not latest:
        return {}
    by_run: dict[str, list[str]] = {}
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset_key, storage_ids=list(latest.values())), limit=len(latest)).records
    for record in records:
        by_run.setdefault(record.run_id, []).append(record.partition_key or "")
    return by_run


def held_partitions(
    instance: DagsterInstance, asset_key: AssetKey, partitions: Sequence[str] | None, reading_run_id: str | None = None
) -> dict[str, list[str]]:
    """{failed blocking check: partitions} among `partitions` whose latest materialisation was written by a
    run in which that check failed (unpartitioned: [""]). The run `reading_run_id` is skipped."""
    problems: dict[str, list[str]] = {}
    for run_id, days in writers(instance, asset_key, partitions).items():
        if run_id == reading_run_id:
            continue
        for check in failed_blocking_checks(instance, run_id, asset_key):
            problems.setdefault(check, []).extend(days)
    return problems


def not_yet_readable(instance: DagsterInstance, asset_key: AssetKey, partitions: Sequence[str] | None) -> list[str]:
    """Partitions among `partitions` that nothing should start reading: written by a run whose blocking
    check on the asset failed, or by a run still going — a run records an asset's materialisation before
    it evaluates the asset's checks, so until it ends its verdict may still be a failure."""
    out: list[str] = []
    for run_id, days in writers(instance, asset_key, partitions).items():
        run = instance.get_run_by_id(run_id) if run_id else None  # runless events have no run
        if (run is not None and not run.is_finished) or failed_blocking_checks(instance, run_id, asset_key):
            out.extend(days)
    return out


def refuse_failed_upstream(
    instance: DagsterInstance, asset_key: AssetKey, partitions: Sequence[str] | None, reading_run_id: str
) -> None:
    """Raise a `Failure` naming the asset, partitions and checks when a partition to be read was written
    by a run whose blocking check on it failed. The reading run itself is skipped: inside one run Dagster
    already stops the downstream steps of a failed blocking check."""
    problems = held_partitions(instance, asset_key, partitions, reading_run_id)
    if not problems:
        return
    asset = asset_key.to_user_string()
    parts = "; ".join(
        f"{check} failed for {len(days)} partition(s) {sorted(days)[:_SHOWN]}{' ...' if len(days) > _SHOWN else ''}"
        for check, days in sorted(problems.items())
    )
    raise Failure(
        description=f"Upstream {asset} is held by its blocking checks: {parts}. Fix the data and re-materialise "
        f"those partitions of {asset}; until then nothing reads them.",
        metadata={"upstream_asset": asset,
                  "failed_checks": MetadataValue.json({c: sorted(d) for c, d in problems.items()})},
        allow_retries=False,
    )


def refuse_failed_upstream_input(context: InputContext) -> None:
    """The IO manager's hook: the partitions this input reads, from the run's own instance."""
    if not context.has_asset_key:
        return
    try:
        step = context.step_context
    except DagsterInvariantViolationError:
        return  # an input context built outside a run (build_input_context): no instance to ask
    partitions = list(context.asset_partition_keys) if context.has_asset_partitions else None
    refuse_failed_upstream(step.instance, context.asset_key, partitions, step.run_id)


def refuse_failed_upstream_deps(context: AssetExecutionContext) -> None:
    """The compute resource's hook, in the Dagster process before a step is dispatched: every upstream of
    the asset, in the partitions this run reads through the dependency's partition mapping (a range run:
    the union), or the latest materialisation of an unpartitioned upstream."""
    for name, key in context.assets_def.keys_by_input_name.items():
        partitions = _partitions_read(context, name)
        if partitions == []:
            continue  # the mapping reads no partition of it (e.g. days before its first)
        refuse_failed_upstream(context.instance, key, partitions, context.run.run_id)


def _partitions_read(context: AssetExecutionContext, input_name: str) -> list[str] | None:
    """The upstream partitions the run reads through `input_name`; None for an unpartitioned upstream."""
    try:
        context.asset_partitions_def_for_input(input_name)
    except DagsterInvariantViolationError:
        return None  # Dagster's answer for an upstream without partitions
    return list(context.asset_partition_keys_for_input(input_name))
