"""Rematerialisation sensors: one per rule of automation.yaml, each a cursor over the event log.

A tick reads the upstream materialisations recorded since the cursor (any partition: late data for an
old day counts like today's), maps each to the downstream partitions it reaches through the assets'
partition mappings, drops those already rebuilt from it, and requests the rest, one run per
(partitions definition, partition). Why a sensor and not Declarative Automation: docs/automation.md.

Runs in the daemon: no pyspark here, and nothing is read when definitions load.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DefaultSensorStatus,
    PartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    sensor,
)

from lakehouse.automation.events import Event, InstanceView, Trigger, busy
from lakehouse.automation.graph import AssetNet, Target, build_net, exists, reach, upstream_of
from lakehouse.automation.plan import Group, choose, group, newest
from lakehouse.automation.state import Cursor, dump_cursor, parse_cursor, target_id
from lakehouse.config.automation import AutomationConfig, Rule

STATUS = {"running": DefaultSensorStatus.RUNNING, "stopped": DefaultSensorStatus.STOPPED}
RULE_TAG, SOURCE_TAG, TRIGGER_RUN_TAG = "lakehouse/automation_rule", "lakehouse/triggered_by", "lakehouse/trigger_run"


Affected = Callable[[Event], dict[AssetKey, set[str | None]]]


@dataclass(frozen=True)
class RuleSpec:
    """A rule resolved against the assets: keys, the job each downstream asset runs in, and which
    downstream partitions an upstream event makes stale."""

    name: str
    rule: Rule
    net: AssetNet
    upstream: tuple[AssetKey, ...]
    job_of: dict[AssetKey, str]
    affected: Affected


def resolve_rule(name: str, rule: Rule, net: AssetNet) -> RuleSpec:
    upstream = tuple(net.resolve(rule.upstream))
    reachable = set().union(*(net.descendants(k) for k in upstream))
    downstream = [k for k in net.resolve(rule.downstream) if k in reachable]
    unreachable = [p for p in rule.downstream if "*" not in p and AssetKey.from_user_string(p) not in reachable]
    if unreachable or not downstream:
        raise ValueError(f"Rule {name!r}: {unreachable or rule.downstream} do not depend on {rule.upstream}")

    def affected(event: Event) -> dict[AssetKey, set[str | None]]:
        return reach(net, event.key, event.partition, set(downstream))

    return RuleSpec(name, rule, net, upstream, jobs_for(name, downstream, net), affected)


def jobs_for(rule: str, keys: Sequence[AssetKey], net: AssetNet) -> dict[AssetKey, str]:
    """One asset job per partitions definition: a Dagster run materialises one partition of one
    definition, so a day's daily assets share a run and weeks and months get their own."""
    names: dict[PartitionsDefinition | None, str] = {}
    for key in keys:
        partitions_def = net.partitions[key]
        if partitions_def not in names:
            # DailyPartitionsDefinition -> "daily"; a second, different daily definition gets a suffix.
            kind = type(partitions_def).__name__.removesuffix("PartitionsDefinition").lower()
            label = "unpartitioned" if partitions_def is None else kind
            taken = set(names.values())
            name = f"{rule}__{label}"
            names[partitions_def] = name if name not in taken else f"{name}_{len(taken)}"
    return {key: names[net.partitions[key]] for key in keys}


def build_rematerialization_sensors(
    assets: Sequence[AssetsDefinition], config: AutomationConfig
) -> list[SensorDefinition]:
    """A sensor per enabled rule (with its jobs) over `assets`: every asset the rules name, and those in
    between, must be among them. The optional champion re-score sensor: automation/champion.py."""
    net = build_net(assets)
    return [build_rule_sensor(resolve_rule(name, rule, net)) for name, rule in config.enabled_rules().items()]


