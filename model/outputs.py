"""Extract the model's outputs from a solution: one definition used by every solve path.

:func:`prepare_extraction` turns a built model's coefficients into plain numpy arrays once;
:func:`extract_outputs` then turns one solution (numpy arrays of ``act``, ``cap``, ``supply``,
``backstop`` and the neutrality duals) into an xarray Dataset with units in attrs. Both the
reference rebuild (:mod:`model.scenario`) and the fast path (:mod:`model.fastpath`) call it, so an
output means the same on both paths and costs well under a millisecond of numpy per sample.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from model.equations import (
    budget_window,
    ets_price_path,
    primary_energy_coefficients,
    report_end,
    scenario_demand,
)
from model.peak import robust_peak
from model.units import UnitRegistry

PJ_PER_GTCE = 29307.6
PJ_PER_TWH = 3.6
NON_END_USE = ("power", "heat", "supply", "storage", "removal")


def _np(arr: xr.DataArray, *dims) -> np.ndarray:
    return np.asarray(arr.transpose(*dims).values, dtype=float)


def prepare_extraction(ctx) -> dict:
    """Coefficient arrays for output extraction (numpy, tech x year order), once per model."""
    inp, a = ctx.inputs, ctx.arrays
    units = UnitRegistry()
    on_supply, on_act = primary_energy_coefficients(inp, a["elec"])
    energy = np.array([units.unit_dims(u) == {"energy": 1} for u in inp.commodities.unit])
    end_use = ~inp.techs.sector.isin(NON_END_USE).to_numpy()
    final_in = _np(inp.flow_in, "tech", "commodity", "year") * energy[None, :, None]
    final_in *= end_use[:, None, None]
    sectors = sorted(inp.techs.sector.unique())
    prep = {
        "years": inp.years,
        "sectors": sectors,
        "sector_matrix": np.array([(inp.techs.sector == s).to_numpy() for s in sectors], float),
        "emitted": _np(a["emitted"], "tech", "year"),
        "stored": _np(a["captured"] + inp.tech_param["removal"], "tech", "year"),
        "removal": _np(inp.tech_param["removal"], "tech", "year"),
        "on_supply": _np(on_supply, "fuel", "commodity"),
        "on_act": _np(on_act.broadcast_like(inp.tech_param["removal"]), "fuel", "tech", "year"),
        "fuels": list(on_supply.fuel.values),
        "final_in_total": final_in.sum(axis=1),
        "energy": energy,
        "elec": a["elec"],
        "tolerance": ctx.values["peak_tolerance"],
        "report": inp.years <= report_end(inp.years, ctx.values),
    }
    if a["elec"] is not None:
        e = list(inp.commodities.index).index(a["elec"])
        prep["final_in_elec"] = final_in[:, e, :]
        out = _np(inp.flow_out.sel(commodity=a["elec"], drop=True), "tech", "year")
        power = out.any(axis=1)
        prep["power_index"] = np.flatnonzero(power)
        prep["power_techs"] = list(inp.techs.index[power])
        prep["elec_out"] = out[power]
        prep["elec_index"] = e
    demand = _np(scenario_demand(inp, ctx.settings), "commodity", "year")
    carbon = carbon_prices(inp.years, ctx.values, inp.series, ctx.settings.carbon_policy)
    return update_extraction(prep, demand, a["sink"], a["df"], carbon)


def carbon_prices(years, values: dict, series, policy: str) -> dict:
    """What the carbon policy adds to the CO2 price: the budget window and the ETS price path."""
    window = budget_window(years, values) if "carbon_budget_start" in values else None
    ets = ets_price_path(years, values, series) if policy == "ets" else np.zeros(len(years))
    priced = window if policy == "budget" else np.zeros(len(years), bool)
    return {"budget_window": priced, "ets_price": ets, "cumulative_window": window}


def update_extraction(prep: dict, demand: np.ndarray, sink, df, carbon: dict) -> dict:
    """The parts of ``prep`` that a sample's parameters move: demand (commodity x year), sink,
    discount factors and the carbon policy's prices (:func:`carbon_prices`)."""
    final = {"final_demand_total": (demand * prep["energy"][:, None]).sum(axis=0)}
    if prep["elec"] is not None:
        final["final_demand_elec"] = demand[prep["elec_index"]]
    return {
        **prep,
        **final,
        **carbon,
        "sink": np.asarray(sink, float),
        "df": np.asarray(df, float),
    }


