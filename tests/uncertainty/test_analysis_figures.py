"""Every figure function writes a non-empty PNG and PDF from a small store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from uncertainty.analysis.pipeline import analyze
from uncertainty.analysis.tables import AnalysisSettings
from uncertainty.cli import main
from uncertainty.plot import distributions as fg
from uncertainty.plot.style import figure_of, label, save
from uncertainty.testing import build_store, ishigami, write_store

YEARS = np.arange(2020, 2041)
PI = (-np.pi, np.pi)


def _model(x):
    u = (x + np.pi) / (2 * np.pi)
    t = YEARS - 2020
    co2 = 11 + 0.3 * t * (1 - u[:, [0]]) - 0.02 * t**2 * u[:, [1]]
    coal = 0.57 - 0.01 * (1 + u[:, [1]]) * t
    return {
        "y": ishigami(x),
        "co2": co2,
        "coal_share": coal,
        "peak_year": 2020 + np.round(20 * u[:, 0]),
    }


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    ds = build_store(
        _model,
        {"x1": PI, "x2": PI, "x3": PI},
        "sobol",
        32,
        1,
        years=YEARS,
        units={"y": "1", "co2": "Gt CO2/yr", "coal_share": "1", "peak_year": "year"},
        failures={6: 2},
    )
    return write_store(ds, tmp_path_factory.mktemp("fig") / "run")


@pytest.fixture(scope="module")
def tables(run_dir):
    return analyze(run_dir, AnalysisSettings(policy="drop-blocks", n_resamples=50))


def _check(fig, tmp_path, name):
    png, pdf = save(fig, tmp_path, name)
    assert png.stat().st_size > 5_000 and pdf.stat().st_size > 1_000
    assert png.read_bytes()[:4] == b"\x89PNG" and pdf.read_bytes()[:4] == b"%PDF"


def _co2(run_dir):
    return xr.open_zarr(run_dir / "store.zarr")["co2"].load().dropna("sample")


def test_fan_chart_with_scenarios(run_dir, tmp_path):
    scenarios = pd.DataFrame({"policy": np.linspace(11, 8, YEARS.size)}, index=YEARS)
    fig = fg.fan_chart(_co2(run_dir), milestones=[2030, 2040], scenarios=scenarios).figure
    assert "Gt CO2/yr" in fig.axes[0].get_ylabel()
    _check(fig, tmp_path, "fan")


def test_event_time_figure_with_censoring(tmp_path):
    values = np.r_[np.arange(2024, 2036, dtype=float), [np.inf] * 3, [np.nan]]
    _check(fg.event_time_figure(values, name="peak_year", horizon=(2020, 2060)), tmp_path, "event")


def test_milestone_figure(run_dir, tmp_path):
    da = xr.open_zarr(run_dir / "store.zarr")["coal_share"].load().dropna("sample")
    _check(fg.milestone_figure(da, [2020, 2030, 2040], threshold=0.44), tmp_path, "milestones")


def test_sobol_figures(tables, tmp_path):
    _check(fg.sobol_bars(tables["sobol"], "y"), tmp_path, "sobol")
    _check(fg.sobol_time_figure(tables["sobol_time"], "co2"), tmp_path, "sobol_time")
    _check(fg.convergence_figure(tables["convergence"], "y"), tmp_path, "convergence")


def test_failure_and_scatter_figures(tmp_path):
    status = ["ok"] * 95 + ["error"] * 3 + ["crashed"] * 2
    _check(fg.failure_figure(status), tmp_path, "failures")
    rng = np.random.default_rng(0)
    x, c = rng.random(200), rng.random(200)
    fig = fg.scatter_figure(
        x, x + c, c, names=("sink", "peak_year", "discount"), units=("Gt/yr", "year", "1")
    )
    _check(fig, tmp_path, "scatter")


def test_netua_figures_writes_every_figure(run_dir):
    assert main(["analyze", str(run_dir), "--policy", "drop-blocks", "--resamples", "50"]) == 0
    assert main(["figures", str(run_dir)]) == 0
    names = {p.stem for p in (run_dir / "figures").glob("*.png")}
    pdfs = {p.stem for p in (run_dir / "figures").glob("*.pdf")}
    assert names == pdfs
    expected = {
        "failures",
        "fan_co2",
        "milestones_coal_share",
        "event_peak_year",
        "sobol_y",
        "sobol_time_co2",
        "convergence_y",
        "scatter_y",
    }
    assert expected <= names


def test_axis_labels_carry_units():
    assert label("co2_net", "Gt CO2") == "co2 net (Gt CO2)"
    assert label("coal_share", "1") == "coal share (-)"


def test_time_figure_leaves_out_unresolved_years(tmp_path):
    """A year whose total-index interval is wider than 1 (an output that varies in a handful of
    samples, e.g. a year held to observations) is named in the title and not drawn."""
    rows = []
    for year in (2021, 2022, 2023, 2030):
        for name, st in (("a", 0.6), ("b", 0.3)):
            wide = year in (2021, 2022)
            rows.append(
                {
                    "output": "coal_share",
                    "year": year,
                    "parameter": name,
                    "S1": st / 2,
                    "S1_conf_low": st / 2 - 0.1,
                    "S1_conf_high": st / 2 + 0.1,
                    "ST": 150.0 if wide else st,
                    "ST_conf_low": -1e20 if wide else st - 0.1,
                    "ST_conf_high": 1e21 if wide else st + 0.1,
                }
            )
    table = pd.DataFrame(rows)
    from uncertainty.plot.sensitivity import unresolved_years

    assert unresolved_years(table) == [2021, 2022]
    fig = figure_of(fg.sobol_time_figure(table, "coal_share"))
    assert "not resolved, not drawn: 2021-2022" in fig._suptitle.get_text()
    top = max(line.get_ydata().max() for ax in fig.axes for line in ax.get_lines())
    assert top <= 1.0
    _check(fig, tmp_path, "sobol_time_unresolved")


def test_event_figure_shows_unreachable_share():
    """-inf event years (e.g. a latest peak that no year allows) get their own bar and label."""
    import numpy as np

    from uncertainty.plot.distributions import event_time_figure

    values = np.array([2040, 2045, np.inf, -np.inf, 2050, 2047.0])
    fig = figure_of(
        event_time_figure(values, name="latest_peak_year", horizon=(2020, 2060), mark=2029)
    )
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("unreachable" in t and "16.7%" in t for t in labels)
    assert any("censored): 16.7%" in t for t in labels)


def test_figure_functions_draw_on_the_callers_axes(run_dir, tables, tmp_path):
    """A researcher's own layout: each function draws on the Axes it is given and returns it."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 6))
    grid = fig.subplots(3, 2)
    assert fg.fan_chart(_co2(run_dir), ax=grid[0, 0]) is grid[0, 0]
    assert fg.sobol_bars(tables["sobol"], "y", ax=grid[0, 1]) is grid[0, 1]
    pair = fg.sobol_time_figure(tables["sobol_time"], "co2", ax=grid[1])
    assert tuple(pair) == tuple(grid[1])
    values = np.array([2025, 2027, np.inf, 2030.0])
    top, bottom = fg.event_time_figure(values, name="peak_year", horizon=(2020, 2060), ax=grid[2])
    assert (top, bottom) == tuple(grid[2])
    assert len(fig.axes) == 6 and all(ax.has_data() for ax in fig.axes)
    with pytest.raises(ValueError, match="draws 2 panel"):
        fg.convergence_figure(tables["convergence"], "y", ax=grid[0, 0])
    _check(fig, tmp_path, "custom")


