"""Tiny LPs for the pathway families (issue 13), each optimum worked out by hand.

One commodity (electricity, 100 TWh/yr), coal (fuel 90 CNY/MWh, 0.9 MtCO2/TWh) and a clean option;
see tests/model/tiny.py.
"""

import numpy as np
import pytest

from model.build import Settings
from model.fastpath import ParametricLP
from model.load import load_inputs
from model.scenario import solve_inputs
from model.starts import plane_guess
from tests.model.test_lp_hand_solved import CLEAN, COAL, COAL_FLOW, plant
from tests.model.tiny import power_system

PJ_PER_TWH = 3.6


def _system(folder, *, clean_var, clean_extra=(), coal_extra=(), settings=(), end=2025):
    return power_system(
        folder,
        techs=[COAL, CLEAN],
        flows=COAL_FLOW,
        params=plant("coal_plant", extra=coal_extra)
        + plant("clean", var=clean_var, extra=clean_extra),
        stock=[("coal_plant", 2015, 20), ("clean", 2015, 20)],
        demand=100,
        activity=[("clean", 2020, "fix", 0)],
        settings=[("end_year", end, "year"), *settings],
    )


def test_activity_growth_limit_binds(tmp_path):
    """Clean (50 CNY/MWh) beats coal (90) but may grow by 50 %/yr + 10 TWh from 0 in 2020:
    10, 25, 47.5, 81.25 TWh in 2021-2024, then the whole 100 TWh in 2025."""
    growth = [
        ("clean", "", "max_activity_growth", 0.5, "fraction"),
        ("clean", "", "max_activity_growth_seed", 10, "TWh"),
    ]
    out = solve_inputs(load_inputs(_system(tmp_path, clean_var=50, clean_extra=growth)))
    expected = [0, 10, 25, 47.5, 81.25, 100]
    np.testing.assert_allclose(out.generation.sel(tech="clean"), expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out.co2, [0.9 * (100 - e) / 1000 for e in expected], rtol=1e-9)


def test_carbon_budget_cuts_latest_year_and_prices_at_discount_rate(tmp_path):
    """Coal-only CO2 is 90 Mt/yr, 540 Mt over 2020-2025; the budget 400 Mt plus a 10 Mt/yr sink
    counted every year (460 Mt) forces 80 Mt of cuts. At a 10 % discount rate the cheapest cut is
    the latest: 88.9 TWh clean in 2025 at 60 CNY/MWh / 0.9 t/MWh = 66.67 CNY/t, a price that rises
    at the discount rate (Hotelling): 66.67 / 1.1^5 in 2020."""
    settings = [
        ("discount_rate", 0.1, "fraction"),
        ("natural_sink", 10, "MtCO2"),
        ("carbon_budget", 400, "MtCO2"),
        ("carbon_budget_start", 2020, "year"),
        ("carbon_budget_end", 2025, "year"),
    ]
    inputs = load_inputs(_system(tmp_path, clean_var=150, settings=settings))
    out = solve_inputs(inputs, Settings(carbon_policy="budget"))
    clean = out.generation.sel(tech="clean")
    np.testing.assert_allclose(clean.sel(year=slice(2020, 2024)), 0, atol=1e-7)
    assert float(clean.sel(year=2025)) == pytest.approx(80 / 0.9, rel=1e-9)
    price = out.co2_price.values
    np.testing.assert_allclose(price, 60 / 0.9 * 1.1 ** (np.arange(2020, 2026) - 2025), rtol=1e-6)
    assert float(out.co2_net_cumulative) == pytest.approx(0.400, rel=1e-9)
    # without the policy, coal runs throughout and no price exists
    free = solve_inputs(inputs, Settings(carbon_policy="none"))
    np.testing.assert_allclose(free.generation.sel(tech="clean"), 0, atol=1e-9)
    assert bool(free.co2_price.isnull().all())


