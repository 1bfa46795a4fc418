"""Constraint families of capacity, activity, commodities, potentials and the power system.

Notation: t technology, c commodity, y year, v build year; ``new``, ``cap``, ``act``, ``supply``,
``backstop`` are the variables of :func:`model.build.add_variables`. All quantities are in base
units (PJ, GW, Mt, MtCO2, bnCNY2020, bn pkm/tkm) per year.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from model.errors import InputError
from model.load import series_over_years
from model.units import UnitRegistry

GW_YEAR_PJ = 8760.0 * 3.6e-3


def term(ctx, name: str, shift: int = 0):
    """A variable as an expression whose absent (masked or shifted-out) slots count as 0."""
    var = ctx.var[name]
    return (var.shift(year=shift) if shift else var).fillna(0)


def _cap_to_act(inputs) -> xr.DataArray:
    """Activity per unit capacity per year at full availability, from data or from units."""
    given = inputs.tech_param["cap_to_act"]
    units = UnitRegistry()
    derived = []
    for tech, row in inputs.techs.iterrows():
        cap = units.unit_dims(row.capacity_unit)
        act = units.unit_dims(inputs.commodities.at[row.output, "unit"])
        if cap == {"power": 1} and act == {"energy": 1}:
            derived.append(GW_YEAR_PJ)
        elif cap == act:
            derived.append(1.0)
        elif given.sel(tech=tech).isnull().any():
            raise InputError(
                f"technology {tech!r}: capacity unit {row.capacity_unit!r} and "
                "activity unit differ; give a cap_to_act row in tech_parameters.csv"
            )
        else:
            derived.append(np.nan)
    fallback = xr.DataArray(derived, {"tech": inputs.techs.index}, ("tech",))
    return given.fillna(fallback)


def derive_arrays(ctx, sink: xr.DataArray) -> None:
    """Coefficient arrays shared by several families (discounting, CO2 factors, lifetimes)."""
    inp, v = ctx.inputs, ctx.values
    years = inp.years
    base = years[0]
    p = inp.tech_param
    combustion = (inp.flow_in * inp.commodity_param["co2_factor"]).sum("commodity")
    gross = combustion + p["process_co2"]
    life = p["lifetime"].isel(year=0).fillna(1000)
    a = ctx.arrays
    a["df"] = discount_factors(years, v["discount_rate"])
    a["gross_co2"] = gross  # MtCO2 per unit activity before capture
    a["emitted"] = gross * (1 - p["capture_rate"])
    a["captured"] = gross * p["capture_rate"]
    a["lifetime"] = life
    a["cap_to_act"] = _cap_to_act(inp)
    a["moved"] = moved_coefficients(inp)
    a["sink"] = sink
    elec = "electricity" if "electricity" in inp.commodities.index else None
    a["elec"] = elec
    vint = xr.DataArray(years, dims="vintage", coords={"vintage": years})
    yr = xr.DataArray(years, dims="year", coords={"year": years})
    a["window"] = ((vint <= yr) & (vint > yr - life) & (vint > base)).astype(float)
    a["expiring"] = ((vint == yr - life) & (vint > base)).astype(float)


def add_capacity_stock(ctx) -> None:
    """Operable capacity within installed capacity (stock turnover).

    cap[t,y] <= stock[t,y] + sum_{v : y - L_t < v <= y} new[t,v]

    where stock[t,y] is base-year capacity of vintages still within their lifetime L_t.
    """
    new_v = term(ctx, "new").rename(year="vintage")
    installed = (new_v * ctx.arrays["window"]).sum("vintage")
    ctx.model.add_constraints(ctx.var["cap"] - installed <= ctx.inputs.stock, name="stock")


def add_build_limits(ctx) -> None:
    """Yearly build limits, absolute and relative to the existing fleet.

    new[t,y] <= max_build[t,y]                                         (where given)
    new[t,y] <= max_build_seed[t,y] + max_growth[t,y] * cap[t,y-1]    (where max_growth given)
    """
    p, m, new = ctx.inputs.tech_param, ctx.model, term(ctx, "new")
    years = ctx.inputs.years
    later = xr.DataArray(years > years[0], {"year": years}, ("year",))
    if p["max_build"].notnull().any():
        mask = p["max_build"].notnull() & later
        m.add_constraints(new <= p["max_build"].fillna(0), name="max_build", mask=mask)
    if p["max_growth"].notnull().any():
        mask = p["max_growth"].notnull() & later
        coef = ctx.arrays["moved"]["max_growth"][2]
        lhs = new + coef * term(ctx, "cap", shift=1)
        m.add_constraints(lhs <= p["max_build_seed"], name="max_growth", mask=mask)


def add_retirement_limits(ctx) -> None:
    """Operable capacity may fall by at most its scheduled retirements plus a share per year.

    cap[t,y] >= (1 - r_t) cap[t,y-1] - (stock[t,y-1] - stock[t,y]) - new[t,y-L_t]

    with r_t = max_retirement (only where r_t < 1).
    """
    p, stock = ctx.inputs.tech_param, ctx.inputs.stock
    years = ctx.inputs.years
    r = p["max_retirement"]
    scheduled = (stock.shift(year=1) - stock).fillna(0)
    expiring = (term(ctx, "new").rename(year="vintage") * ctx.arrays["expiring"]).sum("vintage")
    lhs = ctx.var["cap"] - (1 - r) * term(ctx, "cap", shift=1) + expiring
    mask = (r < 1) & xr.DataArray(years > years[0], {"year": years}, ("year",))
    if bool(mask.any()):
        ctx.model.add_constraints(lhs >= -scheduled, name="max_retirement", mask=mask)


def add_activity_decline(ctx) -> None:
    """Activity of a technology may fall by at most a share of last year's activity.

    act[t,y] >= (1 - d_t) act[t,y-1] - s_t     (y > base year, where d_t = max_activity_decline < 1)

    with s_t = max_activity_decline_seed, an activity that may always be dropped, so that the
    bound lapses once activity is small and an end use can be phased out completely (the
    analogue of MESSAGE's ``growth_activity_lo`` with ``initial_activity_lo``). The aggregate
    end-use technologies stand for many heterogeneous users and fuel networks; a single
    cost-minimising consumer would switch all of them in the year a vintage retires.
    """
    p = ctx.inputs.tech_param
    d = p["max_activity_decline"]
    years = ctx.inputs.years
    mask = (d < 1) & xr.DataArray(years > years[0], {"year": years}, ("year",))
    if bool(mask.any()):
        coef = ctx.arrays["moved"]["max_activity_decline"][2]
        lhs = ctx.var["act"] + coef * term(ctx, "act", shift=1)
        ctx.model.add_constraints(
            lhs >= -p["max_activity_decline_seed"], name="max_activity_decline", mask=mask
        )


def add_activity_growth(ctx) -> None:
    """Activity of a technology may grow by at most a share of last year's activity plus a seed.

    act[t,y] <= (1 + g_t) act[t,y-1] + s_t   (y > base year, where max_activity_growth is given)

    with s_t = max_activity_growth_seed, the activity that may always be added in a year (the
    analogue of MESSAGE's ``growth_activity_up`` with ``initial_activity_up``): new options such as
    CCS, BECCS, DAC and electrolysers scale up over years, not in the year they are needed.
    """
    p = ctx.inputs.tech_param
    g = p["max_activity_growth"]
    years = ctx.inputs.years
    mask = g.notnull() & xr.DataArray(years > years[0], {"year": years}, ("year",))
    if bool(mask.any()):
        coef = ctx.arrays["moved"]["max_activity_growth"][2]
        lhs = ctx.var["act"] + coef * term(ctx, "act", shift=1)
        ctx.model.add_constraints(
            lhs <= p["max_activity_growth_seed"], name="max_activity_growth", mask=mask
        )


def moved_coefficients(inputs) -> dict:
    """Matrix coefficients that study targets can move, by constraint family.

    Returns ``{family: (variable, lag, coefficient)}``: in the family's rows the variable at
    (t, y - lag) has the coefficient (a (tech, year) array; NaN or 0 where it has none):

    - ``max_growth``: cap[t,y-1] has -max_growth[t,y];
    - ``max_activity_decline``: act[t,y-1] has -(1 - max_activity_decline[t,y]);
    - ``max_activity_growth``: act[t,y-1] has -(1 + max_activity_growth[t,y]);
    - ``vre_share``: act[t,y] has out[t,el,y] ([t in wind_solar] - max_vre_share[y]).

    The constraint functions build their rows from these arrays and the fast path pushes the same
    arrays per sample, so both always agree.
    """
    p = inputs.tech_param
    out = {
        "max_growth": ("cap", 1, -p["max_growth"].fillna(0)),
        "max_activity_decline": ("act", 1, -(1 - p["max_activity_decline"])),
        "max_activity_growth": ("act", 1, -(1 + p["max_activity_growth"].fillna(0))),
    }
    elec = "electricity" if "electricity" in inputs.commodities.index else None
    if elec is not None and "wind_solar" in inputs.groups and "max_vre_share" in inputs.series:
        gen = inputs.flow_out.sel(commodity=elec, drop=True)
        vre = xr.DataArray(
            inputs.techs.index.isin(inputs.groups["wind_solar"]).astype(float),
            {"tech": inputs.techs.index.rename("tech")},
            ("tech",),
        )
        out["vre_share"] = ("act", 0, gen * (vre - inputs.series["max_vre_share"]))
    return out


def add_activity_limits(ctx) -> None:
    """Activity within availability and above a minimum utilisation of operable capacity.

    act[t,y] <= availability[t,y] * k_t * cap[t,y]
    act[t,y] >= min_utilisation[t,y] * k_t * cap[t,y]       (where min_utilisation > 0)

    with k_t the activity per unit of capacity per year (31.536 PJ per GW).
    """
    p, a, m = ctx.inputs.tech_param, ctx.arrays, ctx.model
    act, cap = ctx.var["act"], ctx.var["cap"]
    m.add_constraints(act - p["availability"] * a["cap_to_act"] * cap <= 0, name="availability")
    mu = p["min_utilisation"]
    if bool((mu > 0).any()):
        m.add_constraints(
            act - mu * a["cap_to_act"] * cap >= 0, name="min_utilisation", mask=mu > 0
        )


def add_commodity_balance(ctx) -> None:
    """Commodity balance: production plus supply covers consumption plus demand.

    supply[c,y] + sum_t (out[t,c,y] - in[t,c,y]) act[t,y] >= demand[c,y]
    supply[c,y] <= max_supply[c,y];  supply[c,y] >= min_supply[c,y] (where given)
    """
    inp, m = ctx.inputs, ctx.model
    net = ((inp.flow_out - inp.flow_in) * ctx.var["act"]).sum("tech")
    demand = scenario_demand(inp, ctx.settings)
    net = net + term(ctx, "supply")
    used = (inp.flow_out != 0).any(["tech", "year"]) | (inp.flow_in != 0).any(["tech", "year"])
    wanted = (inp.demand > 0).any(["scenario", "year"])
    m.add_constraints(net >= demand, name="balance", mask=used | wanted)
    price_cap = inp.commodity_param["max_supply"]
    if bool(price_cap.notnull().any()):
        m.add_constraints(
            term(ctx, "supply") <= price_cap.fillna(0), name="max_supply", mask=price_cap.notnull()
        )
    floor = inp.commodity_param["min_supply"]
    if bool((floor > 0).any()):
        m.add_constraints(term(ctx, "supply") >= floor.fillna(0), name="min_supply", mask=floor > 0)


def add_potentials(ctx) -> None:
    """Resource and siting potentials of technologies, groups and primary commodities.

    sum_{t in g} cap[t,y] <= max_capacity[g,y];  sum_{t in g} act[t,y] <= max_activity[g,y]
    sum_{t in g} new[t,y] <= max_new_capacity[g,y];  supply[c,y] <= max_supply[c,y]
    """
    inp, m, years = ctx.inputs, ctx.model, ctx.inputs.years
    if inp.potentials is None or len(inp.potentials) == 0:
        return
    var_of = {
        "max_capacity": "cap",
        "max_activity": "act",
        "max_new_capacity": "new",
        "max_supply": "supply",
    }
    for (name, param), rows in inp.potentials.groupby(["name", "parameter"]):
        limit = xr.DataArray(series_over_years(rows, years), {"year": years}, ("year",))
        limit = limit * potential_scale(years, ctx.values, ctx.settings.history, name, param)
        var = ctx.var[var_of[param]]
        if param == "max_supply":
            lhs = var.sel(commodity=name)
        else:
            members = inp.groups.get(name, [name])
            lhs = var.sel(tech=members).sum("tech")
        mask = limit.notnull()
        if param == "max_new_capacity":
            mask = mask & (limit.year > years[0])
        m.add_constraints(lhs <= limit.fillna(0), name=f"potential_{param}_{name}", mask=mask)


def potential_scale(years, values: dict, history: bool, name: str, param: str):
    """Factor on a group's build ceiling (the ``new_capacity_scale:<group>`` setting) after the
    observed years; 1 elsewhere."""
    scale = values.get(f"new_capacity_scale:{name}")
    if param != "max_new_capacity" or scale is None:
        return 1.0
    end = values.get("history_end", years[0]) if history else years[0]
    return xr.DataArray(np.where(years <= end, 1.0, float(scale)), {"year": years}, ("year",))


def scenario_demand(inputs, settings) -> xr.DataArray:
    """Demand of the run's scenario over (commodity, year)."""
    return inputs.demand.sel(scenario=settings.scenario, drop=True)


def adequacy_rhs(inputs, settings, values) -> xr.DataArray:
    """Peak load from final electricity demand (GW), the constant part of the adequacy row."""
    demand = scenario_demand(inputs, settings).sel(commodity="electricity", drop=True)
    return demand * ((1 + values["reserve_margin"]) / (GW_YEAR_PJ * values["load_factor"]))


def add_power_adequacy(ctx) -> None:
    """Firm capacity covers peak load with a reserve margin.

    sum_t cc[t,y] cap[t,y] - k sum_t in[t,el,y] act[t,y] >= k demand[el,y],
    k = (1 + rm) / (8760 h x lf)

    with cc the capacity credit, rm the reserve margin and lf the load factor (average/peak load):
    the right-hand side is :func:`adequacy_rhs`.
    """
    cc = ctx.inputs.tech_param["capacity_credit"]
    if ctx.arrays["elec"] is None or not bool((cc > 0).any()):
        return
    inp, v, years = ctx.inputs, ctx.values, ctx.inputs.years
    k = (1 + v["reserve_margin"]) / (GW_YEAR_PJ * v["load_factor"])
    firm = (cc * ctx.var["cap"]).sum("tech")
    used = (inp.flow_in.sel(commodity=ctx.arrays["elec"], drop=True) * ctx.var["act"]).sum("tech")
    mask = xr.DataArray(years > years[0], {"year": years}, ("year",))
    rhs = adequacy_rhs(inp, ctx.settings, v)
    ctx.model.add_constraints(firm - k * used >= rhs, name="adequacy", mask=mask)


def add_co2_storage_limit(ctx) -> None:
    """Yearly CO2 injection limit (the ``co2_storage_max`` setting, MtCO2/yr, when given).

    sum_{t stores} act[t,y] <= co2_storage_max          for y > base year
    """
    limit = ctx.values.get("co2_storage_max")
    if limit is None or not np.isfinite(limit):
        return
    years = ctx.inputs.years
    stored = (ctx.inputs.tech_param["stores_co2"] * ctx.var["act"]).sum("tech")
    mask = xr.DataArray(years > years[0], {"year": years}, ("year",))
    ctx.model.add_constraints(stored <= limit, name="co2_storage_limit", mask=mask)


def add_flexibility(ctx) -> None:
    """Flexible capacity grows with the wind+solar share of generation above a threshold.

    sum_t flex[t] cap[t,y] >= f / 8760 h x (G_vre[y] - s0 x G[y])

    where G is electricity generation, G_vre that of the ``wind_solar`` group, f the
    ``flex_ratio`` and s0 the ``flex_threshold``.
    """
    inp, v = ctx.inputs, ctx.values
    if ctx.arrays["elec"] is None or "wind_solar" not in inp.groups or v["flex_ratio"] <= 0:
        return
    out = inp.flow_out.sel(commodity=ctx.arrays["elec"]) * ctx.var["act"]
    gen = out.sum("tech")
    vre = out.sel(tech=inp.groups["wind_solar"]).sum("tech")
    flex = (inp.tech_param["flexibility"] * ctx.var["cap"]).sum("tech")
    years = inp.years
    mask = xr.DataArray(years > years[0], {"year": years}, ("year",))
    rhs = (vre - v["flex_threshold"] * gen) * (v["flex_ratio"] / GW_YEAR_PJ)
    ctx.model.add_constraints(flex - rhs >= 0, name="flexibility", mask=mask)


def add_vre_share(ctx) -> None:
    """Integration limit: wind+solar generation at most a rising share of all generation.

    sum_{t in wind_solar} out[t,el,y] act[t,y] <= max_vre_share[y] x sum_t out[t,el,y] act[t,y]

    for y after the base year, with ``max_vre_share`` a series of settings.csv (no row: no limit).
    A proxy for what an annual model cannot see (curtailment, grid build-out, system inertia).
    """
    inp = ctx.inputs
    if (
        ctx.arrays["elec"] is None
        or "wind_solar" not in inp.groups
        or "max_vre_share" not in inp.series
    ):
        return
    coef = ctx.arrays["moved"]["vre_share"][2]
    years = inp.years
    mask = xr.DataArray(years > years[0], {"year": years}, ("year",))
    ctx.model.add_constraints((coef * ctx.var["act"]).sum("tech") <= 0, name="vre_share", mask=mask)


def add_co2_storage(ctx) -> None:
    """Captured CO2 and removals must be injected into storage.

    sum_{t stores} act[t,y] >= sum_t (captured[t,y] + removal[t,y]) act[t,y]
    """
    p, act = ctx.inputs.tech_param, ctx.var["act"]
    flows = ctx.arrays["captured"] + p["removal"]
    if not bool((flows > 0).any()):
        return
    stored = (p["stores_co2"] * act).sum("tech")
    ctx.model.add_constraints(stored - (flows * act).sum("tech") >= 0, name="co2_storage")


def discount_factors(years: np.ndarray, rate: float) -> xr.DataArray:
    """Discount factors to the base year, by year."""
    base = years[0]
    return xr.DataArray((1 + rate) ** -(years - base).astype(float), {"year": years}, ("year",))
