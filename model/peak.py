"""Robust peak-year definition for emission trajectories.

The robust peak year is the first year from which emissions never again exceed that year's level by
more than a relative tolerance (default 0.5 %). Plateaus and noise below the tolerance therefore do
not move the peak to a later year; a genuine later rise does. We also report the plain maximum year
and the plateau length (years within the tolerance of the maximum).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Peak:
    """Peak metrics of one trajectory.

    Attributes
    ----------
    year : int
        Robust peak year.
    year_max : int
        Year of the plain maximum (first if tied).
    level : float
        Emissions in the robust peak year.
    plateau_years : int
        Number of years whose emissions are within the tolerance of the maximum.
    censored : bool
        True when the robust peak is the last year: no peak is seen within the horizon.
    """

    year: int
    year_max: int
    level: float
    plateau_years: int
    censored: bool


def robust_peak(years, values, tolerance: float = 0.005) -> Peak:
    """Compute the robust peak of ``values`` over ``years``.

    Parameters
    ----------
    years : array-like of int
    values : array-like of float
        Emissions (any unit; a positive level is assumed at the peak).
    tolerance : float
        Relative tolerance (fraction) below which later rises are ignored.

    Returns
    -------
    Peak
    """
    years = np.asarray(years)
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) != len(years) or len(values) == 0:
        raise ValueError("years and values must be 1-D and of equal, non-zero length")
    if not np.all(np.isfinite(values)):
        raise ValueError("emission trajectory contains NaN or inf")
    # later_max[i] = max of values after i (minus infinity for the last year)
    later_max = np.append(np.maximum.accumulate(values[::-1])[::-1][1:], -np.inf)
    ok = later_max <= values + tolerance * np.abs(values)
    index = int(np.argmax(ok))  # the last year is always ok
    imax = int(np.argmax(values))
    plateau = int(np.sum(values >= values[imax] - tolerance * abs(values[imax])))
    return Peak(
        int(years[index]),
        int(years[imax]),
        float(values[index]),
        plateau,
        bool(index == len(values) - 1),
    )
