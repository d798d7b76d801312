"""Ingestion benchmarks: Dagster vs the same Spark work as a plain script; the plain script vs the floor (a
raw copy of the same files into Delta); day 61 vs an empty table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dagster import AssetKey, DagsterInstance, materialize
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import resolve_data_root
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.assets import BUILDERS
from lakehouse.ingestion.file_source import check_results, earlier_keys, find_files, in_window, load_files
from lakehouse.partitions import build_calendar
from lakehouse.resources.delta_write import TimeWindowFilter, WriteSpec, read_table, table_exists, write_delta
from lakehouse_tools.bench.harness import Bench, Comparison, interleaved, say
from lakehouse_tools.demo.generator import generate
from lakehouse_tools.demo.settings import GeneratorSettings

SOURCE = "transactions_pos"
HISTORY_DAYS = 60


def _plain_script(bench: Bench, day: date, table: str) -> None:
    """What a hand-written notebook cell would do: the same functions, no orchestration."""
    spark, resource = bench.spark, bench.resources["spark"]
    source = load_sources("card_fraud")[SOURCE]
    assert source.location is not None  # a file source: its landing folder
    contract = load_contracts("card_fraud")[source.contract]
    files = find_files(resolve_data_root(resource.data_root) / source.location, [day.isoformat()], source)
    target = resource.table("bench", table)
    existing = read_table(spark, target) if table_exists(spark, target) else None
    spec = WriteSpec(partition_expr=source.partition_column, partition_by=(source.partition_column,))
    start, end = day, day + timedelta(days=1)
    window = TimeWindowFilter(source.partition_column, *_datetimes(start, end))
    refs = [resource.table("bench", table), resource.table("bench", f"{table}_quarantine")]
    with load_files(spark, source, contract, files, "plain-script", earlier_keys(existing, source, contract, day)) as load:
        write_delta(spark, load.quarantine.df, refs[1], spec, window)  # first, as the asset does
        write_delta(spark, load.table.df, refs[0], spec, window)
        load.quarantine.values()  # inside the block, as the asset reads them
        load.table.values()
    for ref in refs:
        resource.register(ref)
    check_results(load, in_window(spark.table(refs[0].name), source.partition_column, start, end), source, contract,
                  AssetKey(["bench", table]))


def _raw_copy(bench: Bench, day: date, table: str) -> None:
    """The floor (issue 19): the least work that makes the bronze table. The day's files read once with the
    contract's types (Spark's CSV reader, no quarantine, no reasons, no checks), the landing day added, one
    Delta write of the day's partition. What the platform does beyond it is what its guarantees cost."""
    spark, resource = bench.spark, bench.resources["spark"]
    source = load_sources("card_fraud")[SOURCE]
    assert source.location is not None  # a file source: its landing folder
    contract = load_contracts("card_fraud")[source.contract]
    files = find_files(resolve_data_root(resource.data_root) / source.location, [day.isoformat()], source)
    typed = ", ".join(f"`{c.landed_name}` {c.type}" for c in contract.columns)
    rows = spark.read.schema(typed).option("header", True).csv([str(f) for f in files]) \
        .withColumn(source.partition_column, F.lit(day))
    spec = WriteSpec(partition_expr=source.partition_column, partition_by=(source.partition_column,))
    write_delta(spark, rows, resource.table("bench", table), spec,
                TimeWindowFilter(source.partition_column, *_datetimes(day, day + timedelta(days=1))))


def _datetimes(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime(start.year, start.month, start.day, tzinfo=UTC),
            datetime(end.year, end.month, end.day, tzinfo=UTC))


