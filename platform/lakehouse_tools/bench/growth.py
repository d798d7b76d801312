"""Time growth with the day's size: one day of bronze ingestion and one day of gold features (7-day
look-back) at a tenth of, at, and at ten times the benchmark's day size (`make bench`: 10k, 100k, 1M). Linear growth would be 10x per step; less means fixed
costs (Spark job scheduling, Delta commits, checks) still dominate the smaller sizes."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from lakehouse.config.dataset import load_dataset
from lakehouse_tools.bench.harness import Bench, Comparison, say, timed
from lakehouse_tools.bench.ingestion import _dagster_runner
from lakehouse_tools.bench.processing import LOOKBACK_DAYS, gold_runner, write_inputs
from lakehouse_tools.demo.generator import generate
from lakehouse_tools.demo.settings import GeneratorSettings


def run(bench: Bench, rows: int, repeats: int = 1) -> list[Comparison]:
    start = load_dataset("card_fraud").partitions.start_date
    sizes = (rows // 10, rows, rows * 10)
    ingest, gold = {}, {}
    dagster_run, run_gold = _dagster_runner(bench), gold_runner(bench)
    for size in sizes:
        say(f"Growth: one day of {size:,} rows")
        # The first day again at each size (a landing root keeps its start date: same population).
        generate(GeneratorSettings(start_date=start, days=1, rows_per_day=size, csv_share=1.0), bench.root)
        ingest[size] = timed(partial(dagster_run, start, target=f"bench.growth_{size}"))
        write_inputs(bench, size, LOOKBACK_DAYS + 1)
        gold[size] = timed(lambda: run_gold(start + timedelta(days=LOOKBACK_DAYS)))
        say(f"  ingestion {ingest[size]:.1f} s, gold {gold[size]:.1f} s")
    results = []
    for small, large in zip(sizes, sizes[1:]):
        for stage, times in (("ingestion", ingest), ("processing", gold)):
            results.append(Comparison("growth", f"{stage}: {large:,} / {small:,} rows per day", times[large],
                                      times[small], "<= 10", "10x the rows; linear growth would be 10x the time"))
    return results
