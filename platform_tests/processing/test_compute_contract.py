"""What the `compute` resource's base class (resources/compute.py) gives every processing run, whatever
runs the step: blocking checks hold across runs for every upstream the step reads (through the partition
mapping; unpartitioned upstreams by their latest write), checked before the step is dispatched; and the
step's figures become the Delta IO manager's metadata, each partition of a range run with its own row
count. The step itself is a stand-in that returns fixed figures, so nothing here starts Spark."""

# No `from __future__ import annotations`: Dagster resolves the config and resource annotations.

import json
from typing import Any

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
    AssetsDefinition,
    Config,
    DagsterInstance,
    ExecuteInProcessResult,
    MaterializeResult,
    PartitionsDefinition,
    asset,
    materialize,
)

from lakehouse.config.dataset import load_dataset
from lakehouse.partitions import build_calendar
from lakehouse.processing.assets import build_processing_assets
from lakehouse.resources.compute import ComputeResource, RunDays, StepOutcome
from lakehouse.resources.delta_output import DeltaOutput

SILVER = AssetKey(["card_fraud", "silver", "transactions"])
CHARGEBACKS = AssetKey(["card_fraud", "bronze", "chargebacks"])  # the label events: unpartitioned
DISPATCHED: list[tuple[str, dict]] = []  # (step, partitions) each time a stand-in step was dispatched
ROWS = {"2026-03-10": 4, "2026-03-11": 0, "2026-03-12": 7}


class StandInCompute(ComputeResource):
    """Runs no Spark: records the dispatch and reports fixed figures, as a step would have written them."""

    def execute(self, context: AssetExecutionContext, step: str, days: RunDays) -> StepOutcome:
        DISPATCHED.append((step, days.to_json()))
        keys = list(days.partitions)
        output = DeltaOutput(
            table_name="gold.transaction_features", location="/warehouse/gold/transaction_features", version=3,
            operation="WRITE", write_mode="overwrite", operation_metrics={"numOutputRows": "11"},
            columns=[("transaction_id", "string"), ("amount", "double")], columns_added=[],
            window=f"event_date in [{days.start}, {days.end})", rows=sum(ROWS[k] for k in keys),
            partition_rows={k: ROWS[k] for k in keys} if len(keys) > 1 else {},
            partition_windows={k: f"event_date in [{k}, next)" for k in keys} if len(keys) > 1 else {})
        checks = [AssetCheckResult(asset_key=context.assets_def.key, check_name=spec.name, passed=True)
                  for spec in context.assets_def.check_specs]
        return StepOutcome(context.assets_def.key, output, checks)


class Verdict(Config):
    passes: bool = True


@pytest.fixture
def processing() -> list[AssetsDefinition]:
    DISPATCHED.clear()
    dataset = load_dataset("card_fraud")
    return build_processing_assets(dataset, build_calendar(dataset.partitions))


@pytest.fixture
def gold(processing: list[AssetsDefinition]) -> AssetsDefinition:
    return processing[1]


def stand_in(key: AssetKey, partitions_def: PartitionsDefinition | None) -> AssetsDefinition:
    """An upstream that writes nothing and records a blocking check's verdict from run config."""

    @asset(key=key, partitions_def=partitions_def, check_specs=[AssetCheckSpec("contract", asset=key, blocking=True)])
    def upstream(config: Verdict) -> MaterializeResult:
        return MaterializeResult(check_results=[AssetCheckResult(check_name="contract", passed=config.passes)])

    return upstream


def write(upstream: AssetsDefinition, instance: DagsterInstance, passes: bool, **partition: Any) -> None:
    config = {"ops": {upstream.op.name: {"config": {"passes": passes}}}}
    result = materialize([upstream], instance=instance, run_config=config, raise_on_error=False, **partition)
    assert result.success == passes


def run_asset(target: AssetsDefinition, upstreams: list[AssetsDefinition], instance: DagsterInstance,
              **partition: Any) -> ExecuteInProcessResult:
    return materialize([*upstreams, target], selection=[target.key], instance=instance, raise_on_error=False,
                       resources={"compute": StandInCompute(dataset="card_fraud")}, **partition)


