"""Sensitivity figures: Sobol bars, time-resolved indices, convergence on nested sub-designs.

Each function takes an analysis table (``docs/analysis.md``) and returns a matplotlib Figure in the
style of :mod:`uncertainty.plot.style`; re-exported by :mod:`uncertainty.plot.distributions`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from uncertainty.plot.style import MARKERS, WIDTH_1, WIDTH_2, color, hatch, linestyle, panels, style


def sobol_bars(
    table: pd.DataFrame, output: str, *, max_parameters: int = 15, ax: Any = None
) -> Axes:
    """First-order (solid) and total (hatched) Sobol indices of one output with their intervals.

    Draws on ``ax`` when given (one Axes), else on a new Figure; returns the Axes drawn on.
    """
    t = table[table["output"] == output].sort_values("ST", ascending=False).head(max_parameters)
    x = np.arange(len(t))
    with style():
        fig, ax = panels(ax, (max(WIDTH_1, 0.45 * len(t) + 1.2), 2.5))
        for i, key in enumerate(("S1", "ST")):
            err = [t[key] - t[f"{key}_conf_low"], t[f"{key}_conf_high"] - t[key]]
            ax.bar(
                x + (i - 0.5) * 0.38,
                t[key],
                width=0.38,
                yerr=np.clip(err, 0, None),
                color=color(0) if i == 0 else "white",
                edgecolor=color(0),
                hatch=hatch(i),
                capsize=2,
                error_kw={"lw": 0.8},
                label={"S1": "first order S1", "ST": "total ST"}[key],
            )
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xticks(x, [p.replace("_", " ") for p in t["parameter"]], rotation=30, ha="right")
        ax.set_ylabel("Sobol index (-)")
        n = int(t["n_base"].iloc[0]) if "n_base" in t and len(t) else 0
        ax.set_title(f"{output.replace('_', ' ')}: Sobol indices (N = {n}, 95 % CI)")
        ax.legend(loc="upper right")
    return ax


#: a year whose widest 95 % interval of a total index exceeds this is not resolved by the design
UNRESOLVED_WIDTH = 1.0


def unresolved_years(table: pd.DataFrame) -> list[int]:
    """Years in which some total index has a 95 % interval wider than :data:`UNRESOLVED_WIDTH`.

    Typical of years held near observations: the output varies in a handful of samples only, the
    variance estimate rests on them and the indices are not identified by the design.
    """
    width = (table["ST_conf_high"] - table["ST_conf_low"]).groupby(table["year"]).max()
    return [int(y) for y in width.index[width > UNRESOLVED_WIDTH]]


def sobol_time_figure(
    table: pd.DataFrame, output: str, *, max_parameters: int = 6, ax: Any = None
) -> tuple[Axes, ...]:
    """Time-resolved S1 and ST of a trajectory output, with shaded intervals, for the leading
    parameters (largest total index in any year). Years whose intervals are wider than
    :data:`UNRESOLVED_WIDTH` are left out of the plot and named in its title.

    Draws on ``ax`` when given (a pair of Axes), else on a new Figure; returns the pair of
    Axes drawn on.
    """
    t = table[table["output"] == output]
    skipped = unresolved_years(t)
    t = t[~t["year"].isin(skipped)]
    leading = t.groupby("parameter")["ST"].max().sort_values(ascending=False).index[:max_parameters]
    with style():
        fig, axes = panels(ax, (WIDTH_2, 2.6), 2, nrows=1, ncols=2, sharey=True)
        for ax, key in zip(axes, ("S1", "ST")):
            for i, name in enumerate(leading):
                p = t[t["parameter"] == name].sort_values("year")
                ax.fill_between(
                    p["year"],
                    p[f"{key}_conf_low"],
                    p[f"{key}_conf_high"],
                    color=color(i % 3),
                    alpha=0.15,
                    lw=0,
                )
                ax.plot(
                    p["year"],
                    p[key],
                    color=color(i % 3),
                    ls=linestyle(i),
                    lw=1.2,
                    marker=MARKERS[i % len(MARKERS)],
                    markevery=max(1, len(p) // 6),
                    ms=3,
                    label=name.replace("_", " "),
                )
            ax.set_xlabel("year")
            ax.set_title({"S1": "first order S1", "ST": "total ST"}[key])
        axes[0].set_ylabel("Sobol index (-)")
        axes[1].legend(loc="best", ncols=2)
        title = f"{output.replace('_', ' ')}: time-resolved Sobol indices, 95 % CI"
        if skipped:
            title += f" (not resolved, not drawn: {_years_text(skipped)})"
        fig.suptitle(title, fontsize=9)
    return axes


def _years_text(years: list[int]) -> str:
    """[2021, 2022, 2023, 2030] -> '2021-2023, 2030'."""
    runs, start = [], years[0]
    for prev, year in zip(years, years[1:] + [None]):
        if year is None or year != prev + 1:  # a run ends at prev
            runs.append(str(start) if start == prev else f"{start}-{prev}")
            start = year
    return ", ".join(runs)


def convergence_figure(
    table: pd.DataFrame, output: str, *, max_parameters: int = 6, ax: Any = None
) -> tuple[Axes, ...]:
    """S1 and ST against the base sample size on nested sub-designs, with their intervals.

    Draws on ``ax`` when given (a pair of Axes), else on a new Figure; returns the pair of
    Axes drawn on.
    """
    t = table[table["output"] == output]
    last = t[t["n_base"] == t["n_base"].max()]
    leading = last.sort_values("ST", ascending=False)["parameter"].head(max_parameters)
    with style():
        fig, axes = panels(ax, (WIDTH_2, 2.5), 2, nrows=1, ncols=2, sharey=True)
        for ax, key in zip(axes, ("S1", "ST")):
            for i, name in enumerate(leading):
                p = t[t["parameter"] == name].sort_values("n_base")
                shift = 1 + 0.04 * (i - len(leading) / 2)
                err = np.clip(
                    [p[key] - p[f"{key}_conf_low"], p[f"{key}_conf_high"] - p[key]], 0, None
                )
                ax.errorbar(
                    p["n_base"] * shift,
                    p[key],
                    yerr=err,
                    color=color(i % 3),
                    ls=linestyle(i),
                    marker=MARKERS[i % len(MARKERS)],
                    ms=3,
                    capsize=2,
                    lw=1,
                    label=name.replace("_", " "),
                )
            ax.set_xscale("log", base=2)
            ax.set_xlabel("base sample size N (-)")
            ax.set_title({"S1": "first order S1", "ST": "total ST"}[key])
        axes[0].set_ylabel("Sobol index (-)")
        axes[1].legend(loc="best", ncols=2)
        fig.suptitle(
            f"{output.replace('_', ' ')}: convergence on nested sub-designs, 95 % CI", fontsize=9
        )
    return axes
