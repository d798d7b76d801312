"""The webserver serves exactly the graph of `lakehouse.definitions.defs`: assets, lineage, checks,
jobs, schedules and sensors. Expectations come from the loaded Definitions, so the test grows with it."""

from __future__ import annotations

from typing import Any

import pytest
from dagster import AssetKey

from lakehouse.definitions import defs
from platform_tests.ui.webserver import LOCATION, REPOSITORY, Webserver

_REPOSITORY_QUERY = """
query($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) {
    __typename
    ... on Repository {
      jobs { name }
      schedules { name }
      sensors { name }
      assetNodes {
        assetKey { path }
        groupName
        dependencyKeys { path }
        assetChecksOrError { __typename ... on AssetChecks { checks { name } } }
      }
    }
    ... on Error { message }
  }
}"""

# The spine of the design (docs/architecture.md): landing file -> bronze -> silver -> gold -> ml.
DESIGNED_EDGES = [
    ("card_fraud/bronze/transactions_pos", "card_fraud/silver/transactions"),
    ("card_fraud/bronze/transactions_online", "card_fraud/silver/transactions"),
    ("card_fraud/silver/transactions", "card_fraud/gold/transaction_features"),
    ("card_fraud/gold/transaction_features", "card_fraud/ml/training_set"),
    ("card_fraud/gold/labels", "card_fraud/ml/training_set"),
    ("card_fraud/ml/training_set", "card_fraud/ml/model"),
]


def _key(path: list[str]) -> str:
    return AssetKey(path).to_user_string()


@pytest.fixture(scope="module")
def served(webserver: Webserver) -> dict[str, Any]:
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
    repo = webserver.graphql(_REPOSITORY_QUERY, {"selector": selector})["repositoryOrError"]
    assert repo["__typename"] == "Repository", repo
    return repo


@pytest.fixture(scope="module")
def nodes(served: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {_key(n["assetKey"]["path"]): n for n in served["assetNodes"]}


def test_every_asset_is_served_in_its_group(nodes: dict[str, dict[str, Any]]):
    graph = defs.resolve_asset_graph()
    expected = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert set(nodes) == set(expected)
    assert {k: n["groupName"] for k, n in nodes.items()} == expected


def test_lineage_edges_equal_the_definitions(nodes: dict[str, dict[str, Any]]):
    graph = defs.resolve_asset_graph()
    expected = {
        k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys} for k in graph.get_all_asset_keys()
    }
    lineage = {k: {_key(d["path"]) for d in n["dependencyKeys"]} for k, n in nodes.items()}
    assert lineage == expected
    for upstream, downstream in DESIGNED_EDGES:
        assert upstream in lineage[downstream], f"missing edge {upstream} -> {downstream}"


def test_every_asset_check_is_served(nodes: dict[str, dict[str, Any]]):
    expected = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    served = set()
    for key, node in nodes.items():
        checks = node["assetChecksOrError"]
        assert checks["__typename"] == "AssetChecks", (key, checks)
        served |= {(key, c["name"]) for c in checks["checks"]}
    assert expected, "the definitions declare asset checks; an empty set would make this test vacuous"
    assert served == expected


def test_jobs_schedules_and_sensors_are_served(served: dict[str, Any]):
    repository = defs.get_repository_def()  # resolved: includes the implicit asset jobs the UI lists too
    assert {j["name"] for j in served["jobs"]} == {j.name for j in repository.get_all_jobs()}
    assert {s["name"] for s in served["schedules"]} == {s.name for s in repository.schedule_defs}
    assert {s["name"] for s in served["sensors"]} == {s.name for s in repository.sensor_defs}
    # Named ones, so an empty Definitions cannot pass by serving nothing.
    assert {"daily_pipeline", "ml_weekly_training"} <= {j["name"] for j in served["jobs"]}
    assert "landing_sensor" in {s["name"] for s in served["sensors"]}
    assert "ml_weekly_retraining" in {s["name"] for s in served["schedules"]}
