"""Time growth with the day's size: one day of bronze ingestion and one day of gold features (7-day
look-back) at powers of ten from a tenth of the benchmark's day size up to `--growth-max` (default ten
times the day size: `make bench` measures 10k, 100k and 1M rows; `make bench GROWTH_MAX=10000000` adds 10M).

Two kinds of rows: each 10x step's time ratio (linear growth would be 10x; less means fixed costs, such as
Spark job scheduling, Delta commits and checks, still dominate the smaller size), and per stage the time
exponent, the least-squares slope of log(time) on log(rows) over every size measured (1 = linear).

Before each size after the first, a guard: the previous size's landed files scaled up, times Spark's
working set, must fit in the memory available, and the bytes the previous size wrote, scaled up and
doubled for the shuffles' spill files, in the data root's free disk space. Otherwise the curve stops
there and the exponent rows say why. The demo generator writes a day in chunks of 100k rows
(demo/transactions.py), so its own memory does not grow with the day (its time does).
"""

from __future__ import annotations

import math
import shutil
import statistics
from datetime import timedelta
from functools import partial
from pathlib import Path

from lakehouse.config.dataset import load_dataset
from lakehouse.config.sources import load_sources
from lakehouse_tools.bench.harness import Bench, Comparison, say, timed
from lakehouse_tools.bench.ingestion import SOURCE, _dagster_runner
from lakehouse_tools.bench.processing import LOOKBACK_DAYS, gold_runner, write_inputs
from lakehouse_tools.demo.generator import generate
from lakehouse_tools.demo.settings import GeneratorSettings

# Rough rules for the guard, not a model of Spark: memory in use per byte of landed CSV (parse buffers,
# shuffled rows, the Delta write) and the shuffle files written beside each byte of the tables. Cautious in
# local mode, where the JVM's heap stops at spark.driver.memory and Spark spills the rest to disk.
WORKING_SET = 4
SPILL = 2
GIB = 1024**3


def sizes_up_to(rows: int, largest: int) -> list[int]:
    """Powers of ten times a tenth of the day size, up to `largest`."""
    sizes, size = [], max(rows // 10, 1)
    while size <= largest:
        sizes.append(size)
        size *= 10
    return sizes


def exponent(times: dict[int, float]) -> float:
    """The least-squares slope of log(time) on log(rows): 1 = linear, below 1 = fixed costs still show."""
    return statistics.linear_regression([math.log(n) for n in times], [math.log(t) for t in times.values()]).slope


def _memory_available() -> int | None:
    """MemAvailable in bytes (what can be used without swapping), or None without /proc/meminfo."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith("MemAvailable:")), None)


def _bytes_under(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _no_room(root: Path, landed: int, written: int, factor: int) -> str | None:
    """Why a size `factor` x the last one measured would not fit on this machine, or None."""
    need, available = landed * factor * WORKING_SET, _memory_available()
    if available is not None and need > available:
        return f"needs ~{need / GIB:.1f} GiB of memory, {available / GIB:.1f} GiB available"
    need, free = written * factor * SPILL, shutil.disk_usage(root).free
    if need > free:
        return f"needs ~{need / GIB:.1f} GiB of disk, {free / GIB:.1f} GiB free"
    return None


def run(bench: Bench, rows: int, repeats: int = 1, largest: int | None = None) -> list[Comparison]:
    start = load_dataset("card_fraud").partitions.start_date
    gold_day = start + timedelta(days=LOOKBACK_DAYS)
    sizes = sizes_up_to(rows, largest or rows * 10)
    location = load_sources("card_fraud")[SOURCE].location
    assert location is not None  # a file source: its landing folder
    landing = bench.root / location / start.isoformat()
    # Each size ingests into a bronze table of its own (another asset over the same source), so no size
    # lands into a table the previous one filled.
    dagster_run = _dagster_runner(bench, ("bench_growth_warmup", *(f"bench_growth_{s}" for s in sizes)))
    run_gold = gold_runner(bench)
    ingest: dict[int, float] = {}
    gold: dict[int, float] = {}
    stopped, last = "", (0, 0, 0)  # the last size measured: rows, its landed bytes, the bytes it wrote
    for size in sizes:
        if ingest and (reason := _no_room(bench.root, last[1], last[2], size // last[0])):
            stopped = f"stopped before {size:,} rows: {reason}"
            say(f"Growth {stopped}")
            break
        say(f"Growth: one day of {size:,} rows")
        before = _bytes_under(bench.root)
        # The first day again at each size (a landing root keeps its start date: same population).
        generate(GeneratorSettings(start_date=start, days=1, rows_per_day=size, csv_share=1.0), bench.root)
        if not ingest:  # untimed warm-up at the smallest size: the JVM may start here (--stages growth)
            dagster_run(start, "bench_growth_warmup")
        ingest[size] = timed(partial(dagster_run, start, f"bench_growth_{size}"))
        write_inputs(bench, size, LOOKBACK_DAYS + 1)
        if not gold:
            run_gold(gold_day)
        gold[size] = timed(lambda: run_gold(gold_day))
        last = (size, _bytes_under(landing), _bytes_under(bench.root) - before)
        say(f"  ingestion {ingest[size]:.1f} s, gold {gold[size]:.1f} s")
    measured = list(ingest)
    results = []
    for small, large in zip(measured, measured[1:]):
        for stage, times in (("ingestion", ingest), ("processing", gold)):
            results.append(Comparison("growth", f"{stage}: {large:,} / {small:,} rows per day", times[large],
                                      times[small], "<= 10", "10x the rows; linear growth would be 10x the time"))
    if len(measured) < 2:
        say(f"Growth: {len(measured)} size measured, no exponent to fit{'; ' + stopped if stopped else ''}")
        return results
    for stage, times in (("ingestion", ingest), ("processing", gold)):
        points = ", ".join(f"{n:,}: {t:.1f} s" for n, t in times.items())
        results.append(Comparison(
            "growth", f"{stage}: time exponent over {measured[0]:,}..{measured[-1]:,} rows per day", exponent(times),
            1.0, "<= 1.1", f"least-squares slope of log(time) on log(rows), 1 = linear; one run per size ({points})"
            + (f"; {stopped}" if stopped else ""), unit="exponent"))
    return results
