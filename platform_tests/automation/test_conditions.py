"""Declarative Automation on the real asset graph (no Spark: materialisations are reported, conditions
evaluated as the sensor does each tick): which partitions one change makes stale, for a new day, a late
file for an old day, and an upstream blocking check that failed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Definitions,
    TimeWindowPartitionsDefinition,
    evaluate_automation_conditions,
    instance_for_test,
)
from dagster._core.events import StepMaterializationData  # what a run's materialisation event carries

from lakehouse.config.identifiers import dataset_key
from lakehouse.definitions import build_definitions

DATASET = "card_fraud"  # the default profile's
FIRST, LAST = date(2026, 1, 1), date(2026, 2, 28)  # the data: January and February
POS = AssetKey([DATASET, "bronze", "transactions_pos"])
SILVER, GOLD = AssetKey([DATASET, "silver", "transactions"]), AssetKey([DATASET, "gold", "transaction_features"])
PREDICTIONS = AssetKey([DATASET, "scoring", "predictions"])


def days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def defs() -> Definitions:
    return build_definitions()


def passed_checks(instance: DagsterInstance, defs: Definitions, key: AssetKey) -> None:
    """The asset's blocking checks passed on its latest materialisation (as its run records them)."""
    graph = defs.resolve_asset_graph()
    for check in graph.get(key).check_keys:
        instance.report_runless_asset_event(AssetCheckEvaluation(
            asset_key=key, check_name=check.name, passed=True, blocking=graph.get(check).blocking))


@pytest.fixture(scope="module")
def replayed(defs: Definitions, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance where every daily, weekly and monthly asset is materialised for the data's days, with
    its checks passed, as after `make run`; built once, copied for each test."""
    graph, home = defs.resolve_asset_graph(), tmp_path_factory.mktemp("replayed")
    with instance_for_test(temp_dir=str(home)) as inst:
        for key in graph.get_all_asset_keys():
            partitions = graph.get(key).partitions_def
            assert partitions is None or isinstance(partitions, TimeWindowPartitionsDefinition)  # daily .. monthly
            keys = [None] if partitions is None else [
                p for p in partitions.get_partition_keys()
                if (w := partitions.time_window_for_partition_key(p)).start.date() >= FIRST
                and w.end.date() - timedelta(days=1) <= LAST
            ]
            for partition in keys:
                inst.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=partition))
            passed_checks(inst, defs, key)
    return home


@pytest.fixture
def instance(replayed: Path, tmp_path: Path) -> Iterator[DagsterInstance]:
    home = tmp_path / "home"
    shutil.copytree(replayed, home)
    with instance_for_test(temp_dir=str(home)) as inst:
        yield inst


def land(instance: DagsterInstance, defs: Definitions, key: AssetKey, day: str) -> None:
    """A run materialised the day and its checks passed."""
    instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=day))
    passed_checks(instance, defs, key)


def run_requested(instance: DagsterInstance, defs: Definitions, result) -> None:
    """What the tick's backfill does: materialise every requested partition, checks passing."""
    for key in defs.resolve_asset_graph().get_all_asset_keys():
        for partition in sorted(result.get_requested_partitions(key)):
            land(instance, defs, key, partition)


def tick(defs: Definitions, instance: DagsterInstance, cursor=None):
    return evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)


def requested(result, key: str) -> list[str]:
    """The requested partitions of the dataset's asset `key` (`schema/table`, as automation.yaml names it)."""
    return sorted(result.get_requested_partitions(AssetKey(dataset_key(DATASET, key))))


def test_nothing_is_requested_when_nothing_changed(defs: Definitions, instance: DagsterInstance) -> None:
    first = tick(defs, instance)  # the sensor's first evaluation after make run: history is not replayed
    assert first.total_requested == 0
    assert tick(defs, instance, first.cursor).total_requested == 0