def test_ets_price_switches_covered_coal(tmp_path):
    """ETS price 50 CNY/t in 2021 (coal 90 + 45 < clean 150: coal runs), 100 in 2022 growing
    10 %/yr (coal 90 + 90 > 150: clean runs); co2_price is that price."""
    settings = [
        ("ets_price", 0, "CNY2020/tCO2", 2020),
        ("ets_price", 100, "CNY2020/tCO2", 2022),
        ("ets_price_base_year", 2022, "year"),
        ("ets_price_growth", 0.1, "fraction"),
    ]
    cover = [("coal_plant", "", "ets_coverage", 1, "fraction")]
    folder = power_system(
        tmp_path,
        techs=[COAL, CLEAN],
        flows=COAL_FLOW,
        params=plant("coal_plant", extra=cover) + plant("clean", var=150),
        stock=[("coal_plant", 2015, 20), ("clean", 2015, 20)],
        demand=100,
        settings=settings,
    )
    out = solve_inputs(load_inputs(folder), Settings(carbon_policy="ets"))
    np.testing.assert_allclose(
        out.generation.sel(tech="coal_plant"), [100, 100, 0, 0, 0, 0], atol=1e-7
    )
    expected = [np.nan, 50, 100, 110, 121, 133.1]
    np.testing.assert_allclose(out.co2_price, expected, rtol=1e-9)


def _peak_system(folder, *, seed_twh, sink=0.0):
    """Clean (50 CNY/MWh) may add ``seed_twh`` a year (no growth share); coal may fall by at most
    20 % + 20 TWh a year; neutrality in 2030."""
    growth = [
        ("clean", "", "max_activity_growth", 0, "fraction"),
        ("clean", "", "max_activity_growth_seed", seed_twh, "TWh"),
    ]
    decline = [
        ("coal_plant", "", "max_activity_decline", 0.2, "fraction"),
        ("coal_plant", "", "max_activity_decline_seed", 20, "TWh"),
    ]
    settings = [
        ("neutrality_year", 2030, "year"),
        ("natural_sink", sink, "MtCO2"),
        ("latest_peak_from", 2020, "year"),
    ]
    return _system(
        folder,
        clean_var=50,
        clean_extra=growth,
        coal_extra=decline,
        settings=settings,
        end=2030,
    )


def test_latest_peak_bisection(tmp_path):
    """CO2 held non-decreasing through P keeps coal at 100 TWh through P. Clean (50 CNY/MWh) may
    add 20 TWh a year and may not be ramped in advance by running it unused (no surplus beyond the
    least-cost path's own, which is none), so it replaces coal from P + 1 to P + 5: neutrality in
    2030 (sink 0) needs P <= 2025. (With free disposal clean would be pre-ramped and coal's decline
    limit, 20 % + 20 TWh a year, would allow P = 2026: the surplus cap is what this tests too.)

    Least cost ramps clean from 2021: coal 80, 60, 40, 20, 0, cost (300 x 90 + 800 x 50) / 1000
    = 67.0 bnCNY. At P = 2025 coal runs 100 TWh through 2025 and 80, 60, 40, 20, 0 after:
    (800 x 90 + 300 x 50) / 1000 = 87.0 bnCNY: delay cost 20.0 bnCNY (no discounting).
    """
    inputs = load_inputs(_peak_system(tmp_path, seed_twh=20))
    out = solve_inputs(inputs, Settings(latest_peak=True))
    assert float(out.latest_peak_year) == 2025
    assert float(out.latest_peak_status) == 0
    assert float(out.delay_cost) == pytest.approx(20.0, rel=1e-7)
    assert float(out.backstop.sum()) == pytest.approx(0, abs=1e-9)
    # the fast path finds the same, per sample, and censors both ways
    lp = ParametricLP(inputs, Settings(latest_peak=True), {"sink": "natural_sink"})
    fast, _ = lp.solve_sample({"sink": 0.0})
    assert float(fast.latest_peak_year) == 2025
    assert float(fast.delay_cost) == pytest.approx(20.0, rel=1e-7)
    rising, _ = lp.solve_sample({"sink": 0.1})  # 100 Mt sink: coal may stay: never needs to peak
    assert np.isposinf(float(rising.latest_peak_year))
    assert float(rising.latest_peak_status) == 1
    again, _ = lp.solve_sample({"sink": 0.0})  # the search leaves no trace on the next sample
    assert float(again.latest_peak_year) == 2025
    assert float(again.cost) == pytest.approx(float(fast.cost), rel=1e-12)


