"""Tiny LPs whose optimum is worked out by hand in each test."""

import numpy as np
import pytest

from model.load import load_inputs
from model.scenario import solve_inputs
from tests.model.tiny import power_system

GWYR_TWH = 8.76  # TWh produced by 1 GW running all year

COAL = ("coal_plant", "power", "electricity")
GAS = ("gas_plant", "power", "electricity")
WIND = ("wind", "power", "electricity")
CLEAN = ("clean", "power", "electricity")


def plant(name, *, life=40, avail=1.0, var=None, max_build=0, extra=()):
    rows = [(name, "", "lifetime", life, "year"), (name, "", "availability", avail, "fraction")]
    if var is not None:
        rows.append((name, "", "var_om", var, "CNY2020/MWh"))
    if max_build is not None:
        rows.append((name, "", "max_build", max_build, "GW"))
    return rows + list(extra)


COAL_FLOW = [("coal_plant", "coal", "in", 2.5, "PJ/PJ")]  # 40 % efficient, 10 CNY/GJ coal


def solve(folder, **settings):
    return solve_inputs(load_inputs(folder), **({"settings": None} if not settings else {}))


def test_merit_order(tmp_path):
    """Cheap coal (90 CNY/MWh fuel) runs at its availability, gas (200 CNY/MWh) fills the rest."""
    folder = power_system(
        tmp_path,
        techs=[COAL, GAS],
        flows=COAL_FLOW,
        params=plant("coal_plant", avail=0.5) + plant("gas_plant", var=200),
        stock=[("coal_plant", 2015, 10), ("gas_plant", 2015, 20)],
        demand=100,
    )
    out = solve(folder)
    coal_twh = 10 * 0.5 * GWYR_TWH  # 43.8 TWh
    np.testing.assert_allclose(out.generation.sel(tech="coal_plant"), coal_twh, rtol=1e-9)
    np.testing.assert_allclose(out.generation.sel(tech="gas_plant"), 100 - coal_twh, rtol=1e-9)
    # cost per year: coal 43.8 TWh x 3.6 PJ/TWh x 2.5 x 0.01 bn/PJ + gas 56.2e6 MWh x 200 CNY
    per_year = coal_twh * 3.6 * 2.5 * 0.01 + (100 - coal_twh) * 1e6 * 200 / 1e9
    assert float(out.cost) == pytest.approx(6 * per_year, rel=1e-9)
    # CO2: 0.1 Mt/PJ of coal
    np.testing.assert_allclose(out.co2, coal_twh * 3.6 * 2.5 * 0.1 / 1000, rtol=1e-9)


def test_build_rate_limit_binds(tmp_path):
    """Near-free wind is built at its 2 GW/yr limit every year; gas covers the rest."""
    folder = power_system(
        tmp_path,
        techs=[GAS, WIND],
        params=plant("gas_plant", var=200)
        + plant(
            "wind",
            life=30,
            avail=0.5,
            var=0,
            max_build=2,
            extra=[("wind", "", "capex", 1, "CNY2020/kW")],
        ),
        stock=[("gas_plant", 2015, 20)],
        demand=100,
    )
    inputs = load_inputs(folder)
    from model.build import build_model
    from model.solve import solve_model

    m, ctx = build_model(inputs)
    solve_model(m)
    new = ctx.var["new"].solution.sel(tech="wind")
    np.testing.assert_allclose(new.sel(year=slice(2021, 2025)), 2.0, rtol=1e-9)
    wind_2025 = float((ctx.var["act"].solution.sel(tech="wind", year=2025)) / 3.6)
    assert wind_2025 == pytest.approx(5 * 2 * 0.5 * GWYR_TWH, rel=1e-9)


def _neutral_system(folder, with_clean: bool):
    techs = [COAL] + ([CLEAN] if with_clean else [])
    params = plant("coal_plant")
    stock = [("coal_plant", 2015, 20)]
    if with_clean:
        params += plant("clean", var=150)
        stock.append(("clean", 2015, 20))
    return power_system(
        folder,
        techs=techs,
        flows=COAL_FLOW,
        params=params,
        stock=stock,
        demand=100,
        settings=[("neutrality_year", 2025, "year"), ("natural_sink", 30, "MtCO2")],
    )


def test_neutrality_uses_backstop_without_alternative(tmp_path):
    """Coal only: 100 TWh x 0.9 Mt/TWh = 90 Mt; sink 30 Mt; backstop 60 Mt at 1000 CNY/t."""
    out = solve(_neutral_system(tmp_path, with_clean=False))
    assert float(out.backstop.sel(year=2025)) == pytest.approx(0.060, rel=1e-9)
    assert float(out.co2_price.sel(year=2025)) == pytest.approx(1000, rel=1e-6)
    assert np.isnan(out.co2_price.sel(year=2024))
    assert float(out.co2_net.sel(year=2025)) == pytest.approx(0.060, rel=1e-9)


