"""Demand derived from its drivers: the derivation reproduces demand.csv and moves as it should."""

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.build import Settings
from model.demand import Derivation, driver_paths
from model.errors import InputError
from model.load import CHINA_DATA, load_inputs
from model.parameters import apply_parameters, parse_targets

REPO = Path(__file__).resolve().parents[2]


def _derive_module():
    spec = importlib.util.spec_from_file_location("derive", REPO / "studies/demand/derive.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def china(china_inputs):
    return china_inputs


def _copy(tmp_path) -> Path:
    dest = tmp_path / "china"
    shutil.copytree(CHINA_DATA, dest)
    return dest


def _demand(table: pd.DataFrame, commodity, scenario, year) -> float:
    t = table[(table.commodity == commodity) & (table.scenario == scenario)]
    return float(t[t.year.astype(int) == year].value.iloc[0])


def test_derivation_reproduces_demand_csv_exactly():
    derive = _derive_module()
    current = pd.read_csv(CHINA_DATA / "demand.csv", dtype=str, keep_default_na=False)
    table = derive.derived_table(CHINA_DATA)
    pd.testing.assert_frame_equal(table, current[derive.COLUMNS])


def test_no_unexplained_break_at_the_base_year():
    derive = _derive_module()
    table = derive.derived_table(CHINA_DATA)
    families = pd.read_csv(CHINA_DATA / "demand_families.csv", keep_default_na=False)
    notes = dict(zip(families.commodity, families.break_note, strict=True))
    check = derive.growth_check(table, notes=notes)
    assert len(check) == 3 * len(families)  # every derived commodity in every scenario
    outside = check[~check.within]
    assert (outside.explanation != "").all(), outside.to_string()
    # the check can fail: a row whose 2025 value jumps 10 % is flagged
    broken = table.copy()
    i = broken.index[(broken.commodity == "olefins") & (broken.year == "2025")]
    broken.loc[i, "value"] = [str(float(v) * 1.1) for v in broken.loc[i, "value"]]
    flagged = derive.growth_check(broken)
    assert not flagged[flagged.commodity == "olefins"].within.any()


def test_long_run_commodity_follows_the_closed_form_with_a_doubled_elasticity(tmp_path, china):
    """Aviation uses its family's elasticity throughout: D(y) = D(b) P(y)/P(b) (G(y)/G(b))^e."""
    path = _copy(tmp_path)
    ela = pd.read_csv(path / "demand_elasticities.csv", dtype=str, keep_default_na=False)
    row = (ela.family == "aviation") & (ela.parameter == "elasticity")
    e = 2 * float(ela.loc[row, "value"].iloc[0])
    ela.loc[row, ["value", "high"]] = [str(e), str(e)]
    ela.to_csv(path / "demand_elasticities.csv", index=False)
    table = _derive_module().derived_table(path)
    years = np.arange(2020, 2061)
    for scenario in ("low", "high"):
        paths = driver_paths(china.drivers, scenario, years)
        pop, gdp = paths["population"], paths["gdp_per_capita"]
        b = 2024 - 2020
        for year in (2025, 2030, 2045, 2060):
            y = year - 2020
            expected = (
                _demand(table, "aviation", scenario, 2024)
                * pop[y]
                / pop[b]
                * (gdp[y] / gdp[b]) ** e
            )
            assert _demand(table, "aviation", scenario, year) == pytest.approx(expected, rel=1e-5)
    # and the doubled elasticity really moved it: 2060 is (G(2060)/G(2024))^e_old higher
    base = pd.read_csv(CHINA_DATA / "demand.csv", dtype=str, keep_default_na=False)
    gdp = driver_paths(china.drivers, "medium", years)["gdp_per_capita"]
    ratio = _demand(table, "aviation", "medium", 2060) / _demand(base, "aviation", "medium", 2060)
    assert ratio == pytest.approx((gdp[-1] / gdp[4]) ** (e / 2), rel=1e-5)


def test_fitted_elasticity_continues_the_observed_relation(china):
    der = Derivation(china)
    years = np.arange(2020, 2061)
    paths = driver_paths(china.drivers, "medium", years)
    pop, gdp = paths["population"], paths["gdp_per_capita"]

    def level(c, y):
        return float(china.demand.sel(scenario="medium", commodity=c, year=y))

    # observed per-capita growth over GDP-per-capita growth, 2020 -> 2024
    d0, d1 = level("olefins", 2020), level("olefins", 2024)
    e_obs = np.log(d1 / d0 * pop[0] / pop[4]) / np.log(gdp[4] / gdp[0])
    assert der.fitted["medium"]["olefins"] == pytest.approx(e_obs, rel=1e-12)
    # with the family's long-run value set to the fitted one, 2025 grows at exactly e_obs
    series = der.series("medium", "olefins", e_obs, 0.0)
    expected = d1 * pop[5] / pop[4] * (gdp[5] / gdp[4]) ** e_obs
    assert series[0] == pytest.approx(expected, rel=1e-5)


def test_target_equals_the_rederived_copy(tmp_path, china):
    """demand_elasticity at a value == a dataset whose table holds that value, re-derived."""
    path = _copy(tmp_path)
    ela = pd.read_csv(path / "demand_elasticities.csv", dtype=str, keep_default_na=False)
    row = (ela.family == "industry_electric") & (ela.parameter == "elasticity")
    ela.loc[row, "value"] = "0.75"
    ela.to_csv(path / "demand_elasticities.csv", index=False)
    _derive_module().derived_table(path).to_csv(path / "demand.csv", index=False)
    copy = load_inputs(path)
    targets = parse_targets({"e": "demand_elasticity:industry_electric"}, china)
    moved, _ = apply_parameters(china, Settings(), {"e": 0.75}, targets)
    np.testing.assert_allclose(moved.demand.values, copy.demand.values, rtol=1e-12)
    assert float(
        moved.demand.sel(scenario="medium", commodity="industrial_electric", year=2050)
    ) > (
        1.05
        * float(china.demand.sel(scenario="medium", commodity="industrial_electric", year=2050))
    )


def test_targets_move_demand_in_the_expected_direction(china):
    targets = parse_targets(
        {"d": "demand_drift:all", "c": "demand_convergence_year", "g": "growth"}, china
    )
    base, _ = apply_parameters(china, Settings(), {"d": 0.0, "c": 2040, "g": 1.0}, targets)
    low, _ = apply_parameters(china, Settings(), {"d": -0.01, "c": 2040, "g": 1.0}, targets)
    # a -1 %/yr drift lowers every derived demand by 0.99^(y-2024) (held after 2060)
    sel = dict(commodity="freight_road", year=2050)
    ratio = float(low.demand.sel(**sel).squeeze()) / float(base.demand.sel(**sel).squeeze())
    assert ratio == pytest.approx(0.99**26, rel=1e-5)
    # observed years never move
    np.testing.assert_array_equal(
        low.demand.sel(year=slice(2020, 2024)).values,
        base.demand.sel(year=slice(2020, 2024)).values,
    )
    # converging later keeps the fitted (higher) electricity elasticity for longer
    later, _ = apply_parameters(china, Settings(), {"d": 0.0, "c": 2050, "g": 1.0}, targets)
    sel = dict(commodity="industrial_electric", year=2035)
    assert float(later.demand.sel(**sel).squeeze()) > float(base.demand.sel(**sel).squeeze())
    # target order does not matter: growth mixes the re-derived scenarios
    reordered = parse_targets(
        {"g": "growth", "c": "demand_convergence_year", "d": "demand_drift:all"}, china
    )
    again, _ = apply_parameters(china, Settings(), {"d": -0.01, "c": 2040, "g": 1.0}, reordered)
    np.testing.assert_array_equal(again.demand.values, low.demand.values)


def test_bad_demand_tables_are_named(tmp_path):
    path = _copy(tmp_path)
    ela = pd.read_csv(path / "demand_elasticities.csv", dtype=str, keep_default_na=False)
    ela = ela[~((ela.family == "freight") & (ela.parameter == "drift"))]
    ela.loc[(ela.family == "materials") & (ela.parameter == "elasticity"), "value"] = "0.5"
    ela.to_csv(path / "demand_elasticities.csv", index=False)
    with pytest.raises(InputError) as err:
        load_inputs(path)
    text = str(err.value)
    assert "demand_families.csv line" in text and "'freight' has no drift row" in text
    assert "demand_elasticities.csv line 2" in text and "outside its range" in text


def test_unknown_family_target_is_refused(china):
    with pytest.raises(InputError, match="unknown demand family 'steel'"):
        parse_targets({"x": "demand_elasticity:steel"}, china)


def test_elasticity_moves_linearly_from_the_fit_to_the_long_run(china):
    der = Derivation(china)
    e_fit = der.fitted["medium"]["industrial_electric"]
    path = der.elasticity_path("medium", "industrial_electric", 0.5)
    years = list(der.out_years)
    step = (0.5 - e_fit) / (2040 - 2024)
    assert path[years.index(2025)] == pytest.approx(e_fit + step, rel=1e-12)
    assert path[years.index(2032)] == pytest.approx(e_fit + 8 * step, rel=1e-12)
    assert path[years.index(2040)] == pytest.approx(0.5, rel=1e-12)
    assert path[years.index(2055)] == pytest.approx(0.5, rel=1e-12)
    # a long_run commodity ignores the fit
    assert np.all(der.elasticity_path("medium", "aviation", 1.3) == 1.3)


def test_gdp_per_capita_follows_the_growth_rows_by_hand(china):
    rows = pd.read_csv(CHINA_DATA / "drivers.csv")
    level_2025 = float(rows[(rows.driver == "gdp_per_capita") & (rows.year == 2025)].value.iloc[0])
    paths = driver_paths(china.drivers, "medium", np.arange(2020, 2061))
    gdp = dict(zip(range(2020, 2061), paths["gdp_per_capita"], strict=True))
    assert gdp[2030] == pytest.approx(level_2025 * 1.04**5, rel=1e-9)  # 2026-30 at 4.0 %
    assert gdp[2031] == pytest.approx(level_2025 * 1.04**5 * 1.025, rel=1e-9)  # 2031-40 at 2.5 %
    low = driver_paths(china.drivers, "low", np.arange(2020, 2061))["gdp_per_capita"]
    assert low[2030 - 2020] == pytest.approx(level_2025 * 1.025**5, rel=1e-9)
    # population: log-linear between the NBS 2025 level and the UN-based 2030 row
    pop = paths["population"]
    assert pop[2027 - 2020] == pytest.approx(1404.89 * (1384.0 / 1404.89) ** (2 / 5), rel=1e-9)


def test_family_subset_equals_a_full_rederivation(china):
    """The fast path re-derives only the families a sample moves; that equals re-deriving all."""
    der = Derivation(china)
    moved = {("freight", "elasticity"): 0.7, ("all", "drift"): 0.004}
    subset = der.array(moved)
    full = der.array(moved, convergence_year=2040)
    np.testing.assert_array_equal(subset, full)


def test_stale_demand_is_refused(tmp_path):
    path = _copy(tmp_path)
    drivers = pd.read_csv(path / "drivers.csv", dtype=str, keep_default_na=False)
    row = (drivers.driver == "gdp_per_capita_growth") & (drivers.year == "2030")
    drivers.loc[row & (drivers.scenario == "medium"), "value"] = "0.045"
    drivers.to_csv(path / "drivers.csv", index=False)
    with pytest.raises(InputError, match=r"demand.csv is stale: .*studies/demand/derive.py"):
        load_inputs(path)
    # regenerating the rows makes it load again, with more demand in 2030
    _derive_module().derived_table(path).to_csv(path / "demand.csv", index=False)
    load_inputs(path)  # loads again
    rows = [pd.read_csv(folder / "demand.csv", dtype=str, keep_default_na=False)
            for folder in (path, CHINA_DATA)]  # fmt: skip
    moved, base = (
        float(r[(r.scenario == "medium") & (r.commodity == "freight_road") & (r.year == "2030")]
              .value.iloc[0])
        for r in rows
    )  # fmt: skip
    assert moved > base  # more growth, more freight in 2030


def test_driver_scenario_typo_is_refused(tmp_path):
    path = _copy(tmp_path)
    drivers = pd.read_csv(path / "drivers.csv", dtype=str, keep_default_na=False)
    drivers.loc[drivers.scenario == "medium", "scenario"] = "Medium"
    drivers.to_csv(path / "drivers.csv", index=False)
    with pytest.raises(InputError) as err:
        load_inputs(path)
    assert "'Medium' is not a scenario of demand.csv" in str(err.value)
    assert "no gdp_per_capita_growth rows for scenario 'medium'" in str(err.value)
