"""Sensitivity tables from a store: Sobol (scalar, time-resolved, second order), convergence,
Morris, PAWN - each keyed by sample id, in design order, with the failure policy applied and stated.

See :mod:`uncertainty.analysis.indices` for the estimators and
:mod:`uncertainty.analysis.design` for the policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from uncertainty.analysis.design import (
    FailedSamplesError,
    Layout,
    block_of,
    censored_at,
    failed_mask,
    independent_rows,
    keep_blocks,
    nested_sizes,
    rows_of_blocks,
    subdesign,
)
from uncertainty.analysis.indices import morris_indices, pawn_indices, sobol_indices
from uncertainty.errors import AnalysisError

INDEX_COLUMNS = ["S1", "S1_conf_low", "S1_conf_high", "S1_conf"]
INDEX_COLUMNS += ["ST", "ST_conf_low", "ST_conf_high", "ST_conf"]


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of one analysis.

    Attributes
    ----------
    policy : {'refuse', 'drop-blocks'} or None
        Failure policy for Sobol and Morris (see :mod:`uncertainty.analysis.design`); None: the
        study's ``[analysis] policy``, else ``refuse``
        (:func:`uncertainty.analysis.spec.resolve_policy`).
    seed : int
        Seed of every bootstrap (``numpy.random.default_rng``; 0 is a seed like any other).
    n_resamples : int
        Bootstrap resamples of the Sobol and Morris intervals.
    conf_level : float
        Level of every interval.
    n_slices : int
        Conditioning slices per parameter for PAWN.
    n_resamples_pawn : int
        Bootstrap resamples of the PAWN intervals.
    """

    policy: str | None = None
    seed: int = 0
    n_resamples: int = 1000
    conf_level: float = 0.95
    n_slices: int = 10
    n_resamples_pawn: int = 200


def sobol_rows(ds: xr.Dataset, design: Layout, output: str, policy: str) -> tuple[np.ndarray, int]:
    """Rows (design order) of the base blocks kept for ``output``, and the number dropped.

    A failed sample (status) is reported as failing every output, before any single output.
    """
    status_bad = failed_mask(ds)
    if policy == "refuse" and status_bad.any():
        raise FailedSamplesError("*", np.flatnonzero(status_bad).tolist())
    kept = keep_blocks(design, failed_mask(ds, output), output, policy)
    n_blocks = design.n_samples // design.block_size
    if kept.size == 0:
        unit = "trajectory" if design.sampler == "morris" else "base block"
        raise AnalysisError(
            f"output {output!r}: every {unit} has a failed sample, so drop-blocks leaves nothing "
            "to analyse; fix the failures (failures.jsonl) or leave the output out with the "
            "study's [analysis] outputs = [...]"
        )
    return rows_of_blocks(design, kept), n_blocks - kept.size


def _values(ds: xr.Dataset, output: str, rows: np.ndarray) -> np.ndarray:
    """Values of ``rows`` for the variance-based methods (Sobol, Morris).

    A censored event time (``+inf``, "not by ``censored_at``") enters as ``censored_at``: the
    indices are those of ``min(T, horizon)``, the censored variable, and ``n_censored`` says how
    many rows that concerns. Probabilities and PAWN keep ``+inf`` and are exact.
    """
    da = ds[output].transpose("sample", ...)
    values = np.asarray(da.values, dtype=float)[rows]
    horizon = censored_at(ds, output)
    return values if horizon is None else np.where(np.isposinf(values), horizon, values)


def _n_censored(ds: xr.Dataset, output: str, rows: np.ndarray) -> int:
    if censored_at(ds, output) is None:
        return 0
    return int(np.isposinf(np.asarray(ds[output].values, dtype=float)[rows]).sum())


def _index_frame(res: dict, names: list[str], extra: dict) -> pd.DataFrame:
    frame = pd.DataFrame({"parameter": names})
    for key in ("S1", "ST"):
        frame[key] = res[key]
        frame[f"{key}_conf_low"] = res[f"{key}_low"]
        frame[f"{key}_conf_high"] = res[f"{key}_high"]
        frame[f"{key}_conf"] = res[f"{key}_conf"]
    for k, v in extra.items():
        frame.insert(0, k, v)
    return frame


def sobol_tables(
    ds: xr.Dataset, design: Layout, outputs: list[str], settings: AnalysisSettings
) -> dict[str, pd.DataFrame]:
    """``sobol`` (scalar outputs), ``sobol_time`` (per year) and ``sobol_s2`` tables.

    Scalar outputs have only the ``sample`` dim; trajectories ``(sample, year)``. Columns:
    ``output, [year,] parameter, S1, S1_conf_low, S1_conf_high, S1_conf, ST, ..., ST_conf,
    n_base, n_blocks_dropped``.
    """
    names = list(design.factors)
    scalar, timed, second = [], [], []
    for out in outputs:
        rows, dropped = sobol_rows(ds, design, out, settings.policy)
        res = _sobol(_values(ds, out, rows), design, settings)
        info = {"n_blocks_dropped": dropped, "n_base": int(res["n_base"])}
        info["n_censored"] = _n_censored(ds, out, rows)
        if ds[out].dims == ("sample",):
            scalar.append(_index_frame(res, names, {"output": out}).assign(**info))
            if design.second_order:
                second.append(_s2_frame(res, names, out))
        else:
            for i, year in enumerate(ds[out]["year"].values):
                one = {k: v[..., i] for k, v in res.items() if k.startswith(("S1", "ST"))}
                frame = _index_frame(one, names, {"year": int(year)})
                timed.append(frame.assign(output=out, **info))
    columns = ["output", "parameter", *INDEX_COLUMNS, "n_base", "n_blocks_dropped", "n_censored"]
    time_columns = columns[:1] + ["year"] + columns[1:]
    return {
        "sobol": _concat(scalar, columns),
        "sobol_time": _concat(timed, time_columns),
        "sobol_s2": _concat(second, ["output", "parameter", "parameter_2", "S2"]),
    }


