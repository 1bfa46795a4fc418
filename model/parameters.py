"""What an uncertain parameter changes in the model: targets and their application to the data.

A study parameter names a ``target``. :func:`apply_parameters` is the reference meaning of every
target: it returns modified inputs and settings, which a full rebuild solves. The fast path
(:mod:`model.fastpath`) pushes the same modified data into a built model instead.

Targets (``kind`` or ``kind:argument``):

=====================  ==========================================================================
``natural_sink``       natural carbon sink, GtCO2/yr, constant over years
``capex_scale:G``      multiply the capital cost of technology group (or technology) G
``fuel_price_scale:C`` multiply the price of primary commodity C
``growth``             socio-economic growth, continuous: 0 = low, 1 = medium, 2 = high (demand
                       interpolated linearly between the scenarios)
``discount_rate``      social discount rate (fraction)
``build_rate_scale``   multiply max_build, max_build_seed and max_growth of all technologies
                       (``build_rate_scale:G`` for a group or technology only) in the years
                       after the observed history
``co2_storage_limit``  maximum CO2 injection into storage, GtCO2/yr
``neutrality_year``    first year with net CO2 <= 0 (rounded to a year)
``carbon_policy``      the carbon constraint: ``none``, ``budget`` or ``ets`` (a ``choice``)
``carbon_budget``      cumulative net CO2 over the budget window, GtCO2 (policy ``budget``)
``ets_price_growth``   growth of the ETS price per year after its last observed year (``ets``)
``activity_decline:G`` maximum fall of activity per year (fraction) of the technologies of G
                       that have a ``max_activity_decline`` row, after the observed history
``activity_growth:G``  maximum growth of activity per year (fraction) of the technologies of G
                       that have a ``max_activity_growth`` row, after the observed history
``max_vre_share_scale`` multiply the wind+solar integration limit after the observed history
                       (capped at 1)
``new_capacity_scale:G`` multiply the group build ceiling (``max_new_capacity`` potential) of G
                       after the observed history
``demand_elasticity:F`` long-run income elasticity of demand family F (``demand_elasticities.csv``);
                       F's demand after ``demand_base_year`` is re-derived from the drivers
``demand_drift:F``     drift of per-capita demand of family F per year (fraction);
                       ``demand_drift:all`` sets every family's drift
``demand_convergence_year`` year by which fitted demand elasticities reach their long-run values
=====================  ==========================================================================

``natural_sink`` is the sink in ``sink_target_year`` (2060) and after; before, the sink follows
the dataset's path to ``sink_path_start`` and then runs linearly to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from model.build import Settings
from model.demand import Derivation
from model.errors import InputError
from model.load import Inputs

TARGET_KINDS = {
    "natural_sink": "natural carbon sink, GtCO2/yr",
    "capex_scale": "multiply capital cost of a group or technology: capex_scale:<group>",
    "fuel_price_scale": "multiply a primary commodity's price: fuel_price_scale:<commodity>",
    "growth": "socio-economic growth, 0 = low, 1 = medium, 2 = high",
    "discount_rate": "social discount rate (fraction)",
    "build_rate_scale": "multiply build-rate limits (all, or build_rate_scale:<group>)",
    "co2_storage_limit": "maximum CO2 injection into storage, GtCO2/yr",
    "neutrality_year": "first year with net CO2 <= 0",
    "carbon_policy": "carbon constraint before neutrality: none, budget or ets",
    "carbon_budget": "cumulative net CO2 over the budget window, GtCO2",
    "ets_price_growth": "growth of the ETS price per year after its last observed year",
    "activity_decline": "maximum fall of activity per year: activity_decline:<group>",
    "activity_growth": "maximum growth of activity per year: activity_growth:<group>",
    "max_vre_share_scale": "multiply the wind+solar integration limit (max_vre_share)",
    "new_capacity_scale": "multiply a group's build ceiling: new_capacity_scale:<group>",
    "demand_elasticity": "long-run income elasticity of demand: demand_elasticity:<family>",
    "demand_drift": "drift of per-capita demand per year: demand_drift:<family> (or all)",
    "demand_convergence_year": "year by which fitted demand elasticities reach the long run",
}
NEEDS_ARGUMENT = {
    "capex_scale",
    "fuel_price_scale",
    "activity_decline",
    "activity_growth",
    "new_capacity_scale",
    "demand_elasticity",
    "demand_drift",
}
#: demand-family targets -> the parameter of demand_elasticities.csv they set
DEMAND_TARGETS = {
    "demand_elasticity": "elasticity",
    "demand_drift": "drift",
    "demand_convergence_year": "convergence_year",
}
#: rate targets -> the technology parameter they set
RATE_PARAMETERS = {
    "activity_decline": "max_activity_decline",
    "activity_growth": "max_activity_growth",
}
GROWTH_SCENARIOS = ("low", "medium", "high")


@dataclass(frozen=True)
class Target:
    """A parsed target: its kind and optional argument (group, technology or commodity)."""

    kind: str
    arg: str | None = None


def parse_targets(targets: dict, inputs: Inputs) -> dict[str, Target]:
    """Parse and check ``{parameter: "kind[:arg]"}``; raise one InputError listing every problem."""
    parsed, problems = {}, []
    for name, text in targets.items():
        if text is None:
            problems.append(
                f"parameter {name!r} has no target; the China LP needs one of: "
                f"{', '.join(TARGET_KINDS)}"
            )
            continue
        kind, _, arg = str(text).partition(":")
        problem = _check_target(name, kind, arg or None, inputs)
        if problem:
            problems.append(problem)
        else:
            parsed[name] = Target(kind, arg or None)
    if problems:
        raise InputError("bad parameter targets: " + "; ".join(problems))
    return parsed


def _check_target(name, kind, arg, inputs) -> str | None:
    if kind not in TARGET_KINDS:
        return f"parameter {name!r}: unknown target {kind!r}; known targets: " + ", ".join(
            f"{k} ({v})" for k, v in TARGET_KINDS.items()
        )
    if kind in NEEDS_ARGUMENT and not arg:
        return f"parameter {name!r}: target {kind!r} needs an argument ({TARGET_KINDS[kind]})"
    if kind in ("capex_scale", "build_rate_scale") and arg:
        known = set(inputs.groups) | set(inputs.techs.index)
        if arg not in known:
            return (
                f"parameter {name!r}: unknown group or technology {arg!r} in {kind}; "
                f"known groups: {', '.join(sorted(inputs.groups))}"
            )
    if kind == "fuel_price_scale":
        primary = set(inputs.commodities.index[inputs.commodities.kind == "primary"])
        if arg not in primary:
            return (
                f"parameter {name!r}: {arg!r} is not a primary commodity; known: "
                f"{', '.join(sorted(primary))}"
            )
    if kind == "growth" and not set(GROWTH_SCENARIOS) <= set(inputs.demand.scenario.values):
        return f"parameter {name!r}: growth needs demand scenarios low, medium and high"
    return _check_structural_target(name, kind, arg, inputs)


def _check_structural_target(name, kind, arg, inputs) -> str | None:
    """Targets that need rows the dataset must already have (the LP's structure is fixed)."""
    if kind in RATE_PARAMETERS:
        known = set(inputs.groups) | set(inputs.techs.index)
        if arg not in known:
            return f"parameter {name!r}: unknown group or technology {arg!r} in {kind}"
        if not rate_members(inputs, kind, arg):
            return (
                f"parameter {name!r}: no technology of {arg!r} has a {RATE_PARAMETERS[kind]} "
                "row in tech_parameters.csv; add rows (with sources) before sampling the rate"
            )
    if kind == "new_capacity_scale":
        pot = inputs.potentials
        rows = pot[(pot.name == arg) & (pot.parameter == "max_new_capacity")] if len(pot) else pot
        if len(rows) == 0:
            return (
                f"parameter {name!r}: {arg!r} has no max_new_capacity row in potentials.csv; "
                "add one before sampling its scale"
            )
    if kind in DEMAND_TARGETS:
        table = inputs.demand_families
        if table is None or len(table) == 0:
            return (
                f"parameter {name!r}: target {kind!r} needs derived demand "
                "(demand_families.csv, demand_elasticities.csv, drivers.csv) in the dataset"
            )
        known = set(table.family) | ({"all"} if kind == "demand_drift" else set())
        if kind != "demand_convergence_year" and arg not in known:
            return (
                f"parameter {name!r}: unknown demand family {arg!r} in {kind}; the dataset's "
                f"families (demand_families.csv): {', '.join(sorted(known)) or 'none'}"
            )
    if kind == "max_vre_share_scale" and "max_vre_share" not in inputs.series:
        return f"parameter {name!r}: settings.csv has no max_vre_share series to scale"
    if kind == "ets_price_growth" and "ets_price" not in inputs.series:
        return f"parameter {name!r}: settings.csv has no ets_price series"
    if kind == "carbon_budget" and "carbon_budget_start" not in inputs.settings:
        return f"parameter {name!r}: settings.csv has no carbon_budget_start/end rows"
    return None


def rate_members(inputs: Inputs, kind: str, arg: str | None) -> list[str]:
    """Members of ``arg`` whose rate family (decline or growth) exists in the data."""
    rate = inputs.tech_param[RATE_PARAMETERS[kind]]
    has = rate.notnull() & (rate < 1) if kind == "activity_decline" else rate.notnull()
    present = set(rate.tech.values[has.any("year").values])
    return [t for t in members(inputs, arg) if t in present]


def members(inputs: Inputs, arg: str | None) -> list[str]:
    """Technologies of a group (or the technology itself; all when ``arg`` is None)."""
    if arg is None:
        return list(inputs.techs.index)
    return inputs.groups.get(arg, [arg])


def growth_demand(demand: xr.DataArray, growth: float) -> xr.DataArray:
    """Demand at a continuous growth level: linear between low (0), medium (1) and high (2)."""
    g = float(np.clip(growth, 0.0, 2.0))
    lo, hi = ("low", "medium") if g <= 1 else ("medium", "high")
    w = g if g <= 1 else g - 1
    mix = (1 - w) * demand.sel(scenario=lo) + w * demand.sel(scenario=hi)
    return mix.expand_dims(scenario=[f"growth={g:.6g}"])


def _scale(dataset: xr.Dataset, names, techs, factor, key="tech", after=None) -> xr.Dataset:
    """Multiply ``names`` of ``techs`` by ``factor`` (only in years after ``after`` if given)."""
    out = dataset.copy()
    for name in names:
        arr = out[name].copy()
        scaled = arr.sel({key: techs}) * factor
        if after is not None:
            scaled = scaled.where(scaled.year > after, arr.sel({key: techs}))
        arr.loc[{key: techs}] = scaled
        out[name] = arr
    return out


def observed_until(inputs: Inputs, settings: Settings) -> int:
    """Last year held to observations: ``history_end`` with history on, else the base year."""
    base = int(inputs.years[0])
    if not settings.history:
        return base
    return int(inputs.settings.get("history_end", base))


#: targets that only change a Settings field: kind -> (field, factor to base units)
SETTING_TARGETS = {
    "natural_sink": ("natural_sink", 1000.0),
    "discount_rate": ("discount_rate", 1.0),
    "neutrality_year": ("neutrality_year", None),  # rounded to a year
}
#: targets that only change a scalar setting of settings.csv: kind -> (name, factor)
OVERRIDE_TARGETS = {
    "co2_storage_limit": ("co2_storage_max", 1000.0),
    "carbon_budget": ("carbon_budget", 1000.0),
    "ets_price_growth": ("ets_price_growth", 1.0),
}


def apply_parameters(
    inputs: Inputs, settings: Settings, params: dict, targets: dict[str, Target]
) -> tuple[Inputs, Settings]:
    """Inputs and settings with every parameter applied: the reference meaning of each target."""
    data = {
        "tech_param": inputs.tech_param,
        "commodity_param": inputs.commodity_param,
        "demand": inputs.demand,
        "series": inputs.series,
    }
    changes, overrides = {}, dict(settings.overrides)
    after = observed_until(inputs, settings)
    family_values, conv = demand_overrides(params, targets)
    if family_values or conv is not None:  # re-derive first: growth mixes the scenarios
        arr = Derivation(inputs).array(family_values, conv)
        data["demand"] = inputs.demand.copy(data=arr)
    for name, target in targets.items():
        kind, arg = target.kind, target.arg
        if kind in DEMAND_TARGETS:
            continue
        if kind == "carbon_policy":
            changes["carbon_policy"] = str(params[name])
        elif kind in SETTING_TARGETS:
            field, factor = SETTING_TARGETS[kind]
            value = float(params[name])
            changes[field] = int(round(value)) if factor is None else value * factor
        elif kind in OVERRIDE_TARGETS:
            key, factor = OVERRIDE_TARGETS[kind]
            overrides[key] = float(params[name]) * factor
        elif kind == "new_capacity_scale":
            overrides[f"new_capacity_scale:{arg}"] = float(params[name])
        elif kind == "growth":
            data["demand"] = growth_demand(data["demand"], float(params[name]))
            changes["scenario"] = str(data["demand"].scenario.values[0])
        else:
            _apply_data_target(data, inputs, target, float(params[name]), after)
    return replace(inputs, **data), replace(settings, overrides=overrides, **changes)


def demand_overrides(params: dict, targets: dict[str, Target]) -> tuple[dict, float | None]:
    """``({(family, "elasticity"|"drift"): value}, convergence year or None)`` of a sample."""
    values, conv = {}, None
    for name, t in targets.items():
        if t.kind == "demand_convergence_year":
            conv = float(params[name])
        elif t.kind in DEMAND_TARGETS:
            values[(t.arg, DEMAND_TARGETS[t.kind])] = float(params[name])
    return values, conv


def _apply_data_target(data: dict, inputs: Inputs, target: Target, value: float, after: int):
    """Targets that change data arrays (in place in ``data``)."""
    kind, arg = target.kind, target.arg
    if kind in RATE_PARAMETERS:
        techs = rate_members(inputs, kind, arg)
        data["tech_param"] = _set_after(
            data["tech_param"], RATE_PARAMETERS[kind], techs, value, after
        )
    elif kind == "max_vre_share_scale":
        series = data["series"]
        scaled = (series["max_vre_share"] * value).clip(max=1.0)
        later = series.year > after
        data["series"] = series.assign(max_vre_share=scaled.where(later, series["max_vre_share"]))
    elif kind == "capex_scale":
        data["tech_param"] = _scale(data["tech_param"], ["capex"], members(inputs, arg), value)
    elif kind == "build_rate_scale":  # not in observed years: history fixes what was built
        names = ["max_build", "max_build_seed", "max_growth"]
        techs = members(inputs, arg)
        data["tech_param"] = _scale(data["tech_param"], names, techs, value, after=after)
    elif kind == "fuel_price_scale":
        data["commodity_param"] = _scale(
            data["commodity_param"], ["price"], [arg], value, key="commodity"
        )


def _set_after(dataset: xr.Dataset, name: str, techs, value: float, after: int) -> xr.Dataset:
    """Set ``name`` of ``techs`` to ``value`` in the years after ``after``."""
    arr = dataset[name].copy()
    sub = arr.sel(tech=techs)
    arr.loc[{"tech": techs}] = xr.where(sub.year > after, value, sub)
    return dataset.assign({name: arr})