def test_neutrality_with_clean_option(tmp_path):
    """Switching costs 150 - 90 = 60 CNY/MWh and saves 0.9 t/MWh: price 66.67 CNY/t."""
    out = solve(_neutral_system(tmp_path, with_clean=True))
    assert float(out.backstop.sel(year=2025)) == pytest.approx(0.0, abs=1e-9)
    assert float(out.co2.sel(year=2025)) == pytest.approx(0.030, rel=1e-9)
    assert float(out.co2_price.sel(year=2025)) == pytest.approx(60 / 0.9, rel=1e-6)
    # before the neutrality year coal is cheaper and runs the whole demand
    assert float(out.generation.sel(tech="coal_plant", year=2024)) == pytest.approx(100, rel=1e-9)


def test_stock_retires_after_its_lifetime(tmp_path):
    """10 GW built 1995 with a 28-year life serve 2020-2022 and are gone from 2023."""
    folder = power_system(
        tmp_path,
        techs=[COAL, GAS],
        flows=COAL_FLOW,
        params=plant("coal_plant", life=28) + plant("gas_plant", var=200),
        stock=[("coal_plant", 1995, 10), ("gas_plant", 2015, 20)],
        demand=100,
    )
    out = solve(folder)
    cap = out.capacity.sel(tech="coal_plant")
    np.testing.assert_allclose(cap.sel(year=slice(2020, 2022)), 10, rtol=1e-9)
    np.testing.assert_allclose(cap.sel(year=slice(2023, 2025)), 0, atol=1e-9)


def test_retirement_rate_limit_binds(tmp_path):
    """Costly coal (1000 CNY/kW/yr fixed) may only shrink by 10 % a year: 10 x 0.9^k GW."""
    folder = power_system(
        tmp_path,
        techs=[COAL, GAS],
        flows=COAL_FLOW,
        params=plant(
            "coal_plant",
            extra=[
                ("coal_plant", "", "fixed_om", 1000, "CNY2020/kW"),
                ("coal_plant", "", "max_retirement", 0.1, "fraction"),
            ],
        )
        + plant("gas_plant", var=200),
        stock=[("coal_plant", 2015, 10), ("gas_plant", 2015, 20)],
        demand=100,
        activity=[("coal_plant", 2020, "fix", 10 * GWYR_TWH)],
    )
    out = solve(folder)
    years = np.arange(2020, 2026)
    np.testing.assert_allclose(
        out.capacity.sel(tech="coal_plant"), 10 * 0.9 ** (years - 2020), rtol=1e-9
    )


def test_activity_decline_limit_binds(tmp_path):
    """Dear coal (500 CNY/MWh) fixed at 50 TWh in 2020 may fall by at most 20 %/yr: 50 x 0.8^k."""
    folder = power_system(
        tmp_path,
        techs=[COAL, GAS],
        flows=COAL_FLOW,
        params=plant(
            "coal_plant",
            var=500,
            extra=[("coal_plant", "", "max_activity_decline", 0.2, "fraction")],
        )
        + plant("gas_plant", var=200),
        stock=[("coal_plant", 2015, 10), ("gas_plant", 2015, 20)],
        demand=100,
        activity=[("coal_plant", 2020, "fix", 50.0)],
    )
    out = solve(folder)
    years = np.arange(2020, 2026)
    coal = 50.0 * 0.8 ** (years - 2020)
    np.testing.assert_allclose(out.generation.sel(tech="coal_plant"), coal, rtol=1e-9)
    np.testing.assert_allclose(out.generation.sel(tech="gas_plant"), 100 - coal, rtol=1e-9)


def test_delivery_cost_paid_by_consumers_not_by_power_plants(tmp_path):
    """Gas power (200 CNY/MWh, 10 % own use) serves 100 TWh and an electric boiler that makes
    36 PJ (10 TWh) of heat. The 100 CNY/MWh network cost is paid on the boiler's 10 TWh only:
    generation 110 / 0.9 TWh, cost per year 122.2 TWh x 200 + 10 TWh x 100 CNY/MWh."""
    folder = power_system(
        tmp_path,
        techs=[GAS, ("e_boiler", "buildings", "heat")],
        flows=[
            ("gas_plant", "electricity", "in", 0.1, "TWh/TWh"),
            ("e_boiler", "electricity", "in", 1.0, "PJ/PJ"),
        ],
        params=plant("gas_plant", var=200) + plant("e_boiler"),
        stock=[("gas_plant", 2015, 20), ("e_boiler", 2015, 2)],
        demand=100,
        commodities=[{"commodity": "heat", "kind": "service", "unit": "PJ", "fuel": ""}],
    )
    demand = folder / "demand.csv"
    rows = demand.read_text().splitlines()
    rows.append("heat,medium,2020,36,PJ,illustrative,")
    demand.write_text("\n".join(rows) + "\n")
    params = folder / "commodity_parameters.csv"
    params.write_text(
        params.read_text() + "electricity,,delivery_cost,100,CNY2020/MWh,illustrative,\n"
    )
    out = solve(folder)
    gen = 110.0 / 0.9
    np.testing.assert_allclose(out.generation.sel(tech="gas_plant"), gen, rtol=1e-9)
    per_year = gen * 1e6 * 200 / 1e9 + 10.0 * 1e6 * 100 / 1e9
    assert float(out.cost) == pytest.approx(6 * per_year, rel=1e-9)