@pytest.mark.parametrize(
    ("seed_twh", "sink", "expected"), [(20, 0.0, 2025.0), (20, 0.1, np.inf), (5, 0.0, -np.inf)]
)
def test_latest_peak_search_from_any_guess_finds_the_bisections_answer(
    tmp_path, seed_twh, sink, expected
):
    """The search outward from a guess (a Sobol row's parent's latest peak) ends where the
    bisection does, for guesses before, at and after the answer, outside the searched years
    and censored either way; a right guess costs 2 trials (answer, answer + 1; 1 censored)."""
    inputs = load_inputs(_peak_system(tmp_path, seed_twh=seed_twh))
    lp = ParametricLP(inputs, Settings(latest_peak=True), {"sink": "natural_sink"})
    plain, _ = lp.solve_sample({"sink": sink})
    assert float(plain.latest_peak_year) == expected
    search = lp.latest_peak
    for guess in (*range(2017, 2034), np.inf, -np.inf, np.nan):
        lp.apply_vectors(lp.compiled.vectors(lp.compiled.sample({"sink": sink})))
        lp._warm_solve(lp.ref_basis)
        found = search.run(lp.highs, float(plain.cost), guess)
        assert found.year == expected, guess
        assert found.status == float(plain.latest_peak_status)
        np.testing.assert_equal(found.delay_cost, float(plain.delay_cost))
        if guess == expected:  # censored: the end year alone settles it
            assert found.n_solves == (2 if np.isfinite(expected) else 1)
        if np.isfinite(expected) and guess in (expected + 1, expected + 2):
            assert found.n_solves == guess - expected + 1  # steps 1, 1, 2, ...: 2 and 3 trials
    # through the engine's path: a child guessing from its parent's answer
    child, diag = lp.solve_sample({"sink": sink}, None, ({"sink": sink}, None))
    assert diag["parent_start"] == 1.0
    assert float(child.latest_peak_year) == expected
    assert float(child.latest_peak_solves) == (2 if np.isfinite(expected) else 1)
    assert float(child.latest_peak_solves) < float(plain.latest_peak_solves)


def test_latest_peak_guessed_from_the_anchor_is_the_same_answer(tmp_path):
    """A sample's search starts from its anchor's latest peak: the same year, status and delay
    cost as without the guess for anchors at, before and after it; 2 trials from the right one."""
    inputs = load_inputs(_peak_system(tmp_path, seed_twh=20))
    anchors = [{"sink": 0.0}, {"sink": 0.1}, {"sink": 0.03}]
    guided = ParametricLP(inputs, Settings(latest_peak=True), {"sink": "natural_sink"})
    plain = ParametricLP(
        inputs, Settings(latest_peak=True), {"sink": "natural_sink"}, peak_guess=False
    )
    for lp in (guided, plain):
        lp.set_anchors(anchors)
    assert guided.anchor_peak(0) == 2025 and np.isposinf(guided.anchor_peak(1))
    assert plain.anchor_peak(0) is None
    for sink in (0.0, 0.02, 0.1):
        for anchor in range(len(anchors)):
            a, _ = guided.solve_sample({"sink": sink}, anchor)
            b, _ = plain.solve_sample({"sink": sink}, anchor)
            for name in ("latest_peak_year", "latest_peak_status", "delay_cost", "cost"):
                np.testing.assert_equal(float(a[name]), float(b[name]))
            if sink == 0.0 and anchor == 0:
                assert float(a.latest_peak_solves) == 2 < float(b.latest_peak_solves)


def test_latest_peak_guessed_from_the_anchors_plane_is_the_same_answer(tmp_path):
    """``latest_peak_guess = "fit"``: a sample without a one-factor parent guesses the plane
    through the first anchors' latest peaks (model.starts.plane_guess), not its anchor's answer; the
    year, status and delay cost are those of the plain bisection; a parent's one-factor child
    still guesses the parent's answer (2 trials)."""
    inputs = load_inputs(_peak_system(tmp_path, seed_twh=20))
    anchors = [{"sink": 0.0}, {"sink": 0.1}, {"sink": 0.01}, {"sink": 0.005}]
    targets = {"sink": "natural_sink"}
    fit = ParametricLP(inputs, Settings(latest_peak=True), targets, peak_guess="fit")
    plain = ParametricLP(inputs, Settings(latest_peak=True), targets, peak_guess=False)
    for lp in (fit, plain):
        lp.set_anchors(anchors)
    answers = [fit.anchor_peak(k) for k in range(len(anchors))]
    search = fit.latest_peak
    plane = plane_guess(anchors, answers, search.start - 1, search.years[-1] + 1)
    guesses = set()
    for sink in (0.0, 0.002, 0.02, 0.1):
        guesses.add(fit.first_guess({"sink": sink}, 0))
        assert fit.first_guess({"sink": sink}, 0) == plane({"sink": sink})
        a, _ = fit.solve_sample({"sink": sink}, 0)
        b, _ = plain.solve_sample({"sink": sink}, 0)
        for name in ("latest_peak_year", "latest_peak_status", "delay_cost", "cost"):
            np.testing.assert_equal(float(a[name]), float(b[name]))
    assert len(guesses) > 1 and guesses != {answers[0]}  # not the anchor's answer
    child, diag = fit.solve_sample({"sink": 0.0}, 1, ({"sink": 0.0}, 1))
    assert diag["parent_start"] == 1.0 and float(child.latest_peak_solves) == 2
    with pytest.raises(ValueError, match="latest_peak_guess"):
        ParametricLP(inputs, Settings(latest_peak=True), targets, peak_guess="plane")
    with pytest.raises(ValueError, match="latest_peak_guess"):
        ParametricLP(inputs, Settings(latest_peak=True), targets, peak_guess=0)


