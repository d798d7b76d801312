"""Upload dbfs_assets/ (entry scripts, cluster specs, init scripts, sample data) and the lakehouse wheel
to DBFS or a Unity Catalog Volume.

    python -m lakehouse.databricks upload --target dbfs:/lakehouse [--wheel dist/lakehouse-….whl] [--dry-run]

The workspace comes from the Databricks SDK's own environment (DATABRICKS_HOST, DATABRICKS_TOKEN or a
config profile); this module never reads or prints the token. Without --wheel the wheel is built with
`pip wheel --no-deps` (skipped in --dry-run, which only lists what would be uploaded).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.config.databricks import DBFS_ASSETS_DIR
from lakehouse.config.profile import REPO_ROOT

WHEELS = "wheels"
_SKIP = {".gitkeep", "__pycache__", ".DS_Store"}


@dataclass(frozen=True)
class Upload:
    source: Path | None  # None: the wheel, built at upload time
    target: str
    size: int


def _is_volume(target: str) -> bool:
    return target.startswith("/Volumes/")


def check_target(target: str) -> str:
    if not (target.startswith("dbfs:/") or _is_volume(target)):
        raise ValueError(f"--target {target!r}: expected dbfs:/<path> or /Volumes/<catalog>/<schema>/<volume>/<path>")
    return target.rstrip("/")


def plan(target: str, wheel: Path | None, assets_dir: Path = DBFS_ASSETS_DIR) -> list[Upload]:
    """Every file to upload, in a stable order: dbfs_assets/ as it is, then the wheel under wheels/."""
    root = check_target(target)
    uploads = [
        Upload(path, f"{root}/{path.relative_to(assets_dir).as_posix()}", path.stat().st_size)
        for path in sorted(assets_dir.rglob("*"))
        if path.is_file() and not (set(path.relative_to(assets_dir).parts) & _SKIP) and path.suffix != ".pyc"
    ]
    if wheel is not None:
        uploads.append(Upload(wheel, f"{root}/{WHEELS}/{wheel.name}", wheel.stat().st_size))
    else:
        uploads.append(Upload(None, f"{root}/{WHEELS}/lakehouse-<version>-py3-none-any.whl", 0))
    return uploads


def build_wheel(out_dir: Path) -> Path:
    """The lakehouse wheel without dependencies (the cluster's init script installs the pinned ones)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out_dir), str(REPO_ROOT)],
                   check=True)
    wheels = sorted(out_dir.glob("lakehouse-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"Expected one lakehouse wheel in {out_dir}, found {[w.name for w in wheels]}")
    return wheels[0]


def upload_all(client: Any, uploads: list[Upload]) -> None:
    """dbfs:/ targets through the DBFS API, /Volumes/ targets through the Files API; overwrite in place."""
    for item in uploads:
        if item.source is None:
            raise ValueError("The wheel must be built (or given with --wheel) before uploading")
        with item.source.open("rb") as data:
            if _is_volume(item.target):
                client.files.upload(item.target, data, overwrite=True)
            else:
                client.dbfs.mkdirs(item.target.rsplit("/", 1)[0])
                client.dbfs.upload(item.target, data, overwrite=True)


def run_upload(target: str, wheel: Path | None, dry_run: bool, client: Any | None = None) -> list[Upload]:
    if dry_run:
        uploads = plan(target, wheel)
        for item in uploads:
            source = item.source.relative_to(REPO_ROOT) if item.source and item.source.is_relative_to(REPO_ROOT) else (
                item.source or "(built by pip wheel at upload)")
            print(f"would upload {source} -> {item.target} ({item.size} bytes)")
        return uploads
    with tempfile.TemporaryDirectory() as scratch:
        uploads = plan(target, wheel or build_wheel(Path(scratch)))
        if client is None:
            from databricks.sdk import WorkspaceClient

            client = WorkspaceClient()  # DATABRICKS_HOST / DATABRICKS_TOKEN (or ~/.databrickscfg)
        upload_all(client, uploads)
    for item in uploads:
        print(f"uploaded {item.target} ({item.size} bytes)")
    return uploads
