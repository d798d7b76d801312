"""Model-registry clean-up on a real MLflow registry (temporary sqlite store)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mlflow import MlflowClient

from lakehouse.operations.registry import ARCHIVED_TAG, clean_model

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
MODEL = "fraud_cleanup_test"


@pytest.fixture
def client(tmp_path: Path) -> MlflowClient:
    """Seven versions; champion on v2, challenger on v7."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)  # both: another test may have set a global registry
    client.create_registered_model(MODEL)
    for i in range(1, 8):
        artifacts = tmp_path / f"model_{i}"
        artifacts.mkdir()
        client.create_model_version(MODEL, source=str(artifacts))
    client.set_registered_model_alias(MODEL, "champion", "2")
    client.set_registered_model_alias(MODEL, "challenger", "7")
    return client


def _archived(client: MlflowClient) -> list[int]:
    versions = client.search_model_versions(f"name='{MODEL}'")
    return sorted(int(v.version) for v in versions if v.tags.get(ARCHIVED_TAG) == "true")


def test_dry_run_reports_and_changes_nothing(client: MlflowClient) -> None:
    report = clean_model(client, MODEL, keep_latest=2, action="tag", dry_run=True)
    assert report["status"] == "dry_run"
    assert report["kept"] == [7, 6, 2] and report["archived"] == [5, 4, 3, 1]
    reasons = {v["version"]: v["reason"] for v in report["versions"]}
    assert reasons[2] == "alias champion" and reasons[6] == "among the newest 2"
    assert _archived(client) == []


def test_tagging_keeps_aliased_and_newest_and_is_reversible(client: MlflowClient) -> None:
    clean_model(client, MODEL, keep_latest=2, action="tag", dry_run=False)
    assert _archived(client) == [1, 3, 4, 5]
    again = clean_model(client, MODEL, keep_latest=2, action="tag", dry_run=False)
    assert again["archived"] == []  # idempotent: nothing newly archived

    # v3 becomes champion again (a rollback): the next run takes its archive tag away.
    client.set_registered_model_alias(MODEL, "champion", "3")
    report = clean_model(client, MODEL, keep_latest=2, action="tag", dry_run=False)
    assert report["unarchived"] == [3] and report["archived"] == [2]
    assert _archived(client) == [1, 2, 4, 5]


def test_delete_removes_only_unaliased_older_versions(client: MlflowClient) -> None:
    report = clean_model(client, MODEL, keep_latest=3, action="delete", dry_run=False)
    assert report["deleted"] == [4, 3, 1]
    left = sorted(int(v.version) for v in client.search_model_versions(f"name='{MODEL}'"))
    assert left == [2, 5, 6, 7]
    assert int(client.get_model_version_by_alias(MODEL, "champion").version) == 2


def test_missing_model_is_skipped(client: MlflowClient) -> None:
    report = clean_model(client, "no_such_model", keep_latest=2, action="delete", dry_run=False)
    assert report["status"] == "skipped"
