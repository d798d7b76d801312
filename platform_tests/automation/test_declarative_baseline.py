"""Why the rules are sensors (docs/automation.md): the pinned Dagster's `eager()` ignores late data for an
old day. If this test starts failing after an upgrade, Declarative Automation may now cover the case and
the choice is worth revisiting."""

from __future__ import annotations

from dagster import AssetsDefinition, AutomationCondition, DagsterInstance, evaluate_automation_conditions

from platform_tests.automation.stubs import GOLD, PREDICTIONS, land, stub_assets


def with_condition(condition: AutomationCondition) -> list[AssetsDefinition]:
    assets = stub_assets()
    return [a.with_attributes(automation_condition=condition) if PREDICTIONS in a.keys else a for a in assets]


def requested_days(condition: AutomationCondition, instance: DagsterInstance) -> list[str]:
    assets = with_condition(condition)
    first = evaluate_automation_conditions(defs=assets, instance=instance)
    land(instance, GOLD, "2026-01-14")
    second = evaluate_automation_conditions(defs=assets, instance=instance, cursor=first.cursor)
    return sorted(second.get_requested_partitions(PREDICTIONS))


def test_eager_does_not_rescore_an_old_day(instance: DagsterInstance) -> None:
    assert requested_days(AutomationCondition.eager(), instance) == []


def test_any_deps_updated_without_the_latest_window_does(instance: DagsterInstance) -> None:
    condition = AutomationCondition.any_deps_updated().since_last_handled() & ~AutomationCondition.in_progress()
    assert requested_days(condition, instance) == ["2026-01-14"]
