"""The fast path agrees with the reference rebuild and does not depend on sample order."""

import numpy as np
import pytest

from model.build import Settings
from model.errors import InputError
from model.fastpath import ParametricLP, solve_reference
from model.load import EXAMPLE_DATA, load_inputs
from model.solve import SolveError

TARGETS = {
    "sink": "natural_sink",
    "solar": "capex_scale:solar",
    "wind": "capex_scale:wind",
    "coal": "fuel_price_scale:coal",
    "dr": "discount_rate",
    "build": "build_rate_scale",
    "ny": "neutrality_year",
    "storage": "co2_storage_limit",
}


def draw(rng):
    return {
        "sink": rng.uniform(0.0, 0.2),
        "solar": rng.uniform(0.5, 1.5),
        "wind": rng.uniform(0.5, 1.5),
        "coal": rng.uniform(0.7, 1.5),
        "dr": rng.uniform(0.03, 0.1),
        "build": rng.uniform(0.5, 2.0),
        "ny": float(rng.integers(2035, 2041)),
        "storage": rng.uniform(0.0, 0.1),
    }


@pytest.fixture(scope="module")
def inputs():
    return load_inputs(EXAMPLE_DATA)


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(20261128)
    return [draw(rng) for _ in range(20)]


@pytest.fixture(scope="module")
def fast_results(inputs, samples):
    lp = ParametricLP(inputs, Settings(), TARGETS)
    return [lp.solve_sample(p) for p in samples]


def test_fast_path_equals_rebuild(inputs, samples, fast_results):
    # every other sample is rebuilt (0.8 s each); the order and warm-start tests use all 20
    for params, (out, diag) in zip(samples[::2], fast_results[::2], strict=True):
        ref = solve_reference(inputs, Settings(), TARGETS, params)
        assert diag["rebuilt"] == 0
        assert float(out.cost) == pytest.approx(float(ref.cost), rel=1e-7)
        assert float(np.abs(out.co2 - ref.co2).max()) < 1e-3  # GtCO2: within 1 Mt
        assert int(out.peak_year) == int(ref.peak_year)
        np.testing.assert_array_equal(np.isnan(out.co2_price), np.isnan(ref.co2_price))
        np.testing.assert_allclose(
            out.co2_price.fillna(0), ref.co2_price.fillna(0), rtol=1e-6, atol=1e-3
        )


def test_anchor_starts_equal_the_rebuild_whatever_ran_before(inputs, samples):
    """A sample started from an anchor's basis has the rebuild's optimum, and the same outputs
    bit for bit whether its anchor was solved just before or many samples earlier."""
    rng = np.random.default_rng(5)
    anchors = [draw(rng) for _ in range(4)]
    lp = ParametricLP(inputs, Settings(), TARGETS)
    lp.set_anchors(anchors)
    first = [lp.solve_sample(p, i % 4) for i, p in enumerate(samples[:8])]
    other = ParametricLP(inputs, Settings(), TARGETS)
    other.set_anchors(anchors)
    for i in reversed(range(8)):  # other order: anchors solved when other samples ask first
        out, diag = other.solve_sample(samples[i], i % 4)
        assert diag["anchor"] == i % 4
        for name in ("co2", "cost", "co2_price", "capacity"):
            np.testing.assert_array_equal(out[name].values, first[i][0][name].values)
    for params, (out, _) in zip(samples[:8:2], first[::2], strict=True):
        ref = solve_reference(inputs, Settings(), TARGETS, params)
        assert float(out.cost) == pytest.approx(float(ref.cost), rel=1e-7)


