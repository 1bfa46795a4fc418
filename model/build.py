"""Build the energy-technology LP with linopy: variables, constraint families, objective.

``build_model(inputs, settings)`` is an orchestrator: it creates the variables and then calls one
``add_*`` function per constraint family (in :mod:`model.equations`), each of which writes out its
equation in its docstring. The model is perfect-foresight over all years (one LP); the base year's
activity is pinned to statistics by the ``activity`` table.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import linopy
import numpy as np
import xarray as xr

from model import equations as eq
from model.errors import InputError
from model.load import Inputs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """Run settings; ``None`` keeps the dataset's own value.

    Attributes
    ----------
    scenario : str
        Demand scenario (a value of the ``scenario`` column of ``demand.csv``).
    natural_sink : float, optional
        Natural sink in MtCO2/yr, constant over years (overrides the dataset's series).
    neutrality_year : int, optional
        First year with ``co2_net <= 0``.
    discount_rate : float, optional
        Social discount rate (fraction).
    backstop_cost : float, optional
        Backstop price in bnCNY2020 per MtCO2 (= 1000 CNY/t per unit).
    history : bool
        Hold history years (after the base year, up to ``history_end``) to the history table.
    peak_tolerance : float, optional
        Relative tolerance of the robust peak year.
    carbon_policy : str
        The carbon constraint before the neutrality year: ``"none"`` (neutrality from the
        neutrality year only), ``"budget"`` (cumulative net CO2 over the budget window within
        ``carbon_budget``) or ``"ets"`` (the national ETS price on covered emissions).
    latest_peak : bool
        Add the rows of the latest-peak search (:mod:`model.latest_peak`).
    overrides : dict
        Further scalar settings by name (as in ``settings.csv``, base units).
    """

    scenario: str = "medium"
    natural_sink: float | None = None
    neutrality_year: int | None = None
    discount_rate: float | None = None
    backstop_cost: float | None = None
    history: bool = True
    peak_tolerance: float | None = None
    carbon_policy: str = "none"
    latest_peak: bool = False
    overrides: dict = field(default_factory=dict)


def resolve_settings(inputs: Inputs, settings: Settings) -> dict:
    """Merge the dataset's settings with the run's overrides into one dict of base-unit values."""
    merged = dict(inputs.settings)
    for name in ("neutrality_year", "discount_rate", "backstop_cost", "peak_tolerance"):
        value = getattr(settings, name)
        if value is not None:
            merged[name] = float(value)
    merged.update(settings.overrides)
    if settings.scenario not in inputs.demand.scenario.values:
        known = ", ".join(map(str, inputs.demand.scenario.values))
        raise InputError(f"unknown scenario {settings.scenario!r}; demand.csv defines: {known}")
    if settings.carbon_policy not in eq.CARBON_POLICIES:
        raise InputError(
            f"unknown carbon_policy {settings.carbon_policy!r}; "
            f"known: {', '.join(eq.CARBON_POLICIES)}"
        )
    required = ["backstop_cost"]
    if settings.carbon_policy == "budget":
        required += ["carbon_budget", "carbon_budget_start", "carbon_budget_end"]
    if settings.carbon_policy == "ets":
        required += ["ets_price_base_year"]
    for name in required:
        if name not in merged:
            raise InputError(
                f"setting {name!r} missing from settings.csv (needed by carbon_policy "
                f"{settings.carbon_policy!r}); add a row"
            )
    if settings.carbon_policy == "ets" and "ets_price" not in inputs.series:
        raise InputError("carbon_policy 'ets' needs an ets_price series in settings.csv")
    merged.setdefault("budget_row", float(settings.carbon_policy == "budget"))
    return merged


def sink_series(inputs: Inputs, settings: Settings) -> xr.DataArray:
    """Natural sink by year in MtCO2/yr.

    Without an override, the dataset's ``natural_sink`` (series or constant). With an override S
    (the run's ``natural_sink``), S applies from ``sink_target_year`` on; when the dataset gives
    ``sink_path_start``, the sink follows the dataset's path up to that year and then runs
    linearly to S in ``sink_target_year`` (the sink counted every year along its path); otherwise
    it is S in every year.
    """
    years = inputs.years
    if "natural_sink" in inputs.series:
        base = np.asarray(inputs.series["natural_sink"].values, float)
    else:
        base = np.full(len(years), inputs.settings.get("natural_sink", 0.0))
    values = sink_path(years, base, inputs.settings, settings.natural_sink)
    return xr.DataArray(values, {"year": years}, ("year",))


def sink_path(years, base: np.ndarray, values: dict, target: float | None) -> np.ndarray:
    """The sink path of :func:`sink_series` as numpy (shared with the fast path)."""
    if target is None:
        return base
    start = values.get("sink_path_start")
    if start is None:
        return np.full(len(years), float(target))
    end = values.get("sink_target_year", years[-1])
    s0 = float(np.interp(start, years, base))
    ramp = s0 + (float(target) - s0) * np.clip((years - start) / (end - start), 0.0, 1.0)
    return np.where(years <= start, base, ramp)


@dataclass
class Context:
    """Everything the constraint families share: inputs, settings, variables, derived arrays."""

    inputs: Inputs
    settings: Settings
    values: dict
    model: linopy.Model
    var: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)


def add_variables(ctx: Context) -> None:
    """Create the decision variables (all >= 0).

    ``new[tech, year]`` new capacity built in a year after the base year; ``cap[tech, year]``
    operable capacity; ``act[tech, year]`` activity; ``supply[commodity, year]`` supply of primary
    commodities; ``backstop[year]`` priced removal that keeps the neutrality and budget rows
    feasible (in every year; it appears only in those rows and the objective).
    """
    inp, m = ctx.inputs, ctx.model
    techs = inp.techs.index.rename("tech")
    years = xr.DataArray(inp.years, dims="year", name="year").to_index()
    build_years = years > inp.years[0]
    mask_new = xr.DataArray(
        np.broadcast_to(build_years, (len(techs), len(years))),
        {"tech": techs, "year": years},
        ("tech", "year"),
    )
    ctx.var["new"] = m.add_variables(lower=0, coords=[techs, years], name="new", mask=mask_new)
    ctx.var["cap"] = m.add_variables(lower=0, coords=[techs, years], name="cap")
    ctx.var["act"] = m.add_variables(lower=0, coords=[techs, years], name="act")
    comms = inp.commodities.index.rename("commodity")
    primary = xr.DataArray(
        (inp.commodities.kind == "primary").to_numpy(), {"commodity": comms}, ("commodity",)
    )
    ctx.var["supply"] = m.add_variables(
        lower=0,
        coords=[comms, years],
        name="supply",
        mask=primary & xr.DataArray(np.ones(len(years), bool), {"year": years}, ("year",)),
    )
    ctx.var["backstop"] = m.add_variables(lower=0, coords=[years], name="backstop")


def build_model(inputs: Inputs, settings: Settings | None = None) -> tuple[linopy.Model, Context]:
    """Build the LP for ``inputs`` under ``settings``.

    Returns
    -------
    model : linopy.Model
    ctx : Context
        Variables and derived arrays, needed by :func:`model.outputs.extract_outputs`.
    """
    settings = settings or Settings()
    start = time.perf_counter()
    ctx = Context(
        inputs, settings, resolve_settings(inputs, settings), linopy.Model(force_dim_names=True)
    )
    eq.derive_arrays(ctx, sink_series(inputs, settings))
    add_variables(ctx)
    eq.add_capacity_stock(ctx)
    eq.add_build_limits(ctx)
    eq.add_retirement_limits(ctx)
    eq.add_activity_limits(ctx)
    eq.add_activity_decline(ctx)
    eq.add_activity_growth(ctx)
    eq.add_commodity_balance(ctx)
    eq.add_potentials(ctx)
    eq.add_power_adequacy(ctx)
    eq.add_flexibility(ctx)
    eq.add_vre_share(ctx)
    eq.add_co2_storage(ctx)
    eq.add_co2_storage_limit(ctx)
    eq.add_neutrality(ctx)
    eq.add_carbon_budget(ctx)
    eq.add_peak_hold(ctx)
    eq.add_base_year_activity(ctx)
    if settings.history:
        eq.add_history(ctx)
    eq.add_objective(ctx)
    logger.info("built LP in %.2f s: %s", time.perf_counter() - start, describe_size(ctx.model))
    return ctx.model, ctx


def describe_size(m: linopy.Model) -> str:
    """Number of variables, constraints and non-zeros, and the coefficient range."""
    A = m.matrices.A
    data = np.abs(A.data[A.data != 0]) if A is not None else np.array([1.0])
    return (
        f"{m.matrices.vlabels.size} variables, {m.matrices.clabels.size} constraints, "
        f"{data.size} non-zeros, |coefficients| in [{data.min():.3g}, {data.max():.3g}]"
    )
