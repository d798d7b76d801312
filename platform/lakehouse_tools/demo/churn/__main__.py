"""`python -m lakehouse_tools.demo.churn --root DIR --first YYYY-MM-DD --last YYYY-MM-DD [--accounts N] [--seed S]`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from lakehouse_tools.demo.churn.generator import land_days
from lakehouse_tools.demo.churn.settings import ChurnSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse_tools.demo.churn", description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="data root (landing/, stream/, sources/)")
    parser.add_argument("--first", type=date.fromisoformat, required=True, help="first day to land")
    parser.add_argument("--last", type=date.fromisoformat, required=True, help="last day to land")
    parser.add_argument("--accounts", type=int, help="accounts existing before the start date")
    parser.add_argument("--seed", type=int, help="random seed")
    args = parser.parse_args(argv)
    chosen = {k: v for k, v in (("accounts", args.accounts), ("seed", args.seed)) if v is not None}
    summary = land_days(ChurnSettings(**chosen), args.root, args.first, args.last)
    for day in summary.days:
        print(f"{day.day} usage={sum(day.rows.values())} rejected={sum(day.rejected.values())} "
              f"cancelled={len(day.cancelled)} withdrawn={day.withdrawn}")
    print(f"accounts={summary.accounts} changes={summary.account_changes}")
    return 0


raise SystemExit(main())