def test_a_shared_anchor_basis_gives_the_same_outputs_as_solving_the_anchor(
    inputs, samples, caplog
):
    """An anchor's basis encoded in one process (model.highs_lp.encode_basis) and shared with
    another gives that process's samples the same iterations and outputs, bit for bit, without
    solving the anchor there; a basis of another LP's size, or damaged bytes, is refused with a
    warning and the anchor solved here instead."""
    rng = np.random.default_rng(5)
    anchors = [draw(rng) for _ in range(2)]
    lp = ParametricLP(inputs, Settings(), TARGETS)
    lp.set_anchors(anchors)
    shared = [lp.anchor_start(0), lp.anchor_start(1)]
    assert isinstance(shared[0], bytes) and shared[0] != shared[1]
    first = [lp.solve_sample(p, i % 2) for i, p in enumerate(samples[:4])]
    other = ParametricLP(inputs, Settings(), TARGETS)
    other.set_anchors(anchors)
    other.share_anchor_starts(shared)
    solves = []
    other._solve_from = lambda *a: solves.append(a)  # any anchor solve is recorded, not run
    for i, params in enumerate(samples[:4]):
        out, diag = other.solve_sample(params, i % 2)
        assert diag["iterations"] == first[i][1]["iterations"]
        for name in ("co2", "cost", "co2_price", "capacity"):
            np.testing.assert_array_equal(out[name].values, first[i][0][name].values)
    assert solves == []
    del other._solve_from
    third = ParametricLP(inputs, Settings(), TARGETS)
    third.set_anchors(anchors)
    n_cols, n_rows = (int(v) for v in np.frombuffer(shared[0][:8], dtype="<u4"))
    wrong = np.array([n_cols + 1, n_rows], dtype="<u4").tobytes() + shared[0][8:]
    third.share_anchor_starts([wrong, shared[1][:8] + b"damaged"])
    with caplog.at_level("WARNING", logger="model.highs_lp"):
        for i, params in enumerate(samples[:2]):
            out, diag = third.solve_sample(params, i % 2)
            assert diag["iterations"] == first[i][1]["iterations"]  # solved here, the same
    messages = [r.getMessage() for r in caplog.records if r.name == "model.highs_lp"]
    assert any("columns" in m and "solving the anchor here" in m for m in messages)
    assert any("damaged" in m for m in messages)


def test_a_basis_round_trips_every_status_and_refuses_what_highs_would_repair():
    """encode_basis keeps every HighsBasisStatus code; an alien or invalid basis is not encoded
    (None: each worker solves that anchor itself), and codes beyond HiGHS's are refused."""
    import zlib

    import highspy

    from model.highs_lp import decode_basis, encode_basis

    codes = [highspy.HighsBasisStatus(c) for c in range(5)]
    basis = highspy.HighsBasis()
    basis.col_status = codes * 3
    basis.row_status = codes[::-1] * 2
    basis.valid, basis.alien = True, False
    back = decode_basis(encode_basis(basis), basis)
    assert list(back.col_status) == list(basis.col_status)
    assert list(back.row_status) == list(basis.row_status)
    assert back.valid and not back.alien
    basis.alien = True
    assert encode_basis(basis) is None
    basis.alien, basis.valid = False, False
    assert encode_basis(basis) is None
    basis.valid = True
    bad = encode_basis(basis)[:8] + zlib.compress(bytes([7] * 25))
    assert decode_basis(bad, basis) is None


def test_parent_starts_equal_the_rebuild_whatever_ran_before(inputs, samples):
    """A row started from its design parent's optimum (a Sobol AB row from its A row) has the
    rebuild's optimum and the same outputs bit for bit whether this process solved the parent
    as a sample just before, or never (then the parent is solved first, from its anchor)."""
    rng = np.random.default_rng(11)
    anchors = [draw(rng) for _ in range(3)]
    parent = samples[0]
    children = []
    for name in ("sink", "coal", "dr", "build"):  # one factor changed each, as in AB rows
        child = dict(parent)
        child[name] = samples[1][name]
        children.append(child)
    lp = ParametricLP(inputs, Settings(), TARGETS)
    lp.set_anchors(anchors)
    lp.solve_sample(parent, 2)  # the A row, solved as a sample first
    first = [lp.solve_sample(c, 1, (parent, 2)) for c in children]
    other = ParametricLP(inputs, Settings(), TARGETS)
    other.set_anchors(anchors)
    for unrelated in samples[5:8]:  # other work first: another state of HiGHS
        other.solve_sample(unrelated, 0)
    for i in reversed(range(len(children))):  # the parent never solved as a sample here
        out, diag = other.solve_sample(children[i], 1, (parent, 2))
        assert diag["parent_start"] == 1.0
        for name in ("co2", "cost", "co2_price", "capacity"):
            np.testing.assert_array_equal(out[name].values, first[i][0][name].values)
        assert diag["iterations"] == first[i][1]["iterations"]
    from_anchor = [lp.solve_sample(c, 1)[1]["iterations"] for c in children]
    assert sum(d["iterations"] for _, d in first) < sum(from_anchor)  # a shorter way
    for child, (out, _) in zip(children[:2], first[:2], strict=True):
        ref = solve_reference(inputs, Settings(), TARGETS, child)
        assert float(out.cost) == pytest.approx(float(ref.cost), rel=1e-7)


