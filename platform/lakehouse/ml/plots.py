"""Figures logged to MLflow: ROC and PR curves, feature importances.

Matplotlib's object API with the Agg canvas: no pyplot global state and no GUI backend, so figures are
safe in a Dagster step, a thread or a headless server.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lakehouse.ml import metrics as M


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def curves(histograms: dict[str, M.Histogram], title: str) -> Figure:
    """ROC (left) and precision-recall (right), one line per name (a candidate or a split)."""
    fig = _figure(11, 4.5)
    roc, pr = fig.subplots(1, 2)
    for name, h in histograms.items():
        fpr, tpr = M.roc_curve(h)
        recall, precision = M.pr_curve(h)
        roc.plot(fpr, tpr, label=f"{name} (AUC {M.area(fpr, tpr):.3f})")
        pr.plot(recall, precision, label=f"{name} (AUC {M.area(recall, precision):.3f})")
    roc.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    pr.set(xlabel="recall", ylabel="precision", title="Precision-recall", ylim=(0, 1.02))
    for ax in (roc, pr):
        ax.legend(loc="best", fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def importances(pairs: Sequence[tuple[str, float]], title: str, top: int = 20) -> Figure:
    shown = list(pairs[:top])[::-1]  # largest at the top
    fig = _figure(8, 0.3 * len(shown) + 1.5)
    ax = fig.subplots()
    ax.barh([name for name, _ in shown], [value for _, value in shown])
    ax.set(title=title, xlabel="importance")
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig
