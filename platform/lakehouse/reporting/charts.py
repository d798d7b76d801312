"""One chart per section kind, drawn from the section's table (views.section_table), in one style.

A new section kind registers its chart in CHARTS. Every chart has a title, axes with units, and says
so when the period is empty or the section is pending, instead of drawing bare axes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from lakehouse.config.reporting import HistogramSection
from lakehouse.reporting import style
from lakehouse.reporting.aggregates import ALL, PREDICTED_POSITIVE, PROB_MEAN, RATE, ROWS
from lakehouse.reporting.kinds import bin_labels
from lakehouse.reporting.sections import THRESHOLD_SERIES
from lakehouse.reporting.views import SectionView, fmt

KEY_FIGURES = [(ROWS, "Predictions"), (PREDICTED_POSITIVE, "Predicted {positive}"), (RATE, "Predicted {positive} rate"),
               (PROB_MEAN, "Mean probability"), ("probability_p50", "Median probability"),
               ("probability_p95", "95th pct probability"), ("amount_mean", "Mean amount"),
               ("amount_p50", "Median amount"), ("amount_p95", "95th pct amount")]


def _bars(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["series"] == ALL) & (table["bucket"] != ALL)]


def summary_chart(view: SectionView, spec: Any, fig: Any, context: dict[str, str]) -> None:
    """Key figures as a table: overall and per model version (the PDF's first page)."""
    ax = fig.subplots()
    ax.set_axis_off()
    table = view.table
    present = [(m, label) for m, label in KEY_FIGURES if m in table.columns]
    columns = table["series"].tolist()
    cells = [[fmt(m, v) for v in table[m].tolist()] for m, _ in present]
    if "threshold_min" in table.columns:  # a range when the period mixes model versions with other thresholds
        cells.append([fmt("threshold", lo) if lo == hi or pd.isna(lo) else f"{lo:.4g} - {hi:.4g}"
                      for lo, hi in zip(table["threshold_min"], table["threshold_max"])])
        present.append(("threshold", "Decision threshold"))
    drawn = ax.table(cellText=cells, rowLabels=[label.format(**context) for _, label in present], colLabels=columns, loc="center",
                     cellLoc="right", colLoc="right")
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(9)
    drawn.scale(1, 1.4)


def timeline_chart(view: SectionView, spec: Any, fig: Any, context: dict[str, str]) -> None:
    data = _bars(view.table)
    ax = fig.subplots()
    x = range(len(data))
    ax.bar(x, data[ROWS], color=style.PRIMARY, label="predictions")
    ax.set_ylabel("predictions (count)")
    style.count_axis(ax)
    unit = "hour of day" + (f" ({context['timezone']})" if context.get("timezone") else "")
    ax.set_xlabel(unit if spec.grain == "hour" else "day")
    labels = data["bucket"].tolist() if spec.grain == "hour" else [b[5:] for b in data["bucket"]]  # MM-DD
    ax.set_xticks(list(x), labels, rotation=90 if len(labels) > 12 else 0)
    rate = ax.twinx()
    rate.plot(list(x), data[RATE].astype(float), color=style.ACCENT, marker="o", markersize=3, label=f"predicted {context['positive']} rate")
    rate.set_ylabel(f"predicted {context['positive']} rate (%)", color=style.ACCENT)
    rate.set_ylim(bottom=0)
    rate.grid(False)
    style.percent_axis(rate)
    # Above the plot area: inside it would cover the bars of the first buckets.
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], *rate.get_legend_handles_labels()[0]],
              loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2)


def breakdown_chart(view: SectionView, spec: Any, fig: Any, context: dict[str, str]) -> None:
    data = _bars(view.table).head(spec.chart_top).iloc[::-1]  # largest at the top
    volume, rates = fig.subplots(1, 2, sharey=True)
    volume.barh(data["bucket"], data[ROWS], color=style.PRIMARY)
    volume.set_xlabel("predictions (count)")
    style.count_axis(volume, "x")
    volume.grid(axis="x", alpha=0.3)
    rates.barh(data["bucket"], data[RATE].astype(float), color=style.ACCENT, alpha=0.8, label=f"predicted {context['positive']} rate")
    rates.plot(data[PROB_MEAN].astype(float), data["bucket"], "D", color=style.MUTED, label="mean probability")
    rates.set_xlabel("share of the value's predictions (%)")
    style.percent_axis(rates, "x")
    rates.grid(axis="x", alpha=0.3)
    rates.legend(loc="lower right")


