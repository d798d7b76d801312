"""Benchmark plumbing: a throw-away data root, one Spark session, timing, and the results table."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lakehouse.config.profile import DATA_ROOT_ENV_VAR, REPO_ROOT, load_profile
from lakehouse.profile_resources import build_resources

RESULTS_JSON = REPO_ROOT / "docs" / "benchmarks.json"
RESULTS_MD = REPO_ROOT / "docs" / "benchmarks.md"


@dataclass
class Comparison:
    stage: str
    name: str
    subject_seconds: float
    baseline_seconds: float
    goal: str
    detail: str = ""
    # What subject and baseline hold (the field names predate it): seconds, MiB of peak memory, or a bare
    # number such as a fitted exponent. Results in benchmarks.json from before it are seconds.
    unit: str = "s"

    @property
    def ratio(self) -> float:
        return self.subject_seconds / self.baseline_seconds

    def met(self) -> bool:
        op, value = self.goal.split(" ", 1)
        return self.ratio <= float(value) if op == "<=" else self.ratio >= float(value)


@dataclass
class Bench:
    """One benchmark session: a temp data root and the profile's resources (one Spark session)."""

    root: Path
    resources: dict[str, Any]
    results: list[Comparison] = field(default_factory=list)

    @classmethod
    def start(cls, root: Path | None = None) -> Bench:
        """A fresh temporary data root, or `root` (a child process measuring in its parent's root)."""
        root = root or Path(tempfile.mkdtemp(prefix="lakehouse-bench-"))
        os.environ[DATA_ROOT_ENV_VAR] = str(root)
        return cls(root=root, resources=build_resources(load_profile(), str(root)))

    @property
    def spark(self) -> Any:
        return self.resources["spark"].spark_session


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median_of(runs: int, fn: Callable[[], Any]) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def interleaved(repeats: int, subject: Callable[[], Any], baseline: Callable[[], Any]) -> tuple[float, float]:
    """Medians of alternating runs (A B A B ...), so drift in the machine's load hits both alike."""
    a, b = [], []
    for _ in range(repeats):
        a.append(timed(subject))
        b.append(timed(baseline))
    return statistics.median(a), statistics.median(b)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _value(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    return f"{value:.3f}"  # a bare number (an exponent): the ratio column already says what it is


def markdown(results: list[Comparison]) -> tuple[str, str]:
    """The results as a markdown table, and their details as a list."""
    lines = [
        "| stage | comparison | subject | baseline | ratio | goal | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.stage} | {r.name} | {_value(r.subject_seconds, r.unit)} | {_value(r.baseline_seconds, r.unit)} | "
            f"{r.ratio:.3f} | {r.goal} | {'yes' if r.met() else 'NO'} |"
        )
    return "\n".join(lines), "\n".join(f"- {r.stage} / {r.name}: {r.detail}" for r in results if r.detail)


def report(results: list[Comparison], command: str) -> str:
    table, details = markdown(results)
    measured = [{**asdict(r), "ratio": r.ratio, "met": r.met(), "command": command} for r in results]
    kept = _earlier_results({r.stage for r in results})
    RESULTS_JSON.write_text(json.dumps(measured + kept, indent=2))
    earlier = ""
    if kept:
        rows = "\n".join(f"| {k['stage']} | {k['name']} | {k['ratio']:.3f} | {k['goal']} | `{k.get('command', '?')}` |"
                         for k in kept)
        earlier = ("\n\n## Other stages, from earlier runs\n\n| stage | comparison | ratio | goal | measured by |\n"
                   f"|---|---|---:|---|---|\n{rows}")
    RESULTS_MD.write_text(
        "# Benchmarks\n\nMeasured in one run on this machine (2 cores, 24 GiB) with:\n\n"
        f"```\n{command}\n```\n\n{table}\n\n{details}{earlier}\n\nRaw numbers: `docs/benchmarks.json`.\n"
        + _written_by_hand()
    )
    return table


# docs/benchmarks.md from this line on is prose (what each pass buys, how a figure was found), kept as it is
# when a run rewrites the tables above it.
NOTES_MARKER = "<!-- Written by hand below this line: make bench keeps it. -->"


def _written_by_hand() -> str:
    if not RESULTS_MD.exists() or NOTES_MARKER not in RESULTS_MD.read_text():
        return ""
    return "\n" + NOTES_MARKER + RESULTS_MD.read_text().split(NOTES_MARKER, 1)[1]


def _earlier_results(stages_run: set[str]) -> list[dict[str, Any]]:
    """Results of stages this run did not measure (a `--stages` subset), kept with their own command."""
    if not RESULTS_JSON.exists():
        return []
    return [r for r in json.loads(RESULTS_JSON.read_text()) if r["stage"] not in stages_run]