def _sobol(y: np.ndarray, design: Layout, settings: AnalysisSettings) -> dict:
    return sobol_indices(
        y,
        design.n_parameters,
        second_order=design.second_order,
        n_resamples=settings.n_resamples,
        conf_level=settings.conf_level,
        seed=settings.seed,
    )


def _s2_frame(res: dict, names: list[str], output: str) -> pd.DataFrame:
    rows = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            rows.append(
                {
                    "output": output,
                    "parameter": names[i],
                    "parameter_2": names[j],
                    "S2": res["S2"][i, j],
                    "S2_conf_low": res["S2_low"][i, j],
                    "S2_conf_high": res["S2_high"][i, j],
                    "S2_conf": res["S2_conf"][i, j],
                }
            )
    return pd.DataFrame(rows)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(frames, ignore_index=True)
    return frame[[c for c in columns if c in frame] + [c for c in frame if c not in columns]]


def convergence_table(
    ds: xr.Dataset, design: Layout, outputs: list[str], settings: AnalysisSettings
) -> pd.DataFrame:
    """Sobol indices of scalar outputs on the nested sub-designs (first n base blocks, n = 2^k).

    With ``drop-blocks`` the failed blocks inside each sub-design are dropped. Columns:
    ``output, n_base, parameter, S1, ..., ST_conf, n_blocks_dropped``.
    """
    names = list(design.factors)
    frames = []
    for out in (o for o in outputs if ds[o].dims == ("sample",)):
        rows, dropped = sobol_rows(ds, design, out, settings.policy)
        kept_blocks = np.unique(block_of(design)[rows])
        for n in nested_sizes(design):
            blocks = kept_blocks[kept_blocks < n]
            if blocks.size < 4:
                continue
            y = _values(ds, out, rows_of_blocks(design, blocks))
            res = _sobol(y, subdesign(design, blocks.size), settings)
            extra = {"n_blocks_dropped": n - blocks.size, "n_base": n, "output": out}
            frames.append(_index_frame(res, names, extra))
    columns = ["output", "n_base", "parameter", *INDEX_COLUMNS, "n_blocks_dropped"]
    return _concat(frames, columns)


def morris_table(
    ds: xr.Dataset, design: Layout, outputs: list[str], settings: AnalysisSettings
) -> pd.DataFrame:
    """Morris mu, mu*, sigma and mu* half-width for every scalar output (whole trajectories).

    Columns: ``output, parameter, mu, mu_star, sigma, mu_star_conf, n_trajectories,
    n_trajectories_dropped``.
    """
    problem = _problem(ds)
    frames = []
    for out in (o for o in outputs if ds[o].dims == ("sample",)):
        rows, dropped = sobol_rows(ds, design, out, settings.policy)
        x = np.asarray(ds["inputs"].transpose("sample", "parameter").values)[rows]
        res = morris_indices(
            problem,
            x,
            _values(ds, out, rows),
            num_levels=int(ds.attrs.get("num_levels", 4)),
            n_resamples=settings.n_resamples,
            conf_level=settings.conf_level,
            seed=settings.seed,
        )
        frame = pd.DataFrame({"output": out, "parameter": list(design.factors), **res})
        frames.append(
            frame.assign(n_trajectories=len(rows) // design.block_size, n_dropped=dropped)
        )
    return _concat(frames, ["output", "parameter"])


def _problem(ds: xr.Dataset) -> dict:
    problem = json.loads(ds.attrs.get("problem", "{}"))
    names = [str(p) for p in ds["parameter"].values]
    problem.setdefault("names", names)
    problem.setdefault("num_vars", len(names))
    problem.setdefault("bounds", [[0.0, 1.0]] * len(names))
    if not problem.get("groups"):
        problem.pop("groups", None)
    return problem


def pawn_table(
    ds: xr.Dataset,
    design: Layout,
    values: dict[str, np.ndarray],
    settings: AnalysisSettings,
) -> pd.DataFrame:
    """PAWN indices of the given outputs (name to values over all rows; +inf = censored).

    Uses the independent rows whose value is not NaN (failed rows excluded, conditioning stated).
    Columns: ``output, parameter, median, median_conf_low, median_conf_high, mean, max, min,
    ks_critical, n, n_excluded, n_censored``.
    """
    names = [str(p) for p in ds["parameter"].values]
    x_all = np.asarray(ds["inputs"].transpose("sample", "parameter").values, dtype=float)
    frames = []
    for out, y in values.items():
        use = independent_rows(design) & ~np.isnan(y)
        if use.sum() < 2 * settings.n_slices:
            continue
        res = pawn_indices(
            x_all[use],
            y[use],
            n_slices=settings.n_slices,
            n_resamples=settings.n_resamples_pawn,
            conf_level=settings.conf_level,
            seed=settings.seed,
        )
        res["median_conf_low"] = res.pop("median_low")
        res["median_conf_high"] = res.pop("median_high")
        frame = pd.DataFrame({"output": out, "parameter": names, **res})
        n_excluded = int((independent_rows(design) & np.isnan(y)).sum())
        frames.append(
            frame.assign(
                n=int(use.sum()), n_excluded=n_excluded, n_censored=int(np.isposinf(y[use]).sum())
            )
        )
    columns = ["output", "parameter", "median", "median_conf_low", "median_conf_high"]
    return _concat(frames, columns)
