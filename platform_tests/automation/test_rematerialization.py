"""The rematerialisation sensors on stub assets (real keys and calendars) and a real sqlite instance.

Every request a tick returns is resolved by Dagster against the jobs' partitions (evaluate_tick with the
definitions) and then executed in-process, so the next tick sees what a daemon-launched run would leave.
"""

from __future__ import annotations

from typing import Any

import pytest
from dagster import DagsterInstance, Definitions

from lakehouse.automation.sensors import RULE_TAG, SOURCE_TAG, build_rematerialization_sensors
from lakehouse.config.automation import AutomationConfig, load_automation_config
from platform_tests.automation.stubs import (
    GOLD,
    REPORT as REPORT_KEY,
    SUMMARY,
    MID_RUN,
    PREDICTIONS,
    Ticker,
    land,
    requested,
    run,
    stub_assets,
)

SCORE, REPORT = "score_on_new_features", "report_on_new_predictions"
DAILY_REPORTS = ("reporting/daily_report", "reporting/daily_summary")  # one run: summary, then its report
PREDS = ("scoring/predictions",)


def card_fraud_rules() -> AutomationConfig:
    """card_fraud's scoring and reporting rules: the stubs model gold -> predictions -> reports only (the
    bronze -> silver -> gold rule is checked on the real graph in test_real_graph.py)."""
    config = load_automation_config("card_fraud")
    return config.model_copy(update={"rules": {k: v for k, v in config.rules.items() if k in (SCORE, REPORT)}})


def tickers(instance: DagsterInstance, config: AutomationConfig | None = None, **stub: Any) -> tuple[Ticker, Ticker]:
    assets = stub_assets(**stub)
    sensors = build_rematerialization_sensors(assets, config or card_fraud_rules())
    defs = Definitions(assets=assets, sensors=sensors)
    by_name = {s.name: Ticker(s, defs, instance) for s in sensors}
    for ticker in by_name.values():
        first = ticker()  # no cursor yet: starts after the newest upstream event, requests nothing
        assert first.run_requests == [] and "Watching upstream materialisations" in first.skip_message
    return by_name[SCORE], by_name[REPORT]


def test_late_data_for_an_old_day_is_scored_then_its_day_week_and_month_reports(instance: DagsterInstance) -> None:
    score, report = tickers(instance)
    land(instance, GOLD, "2026-01-14")  # a Wednesday, months back: not the latest partition
    scored = score()
    assert requested(scored) == {(f"{SCORE}__daily", "2026-01-14", PREDS)}
    tags = scored.run_requests[0].tags
    assert tags[RULE_TAG] == SCORE and tags[SOURCE_TAG] == "gold/transaction_features|2026-01-14"
    assert report().run_requests == []  # nothing new for the reports until the day is scored
    score.launch(scored)
    reports = report()
    assert requested(reports) == {
        (f"{REPORT}__daily", "2026-01-14", DAILY_REPORTS),
        (f"{REPORT}__weekly", "2026-01-12", ("reporting/weekly_report", "reporting/weekly_summary")),  # Mon-Sun
        (f"{REPORT}__monthly", "2026-01-01", ("reporting/monthly_report", "reporting/monthly_summary")),
    }
    report.launch(reports)
    assert score().run_requests == [] and report().run_requests == []


def test_ten_days_landing_between_ticks_are_each_requested_once(instance: DagsterInstance) -> None:
    score, report = tickers(instance)
    days = [f"2026-02-{d:02d}" for d in range(2, 12)]  # Mon 2 .. Wed 11 February
    land(instance, GOLD, *days)
    scored = score()
    assert sorted(r.partition_key for r in scored.run_requests) == days
    assert score().run_requests == []  # the next tick requests none of them again
    score.launch(scored)
    reports = report()
    assert sorted((job, p) for job, p, _ in requested(reports)) == sorted(
        [(f"{REPORT}__daily", d) for d in days]
        + [(f"{REPORT}__weekly", "2026-02-02"), (f"{REPORT}__weekly", "2026-02-09"), (f"{REPORT}__monthly", "2026-02-01")]
    )
    assert len(reports.run_requests) == len(days) + 3  # one week / month run, however many of its days changed
    assert report().run_requests == [] and score().run_requests == []


def test_the_per_tick_cap_defers_the_rest_oldest_first(instance: DagsterInstance) -> None:
    config = card_fraud_rules()
    rule = config.rules[SCORE].model_copy(update={"max_partitions_per_tick": 4})
    score, _ = tickers(instance, config.model_copy(update={"rules": {**config.rules, SCORE: rule}}))
    days = [f"2026-03-{d:02d}" for d in range(1, 11)]
    land(instance, GOLD, *reversed(days))  # landing order does not matter: oldest partitions go first
    batches = [[r.partition_key for r in score().run_requests] for _ in range(4)]
    assert batches == [days[:4], days[4:8], days[8:], []]
    assert score.state()["pending"] == {}