def test_milestone_labels_show_solver_noise_as_zero():
    """A median of net CO2 at neutrality is 0 up to solver round-off (1e-15 Gt): the label must
    read 0, not 1.11e-15; real values keep three significant digits."""
    years = np.arange(2050, 2061)
    rng = np.random.default_rng(0)
    values = np.linspace(5.0, 0.0, len(years))[None, :] + rng.normal(0, 0.3, (40, len(years)))
    values[:, -1] = rng.choice([1.1e-15, -2e-16, 3e-15], 40)
    da = xr.DataArray(values, dims=("sample", "year"), coords={"year": years}, name="co2_net")
    ax = fg.fan_chart(da, milestones=[2050, 2060])
    texts = [t.get_text() for t in ax.texts]
    assert texts[-1] == "0"
    assert texts[0] == f"{np.median(values[:, 0]):.3g}"
    values[:, 1] = np.inf  # an unbounded year elsewhere leaves the labels alone
    texts = [t.get_text() for t in fg.fan_chart(da.copy(data=values), milestones=[2060]).texts]
    assert texts == ["0"]
    values[:, -1] = 1e-3  # a small real value keeps its digits
    texts = [t.get_text() for t in fg.fan_chart(da.copy(data=values), milestones=[2060]).texts]
    assert texts == ["0.001"]
