"""`python -m lakehouse.databricks upload`: what it would upload (--dry-run) and the SDK calls it makes.
Mocked: only the WorkspaceClient, whose calls would reach a Databricks workspace."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import MagicMock

import pytest

from lakehouse.config.databricks import DBFS_ASSETS_DIR
from lakehouse.databricks.__main__ import main
from lakehouse.databricks.upload import run_upload


def test_dry_run_lists_every_asset_and_the_wheel(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upload", "--target", "dbfs:/lakehouse/", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    targets = [line.split(" -> ")[1].split(" (")[0] for line in lines]
    assert "dbfs:/lakehouse/pipes/processing_step.py" in targets
    assert "dbfs:/lakehouse/cluster_specs/processing.json" in targets
    assert "dbfs:/lakehouse/init_scripts/install_lakehouse.sh" in targets
    assert any(t.startswith("dbfs:/lakehouse/sample_data/landing/transactions_csv/") for t in targets)
    assert targets[-1] == "dbfs:/lakehouse/wheels/lakehouse-<version>-py3-none-any.whl"
    assert not any(".gitkeep" in t or "__pycache__" in t for t in targets)
    assert lines[0].startswith("would upload dbfs_assets/")


def test_rejects_a_target_that_is_neither_dbfs_nor_a_volume() -> None:
    with pytest.raises(ValueError, match="expected dbfs:/"):
        run_upload("s3://bucket/x", None, dry_run=True)


@pytest.mark.parametrize("target,api", [("dbfs:/lakehouse", "dbfs"), ("/Volumes/main/lakehouse/assets", "files")])
def test_upload_puts_every_file_through_the_sdk(tmp_path: Path, target: str, api: str) -> None:
    wheel = tmp_path / "lakehouse-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel bytes")
    client = MagicMock(name="WorkspaceClient")  # stands in for the workspace
    uploads = run_upload(target, wheel, dry_run=False, client=client)
    calls = getattr(client, api).upload.call_args_list
    assert [c.args[0] for c in calls] == [u.target for u in uploads]
    assert all(c.kwargs == {"overwrite": True} for c in calls)
    assert calls[-1].args[0] == f"{target}/wheels/{wheel.name}"
    expected = sum(1 for p in DBFS_ASSETS_DIR.rglob("*") if p.is_file() and p.name != ".gitkeep"
                   and "__pycache__" not in p.parts) + 1
    assert len(calls) == expected
    other = "files" if api == "dbfs" else "dbfs"
    assert not getattr(client, other).upload.called