def _dagster_runner(bench: Bench, others: tuple[str, ...] = ()):
    """Materialise the bronze asset as the platform does; the assets and the instance are built once,
    outside the timed region, as in a long-lived deployment. `others`: names of copies of the source (other
    assets, bronze.<name>) to write elsewhere, since a run cannot redirect the source's own asset."""
    dataset = load_dataset("card_fraud")
    source = load_sources("card_fraud")[SOURCE]
    calendar = build_calendar(dataset.partitions)
    assets = {name: BUILDERS[source.format](source.model_copy(update={"name": name}), dataset, calendar)
              for name in [SOURCE, *others]}
    instance = DagsterInstance.ephemeral()

    def run(day: date, name: str = SOURCE, range_end: date | None = None) -> None:
        asset_def = assets[name]
        tags = None
        if range_end is not None:
            tags = {"dagster/asset_partition_range_start": day.isoformat(),
                    "dagster/asset_partition_range_end": range_end.isoformat()}
        materialize([asset_def], resources=bench.resources, instance=instance, tags=tags,
                    partition_key=None if tags else day.isoformat(),
                    run_config={"ops": {asset_def.op.name: {"config": {}}}})

    return run


def run(bench: Bench, rows: int, repeats: int = 3) -> list[Comparison]:
    start = load_dataset("card_fraud").partitions.start_date
    settings = GeneratorSettings(start_date=start, days=HISTORY_DAYS + 1, rows_per_day=rows, csv_share=1.0)
    say(f"Generating {HISTORY_DAYS + 1} days x {rows} transactions (POS CSV)")
    generate(settings, bench.root)
    last = start + timedelta(days=HISTORY_DAYS)

    empties = [f"bench_empty_{i}" for i in range(repeats)]
    dagster_run = _dagster_runner(bench, ("bench_warmup", *empties))
    say("Warm-up (JIT, Delta log caches), then alternating runs")
    _plain_script(bench, last, "warmup")
    dagster_run(last, "bench_warmup")
    dagster, plain = interleaved(repeats, lambda: dagster_run(last), lambda: _plain_script(bench, last, "plain"))
    results = [Comparison("ingestion", f"one day of {rows:,} rows: Dagster / plain script", dagster, plain, "<= 1.05",
                          "same read, contract split, two Delta writes and checks; medians of "
                          f"{repeats}")]
    results.append(_against_the_floor(bench, last, rows, repeats))
    say(f"Building a {HISTORY_DAYS}-day table (one single-run backfill)")
    dagster_run(start, range_end=last - timedelta(days=1))
    fresh = iter(empties)
    into_history, into_empty = interleaved(repeats, lambda: dagster_run(last), lambda: dagster_run(last, next(fresh)))
    results.append(Comparison("ingestion", f"day {HISTORY_DAYS + 1} into a {HISTORY_DAYS}-day table / into an empty table",
                              into_history, into_empty, "<= 1.2", f"{rows:,} rows per day; medians of {repeats}"))
    # The floor again at ten times the day (the 1 M rows a day at the default size): the first day
    # landed again, bigger, into tables of its own (the history above is done with it).
    say(f"Landing day {start} again with {rows * 10:,} rows")
    generate(GeneratorSettings(start_date=start, days=1, rows_per_day=rows * 10, csv_share=1.0), bench.root)
    results.append(_against_the_floor(bench, start, rows * 10, repeats))
    return results


def _against_the_floor(bench: Bench, day: date, rows: int, repeats: int) -> Comparison:
    """The plain script against the raw copy of the same day's files, each into tables of its own."""
    plain, raw = f"plain_{rows}", f"raw_copy_{rows}"
    _plain_script(bench, day, plain)  # warm-ups: the first commit of each table, the readers' first use
    _raw_copy(bench, day, raw)
    work, floor = interleaved(repeats, lambda: _plain_script(bench, day, plain), lambda: _raw_copy(bench, day, raw))
    return Comparison("ingestion", f"one day of {rows:,} rows: plain script / raw copy (the floor)", work, floor,
                      "<= 2", f"the floor: a typed read and one Delta write, no quarantine, reasons or checks; "
                      f"{floor / rows * 1e6:.1f} s per million rows; medians of {repeats}")
