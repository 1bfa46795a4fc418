"""Carbon-policy families: net CO2 and removals, the neutrality target, the carbon budget, the
ETS price path, and the hold of the peak used by the latest-peak search."""

from __future__ import annotations

import numpy as np
import xarray as xr

from model.equations.core import term


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