def failure_message(result: ExecuteInProcessResult) -> str:
    [failure] = [e.step_failure_data for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return failure.error.message if failure.error else ""


def test_a_held_silver_day_in_the_look_back_refuses_gold_before_the_step_is_dispatched(gold: AssetsDefinition) -> None:
    silver = stand_in(SILVER, gold.partitions_def)
    with DagsterInstance.ephemeral() as instance:
        write(silver, instance, passes=True, partition_key="2026-03-10")
        write(silver, instance, passes=False, partition_key="2026-03-05")  # 5 days back: in the 30-day look-back
        refused = run_asset(gold, [silver], instance, partition_key="2026-03-10")
        assert not refused.success and DISPATCHED == []
        message = failure_message(refused)
        assert "Upstream card_fraud/silver/transactions is held by its blocking checks" in message
        assert "contract failed for 1 partition(s) ['2026-03-05']" in message

        write(silver, instance, passes=True, partition_key="2026-03-05")  # fixed and re-materialised
        assert run_asset(gold, [silver], instance, partition_key="2026-03-10").success
        assert [step for step, _ in DISPATCHED] == ["features"]


def test_a_held_day_outside_the_look_back_is_not_read_so_not_refused(gold: AssetsDefinition) -> None:
    silver = stand_in(SILVER, gold.partitions_def)
    with DagsterInstance.ephemeral() as instance:
        write(silver, instance, passes=False, partition_key="2026-03-20")  # after the day: never read by it
        assert run_asset(gold, [silver], instance, partition_key="2026-03-10").success


def test_an_unpartitioned_upstream_is_judged_by_its_latest_write(processing: list[AssetsDefinition]) -> None:
    labels, chargebacks = processing[2], stand_in(CHARGEBACKS, None)
    with DagsterInstance.ephemeral() as instance:
        write(chargebacks, instance, passes=False)
        refused = run_asset(labels, [chargebacks], instance, partition_key="2026-03-10")
        assert not refused.success and DISPATCHED == []
        assert "Upstream card_fraud/bronze/chargebacks is held by its blocking checks: contract failed" in (
            failure_message(refused))
        write(chargebacks, instance, passes=True)  # the next stream run passes: the events are readable again
        assert run_asset(labels, [chargebacks], instance, partition_key="2026-03-10").success
        assert [step for step, _ in DISPATCHED] == ["labels"]


def test_a_range_run_gives_each_partition_its_own_row_count(gold: AssetsDefinition) -> None:
    span = {"dagster/asset_partition_range_start": "2026-03-10", "dagster/asset_partition_range_end": "2026-03-12"}
    with DagsterInstance.ephemeral() as instance:
        result = run_asset(gold, [], instance, tags=span)
        assert result.success
        assert DISPATCHED == [("features", {k: [k, day] for k, day in zip(ROWS, ["2026-03-11", "2026-03-12", "2026-03-13"])})]
        for day, rows in ROWS.items():
            [record] = instance.fetch_materializations(
                AssetRecordsFilter(asset_key=gold.key, asset_partitions=[day]), limit=10).records
            meta: dict[str, Any] = {k: v.value for k, v in record.asset_materialization.metadata.items()}
            assert meta["dagster/row_count"] == rows and meta["partition_window"] == f"event_date in [{day}, next)"
            assert (meta["rows_in_run_range"], meta["partition_range"]) == (11, "2026-03-10 .. 2026-03-12")
            descriptions = {c.name: c.description for c in meta["dagster/column_schema"].columns}
            assert descriptions["amount"] and descriptions["transaction_id"] is None  # from the asset's column_descriptions, as the IO manager does
            assert meta["dagster/table_name"] == "gold.transaction_features" and meta["delta_version"] == 3
        checks = {(e.check_name, e.passed) for e in result.get_asset_check_evaluations()}
        assert checks == {("contract", True), ("rows_match_silver", True), ("required_features", True),
                          ("no_leakage", True)}


def test_a_one_day_run_reports_its_day_as_the_row_count(gold: AssetsDefinition) -> None:
    with DagsterInstance.ephemeral() as instance:
        assert run_asset(gold, [], instance, partition_key="2026-03-12").success
        [record] = instance.fetch_materializations(gold.key, limit=1).records
        meta = {k: v.value for k, v in record.asset_materialization.metadata.items()}
        assert meta["dagster/row_count"] == 7 and "rows_in_run_range" not in meta
        assert meta["partition_window"] == "event_date in [2026-03-12, 2026-03-13)"


def test_the_figures_survive_json_as_pipes_carries_them() -> None:
    output = DeltaOutput("gold.labels", None, 1, "WRITE", "overwrite", {"numOutputRows": "2"},
                         [("a", "int"), ("b", "date")], ["b"], "d in [2026-01-01, 2026-01-03)", 2,
                         {"2026-01-01": 2, "2026-01-02": 0}, {"2026-01-01": "w1", "2026-01-02": "w2"})
    assert DeltaOutput.from_json(json.loads(json.dumps(output.to_json()))) == output
    days = RunDays.from_json(json.loads(json.dumps({"2026-01-01": ["2026-01-01", "2026-01-02"]})))
    assert (days.start.isoformat(), days.end.isoformat()) == ("2026-01-01", "2026-01-02")


def test_the_outcome_crosses_pipes_and_keeps_what_the_pipes_client_adds() -> None:
    """The entry script's report, decoded as Dagster decodes Pipes messages, reads back to the same outcome;
    the metadata the Pipes client adds itself (PipesDatabricksClient: the job run's URL) is kept."""
    from dagster import MetadataValue
    from dagster._core.definitions.metadata.external_metadata import metadata_map_from_external

    from lakehouse.databricks import pipes_outcome

    class Recorder:  # the two calls of dagster_pipes.PipesContext the entry script makes
        def __init__(self) -> None:
            self.materialisation: dict = {}
            self.checks: list[dict] = []

        def report_asset_materialization(self, metadata: dict, asset_key: str) -> None:
            self.materialisation = {"asset_key": asset_key, "metadata": json.loads(json.dumps(metadata))}

        def report_asset_check(self, **check: Any) -> None:
            self.checks.append(json.loads(json.dumps(check)))

    key = AssetKey(["card_fraud", "gold", "labels"])
    output = DeltaOutput("gold.labels", None, 1, "WRITE", "overwrite", {}, [("a", "int")], [], None, 5)
    sent = StepOutcome(key, output, [AssetCheckResult(asset_key=key, check_name="matured_labels", passed=True,
                                                      metadata={"rows": 5})])
    pipes = Recorder()
    pipes_outcome.report(pipes, sent)
    assert pipes.checks == [{"check_name": "matured_labels", "passed": True, "asset_key": "card_fraud/gold/labels",
                             "severity": "ERROR", "metadata": {"rows": 5}}]
    url = MetadataValue.url("https://example.invalid/run/1")
    received: MaterializeResult = MaterializeResult(
        asset_key=AssetKey.from_user_string(pipes.materialisation["asset_key"]), check_results=sent.checks,
        metadata={**metadata_map_from_external(pipes.materialisation["metadata"]), "Databricks Job Run URL": url})
    outcome = pipes_outcome.read(received, "labels")
    assert (outcome.asset_key, outcome.output, outcome.checks) == (key, output, sent.checks)
    assert outcome.metadata == {"Databricks Job Run URL": url}
