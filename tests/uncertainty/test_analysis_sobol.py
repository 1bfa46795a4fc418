"""Sobol indices from stores: analytic values, SALib agreement, interval coverage, design order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import sobol as salib_sobol
from SALib.sample import sobol as salib_sample

from uncertainty.analysis.indices import sobol_indices
from uncertainty.analysis.pipeline import analyze
from uncertainty.analysis.tables import AnalysisSettings
from uncertainty.cli import main
from uncertainty.testing import (
    build_store,
    ishigami,
    ishigami_indices,
    make_store,
    sobol_g,
    sobol_g_indices,
    write_store,
)

PI = (-np.pi, np.pi)
ISHIGAMI = {"x1": PI, "x2": PI, "x3": PI}
G_A = [0, 1, 4.5, 9, 99, 99]


def _cli_sobol(tmp_path, func, parameters, n, *, second_order=False, seed=7) -> pd.DataFrame:
    out = make_store(func, parameters, "sobol", n, seed, second_order, tmp_path / "run")
    assert main(["analyze", str(out), "--seed", "11", "--resamples", "300"]) == 0
    return pd.read_csv(out / "sobol.csv")


def test_ishigami_through_cli_matches_analytic(tmp_path):
    table = _cli_sobol(tmp_path, ishigami, ISHIGAMI, 2048)
    truth = ishigami_indices()
    assert list(table["parameter"]) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(table["S1"], truth["S1"], atol=0.04)
    np.testing.assert_allclose(table["ST"], truth["ST"], atol=0.04)
    for key in ("S1", "ST"):
        assert (table[f"{key}_conf_low"] <= table[key]).all()
        assert (table[f"{key}_conf_high"] >= table[key]).all()
        half = (table[f"{key}_conf_high"] - table[f"{key}_conf_low"]) / 2
        np.testing.assert_allclose(table[f"{key}_conf"], half, rtol=1e-4)


def test_sobol_g_through_cli_matches_analytic(tmp_path):
    parameters = {f"x{i + 1}": (0.0, 1.0) for i in range(len(G_A))}
    table = _cli_sobol(tmp_path, lambda x: sobol_g(x, G_A), parameters, 1024)
    truth = sobol_g_indices(G_A)
    np.testing.assert_allclose(table["S1"], truth["S1"], atol=0.04)
    np.testing.assert_allclose(table["ST"], truth["ST"], atol=0.04)
    # the ranking the analytic values imply, for the clearly separated parameters
    assert table["ST"].iloc[0] > table["ST"].iloc[1] > table["ST"].iloc[2] > table["ST"].iloc[4]


def test_ishigami_second_order(tmp_path):
    out = make_store(ishigami, ISHIGAMI, "sobol", 1024, 3, True, tmp_path / "run")
    s2 = analyze(out, AnalysisSettings(seed=2, n_resamples=200))["sobol_s2"]
    s2 = s2.set_index(["parameter", "parameter_2"])["S2"]
    v13 = ishigami_indices()["ST"][2]  # x3 acts only through its interaction with x1
    assert s2["x1", "x3"] == pytest.approx(v13, abs=0.06)
    assert abs(s2["x1", "x2"]) < 0.06 and abs(s2["x2", "x3"]) < 0.06


@pytest.mark.parametrize("second_order", [False, True])
def test_point_estimates_equal_salib(second_order):
    problem = {"num_vars": 3, "names": list(ISHIGAMI), "bounds": [list(PI)] * 3}
    x = salib_sample.sample(problem, 256, calc_second_order=second_order, seed=5)
    y = ishigami(x)
    ours = sobol_indices(y, 3, second_order=second_order, n_resamples=20, seed=0)
    theirs = salib_sobol.analyze(problem, y, calc_second_order=second_order, seed=1)
    np.testing.assert_allclose(ours["S1"], theirs["S1"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours["ST"], theirs["ST"], rtol=1e-6, atol=1e-9)
    if second_order:
        upper = np.triu_indices(3, 1)
        np.testing.assert_allclose(ours["S2"][upper], theirs["S2"][upper], rtol=1e-6, atol=1e-9)


def test_percentile_intervals_cover_the_truth():
    """20 designs with different seeds at N=256: the 95 % intervals cover the analytic values."""
    problem = {"num_vars": 3, "names": list(ISHIGAMI), "bounds": [list(PI)] * 3}
    truth = ishigami_indices()
    hits = []
    for seed in range(20):
        y = ishigami(salib_sample.sample(problem, 256, calc_second_order=False, seed=100 + seed))
        res = sobol_indices(y, 3, n_resamples=300, seed=seed)
        for key in ("S1", "ST"):
            hits.extend((res[f"{key}_low"] <= truth[key]) & (truth[key] <= res[f"{key}_high"]))
    assert np.mean(hits) >= 0.75


def test_bootstrap_is_reproducible_and_seed_zero_is_a_seed():
    problem = {"num_vars": 3, "bounds": [list(PI)] * 3}
    y = ishigami(salib_sample.sample(problem, 64, calc_second_order=False, seed=1))
    a = sobol_indices(y, 3, n_resamples=50, seed=0)
    b = sobol_indices(y, 3, n_resamples=50, seed=0)
    c = sobol_indices(y, 3, n_resamples=50, seed=1)
    np.testing.assert_array_equal(a["S1_low"], b["S1_low"])
    assert not np.array_equal(a["S1_low"], c["S1_low"])


def test_permuted_store_gives_identical_tables(tmp_path):
    years = np.arange(2020, 2031)

    def func(x):
        return {
            "y": ishigami(x),
            "path": np.outer(x[:, 0], years - 2019) + np.outer(x[:, 1], years),
        }

    ds = build_store(func, ISHIGAMI, "sobol", 64, 1, True, years=years)
    perm = np.random.default_rng(0).permutation(ds.sizes["sample"])
    straight = write_store(ds, tmp_path / "straight")
    shuffled = write_store(ds.isel(sample=perm), tmp_path / "shuffled")
    settings = AnalysisSettings(seed=4, n_resamples=100)
    a, b = analyze(straight, settings), analyze(shuffled, settings)
    assert set(a) == set(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_time_resolved_indices_follow_the_weights(tmp_path):
    """y_t = x1 + w_t x2 with uniform inputs: S1(x1) = 1 / (1 + w_t^2) in every year."""
    years = np.arange(2020, 2026)
    weights = np.linspace(0.0, 2.0, years.size)
    ds = build_store(
        lambda x: {"path": x[:, [0]] + x[:, [1]] * weights},
        {"x1": (0, 1), "x2": (0, 1), "x3": (0, 1)},
        "sobol",
        1024,
        2,
        years=years,
    )
    table = analyze(write_store(ds, tmp_path / "run"), AnalysisSettings(n_resamples=100))
    timed = table["sobol_time"].pivot(index="year", columns="parameter", values="S1")
    np.testing.assert_allclose(timed["x1"], 1 / (1 + weights**2), atol=0.03)
    np.testing.assert_allclose(timed["x3"], 0.0, atol=0.03)
    # each year equals the scalar analysis of that year's column
    one = sobol_indices(ds["path"].values[:, 3], 3, n_resamples=100, seed=0)
    np.testing.assert_allclose(timed.loc[2023].to_numpy(), one["S1"], rtol=1e-9)


def test_convergence_on_nested_subdesigns(tmp_path):
    out = make_store(ishigami, ISHIGAMI, "sobol", 256, 1, False, tmp_path / "run")
    tables = analyze(out, AnalysisSettings(n_resamples=100))
    conv, full = tables["convergence"], tables["sobol"]
    assert sorted(conv["n_base"].unique()) == [8, 16, 32, 64, 128, 256]
    last = conv[conv["n_base"] == 256].reset_index(drop=True)
    np.testing.assert_allclose(last["S1"], full["S1"])
    np.testing.assert_allclose(last["ST_conf_high"], full["ST_conf_high"])
    # the first 32 blocks are the design of N = 32 from the same seed
    ds32 = build_store(ishigami, ISHIGAMI, "sobol", 32, 1)
    small = sobol_indices(ds32["y"].values, 3, n_resamples=100, seed=0)
    np.testing.assert_allclose(conv[conv["n_base"] == 32]["S1"], small["S1"], rtol=1e-9)
    width = conv.assign(w=conv["ST_conf_high"] - conv["ST_conf_low"]).groupby("n_base")["w"].mean()
    assert width[256] < width[16]
