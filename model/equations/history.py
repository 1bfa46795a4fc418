"""The observed years: base-year activity and the 2021-2024 statistics (``history.csv``) the
model is held to, with the coal-equivalent primary-energy expression they use."""

from __future__ import annotations

import numpy as np
import xarray as xr

from model.equations.core import term
from model.errors import InputError


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
