"""Event-time outputs: the first year a trajectory meets a condition, with censoring.

An event that does not happen within the horizon is *censored*: it is represented as ``+inf``
(never a fake year such as 2061), counted, and reported as "not within the horizon". A failed sample
stays NaN. Probabilities such as ``P(event year <= Y)`` are then well defined for every Y inside the
horizon (a censored row counts as "not by Y"), while means are not (use quantiles).

References
----------
Klein, J. P. & Moeschberger, M. L. (2003). Survival Analysis. Springer (right censoring).
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np
import xarray as xr

#: comparison operators allowed in study files
OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compare(values: np.ndarray, op: str, value: float) -> np.ndarray:
    """``values <op> value`` for one of ``<``, ``<=``, ``>``, ``>=``."""
    try:
        return OPERATORS[op](np.asarray(values, dtype=float), value)
    except KeyError:
        raise ValueError(f"unknown operator {op!r}; expected one of {list(OPERATORS)}") from None


def event_year(
    trajectory: xr.DataArray, op: str, value: float, *, dim: str = "year"
) -> xr.DataArray:
    """First year in which ``trajectory <op> value`` holds.

    Parameters
    ----------
    trajectory : xarray.DataArray
        An output with a ``dim`` (year) coordinate, e.g. coal share (1) or net CO2 (Gt).
    op, value
        The condition, e.g. ``"<", 0.40`` for "coal share falls below 40 %".
    dim : str
        The time dimension.

    Returns
    -------
    xarray.DataArray
        The year (float) per remaining index; ``+inf`` when the condition never holds within the
        horizon (censored); NaN where the trajectory has NaN (failed sample). Attribute
        ``units = "year"``.
    """
    years = np.asarray(trajectory[dim].values, dtype=float)
    met = xr.apply_ufunc(compare, trajectory, op, value)
    first = met.argmax(dim)
    result = xr.where(met.any(dim), xr.DataArray(years, dims="_y").isel(_y=first), np.inf)
    result = result.where(trajectory.notnull().all(dim))
    result.attrs = {
        "units": "year",
        "long_name": f"first {dim} with {trajectory.name} {op} {value}",
    }
    return result.drop_vars([c for c in result.coords if c not in result.dims])


def robust_peak_index(values: np.ndarray, tolerance: float = 0.005) -> np.ndarray:
    """Index (along the last axis) of the robust peak of each trajectory; -1 where none is seen.

    The robust peak is the first year from which the path never again exceeds that year's level
    by more than ``tolerance`` relative to the level's magnitude (``|v|``, so negative net
    emissions work too). When that year is the last one, the path has not peaked within the
    horizon: the index is -1 (censored). This is the one definition used by the model's
    ``peak_year`` output and by the analysis.
    """
    values = np.asarray(values, dtype=float)
    later_max = np.maximum.accumulate(values[..., ::-1], axis=-1)[..., ::-1]
    later_max = np.concatenate([later_max[..., 1:], np.full(values.shape[:-1] + (1,), -np.inf)], -1)
    ok = later_max <= values + tolerance * np.abs(values)
    first = np.argmax(ok, axis=-1)
    return np.where(first == values.shape[-1] - 1, -1, first)


def robust_peak_year(trajectory: xr.DataArray, tolerance: float = 0.005, *, dim: str = "year"):
    """Robust peak year of each trajectory (:func:`robust_peak_index`).

    ``+inf`` when the path has not peaked within the horizon (censored, attribute
    ``censored_at`` = the last year); NaN where the trajectory has NaN (failed sample).
    """
    values = np.asarray(trajectory.transpose(..., dim).values, dtype=float)
    years = np.asarray(trajectory[dim].values, dtype=float)
    index = robust_peak_index(np.nan_to_num(values), tolerance)
    peak = np.where(index < 0, np.inf, years[np.maximum(index, 0)])
    peak = np.where(np.isnan(values).any(axis=-1), np.nan, peak)
    dims = [d for d in trajectory.transpose(..., dim).dims if d != dim]
    coords = {d: trajectory[d] for d in dims if d in trajectory.coords}
    attrs = {"units": "year", "censored_at": float(years[-1])}
    return xr.DataArray(peak, dims=dims, coords=coords, attrs=attrs)


def censored(values: np.ndarray) -> np.ndarray:
    """Boolean mask of censored values (``+inf``: not within the horizon)."""
    return np.isposinf(np.asarray(values, dtype=float))
