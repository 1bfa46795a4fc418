"""Engine round 2 (issue 15): grouped Sobol designs, censored event times, a synthetic store in
the engine's own format, figures independent of the order of commands, and the built-in model
that a ``model/`` folder in the working directory cannot shadow. Each test failed on the code
before the fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from SALib.analyze import morris as salib_morris
from SALib.analyze import sobol as salib_sobol

from model.peak import robust_peak
from uncertainty.analysis.events import robust_peak_index, robust_peak_year
from uncertainty.analysis.pipeline import analyze
from uncertainty.analysis.tables import AnalysisSettings
from uncertainty.cli import main
from uncertainty.store import Status, open_results
from uncertainty.testing import make_store, sobol_g

REPO = Path(__file__).resolve().parents[2]
UNIT = (0.0, 1.0)
G_A = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0]
SIX = {f"x{i}": UNIT for i in range(6)}
TWO_GROUPS = {"x0": "g_a", "x1": "g_a", "x2": "g_a", "x3": "g_b", "x4": "g_b", "x5": "g_b"}


def _g(x: np.ndarray) -> np.ndarray:
    return sobol_g(x, G_A)


# -- 1. grouped designs ---------------------------------------------------------------------


def test_grouped_sobol_indices_are_per_group_and_equal_salib(tmp_path):
    out = make_store(_g, SIX, "sobol", 256, seed=3, groups=TWO_GROUPS, out=tmp_path / "g")
    sobol = analyze(out, AnalysisSettings(n_resamples=50))["sobol"]
    assert list(sobol.parameter) == ["g_a", "g_b"]
    ds = open_results(out)
    assert ds.sizes["sample"] == 256 * (2 + 2)  # SALib: N (G + 2) rows for G groups
    problem = json.loads(ds.attrs["problem"])
    ref = salib_sobol.analyze(problem, ds["y"].values, calc_second_order=False, seed=1)
    np.testing.assert_allclose(sobol.S1, ref["S1"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sobol.ST, ref["ST"], rtol=1e-9, atol=1e-12)
    # the first group holds the influential inputs (a = 0, 1): ST near 1, the second near 0
    assert sobol.ST.iloc[0] > 0.9 and sobol.ST.iloc[1] < 0.05


def test_three_parameters_in_two_groups_are_analysed_not_refused(tmp_path):
    params = {"a": UNIT, "b": UNIT, "c": UNIT}
    out = make_store(
        lambda x: x[:, 0] + 2 * x[:, 1] + 0.1 * x[:, 2],
        params, "sobol", 16, seed=2, groups={"a": "ab", "b": "ab"}, out=tmp_path / "g3",
    )  # fmt: skip
    assert main(["analyze", str(out), "--resamples", "20"]) == 0
    tables = analyze(out, AnalysisSettings(n_resamples=20))
    assert list(tables["sobol"].parameter) == ["ab", "c"]
    assert set(tables["convergence"].parameter) == {"ab", "c"}


def test_grouped_morris_is_labelled_by_group_and_equals_salib(tmp_path):
    out = make_store(_g, SIX, "morris", 20, seed=5, groups=TWO_GROUPS, out=tmp_path / "m")
    morris = analyze(out, AnalysisSettings(n_resamples=20))["morris"]
    assert list(morris.parameter) == ["g_a", "g_b"]
    ds = open_results(out)
    problem = json.loads(ds.attrs["problem"])
    x = ds["inputs"].transpose("sample", "parameter").values
    ref = salib_morris.analyze(problem, x, ds["y"].values, num_levels=4, seed=0)
    np.testing.assert_allclose(morris.mu_star, ref["mu_star"], rtol=1e-12)


def test_a_grouped_study_runs_and_is_analysed_by_group(tmp_path):
    (tmp_path / "lin.py").write_text("def f(a, b, c):\n    return {'y': a + 2 * b + 0.1 * c}\n")
    params = "".join(
        f'[parameters.{n}]\ndistribution = "uniform"\nlower = 0\nupper = 1\n{g}\n'
        for n, g in (("a", 'group = "ab"'), ("b", 'group = "ab"'), ("c", ""))
    )
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "grouped"\nmodel = "lin:f"\nsampler = "sobol"\nn = 16\n'
        'seed = 1\noutputs = ["y"]\n\n' + params
    )
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    assert main(["analyze", str(out), "--resamples", "20"]) == 0
    sobol = (out / "sobol.csv").read_text().splitlines()
    assert [line.split(",")[1] for line in sobol[1:]] == ["ab", "c"]


# -- 2. censoring ----------------------------------------------------------------------------


def test_a_path_that_never_peaks_is_censored_in_the_model_output():
    years = np.arange(2020, 2031)
    peak = robust_peak(years, 10 + 0.3 * np.arange(11))
    assert peak.censored and np.isposinf(peak.year)
    assert robust_peak(years, 10 - 0.3 * np.arange(11)).year == 2020


@pytest.mark.parametrize("seed", range(5))
def test_model_and_analysis_share_one_robust_peak(seed):
    rng = np.random.default_rng(seed)
    years = np.arange(2020, 2061)
    paths = np.cumsum(rng.normal(0, 1, (40, years.size)), axis=1) - 3  # many negative levels
    index = robust_peak_index(paths)
    analysed = robust_peak_year(xr.DataArray(paths, dims=("s", "year"), coords={"year": years}))
    for row, i, a in zip(paths, index, analysed.values, strict=True):
        model_year = robust_peak(years, row).year
        assert model_year == (np.inf if i < 0 else years[i]) == a


def _peaks(x: np.ndarray) -> dict[str, np.ndarray]:
    """Peak 2021-2040 rising with a; ``+inf`` (not by 2060) when a > 0.8."""
    peak = np.where(x[:, 0] > 0.8, np.inf, 2021 + np.floor(20 * x[:, 0]))
    return {"peak_year": peak}


def test_censored_peaks_count_as_not_peaked_and_are_counted(tmp_path):
    study_text = '[analysis]\nprobabilities = [{output = "peak_year", op = "<=", value = 2060}]\n'
    out = make_store(
        _peaks, {"a": UNIT, "b": UNIT}, "sobol", 128, seed=4, out=tmp_path / "c",
        attrs={"peak_year": {"censored_at": 2060.0, "units": "year"}}, study_text=study_text,
    )  # fmt: skip
    ds = open_results(out)
    n_censored = int(np.isposinf(ds["peak_year"].values).sum())
    assert n_censored > 0
    tables = analyze(out, AnalysisSettings(n_resamples=50))
    probs = tables["probabilities"]
    row = probs[(probs.statement == "P(peak_year <= 2060)") & probs.group.isna()].iloc[0]
    independent = np.isin(np.arange(ds.sizes["sample"]) % 4, (0, 3))  # A and B rows
    expected = np.mean(np.isfinite(ds["peak_year"].values[independent]))
    assert row.p == pytest.approx(expected) and row.p < 1
    assert row.n_censored == int(np.isposinf(ds["peak_year"].values[independent]).sum()) > 0
    sobol = tables["sobol"].set_index("parameter")
    assert (sobol.n_censored == n_censored).all()
    assert sobol.loc["a", "ST"] > 0.9 and sobol.loc["b", "ST"] < 0.05  # analysed, not refused


def test_infinity_without_censored_at_is_a_failure_not_data(tmp_path):
    out = make_store(_peaks, {"a": UNIT, "b": UNIT}, "sobol", 32, seed=4, out=tmp_path / "u")
    assert main(["analyze", str(out)]) == 2  # refused: +inf means nothing without a horizon


# -- 5. a synthetic store is the engine's store -------------------------------------------


def test_netua_status_reads_a_synthetic_store(tmp_path, capsys):
    out = make_store(_g, SIX, "sobol", 8, seed=1, failures={3: 2, 5: 4}, out=tmp_path / "s")
    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "study 'synthetic'" in text and "error    1" in text and "crashed  1" in text
    with xr.open_zarr(out / "store.zarr") as ds:
        assert ds["status"].dtype == np.int8
        assert ds["status"].attrs["flag_meanings"] == "pending ok error timeout crashed"
        assert int(ds["status"].values[3]) == Status.ERROR
    lines = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [(r["sample_id"], r["status"]) for r in lines] == [(3, 2), (5, 4)]


# -- 3. figures do not depend on the order of commands ----------------------------------------


@pytest.mark.parametrize("sampler", ["lhs", "sobol"])
def test_figures_are_the_same_with_or_without_analyze_first(tmp_path, sampler):
    def model(x):
        return {"y": x[:, 0] + 0.5 * x[:, 1] ** 2, "z": np.floor(2030 + 10 * x[:, 2])}

    params = {"a": UNIT, "b": UNIT, "c": UNIT}
    first = make_store(model, params, sampler, 32, seed=9, out=tmp_path / "first")
    second = make_store(model, params, sampler, 32, seed=9, out=tmp_path / "second")
    assert main(["analyze", str(first)]) == 0
    assert main(["figures", str(first)]) == 0
    assert main(["figures", str(second)]) == 0
    drawn = {p.name for p in (first / "figures").iterdir()}
    assert drawn == {p.name for p in (second / "figures").iterdir()}
    assert any(name.startswith("scatter_") for name in drawn)


# -- 4. the built-in model cannot be shadowed ------------------------------------------------

SHADOW_CHECK = """
import sys
from uncertainty.engine.imports import import_model
cls = import_model("model.ensemble:ChinaLP", (sys.argv[1],))
import model
print(cls.__name__, model.__file__)
"""


def test_a_model_folder_in_the_working_directory_does_not_shadow_the_china_model(tmp_path):
    shadow = tmp_path / "model"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("")
    (shadow / "ensemble.py").write_text("raise RuntimeError('the wrong model package')\n")
    env = {**os.environ, "PYTHONPATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", SHADOW_CHECK, str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    name, where = done.stdout.split()
    assert name == "ChinaLP"
    assert Path(where).resolve() == (REPO / "model" / "__init__.py").resolve()
