"""Seed-study targets on the replication setting (medium growth, sink 2 Gt, history off).

Targets from Wei et al. 2022 (see docs/validation.md). Targets the model does not meet yet are
``xfail(strict=True)``: they document a known deviation (with its evidence in docs/validation.md)
and turn into failures the day the model meets them, so the marker must then be removed.
"""

from __future__ import annotations

import numpy as np
import pytest

from model.build import Settings
from model.fastpath import ParametricLP

SEE = "known deviation, see docs/validation.md"


@pytest.fixture(scope="module")
def inputs(china_inputs):
    return china_inputs


@pytest.fixture(scope="module")
def medium(china_replication):
    """Medium growth, sink 2 Gt, history off (tests/conftest.py: shared with the calibration)."""
    return china_replication.outputs


@pytest.mark.xfail(strict=True, reason=SEE)
def test_peak_year_in_seed_range(medium):
    assert 2026 <= int(medium.peak_year) <= 2029


def test_peak_co2_in_seed_range(medium):
    assert 11.7 <= float(medium.peak_co2) <= 12.7


@pytest.mark.xfail(strict=True, reason=SEE)
def test_coal_share_2030(medium):
    assert 0.44 <= float(medium.coal_share.sel(year=2030)) <= 0.50


@pytest.mark.xfail(strict=True, reason=SEE)
def test_coal_largest_source_through_2039(medium):
    pe = medium.primary_energy.sel(year=slice(2020, 2039))
    others = pe.sel(fuel=["oil", "gas", "nonfossil"])
    assert bool((pe.sel(fuel="coal") > others.max("fuel")).all())


def test_nonfossil_share_2030(medium):
    assert float(medium.nonfossil_share.sel(year=2030)) > 0.25


@pytest.mark.xfail(strict=True, reason=SEE)
def test_nonfossil_share_2060(medium):
    assert float(medium.nonfossil_share.sel(year=2060)) > 0.80


def test_residual_emitters_2060(medium):
    ranked = medium.co2_by_sector.sel(year=2060).to_series().sort_values(ascending=False)
    assert {"power", "steel", "chemicals", "transport"} <= set(ranked.index[:5])


def test_steel_2060(medium):
    assert 0.27 <= float(medium.co2_by_sector.sel(year=2060, sector="steel")) <= 0.56


@pytest.mark.xfail(strict=True, reason=SEE)
def test_cement_2060(medium):
    assert 0.03 <= float(medium.co2_by_sector.sel(year=2060, sector="cement")) <= 0.16


def test_no_backstop(medium):
    assert float(medium.backstop.sum()) < 1e-6


@pytest.fixture(scope="module")
def sweep(inputs):
    """Sink sweep reported to the horizon end (2070), so every neutrality row's price shows.

    Solved by the fast path (one build, a warm re-solve per sink; it equals the rebuild:
    tests/model/test_fastpath.py and every study's audit)."""
    settings = Settings(scenario="medium", history=False, overrides={"report_end_year": 2070})
    lp = ParametricLP(inputs, settings, {"sink": "natural_sink"})
    sinks = np.array([0.5, 2.0, 3.5])
    return [lp.solve_sample({"sink": s})[0] for s in sinks], sinks


def test_sink_sweep_cost_and_price_non_increasing(sweep):
    outs, sinks = sweep
    cost = np.array([float(o.cost) for o in outs])
    price = np.array([float(o.co2_price.sel(year=2060)) for o in outs])
    assert np.all(np.diff(cost) <= 1e-6 * abs(cost[0]))
    assert np.all(np.diff(price) <= 1e-6 * max(abs(price[0]), 1.0))


def test_sink_sweep_price_matches_cost_slope(sweep):
    """Envelope theorem: the sink relaxes the neutrality rows of 2060-2070 (before 2060 no row uses
    it under carbon_policy none), so -d cost / d sink lies between sum_y df[y] price[y] at the two
    ends of each step (prices undiscounted, CNY/t; cost bnCNY discounted to 2020)."""
    outs, sinks = sweep
    cost = np.array([float(o.cost) for o in outs])
    years = outs[0].year.values
    df = (1 + 0.06) ** -(years - 2020.0)
    value = [float((o.co2_price.fillna(0) * df).sum()) / 1000 for o in outs]  # bn per Mt
    for i in range(len(outs) - 1):
        slope = -(cost[i + 1] - cost[i]) / ((sinks[i + 1] - sinks[i]) * 1000.0)
        assert value[i + 1] * (1 - 1e-6) - 1e-9 <= slope <= value[i] * (1 + 1e-6) + 1e-9


def test_no_terminal_cliff(medium):
    """Issue 13: neither net nor gross CO2 reaches the target by a last-year cliff: the largest
    fall over 2055-2060 is at most 1.5 times the mean annual fall over 2051-2059."""
    for name in ("co2", "co2_net"):
        path = medium[name].sel(year=slice(2050, 2060)).values
        falls = -np.diff(path)  # falls[k] = path[2050+k] - path[2051+k]
        mean = (path[1] - path[9]) / 8
        assert falls[4:].max() <= 1.5 * mean


def test_sink_sweep_moves_the_end_not_the_peak(sweep):
    """Under carbon_policy none the sink enters only the neutrality rows (2060-2070): a larger
    sink allows more gross CO2 in 2060, while the 2020s peak barely moves. The robust peak year
    itself is not monotone in the sink: on the 2025-2028 plateau a 0.02 Gt (0.15 %) difference
    between LP optima flips it by a year (measured with the 2025 demand: 2026, 2025, 2025 for
    sinks 0.5, 2, 3.5 Gt), so the test checks the level and the plain maximum instead."""
    outs, _ = sweep
    end = [float(o.co2.sel(year=2060)) for o in outs]
    assert end[0] + 0.2 < end[1] and end[1] + 0.2 < end[2]  # 1.5 Gt more sink each step
    peak = np.array([float(o.peak_co2) for o in outs])
    assert np.ptp(peak) <= 0.01 * peak.max()
    years = [int(o.peak_year_max) for o in outs]
    assert max(years) - min(years) <= 1
