"""Publication figures of an ensemble: each function takes data and returns a matplotlib Figure.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state, any backend)
in the style of :mod:`uncertainty.plot.style`. Quantiles and probabilities shown are those of
the independent successful rows (see ``docs/analysis.md``).
:func:`uncertainty.plot.report.make_figures` draws every figure a store supports.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from uncertainty.analysis.probability import probability, quantiles
from uncertainty.plot.sensitivity import convergence_figure, sobol_bars, sobol_time_figure
from uncertainty.plot.style import (
    CMAP,
    FAN,
    WIDTH_1,
    color,
    hatch,
    label,
    linestyle,
    panels,
    style,
)

__all__ = [
    "convergence_figure",
    "event_time_figure",
    "failure_figure",
    "fan_chart",
    "milestone_figure",
    "scatter_figure",
    "sobol_bars",
    "sobol_time_figure",
]
STATUS_ORDER = ("ok", "error", "timeout", "crashed", "pending")


def _scenario_lines(scenarios: pd.DataFrame | xr.Dataset | None) -> dict[str, pd.Series]:
    """Named scenario paths (index: year) from a DataFrame (columns) or Dataset (variables)."""
    if scenarios is None:
        return {}
    if isinstance(scenarios, xr.Dataset):
        scenarios = scenarios.to_dataframe()
    return {str(c): scenarios[c].dropna() for c in scenarios.columns}


def fan_chart(
    trajectories: xr.DataArray,
    *,
    milestones: Sequence[int] = (),
    scenarios: pd.DataFrame | xr.Dataset | None = None,
    title: str | None = None,
    ax: Any = None,
) -> Axes:
    """Fan chart of a trajectory output: median, 25-75 % and 5-95 % bands, milestone marks.

    Parameters
    ----------
    trajectories : xarray.DataArray
        (sample, year) values of the independent successful rows; ``units`` attr labels the axis.
    milestones : sequence of int
        Years marked with the median value and its 5-95 % range.
    scenarios : DataFrame or Dataset, optional
        Named deterministic scenarios to overlay (index or dim ``year``; one column or variable
        each).

    Draws on ``ax`` when given (one Axes), else on a new Figure; returns the Axes drawn on.
    """
    years = np.asarray(trajectories["year"].values)
    q = quantiles(np.asarray(trajectories.transpose("sample", "year").values), (5, 25, 50, 75, 95))
    with style():
        fig, ax = panels(ax, (WIDTH_1 * 1.3, 2.6))
        ax.fill_between(years, q[0], q[4], color=FAN["outer"], lw=0, label="5-95 %")
        ax.fill_between(years, q[1], q[3], color=FAN["inner"], lw=0, label="25-75 %")
        ax.plot(years, q[2], color=FAN["median"], lw=1.5, label="median")
        for i, (name, path) in enumerate(_scenario_lines(scenarios).items()):
            ax.plot(path.index, path.values, color="black", ls=linestyle(i + 1), lw=1, label=name)
        _mark_milestones(ax, years, q, milestones)
        ax.set_xlabel("year")
        ax.set_ylabel(label(str(trajectories.name), trajectories.attrs.get("units")))
        ax.set_title(
            title
            or f"{str(trajectories.name).replace('_', ' ')}: {trajectories.sizes['sample']} samples"
        )
        ax.margins(x=0.03)
        ax.legend(loc="best")
    return ax


def _mark_milestones(ax, years: np.ndarray, q: np.ndarray, milestones: Sequence[int]) -> None:
    """Median with its 5-95 % range, and the median's value, at each milestone year (a value
    within round-off of zero, below 1e-9 of the largest plotted magnitude, reads 0)."""
    finite = np.abs(q[np.isfinite(q)])
    scale = float(finite.max()) if finite.size else 0.0
    for year in milestones:
        if year not in years:
            continue
        k = int(np.flatnonzero(years == year)[0])
        yerr = [[q[2, k] - q[0, k]], [q[4, k] - q[2, k]]]
        ax.errorbar(year, q[2, k], yerr=yerr, fmt="o", ms=3, color="black", capsize=2, lw=0.8)
        median = 0.0 if abs(q[2, k]) <= 1e-9 * scale else q[2, k]
        ax.annotate(
            f"{median:.3g}",
            (year, q[4, k]),
            textcoords="offset points",
            xytext=(0, 3),
            ha="center",
            fontsize=6,
        )


def _probability_box(ax, text: str, est: dict, conf_level: float, low_right: bool) -> None:
    """Write ``P(...) = p`` with its Wilson interval in an empty corner of a CDF panel."""
    x, y, ha = (0.98, 0.06, "right") if low_right else (0.02, 0.94, "left")
    ax.text(
        x,
        y,
        f"{text} = {est['p']:.2f}\n"
        f"{conf_level:.0%} Wilson [{est['p_low']:.2f}, {est['p_high']:.2f}], n = {est['n']}",
        transform=ax.transAxes,
        ha=ha,
        va="bottom" if low_right else "top",
        fontsize=7,
        bbox={"facecolor": "white", "edgecolor": "#999999", "lw": 0.5, "pad": 2},
    )


def event_time_figure(
    values: np.ndarray,
    *,
    name: str,
    horizon: tuple[int, int],
    mark: int = 2030,
    conf_level: float = 0.95,
    ax: Any = None,
) -> tuple[Axes, ...]:
    """Distribution of an event year (share per year; censored as "after the horizon") and its CDF
    with ``P(<= mark)`` and its Wilson interval annotated.

    Parameters
    ----------
    values : ndarray
        Event years of the independent successful rows; ``+inf`` = not within the horizon,
        ``-inf`` = before the first year or never possible (e.g. ``latest_peak_year`` when
        neutrality is out of reach), drawn as its own bar left of the years.
    name : str
        Output name (e.g. ``peak_year``).
    horizon : (int, int)
        First and last year of the model horizon.

    Draws on ``ax`` when given (a pair of Axes), else on a new Figure; returns the pair of
    Axes drawn on.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    years, cens_x = _event_window(v, horizon, mark)
    share = np.array([(v == y).sum() for y in years]) / max(v.size, 1)
    cens = float(np.isposinf(v).mean()) if v.size else 0.0
    cdf = np.array([(v <= y).mean() for y in years]) if v.size else np.zeros(years.size)
    est = probability(v, "<=", mark, conf_level)
    text = name.replace("_", " ")
    with style():
        fig, (top, bottom) = panels(
            ax, (WIDTH_1 * 1.3, 3.4), 2, nrows=2, ncols=1, sharex=True, height_ratios=[1, 1.1]
        )
        top.bar(years, share * 100, width=0.8, color=color(0), label="share per year")
        top.bar(
            [cens_x],
            [cens * 100],
            width=0.8,
            color="white",
            edgecolor=color(0),
            hatch="////",
            label=f"not by {horizon[1]} (censored): {cens:.1%}",
        )
        early = float(np.isneginf(v).mean()) if v.size else 0.0  # "-inf": before any year
        if early > 0:
            top.bar(
                [years[0] - 2],
                [early * 100],
                width=0.8,
                color="white",
                edgecolor=color(1),
                hatch="\\\\",
                label=f"unreachable (before {years[0]}): {early:.1%}",
            )
        top.set_ylabel("share of samples (%)")
        top.legend(loc="upper right")
        top.set_ylim(0, max(share.max(initial=0), cens, early) * 100 * 1.55 + 1e-9)
        bottom.step(years, cdf, where="post", color=color(0), lw=1.3, label="empirical CDF")
        bottom.axvline(mark, color=color(1), ls="--", lw=1)
        bottom.plot([mark], [est["p"]], "o", color=color(1), ms=4)
        low_right = cdf[-1] > 0.35 if cdf.size else True  # an increasing CDF leaves it empty
        _probability_box(bottom, f"P({text} <= {mark})", est, conf_level, low_right)
        bottom.set_ylim(0, 1.02)
        bottom.set_ylabel("P(<= year) (-)")
        bottom.set_xlabel("year")
        ticks = [t for t in _year_ticks(years) if t <= cens_x - 3] + [cens_x]
        bottom.set_xticks(ticks, [f"{t:.0f}" for t in ticks[:-1]] + [f">{horizon[1]}"])
        top.set_title(f"{text}: distribution and CDF")
    return (top, bottom)


