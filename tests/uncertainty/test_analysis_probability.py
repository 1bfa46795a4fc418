"""Event times, censoring, quantiles, probabilities and Wilson intervals with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from uncertainty.analysis.events import event_year, robust_peak_year
from uncertainty.analysis.pipeline import analyze
from uncertainty.analysis.probability import cdf_table, probability, quantiles, wilson_interval
from uncertainty.analysis.spec import load_analysis_spec
from uncertainty.cli import main
from uncertainty.errors import AnalysisError
from uncertainty.testing import build_store, make_store, write_store

YEARS = np.arange(2020, 2061)
STUDY = """
[analysis]
probabilities = [
    {output = "peak_year", op = "<=", value = 2024},
    {output = "coal_share", year = 2030, op = ">=", value = 0.44},
    {output = "coal_below_40pct", op = "<=", value = 2040},
]
events = [{name = "coal_below_40pct", output = "coal_share", op = "<", value = 0.40}]
groups = [{parameter = "a", edges = [0, 0.5, 1]}]
"""


def _ensemble(x):
    """peak_year = 2020 + floor(10 a); coal share falls by 0.02 b per year from 0.6."""
    peak = 2020 + np.floor(10 * x[:, 0])
    coal = 0.6 - 0.02 * x[:, [1]] * (YEARS - 2020)
    return {"peak_year": peak, "coal_share": coal}


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    out = tmp_path_factory.mktemp("ens")
    return make_store(
        _ensemble,
        {"a": (0, 1), "b": (0, 1)},
        "lhs",
        1000,
        3,
        out=out,
        years=YEARS,
        units={"peak_year": "year", "coal_share": "1"},
        study_text=STUDY,
    )


def test_wilson_interval_against_hand_values():
    # k = 7, n = 20, z = 1.959964: centre 0.35 + z^2/40 = 0.446036, half-width
    # z sqrt(0.35 * 0.65 / 20 + z^2 / 1600) = 0.230042, denominator 1 + z^2/20 = 1.192073
    low, high = wilson_interval(7, 20)
    assert low == pytest.approx((0.446036 - 0.230042) / 1.192073, abs=2e-6)
    assert high == pytest.approx((0.446036 + 0.230042) / 1.192073, abs=2e-6)
    # k = 0: upper bound z^2/n / (1 + z^2/n)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.384146 / 1.384146), abs=2e-6)
    assert np.isnan(wilson_interval(0, 0)[0])


def test_event_year_and_censoring():
    traj = xr.DataArray(
        [[5.0, 4, 3, 2], [5, 5, 5, 5], [5, 2, 1, 0], [np.nan] * 4],
        dims=("sample", "year"),
        coords={"year": [2020, 2030, 2040, 2050]},
        name="x",
    )
    years = event_year(traj, "<", 3.0).values
    np.testing.assert_array_equal(years[:3], [2050, np.inf, 2030])
    assert np.isnan(years[3])
    peaks = robust_peak_year(
        xr.DataArray(
            [[1.0, 3, 2, 1], [1, 2, 3, 4], [1, 3, 3.01, 2]],
            dims=("sample", "year"),
            coords={"year": [2020, 2030, 2040, 2050]},
        )
    ).values
    np.testing.assert_array_equal(peaks, [2030, np.inf, 2030])  # 3.01 is within 0.5 % of 3


def test_probability_and_quantiles_with_censored_values():
    values = np.array([2025, 2027, 2030, np.inf, np.inf, np.nan])
    est = probability(values, "<=", 2030)
    assert (est["k"], est["n"], est["n_missing"], est["n_censored"]) == (3, 5, 1, 2)
    assert est["p"] == pytest.approx(0.6)
    assert (est["p_low"], est["p_high"]) == pytest.approx(wilson_interval(3, 5))
    q = quantiles(values, (5, 50, 95))
    np.testing.assert_array_equal(q, [2025, 2030, np.inf])  # never a fake year
    cdf = cdf_table(values, np.array([2024, 2027, 2060]))
    np.testing.assert_allclose(cdf["p"], [0.0, 0.4, 0.6])


def test_ensemble_probabilities_known_answers(ensemble):
    probs = analyze(ensemble)["probabilities"]
    overall = probs[probs["group"].isna()].set_index("statement")
    # LHS strata: exactly half the rows have a < 0.5, i.e. peak_year <= 2024
    assert overall.loc["P(peak_year <= 2024)", "p"] == 0.5
    # coal_share[2030] = 0.6 - 0.2 b >= 0.44  <=>  b <= 0.8
    assert overall.loc["P(coal_share[2030] >= 0.44)", "p"] == pytest.approx(0.8, abs=0.002)
    # below 40 % first in year t: t - 2020 > 10 / b; by 2040 <=> b > 0.5; censored <=> b <= 0.25
    row = overall.loc["P(coal_below_40pct <= 2040)"]
    assert row["p"] == pytest.approx(0.5, abs=0.002)
    assert row["n_censored"] == pytest.approx(250, abs=2)
    assert row["p_conf_low"] < row["p"] < row["p_conf_high"]
    assert "stratified" in row["conditioning"]
    groups = probs[probs["group_parameter"] == "a"].set_index(["statement", "group"])["p"]
    assert groups["P(peak_year <= 2024)", "[0, 0.5)"] == 1.0
    assert groups["P(peak_year <= 2024)", "[0.5, 1]"] == 0.0


def test_cdf_for_every_year_and_summary_quantiles(ensemble, tmp_path):
    assert main(["analyze", str(ensemble), "--resamples", "20"]) == 0
    probs = pd.read_csv(ensemble / "probabilities.csv")
    cdf = probs[(probs["output"] == "peak_year") & (probs["op"] == "<=") & probs["group"].isna()]
    cdf = cdf.set_index("threshold")["p"]
    assert len(cdf) >= len(YEARS)
    for year in range(2020, 2030):
        assert cdf[year] == pytest.approx((year - 2019) / 10)
    summary = pd.read_csv(ensemble / "summary.csv")
    coal = summary.query("output == 'coal_share' and year == 2040").set_index("statistic")["value"]
    # coal_share[2040] = 0.6 - 0.4 b, b uniform: median 0.4, 5 % quantile 0.6 - 0.4 * 0.95 = 0.22
    assert coal["q50"] == pytest.approx(0.4, abs=0.002)
    assert coal["q5"] == pytest.approx(0.22, abs=0.002)
    event = summary.query("output == 'coal_below_40pct'").set_index("statistic")["value"]
    assert event["q5"] == 2031  # b near 1: below 40 % right after 2030
    assert event["q95"] == np.inf  # 25 % censored: the top quantiles are "not within horizon"
    assert summary["statistic"].str.startswith("P(").any()


def test_defaults_without_analysis_table(tmp_path):
    ds = build_store(_ensemble, {"a": (0, 1), "b": (0, 1)}, "mc", 50, 1, years=YEARS)
    spec = load_analysis_spec(ds)
    labels = [p.label for p in spec.probabilities]
    assert labels == ["P(peak_year <= 2030)", "P(coal_share[2030] >= 0.44)"]
    assert spec.quantiles == (5, 25, 50, 75, 95) and spec.events == ()


def test_bad_analysis_table_lists_every_problem(tmp_path):
    text = '[analysis]\nprobabilities = [{output = "nope", op = "<=", value = 1}]\n'
    text += 'groups = [{parameter = "zz", edges = [0, 1]}]\ncolour = 1\n'
    ds = build_store(_ensemble, {"a": (0, 1), "b": (0, 1)}, "mc", 20, 1, years=YEARS)
    out = write_store(ds, tmp_path / "run", study_text=text)
    with pytest.raises(AnalysisError, match="(?s)colour.*nope.*zz"):
        analyze(out)
