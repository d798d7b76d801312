"""`python -m lakehouse.databricks upload --target dbfs:/lakehouse [--wheel PATH] [--dry-run]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lakehouse.databricks.upload import run_upload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse.databricks",
                                     description="Databricks deployment helpers.")
    commands = parser.add_subparsers(dest="command", required=True)
    upload = commands.add_parser("upload", help="Upload dbfs_assets/ and the lakehouse wheel to DBFS or a Volume.")
    upload.add_argument("--target", required=True, help="dbfs:/<path> or /Volumes/<catalog>/<schema>/<volume>/<path>")
    upload.add_argument("--wheel", type=Path, default=None, help="A built lakehouse wheel (default: build one)")
    upload.add_argument("--dry-run", action="store_true", help="List what would be uploaded; contact nothing")
    args = parser.parse_args(argv)
    run_upload(args.target, args.wheel, args.dry_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
