"""Analysis of a results store: every table, as pandas frames, CSV files and one xarray tree.

:func:`analyze` reads ``<dir>/store.zarr`` (``docs/store.md``), restores design order, applies the
failure policy and returns the tables; :func:`write_tables` writes them beside the store
(``sobol.csv``, ``sobol_time.csv``, ``summary.csv``, ``probabilities.csv``, ``failures.csv``,
``convergence.csv``, ``morris.csv`` / ``pawn.csv`` where applicable, and ``analysis.zarr`` holding
the same tables as an xarray DataTree). What each table holds: ``docs/analysis.md``.
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from uncertainty.analysis.design import (
    Layout,
    design_of,
    failed_mask,
    failure_table,
    independent_rows,
    output_names,
)
from uncertainty.analysis.indices import is_discrete
from uncertainty.analysis.spec import load_analysis_spec, resolve_policy, restrict_outputs
from uncertainty.analysis.summaries import event_times, probabilities_table, summary_table
from uncertainty.analysis.tables import (
    AnalysisSettings,
    convergence_table,
    morris_table,
    pawn_table,
    sobol_tables,
)
from uncertainty.store import Status, open_results, read_failures

logger = logging.getLogger(__name__)

#: table name -> key columns (the dims of its xarray form)
TABLE_KEYS = {
    "sobol": ["output", "parameter"],
    "sobol_time": ["output", "year", "parameter"],
    "sobol_s2": ["output", "parameter", "parameter_2"],
    "convergence": ["output", "n_base", "parameter"],
    "morris": ["output", "parameter"],
    "pawn": ["output", "parameter"],
}

__all__ = [
    "AnalysisSettings", "analyze", "analyze_store", "as_tree", "run_analysis", "write_tables",
]  # fmt: skip


def analyze(
    directory: str | Path, settings: AnalysisSettings | None = None, **options: Any
) -> dict[str, pd.DataFrame]:
    """Analyse the store in ``directory``; return every table by name (pandas DataFrames).

    Parameters
    ----------
    directory : str or Path
        A results folder (holding ``store.zarr``).
    settings : AnalysisSettings, optional
        Or give its fields as keywords (``policy="drop-blocks", n_resamples=200``).

    Returns
    -------
    dict of str to DataFrame
        ``sobol``, ``sobol_time``, ``sobol_s2``, ``convergence``, ``summary``,
        ``probabilities``, ``pawn``, ``morris``, ``failures`` as the design allows
        (``docs/analysis.md``); :func:`as_tree` turns them into the ``analysis.zarr`` tree.

    Raises
    ------
    StoreNotFoundError, EmptyStoreError, FailedSamplesError, AnalysisError
        All ``ValueError`` subclasses with one clear message.
    """
    return _analyze(directory, settings or AnalysisSettings(**options))[0]


def _analyze(
    directory: str | Path, settings: AnalysisSettings
) -> tuple[dict[str, pd.DataFrame], AnalysisSettings]:
    """The tables of the store in ``directory`` and the settings with the policy resolved."""
    ds = open_results(directory)
    settings = replace(settings, policy=resolve_policy(ds, settings.policy))
    return analyze_store(ds, settings, messages=read_failures(directory)), settings


def analysable_outputs(ds: xr.Dataset) -> list[str]:
    """Outputs with dims ``(sample,)`` or ``(sample, year)``; others are logged and skipped."""
    result = []
    for name in output_names(ds):
        if ds[name].dims in (("sample",), ("sample", "year")):
            result.append(name)
        else:
            logger.warning(
                "output %s has dims %s: not analysed (only scalars and per-year)",
                name,
                ds[name].dims,
            )
    return result


def analyze_store(
    ds: xr.Dataset, settings: AnalysisSettings, *, messages: dict[int, str] | None = None
) -> dict[str, pd.DataFrame]:
    """Every table of a store already in memory (sorted by ``sample``)."""
    ds = ds.sortby("sample")
    settings = replace(settings, policy=resolve_policy(ds, settings.policy))
    design = design_of(ds)
    spec = load_analysis_spec(ds)
    ds = restrict_outputs(ds, spec)
    outputs = analysable_outputs(ds)
    tables = {"failures": failures(ds, design, settings.policy, messages)}
    if design.sampler == "sobol":
        tables.update(sobol_tables(ds, design, outputs, settings))
        tables["convergence"] = convergence_table(ds, design, outputs, settings)
    elif design.sampler == "morris":
        tables["morris"] = morris_table(ds, design, outputs, settings)
    if design.sampler != "morris":
        probs = probabilities_table(ds, design, spec, settings.conf_level)
        tables["summary"] = summary_table(ds, design, spec, outputs, probs)
        tables["probabilities"] = probs.drop(columns="declared")
        tables["pawn"] = pawn_table(ds, design, _pawn_outputs(ds, design, spec, outputs), settings)
    else:
        logger.warning("Morris design: its rows are not independent; no probabilities or quantiles")
    return tables


def _pawn_outputs(
    ds: xr.Dataset, design: Layout, spec, outputs: list[str]
) -> dict[str, np.ndarray]:
    """Discrete outputs and event times (Sobol designs); every scalar output too for LHS/MC."""
    values = {str(k): np.asarray(v.values, dtype=float) for k, v in event_times(ds, spec).items()}
    for name in outputs:
        if ds[name].dims != ("sample",) or name in values:
            continue
        y = np.asarray(ds[name].where(ds["status"] == Status.OK).values, dtype=float)
        if design.sampler != "sobol" or is_discrete(y):
            values[name] = y
    return values


def failures(
    ds: xr.Dataset, design: Layout, policy: str, messages: dict[int, str] | None = None
) -> pd.DataFrame:
    """The failure table with the action taken on each row under ``policy``.

    Columns: ``sample_id, status, output, block, role, message, action``.
    """
    table = failure_table(ds, messages)
    independent = independent_rows(design)
    actions = []
    for sid in table["sample_id"]:
        if design.sampler in ("sobol", "morris"):
            unit = "base block" if design.sampler == "sobol" else "trajectory"
            act = f"{unit} dropped" if policy == "drop-blocks" else "analysis refused"
        else:
            act = ""
        if independent[sid]:
            act += ("; " if act else "") + "excluded from probabilities, quantiles and PAWN"
        actions.append(act)
    n_failed = int(failed_mask(ds).sum())
    if n_failed:
        logger.warning("%d of %d samples failed (policy %s)", n_failed, design.n_samples, policy)
    return table.assign(action=actions)


def write_tables(tables: dict[str, pd.DataFrame], directory: str | Path, attrs: dict) -> list[Path]:
    """Write each non-empty table (and ``failures.csv`` always) as CSV plus ``analysis.zarr``."""
    directory = Path(directory)
    written = []
    for name, frame in tables.items():
        if frame.empty and name not in ("failures", "summary", "probabilities"):
            continue
        path = directory / f"{name}.csv"
        frame.to_csv(path, index=False, float_format="%.6g")
        written.append(path)
    tree = as_tree(tables, attrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr v3: consolidated metadata not in the spec
        tree.to_zarr(directory / "analysis.zarr", mode="w")
    written.append(directory / "analysis.zarr")
    return written


def as_tree(tables: dict[str, pd.DataFrame], attrs: dict | None = None) -> xr.DataTree:
    """The tables as one :class:`xarray.DataTree` (one node per table, keyed by its key
    columns), as written to ``analysis.zarr``."""
    tree = xr.DataTree.from_dict({f"/{k}": _to_xarray(k, v) for k, v in tables.items()})
    tree.attrs.update(
        {k: json.dumps(v) if isinstance(v, dict) else v for k, v in (attrs or {}).items()}
    )
    return tree


def _to_xarray(name: str, frame: pd.DataFrame) -> xr.Dataset:
    keys = TABLE_KEYS.get(name)
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object or str(frame[col].dtype).startswith(("str", "string")):
            frame[col] = frame[col].astype(str)
        elif str(frame[col].dtype) == "Int64":
            frame[col] = frame[col].astype(float)
    if keys and not frame.empty and not frame.duplicated(keys).any():
        return frame.set_index(keys).to_xarray()
    return xr.Dataset.from_dataframe(frame.reset_index(drop=True).rename_axis("row"))


def run_analysis(
    directory: str | Path, settings: AnalysisSettings | None = None
) -> dict[str, pd.DataFrame]:
    """Analyse the store in ``directory`` and write every table beside it (used by the CLI)."""
    tables, settings = _analyze(directory, settings or AnalysisSettings())
    attrs = {
        "policy": settings.policy,
        "seed": settings.seed,
        "n_resamples": settings.n_resamples,
        "conf_level": settings.conf_level,
        "interval": "percentile bootstrap over base blocks (Sobol); Wilson (probabilities)",
    }
    write_tables(tables, directory, attrs)
    return tables
