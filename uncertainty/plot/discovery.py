"""Figures of a scenario discovery (:mod:`uncertainty.analysis.discovery`), in the toolkit's
style: the peeling trajectory with the chosen box, the box's limits against the full ranges, and
the samples over the two leading restricted inputs coloured by the outcome."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from uncertainty.analysis.discovery import SIGNIFICANT, Discovery
from uncertainty.plot.style import WIDTH_1, color, label, panels, style

LABEL_BOX = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8}


def trajectory_figure(found: Discovery, *, ax: Any = None) -> Axes:
    """Coverage against density of every box of the peeling trajectory (or CART leaf), coloured
    by the number of restricted inputs; the chosen box marked and labelled."""
    t = found.trajectory
    with style():
        fig, ax = panels(ax, (WIDTH_1 * 1.3, 2.8))
        points = ax.scatter(
            t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=14, zorder=2
        )
        fig.colorbar(points, ax=ax, label="restricted inputs")
        row = t.loc[found.chosen]
        ax.plot(row["coverage"], row["density"], "o", ms=10, mfc="none", color=color(1), zorder=3)
        ax.annotate(
            f"chosen: coverage {row['coverage']:.2f}, density {row['density']:.2f}",
            (row["coverage"], row["density"]),
            xytext=(-8, -14),
            textcoords="offset points",
            ha="right",
            color=color(1),
        )
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("coverage (-)")
        ax.set_ylabel("density (-)")
        ax.set_title(f"{found.method.upper()} boxes for {found.where}")
    return ax


def box_limits_figure(found: Discovery, *, ax: Any = None) -> Axes:
    """Each restricted input's range (grey) and the box's limits (coloured), on a common 0-1
    scale of the input's range; a choice lists the categories kept."""
    box = found.box
    with style():
        fig, ax = panels(ax, (WIDTH_1 * 1.3, 0.5 + 0.35 * max(len(box), 1)))
        for i, row in enumerate(box.itertuples()):
            ax.barh(i, 1.0, color="0.88", height=0.6)
            if isinstance(row.categories, str) and row.categories:
                text = "{" + row.categories.replace("|", ", ") + "}"
                if row.qp_value == row.qp_value:
                    text += f"  (quasi-p {row.qp_value:.2g})"
                ax.text(0.5, i, text, ha="center", va="center", fontsize=6.5, bbox=LABEL_BOX)
                continue
            span = row.range_upper - row.range_lower or 1.0
            lo, hi = (row.lower - row.range_lower) / span, (row.upper - row.range_lower) / span
            strong = not row.qp_value >= SIGNIFICANT  # NaN (CART) counts as shown
            ax.barh(i, hi - lo, left=lo, color=color(0), height=0.6, alpha=1.0 if strong else 0.4)
            text = f"{row.lower:.3g} - {row.upper:.3g}"
            if row.qp_value == row.qp_value:
                text += f"  (quasi-p {row.qp_value:.2g})"
            ax.text(0.5, i, text, ha="center", va="center", fontsize=6.5, bbox=LABEL_BOX)
        ax.set_yticks(range(len(box)), [label(p, None).split(" (")[0] for p in box.parameter])
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.6, len(box) - 0.1)
        ax.invert_yaxis()
        ax.set_xlabel("share of the input's sampled range (-)")
        row = found.trajectory.loc[found.chosen]
        ax.set_title(
            f"box: coverage {row['coverage']:.2f}, density {row['density']:.2f}; "
            f"pale: quasi-p >= {SIGNIFICANT}"
        )
    return ax


def pair_figure(found: Discovery, *, ax: Any = None) -> Axes:
    """The samples over the two leading restricted inputs (or the RSA's two leading inputs),
    coloured by whether they meet the condition, with the box drawn."""
    names = list(found.box.parameter[:2])
    for name in found.rsa.parameter:
        if len(names) == 2:
            break
        if name not in names:
            names.append(name)
    x = found.inputs
    with style():
        fig, ax = panels(ax, (WIDTH_1 * 1.2, 2.8))
        coords = [_axis(x[n]) for n in names[:2]]
        meets = found.outcome
        for mask, text, c in ((~meets, "does not meet it", "0.7"), (meets, "meets it", color(1))):
            ax.scatter(coords[0][mask], coords[1][mask], s=6, color=c, label=text, alpha=0.8)
        box = found.box.set_index("parameter")
        lo = [_limit(box, n, "lower", x[n]) for n in names[:2]]
        hi = [_limit(box, n, "upper", x[n]) for n in names[:2]]
        if all(v is not None for v in lo + hi):
            ax.add_patch(Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1], fill=False,
                                   lw=1.2, ec=color(0), label="box"))  # fmt: skip
        for axis, name in zip(("x", "y"), names[:2], strict=True):
            _label_axis(ax, axis, name, x[name])
        ax.legend(loc="best", fontsize=6.5)
        ax.set_title(found.where)
    return ax


def _axis(col: pd.Series) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        jitter = np.random.default_rng(0).uniform(-0.25, 0.25, len(col))
        return col.cat.codes.to_numpy(dtype=float) + jitter
    return col.to_numpy(dtype=float)


def _limit(box: pd.DataFrame, name: str, side: str, col: pd.Series) -> float | None:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return None
    if name in box.index:
        return float(box.loc[name, side])
    return float(col.min() if side == "lower" else col.max())


def _label_axis(ax: Axes, axis: str, name: str, col: pd.Series) -> None:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = list(col.cat.categories)
        getattr(ax, f"set_{axis}ticks")(range(len(cats)), cats)
    getattr(ax, f"set_{axis}label")(name.replace("_", " "))
