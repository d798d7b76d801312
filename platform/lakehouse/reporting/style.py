"""One chart style for every report: colours, fonts, figure size, and the helpers charts share.

Matplotlib's object API on the Agg canvas (no pyplot): no global figure state and no GUI backend, so
charts render headless and offline inside a Dagster step, a thread or a server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

FIGSIZE = (9.0, 4.8)  # inches; one PDF page and one PNG per section
DPI = 100
PRIMARY = "#1f4e79"   # volumes
ACCENT = "#c0392b"    # positives: predicted positives, rates, thresholds
MUTED = "#7f8c8d"     # secondary marks
SERIES = ["#1f4e79", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#7f8c8d"]
RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: identical output on every machine
    "font.size": 9,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "pdf.fonttype": 42,  # embedded TrueType: text in the PDF stays selectable
}


@contextmanager
def styled() -> Iterator[None]:
    """Apply the style while a figure is built (rcParams are read when artists are created)."""
    from matplotlib import rc_context

    with rc_context(RC):
        yield


def figure(width: float = FIGSIZE[0], height: float = FIGSIZE[1]) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def heading(fig: Any, title: str, subtitle: str) -> None:
    """Section title on top, the report and period underneath, so a PNG on its own says what it is."""
    fig.suptitle(title, x=0.01, y=0.985, ha="left", fontsize=13, fontweight="bold")
    fig.text(0.01, 0.915, subtitle, ha="left", va="bottom", fontsize=9, color=MUTED)


def layout(fig: Any) -> None:
    fig.tight_layout(rect=(0, 0, 1, 0.9))


def message(ax: Any, text: str) -> None:
    """An empty chart says why it is empty instead of showing bare axes."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color=MUTED, wrap=True, transform=ax.transAxes)


def percent_axis(ax: Any, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))


def count_axis(ax: Any, axis: str = "y") -> None:
    """Counts are whole numbers: no 0.25 ticks on a small day."""
    from matplotlib.ticker import MaxNLocator

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))