def test_a_new_day_is_one_chain_and_nothing_past_the_newest_data(defs: Definitions, instance: DagsterInstance) -> None:
    cursor = tick(defs, instance).cursor
    land(instance, defs, POS, LAST.isoformat())
    result = tick(defs, instance, cursor)
    # Silver day D reads landing days D .. D+3; gold's look-back reaches 30 days forward, but no day after
    # the newest data is requested (its silver is missing).
    stale = days(LAST - timedelta(days=3), LAST)
    for key in ("silver/transactions", "gold/labels", "gold/transaction_features", "scoring/predictions",
                "reporting/daily_summary", "reporting/daily_report", "monitoring/model_performance"):
        assert requested(result, key) == stale, key
    assert requested(result, "ml/model") == [] and requested(result, "bronze/merchants") == []
    # Roll-ups wait for their days' new predictions (another partitions definition cannot share the run).
    assert requested(result, "reporting/monthly_summary") == []
    run_requested(instance, defs, result)
    after = tick(defs, instance, result.cursor)
    assert requested(after, "reporting/monthly_summary") == requested(after, "reporting/monthly_report") == [
        "2026-02-01"]
    # The stale days lie in the week of 2026-02-23, which holds 2026-03-01 too: not requested until it has data.
    assert requested(after, "reporting/weekly_summary") == []
    assert requested(after, "scoring/predictions") == []  # each day requested once, not again
    run_requested(instance, defs, after)
    assert tick(defs, instance, after.cursor).total_requested == 0


def test_a_late_file_for_an_old_day_reaches_every_day_whose_look_back_holds_it(
    defs: Definitions, instance: DagsterInstance
) -> None:
    cursor = tick(defs, instance).cursor
    land(instance, defs, POS, "2026-01-20")
    result = tick(defs, instance, cursor)
    assert requested(result, "silver/transactions") == days(date(2026, 1, 17), date(2026, 1, 20))
    gold = days(date(2026, 1, 17), date(2026, 2, 19))  # 30-day look-back from the silver days
    assert requested(result, "gold/transaction_features") == requested(result, "scoring/predictions") == gold
    # Labels are built from gold's rows: they follow gold's 34 days, so the daily summaries (which read
    # labels and predictions) can share gold's run instead of waiting for silver's.
    assert requested(result, "gold/labels") == requested(result, "reporting/daily_summary") == gold
    assert requested(result, "reporting/daily_report") == gold
    run_requested(instance, defs, result)
    after = tick(defs, instance, result.cursor)
    assert requested(after, "reporting/weekly_report") == ["2026-01-12", "2026-01-19", "2026-01-26",
                                                           "2026-02-02", "2026-02-09", "2026-02-16"]
    assert requested(after, "reporting/monthly_report") == ["2026-01-01", "2026-02-01"]


def in_run(instance: DagsterInstance, run_id: str, key: AssetKey, day: str, passed: bool) -> None:
    """A run that materialised `day` of `key` and evaluated its blocking rows_match_silver check (the
    hold is judged by the run that wrote a partition, so these events need a run id)."""
    for data, kind in ((StepMaterializationData(AssetMaterialization(asset_key=key, partition=day)),
                        DagsterEventType.ASSET_MATERIALIZATION),
                       (AssetCheckEvaluation(asset_key=key, check_name="rows_match_silver", passed=passed,
                                             blocking=True), DagsterEventType.ASSET_CHECK_EVALUATION)):
        instance.report_dagster_event(
            DagsterEvent(event_type_value=kind.value, event_specific_data=data, job_name="__ASSET_JOB"),
            run_id=run_id)


def test_a_held_day_stays_held_while_the_days_after_it_flow(defs: Definitions, instance: DagsterInstance) -> None:
    cursor = tick(defs, instance).cursor
    held, later = (LAST - timedelta(days=1)).isoformat(), LAST.isoformat()
    in_run(instance, "run-held", GOLD, held, passed=False)
    in_run(instance, "run-later", GOLD, later, passed=True)
    # Per partition: the later day's passing check does not release the held day (a per-asset hold,
    # Dagster's all_deps_blocking_checks_passed, would request both, or neither).
    result = tick(defs, instance, cursor)
    assert requested(result, "scoring/predictions") == [later]
    run_requested(instance, defs, result)
    after = tick(defs, instance, result.cursor)
    assert requested(after, "scoring/predictions") == []  # still held, tick after tick
    in_run(instance, "run-fixed", GOLD, held, passed=True)  # fixed and re-materialised: released
    assert requested(tick(defs, instance, after.cursor), "scoring/predictions") == [held]


