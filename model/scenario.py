"""Solve one scenario end to end: load -> build -> solve -> outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import xarray as xr

from model.build import Settings, build_model
from model.load import EXAMPLE_DATA, load_inputs
from model.outputs import extract_outputs, prepare_extraction, solution_arrays
from model.peak import year_text
from model.solve import solve_model


class Solved(NamedTuple):
    """A solved scenario: its outputs, the solution arrays and the build context."""

    outputs: xr.Dataset
    solution: dict
    ctx: Any


def solve_built(inputs, settings: Settings | None = None, **solver_options) -> Solved:
    """Build and solve the LP for loaded inputs; return outputs, solution arrays and context."""
    m, ctx = build_model(inputs, settings)
    seconds = solve_model(m, **solver_options)
    duals = {}
    if "neutrality" in m.constraints:
        dual = m.constraints["neutrality"].dual.reindex(year=inputs.years)
        duals["neutrality"] = dual.values.astype(float)
    if "carbon_budget" in m.constraints:
        duals["carbon_budget"] = float(m.constraints["carbon_budget"].dual.values)
    prep = prepare_extraction(ctx)
    solution = solution_arrays(ctx)
    out = extract_outputs(prep, solution, duals, float(m.objective.value))
    if ctx.settings.latest_peak:
        out = out.assign(latest_peak_outputs(m, ctx, float(m.objective.value)))
    out.attrs.update(
        solve_seconds=seconds,
        data_hash=inputs.data_hash,
        dataset=str(inputs.path),
        scenario=ctx.settings.scenario,
    )
    return Solved(out, solution, ctx)


def solve_inputs(inputs, settings: Settings | None = None, **solver_options) -> xr.Dataset:
    """Build and solve the LP for loaded inputs; return the outputs Dataset."""
    return solve_built(inputs, settings, **solver_options).outputs


def latest_peak_outputs(m, ctx, objective: float) -> dict:
    """``latest_peak_year`` and ``delay_cost`` of a solved linopy model (a HiGHS copy searched)."""
    from model.highs_lp import LabelMap, highs_from_matrices
    from model.latest_peak import LatestPeakSearch
    from model.solve import HIGHS_OPTIONS

    labels = LabelMap(m)
    highs = highs_from_matrices(m, HIGHS_OPTIONS)
    search = LatestPeakSearch.from_model(m, ctx, labels)
    highs.run()
    return search.run(highs, objective).as_variables()


def solve_scenario(
    growth: str = "medium",
    sink: float | None = 2.0,
    *,
    data: str | Path | None = None,
    history: bool = True,
    carbon_policy: str = "none",
    latest_peak: bool = False,
    **settings,
) -> xr.Dataset:
    """Solve one scenario of the China model (or another dataset) and return its outputs.

    Parameters
    ----------
    growth : str
        Socio-economic scenario: ``low``, ``medium`` or ``high`` (a ``scenario`` of demand.csv).
    sink : float, optional
        Natural carbon sink in GtCO2/yr (``None`` keeps the dataset's series).
    data : str or Path, optional
        Dataset folder; defaults to ``model/data/china`` (or the example dataset if absent).
    history : bool
        Hold 2021-2024 to observed aggregates (switch off to replicate studies that predate them).
    carbon_policy : str
        ``"none"``, ``"budget"`` or ``"ets"`` (see :class:`model.build.Settings`).
    latest_peak : bool
        Also compute ``latest_peak_year`` and ``delay_cost`` (several warm re-solves).
    **settings
        Further :class:`model.build.Settings` fields (``neutrality_year``, ``discount_rate``,
        ``backstop_cost``, ``peak_tolerance``) in their base units.
    """
    from model.load import CHINA_DATA

    if data is None:
        data = CHINA_DATA if (CHINA_DATA / "technologies.csv").exists() else EXAMPLE_DATA
    natural_sink = None if sink is None else float(sink) * 1000.0
    return solve_inputs(
        load_inputs(data),
        Settings(
            scenario=growth,
            natural_sink=natural_sink,
            history=history,
            carbon_policy=carbon_policy,
            latest_peak=latest_peak,
            **settings,
        ),
    )


def _latest_peak_line(out: xr.Dataset) -> list[str]:
    if "latest_peak_year" not in out:
        return []
    year = float(out.latest_peak_year)
    if year == float("inf"):
        shown = "after the last reported year (censored)"
    elif year == float("-inf"):
        shown = "none: neutrality unreachable without the backstop"
    else:
        shown = "search failed" if year != year else str(int(year))
    cost = float(out.delay_cost)
    extra = "" if cost != cost else f"; delay cost {cost:,.0f} bnCNY2020"
    return [f"latest peak year that still reaches neutrality: {shown}{extra}"]


def headline(out: xr.Dataset, years=(2020, 2030, 2040, 2050, 2060)) -> str:
    """A short plain-text summary of a solved scenario's headline numbers."""
    years = [y for y in years if y in out.year.values]
    lines = [
        f"peak year {year_text(out.peak_year)} (plain maximum {int(out.peak_year_max)}, "
        f"plateau {int(out.plateau_years)} yr) at {float(out.peak_co2):.2f} GtCO2",
        f"discounted cost {float(out.cost):,.0f} bnCNY2020; "
        f"backstop used {float(out.backstop.sum()):.3f} GtCO2",
        *_latest_peak_line(out),
        "year   CO2 Gt  net Gt  PE Gtce  coal %  non-fossil %  electrif. %  CCS Gt  CO2 price",
    ]
    for y in years:
        s = out.sel(year=y)
        price = float(s.co2_price)
        lines.append(
            f"{y}  {float(s.co2):7.2f} {float(s.co2_net):7.2f} "
            f"{float(s.primary_energy.sum()):8.2f} {100 * float(s.coal_share):7.1f} "
            f"{100 * float(s.nonfossil_share):13.1f} "
            f"{100 * float(s.get('electrification', float('nan'))):12.1f} "
            f"{float(s.ccs):7.2f}  {'-' if price != price else f'{price:,.0f} CNY/t'}"
        )
    return "\n".join(lines)
