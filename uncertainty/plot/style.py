"""One publication style for every figure: fonts, sizes, a grey-safe palette, hatches, saving.

Colours are chosen with clearly different lightness so that figures stay readable printed in grey;
series are told apart also by hatching and line style, never by hue alone. Figures are saved as PNG
(300 dpi) and vector PDF with the same name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

#: dark to light: distinct in grey scale (lightness ~20, 45, 65, 85 %)
PALETTE = ("#1b2a49", "#c4501b", "#4f9bd0", "#d9d9d9")
#: band fills of a fan chart, outer (5-95 %) to inner (25-75 %), and the median line
FAN = {"outer": "#c6d4e8", "inner": "#7b9cc8", "median": "#1b2a49"}
HATCHES = ("", "////", "....", "xxxx", "\\\\\\\\", "++")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
MARKERS = ("o", "s", "^", "D", "v", "P")
#: sequential colour map with monotone lightness (grey-safe)
CMAP = "cividis"
#: single-column and double-column widths, inches
WIDTH_1, WIDTH_2 = 3.5, 7.0
DPI = 300

RC = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.5,
    "axes.axisbelow": True,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "hatch.linewidth": 0.5,
    "legend.frameon": False,
    "figure.dpi": 100,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "font.family": "DejaVu Sans",
}


@contextmanager
def style() -> Iterator[None]:
    """Context in which new figures take the house style."""
    with mpl.rc_context(RC):
        yield


def color(i: int) -> str:
    """The i-th series colour (cycling)."""
    return PALETTE[i % len(PALETTE)]


def hatch(i: int) -> str:
    """The i-th series hatch (cycling)."""
    return HATCHES[i % len(HATCHES)]


def linestyle(i: int):
    """The i-th series line style (cycling)."""
    return LINESTYLES[i % len(LINESTYLES)]


def label(name: str, units: str | None) -> str:
    """Axis label ``name (units)``; dimensionless ``1`` shown as ``(-)``.

    Names are shown with spaces for underscores (``coal_share`` -> ``coal share``).
    """
    text = name.replace("_", " ")
    if units in (None, ""):
        return f"{text} (units not given)"
    return f"{text} ({'-' if units == '1' else units})"


def panels(ax: Any, size: tuple[float, float], n: int = 1, **subplots: Any) -> tuple[Any, Any]:
    """The figure and axes a figure function draws on: ``ax`` given by the caller (one Axes, or
    a sequence of ``n`` for a function with ``n`` panels), else a new constrained-layout Figure
    of ``size`` inches with ``n`` panels (``subplots`` go to :meth:`Figure.subplots`)."""
    if ax is None:
        fig = Figure(figsize=size, layout="constrained")
        if n == 1:
            return fig, fig.add_subplot()
        return fig, tuple(fig.subplots(**subplots))
    axes = tuple(ax) if isinstance(ax, (list, tuple, np.ndarray)) else (ax,)
    if len(axes) != n:
        raise ValueError(f"ax: this figure draws {n} panel(s); got {len(axes)} axes")
    return axes[0].figure, axes[0] if n == 1 else axes


def figure_of(drawn: Any) -> Figure:
    """The Figure of what a figure function returned (an Axes, a tuple of Axes or a Figure)."""
    if isinstance(drawn, (list, tuple)):
        drawn = drawn[0]
    return drawn if isinstance(drawn, Figure) else drawn.figure


def save(drawn: Any, directory: str | Path, name: str) -> list[Path]:
    """Save the figure of ``drawn`` (a Figure, or the Axes a figure function returned) as
    ``<directory>/<name>.png`` (300 dpi) and ``.pdf``; return the paths."""
    fig = figure_of(drawn)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{name}.png", directory / f"{name}.pdf"]
    with mpl.rc_context(RC):
        fig.savefig(paths[0], dpi=DPI)
        fig.savefig(paths[1])
    return paths
