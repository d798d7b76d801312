"""Driver memory: the peak resident memory of the Python driver and of its JVM while one process ingests,
processes and scores one day, at the benchmark's day size and at a tenth of it. Nothing the Python driver
keeps should grow with the rows (they stay in Spark), and the JVM, which in local mode also runs the tasks,
works within its heap and spills the rest: so each ratio should stay near 1.

Each size runs in a child process of its own (`python -m lakehouse_tools.bench.memory --child --rows N
--root DIR`), so the peaks are that run's alone: not this process's earlier stages, not the demo generator,
which runs here, before the child starts. The child runs the bench's own runners, each at N rows a day:

- ingest: the bronze asset (Dagster) over the day's generated POS CSV files (ingestion.py);
- process: the gold asset (Dagster) for one day over synthetic silver with 7 days of look-back
  (processing.py; silver is synthetic there too: materialising it from bronze would need every source,
  the online JSON files and the JDBC dimensions too);
- score: the predictions asset for one day of synthetic gold, LR, explanations off (scoring.py), after
  training that LR on scoring.py's fixed ~56k training rows (the same at both sizes).

The three steps are not chained by data (each reads its own stand-in input of N rows a day); what each
keeps on the driver depends on its own input's rows, which is what is measured. Peak = VmHWM (the
high-water mark of the resident set) from /proc/<pid>/status, read once at the end of the run and, for
the JVM (the java process PySpark starts under the Python driver), before the session stops. Without
/proc (not Linux) the Python peak falls back to getrusage and the JVM's is not measured: RUSAGE_CHILDREN
only covers children already waited for, and nothing waits for the JVM before the driver exits.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from lakehouse.config.dataset import load_dataset
from lakehouse_tools.bench import scoring
from lakehouse_tools.bench.harness import Bench, Comparison, say
from lakehouse_tools.bench.ingestion import _dagster_runner
from lakehouse_tools.bench.processing import LOOKBACK_DAYS, gold_runner, write_inputs
from lakehouse_tools.demo.generator import generate
from lakehouse_tools.demo.settings import GeneratorSettings

MARK = "bench-memory-result "  # the child's one result line on stdout; every other line is its progress
GOAL = "<= 1.5"


def peak_mib(pid: int | str = "self") -> float | None:
    """VmHWM of a process in MiB, or None when /proc cannot tell (not Linux, or the process is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kib = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return None if kib is None else kib / 1024


def _descendants(pid: int) -> list[int]:
    """Every process under `pid`, from /proc (the JVM may sit under a launcher shell that exec'd it)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # exited meanwhile
                continue
            # The command name in parentheses may hold spaces: the fields after the last ')' are safe.
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _jvm_peak() -> tuple[float | None, int]:
    """The largest peak among the java processes under this one, and how many there are."""
    javas = []
    for pid in _descendants(os.getpid()):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "java":
                javas.append(pid)
        except OSError:
            continue
    peaks = [p for p in map(peak_mib, javas) if p is not None]
    return (max(peaks) if peaks else None), len(javas)


def _python_peak() -> float:
    measured = peak_mib()
    if measured is not None:
        return measured
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _child(rows: int, root: Path) -> dict[str, Any]:
    """Ingest, process and score one day of `rows` rows in this process; the peaks at the end."""
    started = time.perf_counter()
    bench = Bench.start(root)
    day = load_dataset("card_fraud").partitions.start_date
    say(f"Memory child: ingest one day of {rows:,} rows")
    _dagster_runner(bench)(day)
    say("Memory child: gold for one day over synthetic silver")
    write_inputs(bench, rows, LOOKBACK_DAYS + 1)
    gold_runner(bench)(day + timedelta(days=LOOKBACK_DAYS))
    say("Memory child: train LR, then score one day of synthetic gold")
    scoring._gold(bench, rows)
    scoring._register(bench, {"logistic_regression": scoring.MODELS["logistic_regression"]})
    scoring._asset_runner(bench)()
    jvm, javas = _jvm_peak()  # now: the session (and its JVM) stops when this process exits
    return {"rows": rows, "python_mib": _python_peak(), "jvm_mib": jvm, "java_processes": javas,
            "driver_memory": bench.spark.conf.get("spark.driver.memory", "Spark's default"),
            "seconds": time.perf_counter() - started}


def _measure(rows: int, root: Path) -> dict[str, Any]:
    """One child process at `rows` rows; its progress is passed through, its result line parsed."""
    command = [sys.executable, "-m", "lakehouse_tools.bench.memory", "--child", "--rows", str(rows),
               "--root", str(root)]
    result = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None  # stdout=PIPE
        for line in child.stdout:
            if line.startswith(MARK):
                result = json.loads(line[len(MARK):])
            else:
                print(line, end="", flush=True)
    if child.returncode != 0 or result is None:
        raise RuntimeError(f"The memory child at {rows:,} rows failed (exit code {child.returncode}): {command}")
    return result


def _mib(value: float | None) -> str:
    return "not measured" if value is None else f"{value:,.0f} MiB"


def run(bench: Bench, rows: int, repeats: int = 1) -> list[Comparison]:
    """Each size once: a peak depends little on the machine's load, and a child at 1 M rows takes minutes."""
    start = load_dataset("card_fraud").partitions.start_date
    small, large = max(rows // 10, 1), rows
    peaks = {}
    for size in (small, large):
        root = bench.root / f"memory_{size}"
        root.mkdir(parents=True, exist_ok=True)
        say(f"Memory: generating one day of {size:,} rows, then ingest, process and score it in a child process")
        generate(GeneratorSettings(start_date=start, days=1, rows_per_day=size, csv_share=1.0), root)
        peaks[size] = _measure(size, root)
        say(f"  peak RSS: Python {_mib(peaks[size]['python_mib'])}, JVM {_mib(peaks[size]['jvm_mib'])} "
            f"({peaks[size]['seconds']:.0f} s)")
    what = ("one child process ingests, processes and scores one day (bench/memory.py); VmHWM at its end, one run "
            "per size")
    results = [Comparison("memory", f"driver Python peak RSS: one day of {large:,} / {small:,} rows",
                          peaks[large]["python_mib"], peaks[small]["python_mib"], GOAL,
                          f"{what}; {peaks[large]['python_mib']:,.0f} MiB at {large:,} rows, "
                          f"{peaks[small]['python_mib']:,.0f} MiB at {small:,}; near 1: nothing the Python driver "
                          "keeps grows with the rows", unit="MiB")]
    jvm_large, jvm_small = peaks[large]["jvm_mib"], peaks[small]["jvm_mib"]
    if jvm_large is None or jvm_small is None:
        results[0].detail += ("; the JVM was not measured: no java process under the driver with a readable "
                              "/proc/<pid>/status (not Linux, or a Spark Connect profile, whose JVM runs elsewhere)")
        return results
    javas = peaks[large]["java_processes"]
    results.append(Comparison(
        "memory", f"driver JVM peak RSS: one day of {large:,} / {small:,} rows", jvm_large, jvm_small, GOAL,
        f"{what}; {jvm_large:,.0f} MiB at {large:,} rows, {jvm_small:,.0f} MiB at {small:,}; the heap may grow up "
        f"to spark.driver.memory ({peaks[large]['driver_memory']}) before the collector reclaims it, so the peak "
        "follows what the JVM allocates as well as what it keeps"
        + (f"; the largest of {javas} java processes" if javas > 1 else ""), unit="MiB"))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", action="store_true", help="Run as the measured process (the stage starts it)")
    parser.add_argument("--rows", type=int, required=True, help="Transactions in the day")
    parser.add_argument("--root", type=Path, required=True, help="Data root holding the generated day")
    args = parser.parse_args(argv)
    if not args.child:
        parser.error("this is the stage's measured process; run the stage with "
                     "`python -m lakehouse_tools.bench --stages memory --rows N`")
    # Python workers, if any step starts them, must be this interpreter (its packages).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    print(MARK + json.dumps(_child(args.rows, args.root)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