def extract_outputs(prep: dict, solution: dict, duals: dict, objective: float) -> xr.Dataset:
    """Outputs of one solved scenario.

    Parameters
    ----------
    prep : dict
        From :func:`prepare_extraction` (and :func:`update_extraction` for a sample).
    solution : dict
        ``act`` and ``cap`` (tech x year), ``supply`` (commodity x year), ``backstop`` (year):
        numpy arrays of variable values, NaN where a variable does not exist.
    duals : dict
        ``neutrality``: dual by year (bnCNY2020 per MtCO2, discounted), NaN where the row does
        not exist (before the neutrality year); ``carbon_budget``: the budget row's dual (a
        scalar, when the row exists).
    objective : float
        Objective value (bnCNY2020, discounted to the base year).
    """
    act = np.nan_to_num(solution["act"])
    supply = np.nan_to_num(solution["supply"])
    by_tech = prep["emitted"] * act / 1000
    co2 = by_tech.sum(axis=0)
    removals = (prep["removal"] * act).sum(axis=0) / 1000
    pe = (prep["on_supply"] @ supply + np.einsum("fty,ty->fy", prep["on_act"], act)) / PJ_PER_GTCE
    with np.errstate(invalid="ignore", divide="ignore"):
        share = pe / pe.sum(axis=0)
    fuel = {f: i for i, f in enumerate(prep["fuels"])}
    Y, S = ("year",), ("sector", "year")
    v = {
        "co2": (Y, co2, "GtCO2", "gross CO2 (fossil and process) after capture"),
        "co2_net": (Y, co2 - removals - prep["sink"] / 1000, "GtCO2", "co2 - removals - sink"),
        "co2_by_sector": (S, prep["sector_matrix"] @ by_tech, "GtCO2", "direct CO2 by sector"),
        "removals": (Y, removals, "GtCO2", "BECCS and DAC removals"),
        "primary_energy": (("fuel", "year"), pe, "Gtce", "coal-equivalent method"),
        "coal_share": (Y, share[fuel["coal"]], "1", "coal share of primary energy"),
        "nonfossil_share": (Y, share[fuel["nonfossil"]], "1", "non-fossil share"),
        "ccs": (Y, (prep["stored"] * act).sum(axis=0) / 1000, "GtCO2", "CO2 injected"),
        "backstop": (Y, np.nan_to_num(solution["backstop"]) / 1000, "GtCO2", "backstop"),
        "cost": ((), float(objective), "bnCNY2020", "discounted system cost"),
        "co2_price": (
            Y,
            co2_price(prep, duals, len(co2)),
            "CNY2020/tCO2",
            "undiscounted CO2 price: shadow price of the neutrality and budget rows plus the ETS "
            "price (NaN in years without either)",
        ),
    }
    if prep["cumulative_window"] is not None:
        net = co2 - removals - prep["sink"] / 1000 - np.nan_to_num(solution["backstop"]) / 1000
        v["co2_net_cumulative"] = (
            (),
            float(net[prep["cumulative_window"]].sum()),
            "GtCO2",
            "cumulative net CO2 (after backstop) over the carbon-budget window",
        )
    if prep["elec"] is not None:
        elec = (prep["final_in_elec"] * act).sum(axis=0) + prep["final_demand_elec"]
        total = (prep["final_in_total"] * act).sum(axis=0) + prep["final_demand_total"]
        v["electrification"] = (Y, elec / total, "1", "electricity share of final energy")
        idx = prep["power_index"]
        v["generation"] = (
            ("tech", "year"),
            prep["elec_out"] * act[idx] / PJ_PER_TWH,
            "TWh",
            "electricity generation",
        )
        v["capacity"] = (("tech", "year"), solution["cap"][idx], "GW", "operable capacity")
    report = prep["report"]
    v.update(_peak_vars(prep["years"][report], co2[report], prep["tolerance"]))
    return _dataset(v, prep).isel(year=report)


def co2_price(prep: dict, duals: dict, n_years: int) -> np.ndarray:
    """Undiscounted CO2 price by year (CNY2020/tCO2), NaN where no constraint or price applies.

    price[y] = (-dual_neutrality[y] - [y in W] dual_budget) / df[y] + ets[y]
    """
    neutral = duals.get("neutrality", np.full(n_years, np.nan))
    budget = -float(duals.get("carbon_budget", 0.0)) * prep["budget_window"]
    shadow = np.nan_to_num(-neutral) + budget
    price = shadow / prep["df"] + prep["ets_price"]
    defined = ~np.isnan(neutral) | prep["budget_window"] | (prep["ets_price"] > 0)
    return np.where(defined, price * 1000, np.nan)


def _peak_vars(years, co2: np.ndarray, tolerance: float) -> dict:
    peak = robust_peak(years, co2, tolerance)
    return {
        "peak_year": ((), peak.year, "year", "robust peak year (+inf: not within the horizon)"),
        "peak_year_max": ((), float(peak.year_max), "year", "year of the plain maximum"),
        "plateau_years": ((), float(peak.plateau_years), "years", "years within tolerance of max"),
        "peak_co2": ((), peak.level, "GtCO2", "CO2 in the robust peak year (last if censored)"),
        "peak_censored": ((), float(peak.censored), "1", "1 if no peak within the horizon"),
    }


def _dataset(variables: dict, prep: dict) -> xr.Dataset:
    coords = {"year": prep["years"], "sector": prep["sectors"], "fuel": prep["fuels"]}
    if "power_techs" in prep:
        coords["tech"] = prep["power_techs"]
    data = {
        name: xr.Variable(dims, np.asarray(values, float), {"units": units, "long_name": text})
        for name, (dims, values, units, text) in variables.items()
    }
    if "peak_year" in data:  # +inf = no peak by the last reported year (right-censored)
        data["peak_year"].attrs["censored_at"] = float(prep["years"][prep["report"]][-1])
    return xr.Dataset(data, coords=coords)


def solution_arrays(ctx) -> dict:
    """Variable values of a solved linopy model as the numpy arrays of :func:`extract_outputs`."""
    dims = {
        "act": ("tech", "year"),
        "cap": ("tech", "year"),
        "supply": ("commodity", "year"),
        "backstop": ("year",),
    }
    return {n: _np(ctx.var[n].solution, *d) for n, d in dims.items()}
