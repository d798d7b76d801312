"""The `lakehouse` command (tools/pyproject.toml [project.scripts]; also `python -m lakehouse_tools.scaffold`).

  lakehouse new-dataset <name> --sample <file> --time-column <col> --label "<expr>" [...]
      a dataset folder inferred from a sample CSV / JSON-lines file, checked, with a profile naming it
  lakehouse land <name> <file>... [...]
      files split by event day into the dataset's landing folders
  lakehouse run <name>
      the dataset end to end from its landing zone and sources (what `make run DATASET=<name>` runs)

docs/changing-the-data-model.md, "From a sample file", walks through both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lakehouse_tools.scaffold.project import DEFAULT_PROJECT, profile_name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakehouse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new-dataset", help="scaffold a dataset from a sample file",
                              description="Infer a contract from a sample CSV (with a header) or JSON-lines file and "
                              "write a complete dataset folder, checked as the platform loads it, plus a profile.")
    new.add_argument("name", help="dataset name: an identifier (it names the folder, tables and the profile)")
    new.add_argument("--sample", type=Path, required=True, help="sample file: CSV with a header, or JSON lines")
    new.add_argument("--time-column", required=True, help="the event time column (header or safe name)")
    new.add_argument("--label", required=True,
                     help="the label: a Spark SQL condition over the row, e.g. \"arrival_delay > 15\" (headers are "
                          "renamed to the columns' safe names); its columns never become model features")
    new.add_argument("--known-after-days", type=int, default=1,
                     help="days after a day at which its labels are final (default 1: the late tolerance)")
    new.add_argument("--label-name", default="label", help="the label column's name (default: label)")
    new.add_argument("--entity", help="a column the rows belong to (customer, device): adds per-entity history features")
    new.add_argument("--key", help="the column identifying a row (default: inferred)")
    _project(new)
    new.add_argument("--owner", default="team:change-me", help="owner shown on every asset")
    new.add_argument("--description", help="what one row is (dataset.yaml)")
    new.add_argument("--rows", type=int, default=1000, help="sample rows read (default 1000)")
    new.add_argument("--force", action="store_true", help="replace an existing dataset folder and its profile")
    new.add_argument("--no-check", dest="check", action="store_false",
                     help="skip loading the written folder through the platform's loaders and definitions")
    land = commands.add_parser("land", help="split files by event day into a dataset's landing folders")
    land.add_argument("name", help="the dataset")
    land.add_argument("files", nargs="+", type=Path, help="CSV or JSON-lines files of the source's format")
    _project(land)
    land.add_argument("--profile", help="profile whose data root receives the files (default: <name>_local, "
                                        "else LAKEHOUSE_PROFILE); LAKEHOUSE_DATA_ROOT overrides it")
    land.add_argument("--data-root", help="data root to land under instead of the profile's")
    land.add_argument("--source", help="the file source, when the dataset has several")
    land.add_argument("--force", action="store_true", help="replace files landed before (they are ingested again)")
    run = commands.add_parser("run", help="replay a dataset end to end (make run DATASET=<name>)",
                              description="Ingest, process, train, score and report every landed day of a dataset, "
                              "as a handful of range runs, and print a summary (lakehouse_tools/run.py).")
    run.add_argument("name", help="the dataset")
    _project(run)
    return parser


def _project(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", help=f"project directory (default: $LAKEHOUSE_PROJECT_DIR, else ./{DEFAULT_PROJECT})")


def _new_dataset(args: argparse.Namespace) -> int:
    from lakehouse_tools.scaffold.new_dataset import Options, new_dataset
    from lakehouse_tools.scaffold.report import summary

    options = Options(name=args.name, sample=args.sample, time_column=args.time_column, label=args.label,
                      known_after_days=args.known_after_days, label_name=args.label_name, entity=args.entity,
                      key=args.key, project=args.project, owner=args.owner, description=args.description,
                      rows=args.rows, force=args.force, check=args.check)
    print("\n".join(summary(new_dataset(options), args.sample)))
    return 0


def _land(args: argparse.Namespace) -> int:
    from lakehouse_tools.scaffold.land import land
    from lakehouse_tools.scaffold.project import project_path

    project = project_path(args.project)
    profile = args.profile
    if profile is None and (project / "profiles" / f"{profile_name(args.name)}.yaml").is_file():
        profile = profile_name(args.name)
    for path, landed in zip(args.files, land(args.name, args.files, project, profile, args.data_root, args.source,
                                             args.force)):
        days = list(landed.days)
        print(f"{path}: {sum(landed.days.values())} rows into {len(days)} day folders {days[0]} .. {days[-1]} "
              f"under {landed.folder}")
        if landed.unreadable:
            print(f"  {landed.unreadable} rows have no readable event time: landed on {days[0]}, bronze quarantines them")
    return 0


def _run(args: argparse.Namespace) -> int:
    import os

    from lakehouse.config.project import PROJECT_ENV_VAR
    from lakehouse_tools.run import main as run_main

    if args.project:
        os.environ[PROJECT_ENV_VAR] = str(Path(args.project).resolve())
    return run_main(["--dataset", args.name])


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "run":  # its refusals are SystemExit with their reason already
        return _run(args)
    try:
        return _new_dataset(args) if args.command == "new-dataset" else _land(args)
    except (ValueError, FileNotFoundError) as error:  # a refusal, with its reason: no traceback
        parser.exit(2, f"lakehouse {args.command}: error: {error}\n")


if __name__ == "__main__":
    sys.exit(main())
