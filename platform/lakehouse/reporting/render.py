"""Write one report: HTML (charts embedded), PNG charts, PDF, Excel and CSV, from the period's aggregates.

Files are written into a staging folder next to the target and swapped in at the end, so a reader never
sees half a report and a re-run replaces the previous one whole (no stale files of removed sections).
"""

from __future__ import annotations

import base64
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pandas as pd

from lakehouse.config.reporting import ReportingConfig, ReportSpec
from lakehouse.reporting import charts, style
from lakehouse.reporting.aggregates import Period
from lakehouse.reporting.excel import write_workbook
from lakehouse.reporting.views import (
    EMPTY_NOTE,
    Headline,
    SectionView,
    build_views,
    display_table,
    fmt,
    markdown_summary,
)

TEMPLATES = Path(__file__).parent / "templates"
HTML, PDF, XLSX = "report.html", "report.pdf", "report.xlsx"


@dataclass(frozen=True)
class ReportContext:
    config: ReportingConfig
    report: ReportSpec
    period: Period
    partition_key: str
    generated_at: datetime
    timezone: str = "UTC"
    about: dict[str, str] = field(default_factory=dict)  # sources and versions, shown in HTML and Excel

    @property
    def period_text(self) -> str:
        last = self.period.end - timedelta(days=1)
        if self.report.period == "day":
            return self.period.start.isoformat()
        if self.report.period == "month":
            return self.period.start.strftime("%B %Y")
        return f"{self.period.start.isoformat()} to {last.isoformat()}"

    @property
    def title(self) -> str:
        return f"{self.report.title} - {self.period_text}"

    def about_rows(self) -> list[tuple[str, str]]:
        return [("report", self.report.name), ("period", self.report.period), ("partition", self.partition_key),
                ("from", self.period.start.isoformat()), ("to (exclusive)", self.period.end.isoformat()),
                ("generated at (UTC)", self.generated_at.isoformat(timespec="seconds")), *self.about.items()]


@dataclass(frozen=True)
class RenderedReport:
    directory: Path
    files: dict[str, Path]  # relative name -> final path
    headline: Headline
    markdown: str
    main_chart: bytes  # PNG of the report's main_chart section


def report_directory(root: Path, report: str, partition_key: str) -> Path:
    """<report_root>/<report name>/<partition key>/ (see paths.py)."""
    return root / report / partition_key


def render_report(rows: pd.DataFrame, ctx: ReportContext, directory: Path) -> RenderedReport:
    views, headline = build_views(rows, ctx.config, ctx.report)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.parent / f".{directory.name}.staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        pngs = _write_charts_pdf_csv(views, ctx, staging)
        write_workbook(staging / XLSX, views, ctx.about_rows(), staging / "charts")
        _write_html(staging / HTML, views, headline, ctx, pngs)
        names = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        _swap(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # only the staging copy; the error propagates
        raise
    files = {name: directory / name for name in names}
    markdown = markdown_summary(headline, ctx.title, [HTML, PDF, XLSX, "charts/", "csv/"], ctx.config.positive_name)
    return RenderedReport(directory, files, headline, markdown, pngs[ctx.report.main_chart])


def _write_charts_pdf_csv(views: list[SectionView], ctx: ReportContext, out: Path) -> dict[str, bytes]:
    from matplotlib.backends.backend_pdf import PdfPages

    (out / "charts").mkdir()
    (out / "csv").mkdir()
    pngs: dict[str, bytes] = {}
    metadata = {"Title": ctx.title, "Subject": f"{ctx.report.name} report, partition {ctx.partition_key}",
                "Creator": "lakehouse reporting", "Keywords": ", ".join(v.name for v in views)}
    with PdfPages(out / PDF, metadata=metadata) as pdf:
        for view in views:  # one page per section, in the report's order
            wording = {"timezone": ctx.timezone, "positive": ctx.config.positive_name,
                       "negative": ctx.config.negative_name}
            fig = charts.draw(view, ctx.config.sections[view.name], ctx.title, wording)
            buffer = BytesIO()
            fig.savefig(buffer, format="png", dpi=style.DPI)
            pngs[view.name] = buffer.getvalue()
            (out / "charts" / f"{view.name}.png").write_bytes(pngs[view.name])
            pdf.savefig(fig)
            view.table.to_csv(out / "csv" / f"{view.name}.csv", index=False)
    return pngs


def _write_html(path: Path, views: list[SectionView], headline: Headline, ctx: ReportContext,
                pngs: dict[str, bytes]) -> None:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    tables = {v.name: display_table(v.table).to_html(index=False, escape=True, border=0, na_rep="-") for v in views}
    html = env.get_template("report.html.j2").render(
        title=ctx.title, period_text=f"{ctx.report.period}: {ctx.period_text}", headline=headline, views=views,
        tables=tables, charts={k: base64.b64encode(v).decode("ascii") for k, v in pngs.items()},
        rate=fmt("predicted_positive_rate", headline.rate), mean_probability=fmt("probability_mean", headline.mean_probability),
        empty_note=EMPTY_NOTE, about=ctx.about_rows(), positive=ctx.config.positive_name,
    )
    path.write_text(html, encoding="utf-8")


def _swap(staging: Path, directory: Path) -> None:
    """Replace the report folder by the staged one (two renames on the same filesystem)."""
    if directory.exists():
        retired = directory.parent / f".{directory.name}.retired-{uuid.uuid4().hex[:8]}"
        directory.rename(retired)
        staging.rename(directory)
        shutil.rmtree(retired)
    else:
        staging.rename(directory)
