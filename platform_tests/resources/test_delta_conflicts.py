"""Two writers creating one new Delta table at once (issue 16): both days end up committed, the loser of
the race retried; a writer that keeps losing fails naming the table. Real Spark and Delta; the two writers
are two threads of the test's one Spark session (one session per test process), made to race by holding
both after their "does the table exist?" look until both have looked."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from delta.exceptions import ProtocolChangedException

from lakehouse.resources import delta_write
from lakehouse.resources.catalog import TableRef
from lakehouse.resources.delta_conflicts import DeltaWriteConflictError, with_conflict_retries
from lakehouse.resources.delta_write import TimeWindowFilter, WriteSpec, write_delta

DAYS = [date(2026, 1, 2), date(2026, 1, 3)]


def test_two_writers_creating_one_table_both_commit(spark, tmp_path: Path) -> None:
    ref = TableRef(schema="conflicts", table="created_twice", location=str(tmp_path / "created_twice"))
    spec = WriteSpec(partition_expr="day", partition_by=("day",))
    both_looked, looks = threading.Barrier(2, timeout=120), []
    real_exists = delta_write.table_exists

    def exists_then_wait(session, table):  # the first look of each writer: both see no table
        found = real_exists(session, table)
        looks.append(found)
        if len(looks) <= 2:
            both_looked.wait()
        return found

    def write(day: date):
        df = spark.createDataFrame([(day, i) for i in range(50)], "day date, i int")
        start = datetime.combine(day, datetime.min.time())
        return write_delta(spark, df, ref, spec, TimeWindowFilter("day", start, start + timedelta(days=1)))

    with mock.patch.object(delta_write, "table_exists", exists_then_wait), ThreadPoolExecutor(2) as pool:
        results = list(pool.map(write, DAYS))
    assert looks[:2] == [False, False] and len(looks) == 3  # the loser looked again, found the table
    counts = {r["day"]: r["n"] for r in spark.read.format("delta").load(ref.location)
              .groupBy("day").count().withColumnRenamed("count", "n").collect()}
    assert counts == {DAYS[0]: 50, DAYS[1]: 50}
    assert sorted(r.version for r in results) == [0, 1]


def test_a_writer_that_keeps_losing_fails_naming_the_table() -> None:
    pauses: list[float] = []

    def always_loses() -> None:
        raise ProtocolChangedException(message="a concurrent writer created the table")

    with pytest.raises(DeltaWriteConflictError, match=r"bronze\.t: .* 5 times \(last: ProtocolChangedException\)"):
        with_conflict_retries(always_loses, "bronze.t", sleep=pauses.append)
    assert len(pauses) == 4 and pauses == sorted(pauses)  # growing pauses between the five attempts


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("schema mismatch")

    with pytest.raises(ValueError):
        with_conflict_retries(broken, "bronze.t", sleep=lambda _: None)
    assert calls == [1]
