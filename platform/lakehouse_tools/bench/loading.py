"""Definitions load time: a fresh process importing the code location (what the webserver, the daemon
and every run do), against a bare `import dagster` (goal: the platform adds at most 1 s)."""

from __future__ import annotations

import statistics
import subprocess
import sys

from lakehouse_tools.bench.harness import Bench, Comparison, say

_PROBE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def _seconds(stmt: str, repeats: int) -> float:
    runs = [float(subprocess.run([sys.executable, "-c", _PROBE.format(stmt=stmt)], check=True, capture_output=True,
                                 text=True).stdout.strip().splitlines()[-1]) for _ in range(repeats)]
    return statistics.median(runs)


def run(bench: Bench, rows: int, repeats: int = 3) -> list[Comparison]:
    definitions = _seconds("from lakehouse.definitions import defs", max(repeats, 3))
    dagster = _seconds("import dagster", max(repeats, 3))
    say(f"definitions {definitions:.2f} s, import dagster {dagster:.2f} s")
    return [Comparison("loading", "load the code location / import dagster", definitions, dagster, "<= 3",
                       f"fresh processes, medians of {max(repeats, 3)}; {definitions:.2f} s absolute, no JVM started")]