def test_latest_peak_unreachable(tmp_path):
    """With 5 TWh/yr clean reaches only 50 TWh by 2030: neutrality is out of reach without the
    backstop whatever the peak: -inf, status 2, no delay cost."""
    out = solve_inputs(load_inputs(_peak_system(tmp_path, seed_twh=5)), Settings(latest_peak=True))
    assert np.isneginf(float(out.latest_peak_year))
    assert float(out.latest_peak_status) == 2
    assert np.isnan(float(out.delay_cost))


def _pricey_system(folder, penalty=None):
    """:func:`_peak_system` (20 TWh/yr clean, sink 0) plus "pricey": 100,000 CNY/MWh (~111,000
    CNY/tCO2 avoided against coal), no growth limit, idle in 2020 (coal pinned at 100 TWh)."""
    pricey = ("pricey", "power", "electricity")
    growth = [
        ("clean", "", "max_activity_growth", 0, "fraction"),
        ("clean", "", "max_activity_growth_seed", 20, "TWh"),
    ]
    decline = [
        ("coal_plant", "", "max_activity_decline", 0.2, "fraction"),
        ("coal_plant", "", "max_activity_decline_seed", 20, "TWh"),
    ]
    settings = [
        ("end_year", 2030, "year"),
        ("neutrality_year", 2030, "year"),
        ("latest_peak_from", 2020, "year"),
    ]
    if penalty is not None:
        settings.append(("latest_peak_penalty", penalty, "1"))
    return power_system(
        folder,
        techs=[COAL, CLEAN, pricey],
        flows=COAL_FLOW,
        params=plant("coal_plant", extra=decline)
        + plant("clean", var=50, extra=growth)
        + plant("pricey", var=100_000),
        stock=[("coal_plant", 2015, 20), ("clean", 2015, 20), ("pricey", 2015, 20)],
        demand=100,
        activity=[("clean", 2020, "fix", 0), ("coal_plant", 2020, "fix", 100)],
        settings=settings,
    )


@pytest.mark.parametrize(("penalty", "expected"), [(None, 2025.0), (100, 2025.0), (1e4, 2026.0)])
def test_latest_peak_counts_a_pathway_only_below_the_penalty_price(tmp_path, penalty, expected):
    """With "pricey", P = 2026 becomes feasible: coal held at 100 TWh through 2026 may fall by at
    most 20 % + 20 TWh a year (<= 95.3, 56.25, 25, 0 TWh in 2027-2030 to be 0 in 2030), clean may
    add 20 TWh a year from 2027 (20, 40, 60, 80), so pricey must supply 3.75, 15 and 20 TWh in
    2028-2030; P = 2027 is infeasible (coal >= 100 in 2027 cannot reach 0 by 2030). A trial counts
    as reached only when its least-cost pathway avoids the backstop priced at latest_peak_penalty
    x backstop_cost (1,000 CNY/t here): at 100 (the schema's default) the backstop (100,000 CNY/t,
    and one tonne of it spares more than a tonne of pricey through coal's decline chain) beats
    pricey and the answer stays 2025; at 10,000 (10 MCNY/t) pricey wins: 2026, the frontier."""
    folder = _pricey_system(tmp_path, penalty)
    out = solve_inputs(load_inputs(folder), Settings(latest_peak=True))
    assert float(out.latest_peak_year) == expected
    assert float(out.latest_peak_status) == 0
    lp = ParametricLP(load_inputs(folder), Settings(latest_peak=True), {"sink": "natural_sink"})
    fast, _ = lp.solve_sample({"sink": 0.0})
    assert float(fast.latest_peak_year) == expected
    if expected == 2026:  # the delay cost pays pricey: >= 38.75 TWh x 100,000 CNY/MWh
        assert float(fast.delay_cost) >= 38.75 * 100_000 * 1e6 / 1e9