def _first_solve_raises(lp, monkeypatch, error: BaseException) -> list:
    """Make ``lp``'s next warm solve raise ``error`` and later ones solve; return the calls."""
    solve, calls = lp._warm_solve, []

    def patched(basis):
        calls.append(basis)
        if len(calls) == 1:
            raise error
        return solve(basis)

    monkeypatch.setattr(lp, "_warm_solve", patched)
    return calls


def test_a_parent_without_optimum_leaves_its_child_to_its_anchor(inputs, samples, monkeypatch):
    """No optimum for the parent (HiGHS fails on it, warm and cold; or its parameters cannot be
    applied): the child starts from its own anchor, solves, and says so (``parent_start`` 0)."""
    lp = ParametricLP(inputs, Settings(), TARGETS)
    lp.set_anchors([samples[3]])
    alone, _ = lp.solve_sample(samples[0], 0)
    calls = _first_solve_raises(lp, monkeypatch, SolveError("cold fallback: not optimal"))
    out, diag = lp.solve_sample(samples[0], 0, (samples[1], 0))  # the first: the parent's
    assert len(calls) == 2 and diag["parent_start"] == 0.0
    np.testing.assert_array_equal(out.co2.values, alone.co2.values)
    monkeypatch.undo()
    broken = dict(samples[1], dr="not a rate")  # a parent the model cannot even set up
    out, diag = lp.solve_sample(samples[0], 0, (broken, 0))
    assert diag["parent_start"] == 0.0
    np.testing.assert_array_equal(out.co2.values, alone.co2.values)


def test_order_does_not_matter(inputs, samples, fast_results):
    lp = ParametricLP(inputs, Settings(), TARGETS)
    order = np.random.default_rng(7).permutation(len(samples))
    for sequence in (order, np.arange(len(samples))[::-1]):
        for i in sequence:
            out, _ = lp.solve_sample(samples[i])
            expected = fast_results[i][0]
            for name in ("co2", "primary_energy", "capacity", "cost", "co2_price"):
                np.testing.assert_array_equal(out[name].values, expected[name].values)


def test_singleton_rows_are_held_as_column_bounds_but_not_protected_rows(inputs):
    """co2_storage_limit rows (one nonzero; their bounds move with the co2_storage_limit
    parameter; on the China LP also max_build) are held as bounds of their columns and free as
    rows; rows whose duals are read or whose coefficients move are not (model/highs_lp.py
    SingletonRows; test_fast_path_equals_rebuild: the same optimum)."""
    lp = ParametricLP(inputs, Settings(), TARGETS)
    held = set(lp.singletons.rows.tolist())
    storage = set(lp._rows["co2_storage_limit"][1].tolist())
    assert storage and storage <= held
    assert not held & set(lp._protected_rows().tolist())
    model = lp.highs.getLp()
    rows = lp.singletons.rows
    assert np.isinf(np.asarray(model.row_lower_)[rows]).all()
    assert np.isinf(np.asarray(model.row_upper_)[rows]).all()


def test_warm_start_is_used(fast_results):
    warm = [d["warm"] for _, d in fast_results]
    assert np.mean(warm) > 0.9


def test_bad_targets_are_rejected_with_known_names(inputs):
    with pytest.raises(InputError, match="unknown target 'capex'.*known targets: natural_sink"):
        ParametricLP(inputs, Settings(), {"x": "capex:solar"})
    with pytest.raises(InputError, match="unknown group or technology 'pv'"):
        ParametricLP(inputs, Settings(), {"x": "capex_scale:pv"})
    with pytest.raises(InputError, match="'steel' is not a primary commodity"):
        ParametricLP(inputs, Settings(), {"x": "fuel_price_scale:steel"})


@pytest.fixture(scope="module")
def rich_inputs(tmp_path_factory):
    """The example dataset with every pathway family (tests/model/rich.py)."""
    from tests.model.rich import rich_dataset

    return load_inputs(rich_dataset(tmp_path_factory.mktemp("rich") / "data"))


RICH_TARGETS = {
    **TARGETS,
    "g": "growth",
    "bf": "build_rate_scale:wind",
    "policy": "carbon_policy",
    "budget": "carbon_budget",
    "ets": "ets_price_growth",
    "decline": "activity_decline:emitters",
    "rise": "activity_growth:new",
    "vre": "max_vre_share_scale",
    "ceiling": "new_capacity_scale:wind_solar",
}


