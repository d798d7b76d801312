"""Command line: `python -m lakehouse_tools.demo generate|land-next-day --root DIR ...`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from lakehouse_tools.demo import manifest
from lakehouse_tools.demo.generator import GenerationSummary, generate, land_next_day
from lakehouse_tools.demo.settings import DirtyRates, GeneratorSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lakehouse_tools.demo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="land days start_date .. start_date + days - 1")
    nxt = commands.add_parser(
        "land-next-day", help="land the day after the last landed one (settings default to the manifest's)"
    )
    for sub in (gen, nxt):
        sub.add_argument("--root", type=Path, required=True, help="output folder (landing/, stream/, sources/)")
        sub.add_argument("--rows-per-day", type=int, help="transactions per day")
        sub.add_argument("--seed", type=int, help="random seed")
        sub.add_argument("--start-date", type=date.fromisoformat, help="first day, YYYY-MM-DD")
        sub.add_argument("--customers", type=int, help="number of customers")
        sub.add_argument("--merchants", type=int, help="number of merchants")
        sub.add_argument("--fraud-rate", type=float, help="expected share of fraudulent transactions")
        sub.add_argument("--source-url", help="SQLAlchemy URL for customers/merchants (default: SQLite under root)")
        sub.add_argument("--clean", action="store_true", help="no dirty data at all")
        sub.add_argument(
            "--dirty", action="append", default=[], metavar="KIND=RATE", help="set one dirty rate (repeatable)"
        )
    gen.add_argument("--days", type=int, help="number of days")
    return parser


def settings_from_args(args: argparse.Namespace, base: dict[str, Any] | None = None) -> GeneratorSettings:
    values: dict[str, Any] = dict(base or {})
    for name in ("days", "rows_per_day", "seed", "start_date", "customers", "merchants", "fraud_rate"):
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    dirty: dict[str, Any] = DirtyRates.none().model_dump() if args.clean else dict(values.get("dirty") or {})
    for item in args.dirty:
        kind, _, rate = item.partition("=")
        if kind not in DirtyRates.model_fields:
            raise SystemExit(f"unknown dirty kind {kind!r}; one of: {', '.join(DirtyRates.model_fields)}")
        dirty[kind] = float(rate)
    values["dirty"] = dirty
    return GeneratorSettings(**values)


def _print(summary: GenerationSummary) -> None:
    for day in summary.days:
        print(day.line())
    for table, c in summary.source_changes.items():
        print(f"{table} @ {summary.source_url}: inserted={c['inserted']} updated={c['updated']} deleted={c['deleted']}")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            _print(generate(settings_from_args(args), args.root, args.source_url))
        else:
            base = manifest.load(args.root).get("settings")
            _print(land_next_day(settings_from_args(args, base), args.root, args.source_url))
    except ValueError as err:  # bad settings or a root generated with other entities: no traceback
        parser.exit(2, f"error: {err}\n")
    return 0
