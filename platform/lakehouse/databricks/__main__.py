"""`python -m lakehouse.databricks upload --target dbfs:/lakehouse [--wheel PATH] [--dry-run]`, and
`python -m lakehouse.databricks build-wheel --out dist` (the deploy workflow builds the wheel once and
uploads that same file to staging and then production)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lakehouse.databricks.upload import build_wheel, run_upload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse.databricks",
                                     description="Databricks deployment helpers.")
    commands = parser.add_subparsers(dest="command", required=True)
    upload = commands.add_parser("upload", help="Upload dbfs_assets/ and the lakehouse wheel to DBFS or a Volume.")
    upload.add_argument("--target", required=True, help="dbfs:/<path> or /Volumes/<catalog>/<schema>/<volume>/<path>")
    upload.add_argument("--wheel", type=Path, default=None, help="A built lakehouse wheel (default: build one)")
    upload.add_argument("--dry-run", action="store_true", help="List what would be uploaded; contact nothing")
    build = commands.add_parser("build-wheel", help="Build the lakehouse wheel (no dependencies) into a folder.")
    build.add_argument("--out", type=Path, required=True, help="Folder the wheel is written to")
    args = parser.parse_args(argv)
    if args.command == "build-wheel":
        args.out.mkdir(parents=True, exist_ok=True)
        print(build_wheel(args.out))
    else:
        run_upload(args.target, args.wheel, args.dry_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