def draw_rich(rng):
    return {
        **draw(rng),
        "ny": float(rng.integers(2036, 2041)),
        "g": rng.uniform(0, 2),
        "bf": rng.uniform(0.5, 2),
        "policy": ("none", "budget", "ets")[int(rng.integers(3))],
        "budget": rng.uniform(2.5, 4.0),
        "ets": rng.uniform(0.0, 0.15),
        "decline": rng.uniform(0.03, 0.2),
        "rise": rng.uniform(0.1, 0.5),
        "vre": rng.uniform(0.7, 1.5),
        "ceiling": rng.uniform(0.5, 2.0),
    }


def test_compiled_vectors_equal_the_readable_ones(rich_inputs):
    """The numpy closed form gives the same vectors as apply_parameters + xarray, every target,
    and the fast path the same optimum as a rebuild."""
    from model.build import resolve_settings
    from model.parameters import apply_parameters

    lp = ParametricLP(rich_inputs, Settings(), RICH_TARGETS)
    assert set(lp._coefs) == {
        "max_growth",
        "max_activity_decline",
        "max_activity_growth",
        "vre_share",
    }
    assert "carbon_budget" in lp._rows and "potential_max_new_capacity_wind_solar" in lp._rows
    rng = np.random.default_rng(3)
    policies = set()
    for _ in range(8):
        params = draw_rich(rng)
        policies.add(params["policy"])
        fast = lp.compiled.vectors(lp.compiled.sample(params))
        inputs, settings = apply_parameters(lp.inputs, lp.settings, params, lp.targets)
        slow = lp.vectors(inputs, settings, resolve_settings(inputs, settings))
        np.testing.assert_allclose(fast["c"], slow["c"], rtol=1e-13, atol=0)
        for (r1, lo1, up1), (r2, lo2, up2) in zip(fast["rows"], slow["rows"], strict=True):
            np.testing.assert_array_equal(r1, r2)
            np.testing.assert_allclose(lo1, lo2, rtol=1e-13)
            np.testing.assert_allclose(up1, up2, rtol=1e-13)
        for a, b in zip(fast["coefs"], slow["coefs"], strict=True):
            for x, y in zip(a, b, strict=True):
                np.testing.assert_allclose(x, y, rtol=1e-13)
        try:
            out, _ = lp.solve_sample(params)
        except SolveError:  # then the rebuild must fail too: a failed run is data, not a bug
            with pytest.raises(SolveError):
                solve_reference(rich_inputs, Settings(), RICH_TARGETS, params)
            continue
        ref = solve_reference(rich_inputs, Settings(), RICH_TARGETS, params)
        assert float(out.cost) == pytest.approx(float(ref.cost), rel=1e-7)
        np.testing.assert_array_equal(np.isnan(out.co2_price), np.isnan(ref.co2_price))
        np.testing.assert_allclose(
            out.co2_price.fillna(0), ref.co2_price.fillna(0), rtol=1e-5, atol=1e-2
        )
    assert policies == {"none", "budget", "ets"}


def test_a_childs_search_starts_its_trials_from_its_parents_and_finds_the_rebuilds_answer(
    inputs, samples
):
    """A Sobol AB row's latest-peak trials of the years its A row also tried start from A's
    bases of those trials (dual simplex) instead of the interior point: the same latest peak
    year and delay cost as the rebuild's plain bisection, and the same outputs bit for bit
    whether the parent was solved here as a sample or prepared for the row."""
    rng = np.random.default_rng(3)
    anchors = [draw(rng) for _ in range(2)]
    parent = dict(samples[2])
    lp = ParametricLP(inputs, Settings(latest_peak=True), TARGETS)
    lp.set_anchors(anchors)
    lp.solve_sample(parent, 0)
    other = ParametricLP(inputs, Settings(latest_peak=True), TARGETS)
    other.set_anchors(anchors)
    warm = 0
    for name in ("solar", "coal", "build"):
        child = {**parent, name: samples[3][name]}
        out, diag = lp.solve_sample(child, 1, (parent, 0))
        warm += diag["latest_peak_warm_trials"]
        ref = solve_reference(inputs, Settings(latest_peak=True), TARGETS, child)
        assert float(out.latest_peak_year) == float(ref.latest_peak_year)
        np.testing.assert_allclose(float(out.delay_cost), float(ref.delay_cost), rtol=1e-6)
        again, _ = other.solve_sample(child, 1, (parent, 0))  # parent prepared, not a sample
        for key in ("latest_peak_year", "delay_cost", "latest_peak_solves", "cost"):
            np.testing.assert_array_equal(again[key].values, out[key].values)
    assert warm >= 3  # every child started at least its first trial from the parent's