def _event_window(v: np.ndarray, horizon: tuple[int, int], mark: int) -> tuple[np.ndarray, int]:
    """Years to show (observed range and the mark, within the horizon) and the censored bar's x."""
    finite = v[np.isfinite(v)]
    lo = int(min(finite.min(initial=mark), mark)) - 1
    hi = int(max(finite.max(initial=mark), mark)) + 1
    lo, hi = max(lo, horizon[0]), min(hi, horizon[1])
    return np.arange(lo, hi + 1), hi + 2


def _year_ticks(years: np.ndarray) -> list[int]:
    step = next(s for s in (1, 2, 5, 10, 20) if (years[-1] - years[0]) / s <= 8)
    return [int(y) for y in years if y % step == 0]


def milestone_figure(
    trajectories: xr.DataArray,
    years: Sequence[int],
    *,
    threshold: float | None = None,
    op: str = ">=",
    ax: Any = None,
) -> Axes:
    """Distributions of an output at milestone years (box 25-75 %, whiskers 5-95 %), with an
    optional threshold line and ``P(output <op> threshold)`` written above each box.

    Draws on ``ax`` when given (one Axes), else on a new Figure; returns the Axes drawn on.
    """
    years = [y for y in years if y in trajectories["year"].values]
    data = [np.asarray(trajectories.sel(year=y).values, dtype=float) for y in years]
    data = [d[~np.isnan(d)] for d in data]
    with style():
        fig, ax = panels(ax, (WIDTH_1 * 1.3, 2.6))
        box = ax.boxplot(
            data,
            positions=range(len(years)),
            whis=(5, 95),
            showfliers=False,
            patch_artist=True,
            widths=0.55,
            medianprops={"color": "black", "lw": 1.3},
        )
        for patch in box["boxes"]:
            patch.set(facecolor=FAN["outer"], edgecolor="black", lw=0.7)
        handles = [
            Patch(
                facecolor=FAN["outer"], edgecolor="black", lw=0.7, label="25-75 %, whiskers 5-95 %"
            )
        ]
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        if threshold is not None:
            handles.append(
                ax.axhline(
                    threshold, color=color(1), ls="--", lw=1, label=f"threshold {threshold:g}"
                )
            )
            top = max((np.percentile(d, 95) for d in data if d.size), default=threshold)
            for i, d in enumerate(data):
                p = probability(d, op, threshold)["p"]
                ax.text(
                    i,
                    max(top, threshold),
                    f"P({op}{threshold:g})\n= {p:.2f}",
                    ha="center",
                    va="bottom",
                    fontsize=6,
                )
        ax.legend(handles=handles, loc="lower left")
        ax.set_xlabel("year")
        ax.set_ylabel(label(str(trajectories.name), trajectories.attrs.get("units")))
        ax.set_title(f"{str(trajectories.name).replace('_', ' ')} at milestone years")
        ax.margins(y=0.15)
    return ax


