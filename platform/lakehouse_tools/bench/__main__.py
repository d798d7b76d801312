"""`python -m lakehouse_tools.bench [--rows N] [--stages ingestion,...] [--growth-max N]`: every stage's comparison
in one run."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from functools import partial

from lakehouse_tools.bench import backfill, growth, ingestion, loading, memory, ml, processing, scoring
from lakehouse_tools.bench.harness import Bench, Comparison, report, say

Stage = Callable[[Bench, int, int], list[Comparison]]  # (bench, rows per day, repeats)
STAGES: dict[str, Stage] = {
    "loading": loading.run,
    "ingestion": ingestion.run,
    "processing": processing.run,
    "ml": ml.run,
    "scoring": scoring.run,
    "backfill": backfill.run,
    "memory": memory.run,
    "growth": growth.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="Transactions per day")
    parser.add_argument("--repeats", type=int, default=3, help="Runs per measurement (median)")
    parser.add_argument("--stages", default=",".join(STAGES), help=f"Comma-separated subset of {list(STAGES)}")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data root")
    parser.add_argument("--growth-max", type=int, default=None,
                        help="Largest day of the growth stage (default 10 x --rows); it measures powers of ten from "
                             "--rows / 10 up to it")
    args = parser.parse_args(argv)
    largest = args.growth_max or args.rows * 10
    if largest < max(args.rows // 10, 1):
        parser.error(f"--growth-max {largest:,} is below the growth stage's first size, --rows / 10")
    stages: dict[str, Stage] = {**STAGES, "growth": partial(growth.run, largest=largest)}
    command = "make bench" if argv is None and len(sys.argv) == 1 else "python -m lakehouse_tools.bench " + " ".join(sys.argv[1:])
    bench = Bench.start()
    say(f"Data root {bench.root}")
    try:
        for stage in args.stages.split(","):
            bench.results.extend(stages[stage](bench, args.rows, args.repeats))
            report(bench.results, command)  # after every stage: a long run cut short keeps what it measured
    finally:
        if not args.keep:
            shutil.rmtree(bench.root, ignore_errors=True)
    print(report(bench.results, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