def test_a_day_waits_until_the_run_that_wrote_it_has_ended(defs: Definitions, instance: DagsterInstance) -> None:
    """A run records a materialisation before it evaluates the asset's checks: until the run ends, its
    verdict may still be a failure, so nothing downstream is requested yet."""
    cursor = tick(defs, instance).cursor
    day = LAST.isoformat()
    instance.add_run(DagsterRun(job_name="__ASSET_JOB", run_id="run-going", status=DagsterRunStatus.STARTED))
    instance.report_dagster_event(DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value, job_name="__ASSET_JOB",
        event_specific_data=StepMaterializationData(AssetMaterialization(asset_key=GOLD, partition=day))),
        run_id="run-going")
    result = tick(defs, instance, cursor)
    assert requested(result, "scoring/predictions") == []
    in_run(instance, "run-going", GOLD, day, passed=True)
    instance.handle_run_event("run-going", DagsterEvent(
        event_type_value=DagsterEventType.RUN_SUCCESS.value, job_name="__ASSET_JOB"))
    assert instance.get_run_by_id("run-going").is_finished
    assert requested(tick(defs, instance, result.cursor), "scoring/predictions") == [day]


def test_one_sensor_evaluates_every_rule_and_emits_backfills(defs: Definitions) -> None:
    sensor = defs.resolve_sensor_def("data_automation")
    assert sensor.metadata.get("dagster/emit_backfills") is not None or getattr(sensor, "emit_backfills", False)
    graph = defs.resolve_asset_graph()
    automated = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).automation_condition}
    assert {"card_fraud/silver/transactions", "card_fraud/scoring/predictions", "card_fraud/reporting/monthly_report",
            "card_fraud/bronze/merchants", "card_fraud/bronze/customers_history"} <= automated
    assert not {"card_fraud/bronze/transactions_pos", "card_fraud/ml/model",
                "card_fraud/ml/training_set"} & automated  # landing sensor; schedule


def test_the_label_events_stream_is_ingested_once_a_day_and_changes_no_day_by_itself(
        defs: Definitions, instance: DagsterInstance) -> None:
    """Nothing else ingests a stream source in production (the landing sensor watches files): the daily
    tick requests it once; its new events mature labels through the labels refresh schedule, so they
    request no day's rebuild here."""
    from datetime import UTC, datetime

    chargebacks = AssetKey([DATASET, "bronze", "chargebacks"])
    before = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # the daily time is 02:00 UTC (dataset.yaml)
    first = evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=before)
    after = evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor,
                                           evaluation_time=before + timedelta(hours=1, minutes=1))
    assert after.get_num_requested(chargebacks) == 1
    assert after.get_num_requested(AssetKey([DATASET, "bronze", "customers"])) == 1  # the databases, same tick
    instance.report_runless_asset_event(AssetMaterialization(asset_key=chargebacks))
    later = evaluate_automation_conditions(defs=defs, instance=instance, cursor=after.cursor,
                                           evaluation_time=before + timedelta(hours=1, minutes=2))
    assert later.get_num_requested(chargebacks) == 0  # once per tick
    assert requested(later, "gold/labels") == []  # maturity is the labels refresh schedule's


def test_labels_mature_once_a_day_after_the_label_events_with_nothing_launched_by_hand(
        defs: Definitions, instance: DagsterInstance) -> None:
    """A day's labels change until its chargeback window has passed, with no new data for that day: the
    daily tick ingests the stream (02:00, above), and an hour later mature_labels requests every day
    still maturing that has data, once; the next day's tick requests them again."""
    from datetime import UTC, datetime

    start = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
    first = evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=start)
    assert requested(first, "gold/labels") == []
    at_three = evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor,
                                              evaluation_time=start + timedelta(minutes=31))
    maturing = requested(at_three, "gold/labels")
    # The 32 newest days (window 30 + 2) that have data: 03-01 has none yet, so it is not built.
    assert maturing == days(LAST - timedelta(days=30), LAST), maturing
    assert requested(at_three, "silver/transactions") == [] and requested(at_three, "scoring/predictions") == []
    run_requested(instance, defs, at_three)
    again = evaluate_automation_conditions(defs=defs, instance=instance, cursor=at_three.cursor,
                                           evaluation_time=start + timedelta(minutes=33))
    assert requested(again, "gold/labels") == []  # once per tick, and new labels request nothing downstream
    assert requested(again, "reporting/daily_report") == [] and requested(again, "monitoring/model_performance") == []
    next_day = evaluate_automation_conditions(defs=defs, instance=instance, cursor=again.cursor,
                                              evaluation_time=start + timedelta(days=1, minutes=31))
    assert requested(next_day, "gold/labels")[-1] == LAST.isoformat()
