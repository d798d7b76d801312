"""Where report files go: <report_root>/<report name>/<partition key>/ (e.g. reports/daily/2026-07-06/).

The folder is named after the report rather than its period, so two reports of the same period (a
second daily report with other sections) never overwrite each other; with the shipped reports
`daily`, `weekly` and `monthly` it reads like the period.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.config.reporting import load_reporting
from lakehouse.reporting.render import HTML


def resolve_report_root(template: str, data_root: Path) -> Path:
    """`{data_root}` is the profile's resolved data root; a relative result is taken under it. On
    Databricks, dbfs:/Volumes/... and dbfs:/... are the FUSE paths /Volumes/... and /dbfs/..."""
    text = template.replace("{data_root}", str(data_root))
    if text.startswith("dbfs:/Volumes/"):
        text = text[len("dbfs:"):]
    elif text.startswith("dbfs:/"):
        text = "/dbfs/" + text[len("dbfs:/"):]
    path = Path(text)
    return path if path.is_absolute() else data_root / path


def report_paths(data_root: str | Path, dataset: str, report_root: str | None = None) -> list[Path]:
    """The HTML entry point of every report made under the default report root, by report then partition
    (what `make run` prints at the end). Staging folders of an interrupted run are not listed."""
    config = load_reporting(dataset)
    root = resolve_report_root(report_root or config.report_root, Path(data_root))
    found: list[Path] = []
    for report in config.reports:
        folder = root / report.name
        if folder.is_dir():
            found += sorted(p / HTML for p in folder.iterdir()
                            if p.is_dir() and not p.name.startswith(".") and (p / HTML).is_file())
    return found
