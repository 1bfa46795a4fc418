"""The fast path on the China LP: same vectors and same optimum as the reference rebuild."""

import numpy as np
import pytest

from model.build import Settings, resolve_settings
from model.fastpath import ParametricLP, solve_reference
from model.load import CHINA_DATA, load_inputs
from model.parameters import apply_parameters

TARGETS = {
    "sink": "natural_sink",
    "solar": "capex_scale:solar",
    "wind": "capex_scale:wind",
    "coal": "fuel_price_scale:raw_coal",
    "growth": "growth",
    "dr": "discount_rate",
    "build": "build_rate_scale",
    "storage": "co2_storage_limit",
    "policy": "carbon_policy",
    "budget": "carbon_budget",
    "ets": "ets_price_growth",
    "decline": "activity_decline:large_emitters",
    "rise": "activity_growth:new_options",
    "vre": "max_vre_share_scale",
    "vre_build": "new_capacity_scale:wind_solar",
    "nuclear": "build_rate_scale:nuclear",
    "e_elec": "demand_elasticity:industry_electric",
    "e_mat": "demand_elasticity:materials",
    "drift": "demand_drift:all",
    "d_freight": "demand_drift:freight",
    "conv": "demand_convergence_year",
}
POLICIES = ("none", "budget", "ets")


def draw(rng):
    return {
        "sink": rng.uniform(0.5, 3.0),
        "solar": rng.uniform(0.5, 1.2),
        "wind": rng.uniform(0.55, 1.2),
        "coal": rng.uniform(0.7, 1.5),
        "growth": rng.uniform(0, 2),
        "dr": rng.uniform(0.03, 0.1),
        "build": rng.uniform(0.6, 1.6),
        "storage": rng.uniform(0.5, 3.0),
        "budget": rng.uniform(207, 368),
        "ets": rng.uniform(0.03, 0.11),
        "decline": rng.uniform(0.03, 0.09),
        "rise": rng.uniform(0.15, 0.4),
        "vre": rng.uniform(0.8, 1.3),
        "vre_build": rng.uniform(0.6, 1.5),
        "nuclear": rng.uniform(0.5, 1.5),
        "e_elec": rng.uniform(0.3, 0.8),
        "e_mat": rng.uniform(-1.1, 0.0),
        "drift": rng.uniform(-0.01, 0.01),
        "d_freight": rng.uniform(-0.01, 0.01),
        "conv": rng.uniform(2030, 2050),
    }


@pytest.fixture(scope="module")
def china():
    inputs = load_inputs(CHINA_DATA)
    return inputs, ParametricLP(inputs, Settings(), TARGETS)


@pytest.mark.slow  # ~1 min; covered by every China study's audit (audit_share = 0.01: ~1 % of
# samples re-solved by a full rebuild, relative cost gap stored as audit_gap; peak_robustness/seed:
# max 2.8e-13) and by the example-data equality test in test_fastpath.py, which stays in the suite
def test_china_fast_path_equals_rebuild(china):
    inputs, lp = china
    rng = np.random.default_rng(11)
    for policy in POLICIES:
        params = {**draw(rng), "policy": policy}
        fast = lp.compiled.vectors(lp.compiled.sample(params))
        i2, s2 = apply_parameters(lp.inputs, lp.settings, params, lp.targets)
        slow = lp.vectors(i2, s2, resolve_settings(i2, s2))
        np.testing.assert_allclose(fast["c"], slow["c"], rtol=1e-13)
        for (r1, lo1, up1), (r2, lo2, up2) in zip(fast["rows"], slow["rows"], strict=True):
            np.testing.assert_array_equal(r1, r2)
            np.testing.assert_allclose(lo1, lo2, rtol=1e-13)
            np.testing.assert_allclose(up1, up2, rtol=1e-13)
        for a, b in zip(fast["coefs"], slow["coefs"], strict=True):
            for x, y in zip(a, b, strict=True):
                np.testing.assert_allclose(x, y, rtol=1e-13)
        out, diag = lp.solve_sample(params)
        ref = solve_reference(inputs, Settings(), TARGETS, params)
        assert diag["rebuilt"] == 0
        assert float(out.cost) == pytest.approx(float(ref.cost), rel=1e-7)
        assert float(np.abs(out.co2 - ref.co2).max()) < 1e-3
        assert int(out.peak_year) == int(ref.peak_year)


def test_a_warm_solve_takes_the_same_path_whatever_highs_ran_before(china):
    """HiGHS keeps simplex state (cost perturbation, edge weights) across runs unless the matrix
    changes; a warm solve must not inherit it, or a sample's iterations (and, on a degenerate
    optimum, its vertex) would depend on what the process solved before it. Two identical warm
    solves in a row take the same path (before the fix: 2,107 then 2,294 iterations)."""
    _, lp = china
    params = {**draw(np.random.default_rng(3)), "policy": "none"}
    lp.solve_sample(params)
    first, _ = lp._warm_solve(lp.ref_basis)
    x = np.asarray(lp.highs.getSolution().col_value)
    second, _ = lp._warm_solve(lp.ref_basis)
    assert second == first
    np.testing.assert_array_equal(np.asarray(lp.highs.getSolution().col_value), x)
