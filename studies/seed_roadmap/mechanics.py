"""Mechanics checks of issue 13 on a solved scenario: no terminal cliff, no idle capacity.

``cliff_ratios(out)``: for net and gross CO2, the largest single-year fall over 2055-2060 divided by
the mean annual fall over 2051-2059 (the target year must not be met by a one-year cliff: <= 1.5).
``idle_then_running(out)``: power technologies with >= 5 GW idle in 2059 and running in 2060.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


def cliff_ratio(path: xr.DataArray) -> float:
    """Largest fall over 2055-2060 / mean annual fall over 2051-2059 (inf if no mean fall)."""
    p = path.sel(year=slice(2050, 2060)).values
    falls = -np.diff(p)  # falls[k]: from 2050 + k to 2051 + k
    mean = (p[1] - p[9]) / 8
    return float(falls[4:].max() / mean) if mean > 0 else float("inf")


def idle_then_running(out: xr.Dataset, threshold_gw: float = 5.0) -> list[str]:
    """Power technologies with >= ``threshold_gw`` capacity, no output in 2059, output in 2060."""
    cap, gen = out.capacity.sel(year=2059), out.generation
    idle = (cap >= threshold_gw) & (gen.sel(year=2059) <= 1e-6) & (gen.sel(year=2060) > 1e-3)
    return [str(t) for t in out.tech.values[idle.values]]


def cliff_ratios(out: xr.Dataset) -> dict:
    """The columns policies.csv gets from the checks."""
    return {
        "cliff_ratio_net": cliff_ratio(out.co2_net),
        "cliff_ratio_gross": cliff_ratio(out.co2),
        "idle_2059_running_2060": ";".join(idle_then_running(out)),
    }