def _threshold_x(value: float, edges: list[float]) -> float:
    """Position of a value on the bin axis (bar i is centred on i)."""
    for i, (lo, hi) in enumerate(zip(edges, edges[1:])):
        if value < hi or i == len(edges) - 2:
            return i - 0.5 + (min(max(value, lo), hi) - lo) / (hi - lo)
    return len(edges) - 1.5


def histogram_chart(view: SectionView, spec: HistogramSection, fig: Any, context: dict[str, str]) -> None:
    table = view.table
    bins = table[(table["series"] != THRESHOLD_SERIES) & (table["bucket"] != ALL)]  # not the totals rows
    series = list(dict.fromkeys(bins["series"]))
    labels = bin_labels(spec)
    ax = fig.subplots()
    width = 0.8 / max(len(series), 1)
    for i, name in enumerate(series):
        counts = bins[bins["series"] == name].set_index("bucket")[ROWS].reindex(labels).fillna(0).astype(float)
        values = counts / counts.sum() if spec.share and counts.sum() else counts
        offset = (i - (len(series) - 1) / 2) * width
        ax.bar([k + offset for k in range(len(labels))], values, width=width, color=style.SERIES[i % len(style.SERIES)],
               label=None if name == ALL else f"{name} ({int(counts.sum()):,})")
    ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 10 else 0, ha="right" if len(labels) > 10 else "center")
    ax.set_xlabel(spec.axis_label)
    ax.set_ylabel("share of the series' predictions (%)" if spec.share else "predictions (count)")
    if spec.share:
        style.percent_axis(ax)
    else:
        style.count_axis(ax)
    if spec.log_y and not spec.share:
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("symlog", linthresh=1)  # symlog: empty bins (0) stay drawable, unlike log
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylabel("predictions (count, log scale)")
    if spec.mark_threshold:
        for _, row in table[table["series"] == THRESHOLD_SERIES].iterrows():
            x = _threshold_x(float(row["threshold"]), spec.edges)
            ax.axvline(x, color=style.ACCENT, linestyle="--", linewidth=1.2,
                       label=f"threshold v{row['bucket']} = {row['threshold']:.2f}")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", bbox_to_anchor=(1, 1.0), ncol=4)


def realised_chart(view: SectionView, spec: Any, fig: Any, context: dict[str, str]) -> None:
    table = view.table
    get = {m: table[m].iloc[0] for m in table.columns if m not in ("series", "bucket")} if len(table) else {}
    if get.get("complete") != 1.0:
        style.message(fig.subplots(), view.note or "Realised metrics pending.")
        return
    metrics, confusion = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    names = ["precision", "recall", "auc"]
    values = [float(get[n]) if pd.notna(get[n]) else 0.0 for n in names]
    metrics.bar(["precision", "recall", "AUC"], values, color=[style.PRIMARY, style.PRIMARY, style.ACCENT])
    for i, v in enumerate(values):
        metrics.text(i, v + 0.02, f"{v:.3f}", ha="center")
    metrics.set_ylim(0, 1.1)
    metrics.set_ylabel("value (0-1)")
    matrix = [[int(get["tn"]), int(get["fp"])], [int(get["fn"]), int(get["tp"])]]
    confusion.imshow(matrix, cmap="Blues")
    for (r, c), n in pd.DataFrame(matrix).stack().items():
        confusion.text(c, r, f"{n:,}", ha="center", va="center", fontsize=11)
    negative, positive = context["negative"], context["positive"]
    confusion.set_xticks([0, 1], [f"predicted {negative}", f"predicted {positive}"])
    confusion.set_yticks([0, 1], [f"labelled {negative}", f"labelled {positive}"])
    confusion.set_title(f"confusion matrix ({int(get['labels_matured']):,} matured labels)", fontsize=9)
    confusion.grid(False)


Chart = Callable[[SectionView, Any, Any, dict[str, str]], None]
CHARTS: dict[str, Chart] = {"summary": summary_chart, "timeline": timeline_chart, "breakdown": breakdown_chart,
                            "histogram": histogram_chart, "realised": realised_chart}


def draw(view: SectionView, spec: Any, subtitle: str, context: dict[str, str]) -> Any:
    """The section's figure; an empty period gets the same page with the reason instead of a chart."""
    with style.styled():
        fig = style.figure()
        if view.note and view.kind not in ("summary", "realised"):
            style.message(fig.subplots(), view.note)
        else:
            CHARTS[view.kind](view, spec, fig, context)
            if view.note and view.kind == "summary":
                fig.text(0.5, 0.04, view.note, ha="center", fontsize=11, color=style.ACCENT)
        style.heading(fig, view.title, subtitle)
        style.layout(fig)
    return fig
