"""Seed-study targets on the replication setting (medium growth, sink 2 Gt, history off).

Targets from Wei et al. 2022 (see docs/validation.md). Targets the model does not meet yet are
``xfail(strict=True)``: they document a known deviation (with its evidence in docs/validation.md)
and turn into failures the day the model meets them, so the marker must then be removed.
"""

from __future__ import annotations

import numpy as np
import pytest

from model.build import Settings
from model.load import CHINA_DATA, load_inputs
from model.scenario import solve_inputs

pytestmark = pytest.mark.skipif(
    not (CHINA_DATA / "technologies.csv").exists(), reason="China dataset absent"
)
SEE = "known deviation, see docs/validation.md"


@pytest.fixture(scope="module")
def inputs():
    return load_inputs(CHINA_DATA)


def _solve(inputs, sink_gt: float, growth: str = "medium"):
    return solve_inputs(
        inputs, Settings(scenario=growth, natural_sink=sink_gt * 1000.0, history=False)
    )


@pytest.fixture(scope="module")
def medium(inputs):
    return _solve(inputs, 2.0)


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


@pytest.mark.xfail(strict=True, reason=SEE)
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
def sweep(inputs, medium):
    low, high = _solve(inputs, 0.5), _solve(inputs, 3.5)
    return [low, medium, high], np.array([0.5, 2.0, 3.5])


def test_sink_sweep_cost_and_price_non_increasing(sweep):
    outs, sinks = sweep
    cost = np.array([float(o.cost) for o in outs])
    price = np.array([float(o.co2_price.sel(year=2060)) for o in outs])
    assert np.all(np.diff(cost) <= 1e-6 * abs(cost[0]))
    assert np.all(np.diff(price) <= 1e-6 * max(abs(price[0]), 1.0))


def test_sink_sweep_price_matches_cost_slope(sweep):
    """Envelope theorem: -d cost / d sink lies between the CO2 prices at the two ends (2060 only:
    the sink relaxes only the 2060 neutrality row, so the slope is discounted from 2060)."""
    outs, sinks = sweep
    cost = np.array([float(o.cost) for o in outs])
    price = np.array([float(o.co2_price.sel(year=2060)) for o in outs])
    df_2060 = (1 + 0.06) ** -40
    for i in range(len(outs) - 1):
        slope = -(cost[i + 1] - cost[i]) / ((sinks[i + 1] - sinks[i]) * 1000.0) / df_2060 * 1000
        assert price[i + 1] - 1.0 <= slope <= price[i] + 1.0


def test_sink_sweep_peak_never_earlier(sweep):
    outs, _ = sweep
    peaks = [int(o.peak_year) for o in outs]
    assert peaks == sorted(peaks)
