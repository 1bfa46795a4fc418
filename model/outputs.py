"""Extract the model's outputs from a solution: one definition used by every solve path.

``extract_outputs(ctx, solution, duals)`` turns variable values (and the neutrality duals) into an
xarray Dataset with units in attrs. The coefficient arrays it needs are prepared once per built
model by :func:`prepare_extraction`, so that the fast path can call it per sample cheaply.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from model.equations import primary_energy_coefficients, scenario_demand
from model.peak import robust_peak

PJ_PER_GTCE = 29307.6
PJ_PER_TWH = 3.6
NON_END_USE = ("power", "heat", "supply", "storage", "removal")


def prepare_extraction(ctx) -> dict:
    """Coefficient arrays for output extraction, computed once per built model."""
    inp, a = ctx.inputs, ctx.arrays
    elec = a["elec"]
    on_supply, on_act = primary_energy_coefficients(inp, elec)
    units = inp.commodities.unit.map(_is_energy_unit)
    energy = xr.DataArray(units.to_numpy(), {"commodity": inp.commodities.index}, ("commodity",))
    end_use = xr.DataArray(
        ~inp.techs.sector.isin(NON_END_USE).to_numpy(), {"tech": inp.techs.index}, ("tech",)
    )
    prep = {
        "on_supply": on_supply,
        "on_act": on_act,
        "emitted": a["emitted"],
        "stored": a["captured"] + inp.tech_param["removal"],
        "removal": inp.tech_param["removal"],
        "final_in": inp.flow_in.where(energy, 0) * end_use,
        "energy": energy,
        "sector": inp.techs.sector,
        "tolerance": ctx.values["peak_tolerance"],
    }
    if elec is not None:
        out = inp.flow_out.sel(commodity=elec, drop=True)
        power = out.any("year").to_numpy()
        prep["elec_out"] = out.isel(tech=power)
        prep["power_techs"] = list(inp.techs.index[power])
    return update_extraction(prep, inp, ctx.settings, a["sink"], a["df"])


def update_extraction(prep: dict, inputs, settings, sink, df) -> dict:
    """The parts of ``prep`` that a sample's parameters move: demand, sink, discount factors."""
    demand = scenario_demand(inputs, settings)
    return {**prep, "final_demand": demand.where(prep["energy"], 0), "sink": sink, "df": df}


def _is_energy_unit(unit: str) -> bool:
    from model.units import UnitRegistry

    return UnitRegistry().unit_dims(unit) == {"energy": 1}


def _peak_vars(co2: xr.DataArray, tolerance: float) -> dict:
    peak = robust_peak(co2.year.values, co2.values, tolerance)
    return {
        "peak_year": ((), float(peak.year), {"units": "year", "long_name": "robust peak year"}),
        "peak_year_max": ((), float(peak.year_max), {"units": "year"}),
        "plateau_years": ((), float(peak.plateau_years), {"units": "years"}),
        "peak_co2": ((), peak.level, {"units": "GtCO2"}),
        "peak_censored": (
            (),
            float(peak.censored),
            {"units": "1", "long_name": "1 if no peak is seen within the horizon"},
        ),
    }


def extract_outputs(
    ctx, solution: dict, duals: dict, objective: float, prep: dict | None = None
) -> xr.Dataset:
    """Outputs of one solved scenario.

    Parameters
    ----------
    ctx : model.build.Context
    solution : dict
        Variable name -> DataArray of values over the variable's coords (NaN where masked).
    duals : dict
        ``"neutrality"`` -> DataArray of duals over year (bnCNY2020 per MtCO2, discounted).
    objective : float
        Objective value (bnCNY2020, discounted to the base year).
    prep : dict, optional
        Output of :func:`prepare_extraction` (computed when omitted).
    """
    prep = prep or prepare_extraction(ctx)
    act = solution["act"].fillna(0)
    supply = solution["supply"].fillna(0)
    by_tech = prep["emitted"] * act / 1000
    co2 = by_tech.sum("tech")
    removals = (prep["removal"] * act).sum("tech") / 1000
    pe = (prep["on_supply"] * supply).sum("commodity") + (prep["on_act"] * act).sum("tech")
    pe = pe / PJ_PER_GTCE
    total_pe = pe.sum("fuel")
    final = (prep["final_in"] * act).sum("tech") + prep["final_demand"]
    variables = {
        "co2": (("year",), co2.values, {"units": "GtCO2", "long_name": "gross CO2 after capture"}),
        "co2_net": (("year",), (co2 - removals - prep["sink"] / 1000).values, {"units": "GtCO2"}),
        "co2_by_sector": (
            by_tech.groupby(xr.DataArray(prep["sector"].to_numpy(), dims="tech", name="sector"))
            .sum("tech")
            .transpose("sector", "year"),
            {"units": "GtCO2"},
        ),
        "removals": (("year",), removals.values, {"units": "GtCO2"}),
        "primary_energy": (
            pe.transpose("fuel", "year"),
            {"units": "Gtce", "long_name": "primary energy, coal-equivalent method"},
        ),
        "coal_share": ((pe.sel(fuel="coal") / total_pe), {"units": "1"}),
        "nonfossil_share": ((pe.sel(fuel="nonfossil") / total_pe), {"units": "1"}),
        "ccs": ((prep["stored"] * act).sum("tech") / 1000, {"units": "GtCO2"}),
        "backstop": (solution["backstop"].fillna(0) / 1000, {"units": "GtCO2"}),
        "cost": ((), float(objective), {"units": "bnCNY2020", "long_name": "discounted cost"}),
        "co2_price": (_co2_price(duals, prep), {"units": "CNY2020/tCO2"}),
    }
    if "elec_out" in prep:
        elec = final.sel(commodity="electricity") if "electricity" in final.commodity else 0
        variables["electrification"] = (elec / final.sum("commodity"), {"units": "1"})
        gen = prep["elec_out"] * act.sel(tech=prep["power_techs"]) / PJ_PER_TWH
        variables["generation"] = (gen.transpose("tech", "year"), {"units": "TWh"})
        variables["capacity"] = (solution["cap"].sel(tech=prep["power_techs"]), {"units": "GW"})
    variables.update(_peak_vars(co2, prep["tolerance"]))
    return xr.Dataset({k: _as_var(v) for k, v in variables.items()})


def _as_var(spec):
    if len(spec) == 3:
        return xr.Variable(spec[0], spec[1], spec[2])
    data, attrs = spec
    data = data.drop_vars([c for c in data.coords if c not in data.dims])
    return data.assign_attrs(attrs)


def _co2_price(duals: dict, prep: dict) -> xr.DataArray:
    """Undiscounted CO2 price (CNY2020/t) from the neutrality duals; NaN before the constraint."""
    dual = duals.get("neutrality")
    df = prep["df"]
    price = xr.full_like(df, np.nan)
    if dual is not None:
        # dual in bnCNY per MtCO2 (discounted) -> 1000 CNY/t undiscounted; <= row gives dual <= 0
        price = (-dual.reindex(year=df.year) / df * 1000).where(
            dual.reindex(year=df.year).notnull()
        )
    return price
