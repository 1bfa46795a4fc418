"""Robust peak-year definition for emission trajectories.

The robust peak year is the first year from which emissions never again exceed that year's level by
more than a relative tolerance (default 0.5 %). Plateaus and noise below the tolerance therefore do
not move the peak to a later year; a genuine later rise does. We also report the plain maximum year
and the plateau length (years within the tolerance of the maximum). The definition itself is
:func:`uncertainty.analysis.events.robust_peak_index`, shared with the analysis; a path that has
not peaked by its last year is censored: ``year`` is ``+inf``, never a fake year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uncertainty.analysis.events import robust_peak_index


@dataclass(frozen=True)
class Peak:
    """Peak metrics of one trajectory.

    Attributes
    ----------
    year : float
        Robust peak year; ``+inf`` when censored (no peak within the horizon).
    year_max : int
        Year of the plain maximum (first if tied).
    level : float
        Emissions in the robust peak year (in the last year when censored).
    plateau_years : int
        Number of years whose emissions are within the tolerance of the maximum.
    censored : bool
        True when the robust peak is the last year: no peak is seen within the horizon.
    """

    year: float
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
    index = int(robust_peak_index(values, tolerance))
    censored = index < 0
    level_at = len(values) - 1 if censored else index
    imax = int(np.argmax(values))
    plateau = int(np.sum(values >= values[imax] - tolerance * abs(values[imax])))
    return Peak(
        np.inf if censored else float(years[index]),
        int(years[imax]),
        float(values[level_at]),
        plateau,
        censored,
    )


def year_text(value: float) -> str:
    """A peak year for text: ``2027``, or ``none by the horizon`` when censored (``+inf``)."""
    value = float(value)
    if np.isposinf(value):
        return "none by the horizon"
    if not np.isfinite(value):
        return "n/a"
    return str(int(value))


def year_value(value: float) -> int | float:
    """A peak year for a table: the year as int, ``inf`` when censored, NaN when missing."""
    value = float(value)
    return int(value) if np.isfinite(value) else value
