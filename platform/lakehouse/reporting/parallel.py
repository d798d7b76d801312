"""Render the reports of a multi-partition run in parallel processes.

Rendering is matplotlib (single-threaded, ~2 s a report), and Spark is idle meanwhile, so a backfill of
77 daily reports renders about twice as fast on two cores. Workers are spawned, not forked: the run's
process holds a JVM gateway and logging threads whose locks a forked child could inherit held.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from lakehouse.reporting.render import RenderedReport, ReportContext

RenderJob = tuple["pd.DataFrame", "ReportContext", Path]


def _render(job: RenderJob) -> RenderedReport:
    from lakehouse.reporting.render import render_report

    return render_report(*job)


def render_all(jobs: list[RenderJob], processes: int) -> list[RenderedReport]:
    """Rendered reports in the order of `jobs`; a worker's exception is raised here, unchanged."""
    if processes <= 1 or len(jobs) <= 1:
        return [_render(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=min(processes, len(jobs)), mp_context=context) as pool:
            return list(pool.map(_render, jobs))
    except BrokenProcessPool as error:
        # A worker died before it could report (its own traceback is on stderr). The usual cause: a script
        # that runs the job at module level, which every spawned worker re-imports.
        raise RuntimeError(
            "A report-rendering worker process died (its error is printed above). If a script of yours runs "
            "this job, put the call under `if __name__ == \"__main__\":` (spawned workers import the main "
            "module), or set render_processes: 1 in reporting.yaml."
        ) from error
