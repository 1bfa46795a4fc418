"""Every figure a store supports, written to ``<dir>/figures/<name>.png|pdf``.

Used by ``netua figures DIR``. Tables are read from ``<dir>/*.csv`` when the analysis has been run,
else computed first (with the given failure policy).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from uncertainty.analysis.design import (
    design_of,
    independent_rows,
    row_roles,
)
from uncertainty.analysis.pipeline import analysable_outputs, run_analysis
from uncertainty.analysis.spec import AnalysisSpec, load_analysis_spec, restrict_outputs
from uncertainty.analysis.summaries import event_times
from uncertainty.analysis.tables import AnalysisSettings
from uncertainty.plot import distributions as fg
from uncertainty.plot.style import save
from uncertainty.store import Status, open_results, status_name

logger = logging.getLogger(__name__)
#: every table a figure reads; all of them are reloaded, so the figures do not depend on whether
#: ``netua analyze`` ran before ``netua figures``
TABLES = ("sobol", "sobol_time", "convergence", "summary", "probabilities", "pawn", "morris")


def load_tables(directory: Path, policy: str | None = None) -> dict[str, pd.DataFrame]:
    """The analysis tables beside the store (running the analysis if ``summary.csv`` is missing).

    Returns the same tables either way: those the analysis writes, read back from their CSV.
    """
    if not (directory / "summary.csv").exists() and not (directory / "morris.csv").exists():
        run_analysis(directory, AnalysisSettings(policy=policy))
    return {
        n: pd.read_csv(directory / f"{n}.csv") for n in TABLES if (directory / f"{n}.csv").exists()
    }


def make_figures(directory: str | Path, *, policy: str | None = None) -> list[Path]:
    """Draw and save every applicable figure; return the written paths.

    ``policy`` is used only when the analysis has not been run yet (None: the study's
    ``[analysis] policy``, else ``refuse``).
    """
    directory = Path(directory)
    ds = open_results(directory)
    tables = load_tables(directory, policy)
    spec = load_analysis_spec(ds)
    ds = restrict_outputs(ds, spec)
    out = directory / "figures"
    design = design_of(ds)
    rows = independent_rows(design) & (np.asarray(ds["status"].values) == Status.OK)
    status = [status_name(s) for s in ds["status"].values]
    paths = save(fg.failure_figure(status, roles=row_roles(design)), out, "failures")
    paths += _trajectory_figures(ds.isel(sample=rows), spec, out)
    paths += _event_figures(ds, spec, rows, out)
    paths += _sobol_figures(tables, out)
    if "sobol" in tables or "pawn" in tables:
        paths += _scatter_figures(ds.isel(sample=rows), tables, out)
    return paths


def _trajectory_figures(ds: xr.Dataset, spec: AnalysisSpec, out: Path) -> list[Path]:
    paths: list[Path] = []
    for name in analysable_outputs(ds):
        if "year" not in ds[name].dims or ds.sizes["sample"] == 0:
            continue
        da = ds[name]
        paths += save(fg.fan_chart(da, milestones=spec.milestones), out, f"fan_{name}")
        rule = next(
            (p for p in spec.probabilities if p.output == name and p.year is not None), None
        )
        fig = fg.milestone_figure(
            da,
            spec.milestones or list(da["year"].values[::10]),
            threshold=None if rule is None else rule.value,
            op=">=" if rule is None else rule.op,
        )
        paths += save(fig, out, f"milestones_{name}")
    return paths


def _event_figures(ds: xr.Dataset, spec: AnalysisSpec, rows: np.ndarray, out: Path) -> list[Path]:
    events = event_times(ds, spec)
    years = ds["year"].values if "year" in ds.coords else None
    paths: list[Path] = []
    for name in events.data_vars:
        values = np.asarray(events[name].values, dtype=float)[rows]
        finite = values[np.isfinite(values)]
        if finite.size == 0 and years is None:
            continue
        horizon = (
            (int(years.min()), int(years.max()))
            if years is not None
            else (int(finite.min()), int(finite.max()))
        )
        mark = next(
            (int(p.value) for p in spec.probabilities if p.output == name and p.op == "<="), 2030
        )
        fig = fg.event_time_figure(values, name=str(name), horizon=horizon, mark=mark)
        paths += save(fig, out, f"event_{name}")
    return paths


def _sobol_figures(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    paths: list[Path] = []
    for name in tables.get("sobol", pd.DataFrame(columns=["output"]))["output"].unique():
        paths += save(fg.sobol_bars(tables["sobol"], name), out, f"sobol_{name}")
        conv = tables.get("convergence")
        if conv is not None and name in set(conv["output"]):
            paths += save(fg.convergence_figure(conv, name), out, f"convergence_{name}")
    timed = tables.get("sobol_time", pd.DataFrame(columns=["output"]))
    for name in timed["output"].unique():
        paths += save(fg.sobol_time_figure(timed, name), out, f"sobol_time_{name}")
    return paths


def _units(ds: xr.Dataset) -> dict[str, str | None]:
    try:
        specs = json.loads(ds.attrs.get("parameters", "[]"))
    except json.JSONDecodeError:
        specs = []
    return {s.get("name"): s.get("unit") for s in specs if isinstance(s, dict)}


def _scatter_figures(ds: xr.Dataset, tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Scatter of each scalar output against its two leading parameters (by ST, else PAWN).

    Sobol indices of a grouped design rank groups, not parameters: PAWN (per parameter) is used.
    """
    names = {str(p) for p in ds["parameter"].values}
    ranking = tables.get("sobol")
    key = "ST"
    if ranking is None or ranking.empty or not set(ranking["parameter"]) <= names:
        ranking, key = tables.get("pawn"), "median"
    if ranking is None or ranking.empty or ds.sizes["parameter"] < 2:
        return []
    units = _units(ds)
    paths: list[Path] = []
    for name, t in ranking.groupby("output"):
        if name not in ds or ds[name].dims != ("sample",):
            continue
        first, second = t.sort_values(key, ascending=False)["parameter"].iloc[:2]
        inputs = ds["inputs"]
        fig = fg.scatter_figure(
            inputs.sel(parameter=first).values,
            ds[name].values,
            inputs.sel(parameter=second).values,
            names=(first, str(name), second),
            units=(units.get(first), ds[name].attrs.get("units"), units.get(second)),
        )
        paths += save(fig, out, f"scatter_{name}")
    return paths
