"""Constraint families of the LP, one function each, with the equation it adds.

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


def co2_expression(ctx):
    """Gross CO2 (pinned definition) after capture, MtCO2, by year: sum_t emitted[t,y] act[t,y]."""
    return (ctx.arrays["emitted"] * ctx.var["act"]).sum("tech")


def removal_expression(ctx):
    """CO2 removals (BECCS, DAC), MtCO2, by year: sum_t removal[t,y] act[t,y]."""
    return (ctx.inputs.tech_param["removal"] * ctx.var["act"]).sum("tech")


def add_neutrality(ctx) -> None:
    """Carbon neutrality from the neutrality year, with a priced backstop that keeps it feasible.

    co2[y] - removals[y] - backstop[y] <= sink[y]        for y >= neutrality_year

    held in every year from the neutrality year to the end of the horizon (which runs past the
    reported years, as in TIMES/MESSAGE practice, so that the target is not met by a one-year
    cliff in its last year).
    """
    years = ctx.inputs.years
    lhs = co2_expression(ctx) - removal_expression(ctx) - term(ctx, "backstop")
    mask = xr.DataArray(years >= ctx.values["neutrality_year"], {"year": years}, ("year",))
    ctx.model.add_constraints(lhs <= ctx.arrays["sink"], name="neutrality", mask=mask)


CARBON_POLICIES = ("none", "budget", "ets")


def budget_window(years, values) -> np.ndarray:
    """Years counted by the carbon budget: ``carbon_budget_start`` to ``carbon_budget_end``."""
    return (years >= values["carbon_budget_start"]) & (years <= values["carbon_budget_end"])


def budget_rhs(years, values, sink) -> float:
    """Right-hand side of the budget row (MtCO2): the budget plus the sink over the window."""
    window = budget_window(years, values)
    return float(values["carbon_budget"] + np.asarray(sink, float)[window].sum())


def add_carbon_budget(ctx) -> None:
    """Cumulative net CO2 over the budget window within the carbon budget (``carbon_policy =
    "budget"``).

    sum_{y in W} (co2[y] - removals[y] - backstop[y]) <= B + sum_{y in W} sink[y]

    with W the years from ``carbon_budget_start`` to ``carbon_budget_end`` and B =
    ``carbon_budget``: the natural sink is counted every year along its path, and the budget's
    dual, undiscounted, is a CO2 price rising at the discount rate (Hotelling).
    """
    if not ctx.values.get("budget_row"):
        return
    years = ctx.inputs.years
    window = xr.DataArray(budget_window(years, ctx.values), {"year": years}, ("year",))
    net = co2_expression(ctx) - removal_expression(ctx) - term(ctx, "backstop")
    lhs = (net * window.astype(float)).sum("year")
    rhs = budget_rhs(years, ctx.values, ctx.arrays["sink"])
    ctx.model.add_constraints(lhs <= rhs, name="carbon_budget")


def ets_price_path(years, values, series) -> np.ndarray:
    """National ETS allowance price by year (base units, bnCNY2020/MtCO2).

    The observed ``ets_price`` series up to ``ets_price_base_year``, then growing at
    ``ets_price_growth`` per year: p[y] = p[y0] (1 + g)^(y - y0).
    """
    if "ets_price" not in series:
        return np.zeros(len(years))
    observed = np.asarray(series["ets_price"].values, float)
    y0 = values.get("ets_price_base_year", years[-1])
    p0 = float(np.interp(y0, years, observed))
    grown = p0 * (1 + values.get("ets_price_growth", 0.0)) ** np.maximum(years - y0, 0)
    return np.where(years <= y0, observed, grown)


def ets_cost(inputs, values, policy: str) -> xr.DataArray:
    """ETS cost per unit of activity (bnCNY2020 per unit): price x coverage x emitted CO2.

    ets[t,y] = p[y] ets_coverage[t,y] emitted[t,y]   under ``carbon_policy = "ets"``, else 0.
    """
    p = inputs.tech_param
    emitted = emitted_factor(inputs)
    if policy != "ets":
        return xr.zeros_like(emitted)
    years = inputs.years
    price = xr.DataArray(ets_price_path(years, values, inputs.series), {"year": years}, ("year",))
    return price * p["ets_coverage"] * emitted


def emitted_factor(inputs) -> xr.DataArray:
    """Gross CO2 after capture per unit of activity (MtCO2 per unit), over (tech, year)."""
    p = inputs.tech_param
    combustion = (inputs.flow_in * inputs.commodity_param["co2_factor"]).sum("commodity")
    return (combustion + p["process_co2"]) * (1 - p["capture_rate"])


def peak_hold_years(years, values) -> np.ndarray:
    """Years y with a row co2[y] >= co2[y-1] for the latest-peak search."""
    start = values.get("latest_peak_from", years[0])
    return (years > start) & (years <= report_end(years, values))


def report_end(years, values) -> int:
    """Last reported year (``report_end_year``, default: the end year)."""
    return int(min(values.get("report_end_year", years[-1]), years[-1]))


def add_peak_hold(ctx) -> None:
    """Rows that can hold CO2 non-decreasing up to a trial peak year (free by default).

    co2[y] - co2[y-1] + hold_slack[y] >= lo[y]    for latest_peak_from < y <= report end

    with lo = -inf; the latest-peak search (:mod:`model.latest_peak`) sets lo[y] = 0 for y <= P
    and prices the slack like the backstop, so that every trial is a feasible LP whose slack use
    says whether the trial is feasible.
    """
    if not ctx.settings.latest_peak:
        return
    years = ctx.inputs.years
    co2 = co2_expression(ctx)
    mask = xr.DataArray(peak_hold_years(years, ctx.values), {"year": years}, ("year",))
    ctx.var["hold_slack"] = ctx.model.add_variables(
        lower=0, coords=[mask.year.to_index()], name="hold_slack", mask=mask
    )
    lhs = co2 - co2.shift(year=1).fillna(0) + term(ctx, "hold_slack")
    ctx.model.add_constraints(lhs >= -1e30, name="peak_hold", mask=mask)


def _bound_arrays(frame, techs, years) -> dict[str, xr.DataArray]:
    """fix/lo/up activity bounds over (tech, year), NaN where not given."""
    out = {}
    for bound in ("fix", "lo", "up"):
        arr = xr.DataArray(
            np.full((len(techs), len(years)), np.nan),
            {"tech": techs, "year": years},
            ("tech", "year"),
        )
        for row in frame[frame.bound == bound].itertuples():
            arr.loc[row.tech, int(row.year)] = row.base
        out[bound] = arr
    return out


def active_history_years(ctx) -> np.ndarray:
    """Years held to observations: the base year always; later years only with history on."""
    years = ctx.inputs.years
    end = ctx.values.get("history_end", years[0]) if ctx.settings.history else years[0]
    return years <= end


def add_base_year_activity(ctx) -> None:
    """Activity of the base year (and history years) pinned or bounded by statistics.

    act[t,y] = fix[t,y];  act[t,y] >= lo[t,y];  act[t,y] <= up[t,y]   (rows of activity.csv)
    """
    frame = ctx.inputs.activity
    if frame is None or len(frame) == 0:
        return
    years = ctx.inputs.years
    active = xr.DataArray(active_history_years(ctx), {"year": years}, ("year",))
    bounds = _bound_arrays(frame, ctx.inputs.techs.index, years)
    act = ctx.var["act"]
    for bound, sign in (("fix", "=="), ("lo", ">="), ("up", "<=")):
        arr = bounds[bound]
        mask = arr.notnull() & active
        if not bool(mask.any()):
            continue
        rhs = arr.fillna(0)
        con = act == rhs if sign == "==" else (act >= rhs if sign == ">=" else act <= rhs)
        ctx.model.add_constraints(con, name=f"activity_{bound}", mask=mask)


FUELS = ("coal", "oil", "gas", "nonfossil")


def primary_energy_coefficients(inputs, elec) -> tuple[xr.DataArray, xr.DataArray]:
    """Coefficients of primary energy (PJ) by fuel on supply (commodity) and activity (tech).

    PE[f,y] = sum_{c: fuel(c)=f} supply[c,y] + [f = nonfossil] x ce[y] x
              sum_t coal_equivalent[t] x out[t,electricity,y] x act[t,y]

    ce is the coal-equivalent factor (PJ primary per PJ of non-fossil electricity).
    """
    fuel_dim = xr.DataArray(list(FUELS), dims="fuel", coords={"fuel": list(FUELS)})
    com_fuel = xr.DataArray(
        inputs.commodities.fuel.to_numpy(),
        dims="commodity",
        coords={"commodity": inputs.commodities.index},
    )
    on_supply = (com_fuel == fuel_dim).astype(float)
    ce_tech = inputs.tech_param["coal_equivalent"]
    if elec is None or not bool((ce_tech > 0).any()):
        return on_supply, xr.zeros_like(ce_tech) * (fuel_dim == "nonfossil")
    if "coal_equivalent_factor" not in inputs.series:
        raise InputError(
            "technologies have coal_equivalent = 1 but settings.csv has no "
            "coal_equivalent_factor series; add it by year"
        )
    ce = inputs.series["coal_equivalent_factor"]
    on_act = ce_tech * inputs.flow_out.sel(commodity=elec, drop=True) * ce
    return on_supply, on_act * (fuel_dim == "nonfossil").astype(float)


def primary_energy_expression(ctx):
    """Primary energy by fuel and year (PJ) as a linear expression."""
    on_supply, on_act = primary_energy_coefficients(ctx.inputs, ctx.arrays["elec"])
    return (on_supply * term(ctx, "supply")).sum("commodity") + (on_act * ctx.var["act"]).sum(
        "tech"
    )


def _history_lhs(ctx, row, pe):
    """Expression and target value for one history row (shares become linear rows)."""
    year = int(row.year)
    if row.quantity == "primary_energy":
        return pe.sum("fuel").sel(year=year), row.base, None
    if row.quantity in ("coal_share", "nonfossil_share"):
        fuel = "coal" if row.quantity == "coal_share" else "nonfossil"
        return pe.sel(fuel=fuel, year=year), row.base, pe.sum("fuel").sel(year=year)
    if row.name not in ctx.inputs.groups:
        raise InputError(
            f"history.csv: group_capacity names unknown group {row.name!r}; "
            f"known groups: {sorted(ctx.inputs.groups)}"
        )
    members = ctx.inputs.groups[row.name]
    return ctx.var["cap"].sel(tech=members, year=year).sum("tech"), row.base, None


def add_history(ctx) -> None:
    """History years held to observed aggregates (history.csv) up to ``history_end``.

    total:  lo <= PE[y] <= up;   shares: lo x PE[y] <= PE[f,y] <= up x PE[y];
    group capacity: lo <= sum_{t in g} cap[t,y] <= up,
    with lo, up = value x (1 -+ tolerance) for ``fix``/``range`` rows, one side for ``lo``/``up``.
    """
    frame = ctx.inputs.history
    if frame is None or len(frame) == 0:
        return
    end = ctx.values.get("history_end", ctx.inputs.years[0])
    pe = primary_energy_expression(ctx)
    for i, row in enumerate(frame.itertuples()):
        if int(row.year) > end or int(row.year) not in ctx.inputs.years:
            continue
        lhs, value, total = _history_lhs(ctx, row, pe)
        tol = float(row.tolerance) if row.tolerance not in ("", None) else 0.0
        lo = value * (1 - tol) if row.bound in ("fix", "range", "lo") else None
        up = value * (1 + tol) if row.bound in ("fix", "range", "up") else None
        for side, level in (("lo", lo), ("up", up)):
            if level is None:
                continue
            expr = lhs - level * total if total is not None else lhs
            rhs = 0.0 if total is not None else level
            con = expr >= rhs if side == "lo" else expr <= rhs
            ctx.model.add_constraints(con, name=f"history_{i}_{row.quantity}_{side}")


def discount_factors(years: np.ndarray, rate: float) -> xr.DataArray:
    """Discount factors to the base year, by year."""
    base = years[0]
    return xr.DataArray((1 + rate) ** -(years - base).astype(float), {"year": years}, ("year",))


def annuity_share(years: np.ndarray, lifetime: np.ndarray, rate: float) -> np.ndarray:
    """Share of an investment's cost paid within the horizon, on an annuity basis (tech x year).

    An investment of vintage v is paid as L equal annuities in the years v, ..., v + L - 1; the
    objective counts the n = min(L, end - v + 1) paid within the horizon, discounted to v:

        share[t,v] = (1 - (1+r)^-n) / (1 - (1+r)^-L)      (n / L when r = 0)

    so that what lies after the horizon is salvage (TIMES's salvage on the annuity stream).
    """
    life = np.asarray(lifetime, float)[:, None]
    n = np.minimum(life, years[-1] - years[None, :] + 1.0)
    if rate == 0:
        return n / life
    q = 1.0 / (1.0 + rate)
    return (1 - q**n) / (1 - q**life)


#: Sectors whose technologies generate, store or lose electricity rather than take it from the grid:
#: they pay no ``delivery_cost`` on their inputs.
NETWORK_SECTORS = ("power", "storage")


def variable_cost(inputs) -> xr.DataArray:
    """Cost per unit of activity other than priced primary commodities (bnCNY2020 per unit).

    var_cost[t,y] = var_om[t,y] + cost_tiebreak[t,y]
                    + [sector_t not in NETWORK_SECTORS] sum_c in[t,c,y] delivery_cost[c,y]

    ``delivery_cost`` is the network (transmission and distribution) cost of a commodity delivered
    to a consumer; power plants and storage take electricity only as own use, losses or charging.
    """
    p = inputs.tech_param
    delivery = (inputs.flow_in * inputs.commodity_param["delivery_cost"]).sum("commodity")
    consumer = xr.DataArray(
        ~inputs.techs["sector"].isin(NETWORK_SECTORS).to_numpy(),
        {"tech": list(inputs.techs.index)},
        ("tech",),
    )
    return p["var_om"] + p["cost_tiebreak"] + delivery.where(consumer, 0.0)


def objective_coefficients(
    inputs, values: dict, lifetime: xr.DataArray, policy: str = "none"
) -> dict:
    """Objective coefficient of every variable (bnCNY2020 per unit, discounted to the base year).

    new[t,v]: capex[t,v] df[v] share[t,v] (:func:`annuity_share`);  cap[t,y]: df[y] fixed_om[t,y];
    act[t,y]: df[y] (var_cost[t,y] + ets[t,y]) (:func:`variable_cost`, :func:`ets_cost`);
    supply[c,y]: df[y] price[c,y];  backstop[y], hold_slack[y]: df[y] backstop_cost
    """
    p, years = inputs.tech_param, inputs.years
    df = discount_factors(years, values["discount_rate"])
    share = xr.DataArray(
        annuity_share(years, lifetime.values, values["discount_rate"]),
        {"tech": lifetime.tech.values, "year": years},
        ("tech", "year"),
    )
    return {
        "new": p["capex"] * df * share,
        "cap": df * p["fixed_om"],
        "act": df * (variable_cost(inputs) + ets_cost(inputs, values, policy)),
        "supply": df * inputs.commodity_param["price"],
        "backstop": df * values["backstop_cost"],
        "hold_slack": df * values["backstop_cost"],
    }


def add_objective(ctx) -> None:
    """Minimise discounted system cost (bnCNY2020, discounted to the base year).

    sum_{t,v} capex[t,v] df[v] share[t,v] new[t,v]
    + sum_{t,y} df[y] (fixed_om[t,y] cap[t,y] + var_cost[t,y] act[t,y])
    + sum_{c,y} df[y] price[c,y] supply[c,y] + sum_y df[y] backstop_cost backstop[y]

    with the coefficients of :func:`objective_coefficients`.
    """
    coef = objective_coefficients(
        ctx.inputs, ctx.values, ctx.arrays["lifetime"], ctx.settings.carbon_policy
    )
    obj = sum((coef[name] * term(ctx, name)).sum() for name in coef if name in ctx.var)
    ctx.model.add_objective(obj)
