"""Several datasets in one deployment: the real webserver over workspace.demos.yaml (what `make dev`
serves) loads one code location per demo dataset, and their asset graphs never mix.

No run is launched, so no Spark starts; each location keeps its profile's own data root."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from platform_tests.ui.webserver import REPOSITORY, Webserver, start_webserver, stop_webserver

DATASETS = ("card_fraud", "subscription_churn")  # location_name in workspace.demos.yaml = the dataset

_QUERY = """
query($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) {
    __typename
    ... on Repository { jobs { name } sensors { name } assetNodes { assetKey { path } dependencyKeys { path } } }
    ... on PythonError { message }
  }
}"""


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    server = start_webserver(tmp_path_factory.mktemp("demos-home"), None, workspace="workspace.demos.yaml",
                             locations=DATASETS)
    yield server
    stop_webserver(server)


def _repository(server: Webserver, location: str) -> dict:
    selector = {"repositoryLocationName": location, "repositoryName": REPOSITORY}
    repo = server.graphql(_QUERY, {"selector": selector})["repositoryOrError"]
    assert repo["__typename"] == "Repository", repo
    return repo


def test_each_dataset_is_a_location_whose_assets_and_lineage_stay_its_own(demos: Webserver):
    served = {name: _repository(demos, name) for name in DATASETS}
    keys = {name: {tuple(n["assetKey"]["path"]) for n in repo["assetNodes"]} for name, repo in served.items()}
    for name, repo in served.items():
        assert keys[name], f"{name}: no assets served"
        assert all(len(k) == 3 and k[0] == name for k in keys[name]), f"{name}: keys not namespaced by it"
        upstream = {tuple(d["path"]) for n in repo["assetNodes"] for d in n["dependencyKeys"]}
        assert upstream <= keys[name], f"{name} depends on another dataset's assets: {upstream - keys[name]}"
        # Jobs and sensors are scoped by location: each dataset has its own, under the same names.
        assert "daily_pipeline" in {j["name"] for j in repo["jobs"]}
        assert "landing_sensor" in {s["name"] for s in repo["sensors"]}
    assert not keys["card_fraud"] & keys["subscription_churn"]
    assert ("card_fraud", "scoring", "predictions") in keys["card_fraud"]
    assert ("subscription_churn", "scoring", "predictions") in keys["subscription_churn"]
