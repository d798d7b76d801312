"""Backfill benchmark: 30 days of bronze ingestion as one single-run backfill vs 30 per-partition runs
(goal: >= 8x faster). Both run in this process on the same Spark session, so the per-run JVM start a
real per-partition backfill also pays (each run is its own process) is left out: the measured gain is
a lower bound."""

from __future__ import annotations

from datetime import timedelta

from lakehouse.config.dataset import load_dataset
from lakehouse_tools.bench.harness import Bench, Comparison, say, timed
from lakehouse_tools.bench.ingestion import _dagster_runner
from lakehouse_tools.demo.generator import generate
from lakehouse_tools.demo.settings import GeneratorSettings

DAYS = 30


def run(bench: Bench, rows: int, repeats: int = 1) -> list[Comparison]:
    start = load_dataset("card_fraud").partitions.start_date
    per_day = max(rows // 10, 1_000)  # the point is the per-run cost; a tenth of the day size keeps it short
    say(f"Generating {DAYS} days x {per_day:,} transactions for the backfill comparison")
    generate(GeneratorSettings(start_date=start, days=DAYS, rows_per_day=per_day, csv_share=1.0), bench.root)
    last = start + timedelta(days=DAYS - 1)
    # Copies of the source (other assets, bronze.<name>): a run cannot redirect the source's own asset.
    dagster_run = _dagster_runner(bench, ("backfill_warmup", "backfill_single", "backfill_each"))
    dagster_run(start, "backfill_warmup")  # JIT and Delta caches for both
    one_run = timed(lambda: dagster_run(start, "backfill_single", range_end=last))
    days = [start + timedelta(days=i) for i in range(DAYS)]
    per_partition = timed(lambda: [dagster_run(d, "backfill_each") for d in days])
    say(f"single run {one_run:.1f} s, {DAYS} runs {per_partition:.1f} s")
    return [Comparison("backfill", f"{DAYS}-day backfill: {DAYS} runs / one single-run backfill", per_partition,
                       one_run, ">= 8", f"bronze ingestion of {per_day:,} rows per day; in-process runs (no per-run "
                       "JVM start), so a real per-partition backfill gains more")]
