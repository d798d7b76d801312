"""A partition materialisation launched through the webserver's GraphQL API (as the UI's "Materialize"
button does) runs in the webserver's run launcher and succeeds, with its checks and its rows."""

from __future__ import annotations

import time
from typing import Any

from dagster import AssetKey

from lakehouse.definitions import defs
from platform_tests.ui.conftest import LandedDay
from platform_tests.ui.webserver import LOCATION, REPOSITORY, Webserver

# The cheapest real asset: a bronze file source over one tiny landed day (one Spark session, no upstream).
TARGET = AssetKey(["card_fraud", "bronze", "transactions_pos"])
# A local JVM takes 15-30 s to start on an idle 2-core machine, minutes when other Spark tests share it.
RUN_TIMEOUT_S = 600
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}

_LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}"""
_STATUS = """
query($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } ... on Error { message } } }"""
_FAILURE_EVENTS = """
query($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection { events { __typename ... on MessageEvent { message }
      ... on ExecutionStepFailureEvent { error { message stack } } ... on RunFailureEvent { error { message } } } }
  }
}"""
_RESULT = """
query($key: AssetKeyInput!, $partition: String!) {
  assetOrError(assetKey: $key) { ... on Asset { assetMaterializations(partitions: [$partition]) {
    runId partition metadataEntries { label ... on IntMetadataEntry { intValue } } } } }
  assetNodeOrError(assetKey: $key) { ... on AssetNode { assetChecksOrError { ... on AssetChecks {
    checks { name executionForLatestMaterialization { runId status } } } } } }
}"""


def _launch(webserver: Webserver, partition: str) -> str:
    # The multi-asset writes the table and its quarantine in one step: select both, as the UI does.
    keys = defs.resolve_assets_def(TARGET).keys
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": k.path} for k in sorted(keys, key=str)],
        },
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
    }
    launched = webserver.graphql(_LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def _wait_for_end(webserver: Webserver, run_id: str) -> str:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    status = "unknown"
    while time.monotonic() < deadline:
        run = webserver.graphql(_STATUS, {"runId": run_id})["runOrError"]
        assert run["__typename"] == "Run", run
        status = run["status"]
        if status in TERMINAL:
            return status
        time.sleep(2)
    raise AssertionError(f"run {run_id} still {status} after {RUN_TIMEOUT_S}s:\n{webserver.log_tail()}")


def _failure_report(webserver: Webserver, run_id: str) -> str:
    events = webserver.graphql(_FAILURE_EVENTS, {"runId": run_id})["logsForRun"].get("events", [])
    failures = [e for e in events if e["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent")]
    return "\n".join(str(e) for e in failures) or "\n".join(str(e) for e in events[-10:])


def _landed_rows(landed: LandedDay) -> int:
    """Data lines of the day's POS files (clean demo data: every line is loaded, none quarantined)."""
    files = sorted((landed.root / "landing" / "transactions_csv" / landed.day).glob("*.csv"))
    assert files, f"no POS files landed under {landed.root}"
    return sum(len(f.read_text().splitlines()) - 1 for f in files)


def test_partition_materialisation_launched_from_the_api_succeeds(webserver: Webserver, landed: LandedDay):
    started = time.monotonic()
    run_id = _launch(webserver, landed.day)
    status = _wait_for_end(webserver, run_id)
    assert status == "SUCCESS", f"run {run_id} ended {status}:\n{_failure_report(webserver, run_id)}"
    print(f"run {run_id} succeeded in {time.monotonic() - started:.0f}s")

    result: dict[str, Any] = webserver.graphql(_RESULT, {"key": {"path": TARGET.path}, "partition": landed.day})
    materialisations = result["assetOrError"]["assetMaterializations"]
    assert [(m["runId"], m["partition"]) for m in materialisations] == [(run_id, landed.day)]
    metadata = {e["label"]: e.get("intValue") for e in materialisations[0]["metadataEntries"]}
    assert metadata["dagster/row_count"] == _landed_rows(landed)

    checks = result["assetNodeOrError"]["assetChecksOrError"]["checks"]
    expected = {k.name for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key == TARGET}
    assert {c["name"] for c in checks} == expected
    for check in checks:
        execution = check["executionForLatestMaterialization"]
        assert execution == {"runId": run_id, "status": "SUCCEEDED"}, (check["name"], execution)