def test_a_run_that_materialised_gold_and_its_downstream_is_not_repeated(instance: DagsterInstance) -> None:
    score, report = tickers(instance)
    assets = stub_assets()
    # The daily schedule's run: gold, then predictions, then the daily reports, for one day.
    assert run(assets, [GOLD, PREDICTIONS, SUMMARY["daily"], REPORT_KEY["daily"]], "2026-01-20", instance)
    assert score().run_requests == []
    # Only what that run did not build: the week and the month holding the day.
    assert {(job, p) for job, p, _ in requested(report())} == {
        (f"{REPORT}__weekly", "2026-01-19"), (f"{REPORT}__monthly", "2026-01-01")
    }


def test_a_tick_while_that_run_is_in_progress_requests_nothing(instance: DagsterInstance) -> None:
    score, _ = tickers(instance)
    mid_run: list[Any] = []
    MID_RUN.append(lambda: mid_run.append(score()))  # ticks after gold is written, before predictions
    assert run(stub_assets(), [GOLD, PREDICTIONS], "2026-01-21", instance)
    assert mid_run[0].run_requests == []
    assert list(score.state()["waiting"]) == ["gold/transaction_features"]  # it saw the event, and waited
    after = score()
    assert after.run_requests == [] and score.state()["waiting"] == {}


def test_another_run_writing_the_partition_holds_the_request_until_it_ends(instance: DagsterInstance) -> None:
    score, _ = tickers(instance)
    land(instance, GOLD, "2026-01-22", "2026-01-23")
    assets = stub_assets()
    mid_run: list[Any] = []
    MID_RUN.append(lambda: mid_run.append(score()))
    assert run(assets, [PREDICTIONS], "2026-01-22", instance)  # e.g. a manual re-run, started after the data
    assert requested(mid_run[0]) == {(f"{SCORE}__daily", "2026-01-23", PREDS)}  # the other day goes ahead
    assert "predictions|2026-01-22" in next(iter(score.state()["pending"]))
    assert score().run_requests == [] and score.state()["pending"] == {}  # that run rebuilt it: no duplicate

    land(instance, GOLD, "2026-01-24")
    MID_RUN[:] = [lambda: mid_run.append(score()), lambda: (_ for _ in ()).throw(RuntimeError("scoring failed"))]
    assert not run(assets, [PREDICTIONS], "2026-01-24", instance)
    assert mid_run[-1].run_requests == []
    assert requested(score()) == {(f"{SCORE}__daily", "2026-01-24", PREDS)}  # it failed: requested now


def test_a_week_waits_while_one_of_its_days_is_being_scored(instance: DagsterInstance) -> None:
    _, report = tickers(instance)
    assets = stub_assets()
    assert run(assets, [PREDICTIONS], "2026-02-17", instance)
    mid_run: list[Any] = []
    MID_RUN.append(lambda: mid_run.append(report()))
    assert run(assets, [PREDICTIONS], "2026-02-18", instance)  # same week and month, in progress at the tick
    assert requested(mid_run[0]) == {(f"{REPORT}__daily", "2026-02-17", DAILY_REPORTS)}
    after = report()
    assert {(job, p) for job, p, _ in requested(after)} == {
        (f"{REPORT}__daily", "2026-02-18"), (f"{REPORT}__weekly", "2026-02-16"), (f"{REPORT}__monthly", "2026-02-01")
    }
    assert report().run_requests == []


def test_a_materialisation_that_failed_a_blocking_check_is_not_propagated(instance: DagsterInstance) -> None:
    score, _ = tickers(instance, gold_check_passes=False)
    assert not run(stub_assets(gold_check_passes=False), [GOLD], "2026-01-26", instance)
    result = score()
    assert result.run_requests == [] and "a blocking check failed" in result.skip_message


def test_an_unreadable_cursor_restarts_from_the_newest_event(instance: DagsterInstance) -> None:
    score, _ = tickers(instance)
    land(instance, GOLD, "2026-01-27")
    score.cursor = "not json"
    result = score()
    assert result.run_requests == [] and score.state()["after"] > 0
    assert score().run_requests == []


@pytest.mark.parametrize("rules, error", [
    ({"r": {"description": "x", "upstream": ["gold/nothing"], "downstream": ["scoring/predictions"]}}, "No asset"),
    ({"r": {"description": "x", "upstream": ["scoring/predictions"], "downstream": ["gold/labels"]}},
     "do not depend on"),
])
def test_rules_that_do_not_match_the_graph_fail_when_definitions_load(rules: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        build_rematerialization_sensors(stub_assets(), AutomationConfig(rules=rules))
