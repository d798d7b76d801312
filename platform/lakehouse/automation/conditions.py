"""Declarative Automation from automation.yaml: one `AutomationCondition` per rule, put on the rule's
assets from this one place (`Definitions.map_asset_specs`), and one sensor that evaluates them.

Why not `AutomationCondition.eager()`: it holds `in_latest_time_window()`, so late data for an older day
(a late file, a corrected day) would never reach that day's gold, scores or reports. The condition here
is eager's without that operand, plus a per-partition hold on upstream blocking checks (held.py), and
with the upstream assets whose missing partitions may be ignored named per rule (docs/automation.md).

The sensor emits a backfill whenever a tick requests more than one partition, and backfills honour the
assets' `BackfillPolicy.single_run()`: a tick's stale days become one range run per group of assets that
can share a run, never one run per day.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from fnmatch import fnmatchcase

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    BetaWarning,
    DefaultSensorStatus,
    Definitions,
    PreviewWarning,
)

from lakehouse.automation.held import NoUpstreamPartitionHeld
from lakehouse.config.automation import AutomationConfig, Rule
from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.features import load_features


@dataclass(frozen=True)
class DailyCron:
    """The dataset's daily time (dataset.yaml `schedules.daily`), for `when: cron` rules without a cron,
    and how many recent days `recent_days: label_maturity` means."""

    cron: str
    timezone: str
    maturing_days: int  # the label's maturity delay (features.yaml) + 2: the days whose labels may change

    @classmethod
    def of(cls, dataset: DatasetConfig) -> DailyCron:
        daily = dataset.schedules.daily
        # At a tick on day T the newest partition is T-1 and the label events seen run through T-1: day D
        # is final once an event from D + 1 + delay is seen, so the day maturing now is T-2-delay.
        maturing = load_features(dataset.name).label.maturity_days + 2
        return cls(f"{daily.minute} {daily.hour} * * *", dataset.partitions.timezone, maturing)

    def days(self, recent: int | str | None) -> int:
        """A rule's `recent_days` in days (unset: the newest day only)."""
        return self.maturing_days if recent == "label_maturity" else int(recent or 1)


class KeyPatterns:
    """Resolves `schema/table` patterns (`*` within a component) against the assets' keys within their
    dataset ([<dataset>, schema, table]: one code location holds one dataset); a pattern that matches
    nothing is a configuration error, raised when the definitions load."""

    def __init__(self, assets: Sequence[object]) -> None:
        self._defs = [a for a in assets if isinstance(a, AssetsDefinition)]
        self.keys = sorted({k for a in self._defs for k in a.keys}, key=AssetKey.to_user_string)

    def resolve(self, patterns: Sequence[str], what: str) -> list[AssetKey]:
        found: list[AssetKey] = []
        for pattern in patterns:
            parts = pattern.split("/")
            matches = [k for k in self.keys if len(k.path) == len(parts) + 1
                       and all(fnmatchcase(p, q) for p, q in zip(k.path[1:], parts))]
            if not matches:
                raise ValueError(f"automation.yaml {what}: {pattern!r} matches no asset")
            found += [k for k in matches if k not in found]
        return found

    def with_multi_asset_neighbours(self, keys: Sequence[AssetKey]) -> list[AssetKey]:
        """A multi-asset that cannot be subset materialises all its outputs together: they share the rule."""
        out = list(keys)
        for a in self._defs:
            if not a.can_subset and any(k in a.keys for k in keys):
                out += [k for k in a.keys if k not in out]
        return out


def rule_condition(name: str, rule: Rule, patterns: KeyPatterns, daily: DailyCron) -> AutomationCondition:
    if rule.when == "cron" and rule.recent_days is None:
        return AutomationCondition.on_cron(rule.cron or daily.cron, daily.timezone).with_label(name)
    trigger: AutomationCondition  # the library's generics do not line up across its factories
    if rule.when == "cron":
        # Not on_cron: it waits for every upstream partition to be updated since the tick, which the
        # older days of the window never are; here the tick alone triggers, once (since_last_handled).
        recent = timedelta(days=daily.days(rule.recent_days))
        window: AutomationCondition = AutomationCondition.in_latest_time_window(recent)
        tick: AutomationCondition = AutomationCondition.cron_tick_passed(rule.cron or daily.cron, daily.timezone)
        trigger = window & tick.since_last_handled()
    else:
        updated = AutomationCondition.any_deps_updated()
        if rule.ignore_updates_from:
            updated = updated.ignore(AssetSelection.assets(*patterns.resolve(rule.ignore_updates_from, name)))
        trigger = updated.since_last_handled()
    missing = AutomationCondition.any_deps_missing()
    if rule.optional_upstream:
        missing = missing.ignore(AssetSelection.assets(*patterns.resolve(rule.optional_upstream, name)))
    return (
        trigger
        & ~missing
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
        # A partition whose upstream partition failed a blocking check is held back, per partition (the IO
        # manager refuses to read it too). Last: it queries the instance for what the rest lets through.
        & NoUpstreamPartitionHeld()
    ).with_label(name)


def conditions_by_key(
    config: AutomationConfig, assets: Sequence[object], daily: DailyCron
) -> dict[AssetKey, AutomationCondition]:
    patterns = KeyPatterns(assets)
    out: dict[AssetKey, AutomationCondition] = {}
    for name, rule in config.enabled_rules().items():
        condition = rule_condition(name, rule, patterns, daily)
        for key in patterns.with_multi_asset_neighbours(patterns.resolve(rule.assets, name)):
            # An asset named by two rules is requested when either says so (labels: when their day's
            # data changes, and daily while they mature).
            out[key] = out[key] | condition if key in out else condition
    return out


def with_automation(defs: Definitions, config: AutomationConfig, daily: DailyCron) -> Definitions:
    """`defs` with each rule's condition on its assets and the sensor that evaluates them."""
    conditions = conditions_by_key(config, list(defs.assets or []), daily)
    if not conditions:
        return defs

    def attach(spec: AssetSpec) -> AssetSpec:
        condition = conditions.get(spec.key)
        return spec.replace_attributes(automation_condition=condition) if condition else spec

    with warnings.catch_warnings():
        # map_asset_specs (preview) and use_user_code_server (beta) are the documented 1.13 ways to attach
        # conditions from one place and to evaluate a Python condition; their warnings would print at every
        # load of the code location, in the daemon every minute.
        warnings.simplefilter("ignore", PreviewWarning)
        warnings.simplefilter("ignore", BetaWarning)
        sensor = AutomationConditionSensorDefinition(
            config.sensor.name,
            target=AssetSelection.assets(*conditions),
            default_status=DefaultSensorStatus.RUNNING if config.sensor.default_status == "running"
            else DefaultSensorStatus.STOPPED,
            minimum_interval_seconds=config.sensor.minimum_interval_seconds,
            run_tags=config.run_tags,
            emit_backfills=True,
            use_user_code_server=True,  # NoUpstreamPartitionHeld is Python: it runs where the code is
            description="Keeps processing, scoring, reporting and monitoring up to date with the data "
            "(automation.yaml); stale partitions of one tick become single-run backfills.",
        )
        mapped = defs.map_asset_specs(func=attach)
    return Definitions.merge(mapped, Definitions(sensors=[sensor]))