def failure_figure(
    status: Sequence[str], *, roles: Sequence[str] | None = None, ax: Any = None
) -> Axes:
    """Share of samples per status (ok, error, timeout, crashed, pending), counts annotated.

    Draws on ``ax`` when given (one Axes), else on a new Figure; returns the Axes drawn on.
    """
    status = pd.Series(list(status))
    n = len(status)
    counts = status.value_counts().reindex(STATUS_ORDER, fill_value=0)
    with style():
        fig, ax = panels(ax, (WIDTH_1, 2.2))
        y = np.arange(len(counts))[::-1]
        for i, (name, count) in enumerate(counts.items()):
            ax.barh(
                y[i],
                count / n * 100,
                color=color(0) if name == "ok" else "white",
                edgecolor=color(0),
                hatch=hatch(i),
                height=0.6,
            )
            ax.text(
                count / n * 100 + 1,
                y[i],
                f"{count} ({_percent(count / n)})",
                va="center",
                fontsize=7,
            )
        ax.set_yticks(y, list(counts.index))
        ax.set_xlim(0, 118)
        ax.set_xlabel("share of samples (%)")
        failed = n - counts["ok"]
        ax.set_title(f"solve status: {failed} of {n} samples not ok")
    return ax


def _percent(share: float) -> str:
    """Share as percent with enough digits to tell small shares from zero."""
    if share == 0 or share >= 0.01:
        return f"{share:.1%}"
    return f"{share * 100:.2g} %"


def scatter_figure(
    x: np.ndarray,
    y: np.ndarray,
    c: np.ndarray,
    *,
    names: tuple[str, str, str],
    units: tuple[str | None, str | None, str | None],
    ax: Any = None,
) -> Axes:
    """Output against its leading parameter, coloured by the second (grey-safe colour map).

    Draws on ``ax`` when given (one Axes), else on a new Figure; returns the Axes drawn on.
    """
    with style():
        fig, ax = panels(ax, (WIDTH_1 * 1.2, 2.6))
        points = ax.scatter(x, y, c=c, cmap=CMAP, s=6, lw=0, alpha=0.85, rasterized=True)
        bar = fig.colorbar(points, ax=ax, pad=0.02)
        bar.set_label(textwrap.fill(label(names[2], units[2]), 30))  # a long unit fits the height
        ax.set_xlabel(label(names[0], units[0]))
        ax.set_ylabel(label(names[1], units[1]))
        ax.set_title(f"{names[1].replace('_', ' ')} vs its leading parameters, n = {len(y)}")
    return ax
