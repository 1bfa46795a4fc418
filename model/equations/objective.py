"""The objective: discounted investment (annuities within the horizon), fixed and variable
costs, ETS payments and the backstop, with the discount factors."""

from __future__ import annotations

import numpy as np
import xarray as xr

from model.equations.carbon import ets_cost
from model.equations.core import discount_factors, term


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