def build_rule_sensor(spec: RuleSpec) -> SensorDefinition:
    jobs = [
        define_asset_job(job, selection=AssetSelection.assets(*sorted(k for k, j in spec.job_of.items() if j == job)),
                         description=f"Rebuilds stale partitions for the {spec.name} rule (sensor-launched).")
        for job in sorted(set(spec.job_of.values()))
    ]
    ups = ", ".join(k.to_user_string() for k in spec.upstream)

    @sensor(
        name=spec.name,
        jobs=jobs,
        minimum_interval_seconds=spec.rule.minimum_interval_seconds,
        default_status=STATUS[spec.rule.default_status],
        description=f"{spec.rule.description} (watches {ups}; docs/automation.md)",
    )
    def _sensor(context: SensorEvaluationContext) -> SensorResult:
        return evaluate(context, spec)

    return _sensor


def evaluate(context: SensorEvaluationContext, spec: RuleSpec) -> SensorResult:
    view = InstanceView(context.instance)
    cursor = parse_cursor(context.cursor)
    if cursor is None:
        # First tick (or a reset / unreadable cursor): history is not replayed; a backfill covers it.
        start = view.newest_storage_id(spec.upstream)
        if context.cursor:
            context.log.warning("Unreadable cursor replaced; upstream events before it are not replayed")
        return SensorResult(skip_reason=SkipReason(f"Watching upstream materialisations after storage id {start}"),
                            cursor=dump_cursor(Cursor(start)))
    notes: list[str] = []
    events, after = view.new_events(spec.upstream, cursor.after, spec.rule.events_per_tick)
    events += view.events_by_id(cursor.waiting)
    waiting: dict[AssetKey, list[int]] = {}
    stale: dict[Target, Trigger] = dict(cursor.pending)
    for event in events:
        if not view.finished(event.trigger.run_id):
            # Its run may still fail a blocking check on it, or write the downstream partitions itself.
            waiting.setdefault(event.key, []).append(event.trigger.storage_id)
        elif view.checks_failed(event):
            notes.append(f"not propagating {event.trigger.source}: a blocking check failed in its run")
        else:
            for key, partitions in spec.affected(event).items():
                for partition in partitions:
                    stale[(key, partition)] = newest(stale.get((key, partition)), event.trigger)
    stale = {t: tr for t, tr in stale.items() if exists(spec.net, *t) and not view.up_to_date(t[0], t[1], tr)}
    groups = group(stale, spec.job_of, spec.net.levels)
    planned = view.planned() if groups else {}
    requested, held = choose(groups, cache(lambda g: _parents(spec.net, g)), lambda t: busy(planned, t),
                             spec.rule.max_partitions_per_tick)
    pending = {t: stale[t] for g, _ in held for t in g.targets() if t in stale}
    for g, reason in held:
        notes.append(f"waiting: {g.job} {g.partition or ''} ({reason})")
    new_cursor = dump_cursor(Cursor(after, waiting, pending))
    for note in notes:
        context.log.info(note)
    if requested:
        requests = [run_request(spec.name, g) for g in requested]
        context.log.info(f"Requesting {len(requests)} runs: {[r.run_key for r in requests]}")
        return SensorResult(run_requests=requests, cursor=new_cursor)
    summary = f"{len(waiting)} upstream assets with events of unfinished runs" if waiting else ""
    reason = "; ".join(x for x in ["Nothing to request now", summary, *notes[:5]] if x)
    return SensorResult(skip_reason=SkipReason(reason), cursor=new_cursor)


def _parents(net: AssetNet, g: Group) -> set[Target]:
    return set().union(*(upstream_of(net, key, g.partition) for key in g.keys))


def run_request(rule: str, g: Group) -> RunRequest:
    """The run key names the upstream event, so one event never launches the same rebuild twice, even
    after a retried tick; a later event for the same partition is a new key (it is new data)."""
    selection = hashlib.sha256(",".join(target_id((k, None)) for k in g.keys).encode()).hexdigest()[:8]
    return RunRequest(
        run_key=f"{rule}:{g.job}:{g.partition or 'all'}:{g.trigger.storage_id}:{selection}",
        job_name=g.job,
        partition_key=g.partition,
        asset_selection=list(g.keys),
        tags={RULE_TAG: rule, SOURCE_TAG: g.trigger.source, TRIGGER_RUN_TAG: g.trigger.run_id or "runless"},
    )
