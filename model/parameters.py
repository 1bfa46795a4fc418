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
=====================  ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from model.build import Settings
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
}
NEEDS_ARGUMENT = {"capex_scale", "fuel_price_scale"}
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
    return None


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


def apply_parameters(
    inputs: Inputs, settings: Settings, params: dict, targets: dict[str, Target]
) -> tuple[Inputs, Settings]:
    """Inputs and settings with every parameter applied: the reference meaning of each target."""
    tech_param, com_param, demand = inputs.tech_param, inputs.commodity_param, inputs.demand
    changes, overrides = {}, dict(settings.overrides)
    for name, target in targets.items():
        value = float(params[name])
        kind, arg = target.kind, target.arg
        if kind == "capex_scale":
            tech_param = _scale(tech_param, ["capex"], members(inputs, arg), value)
        elif kind == "build_rate_scale":  # not in observed years: history fixes what was built
            after = observed_until(inputs, settings)
            names = ["max_build", "max_build_seed", "max_growth"]
            tech_param = _scale(tech_param, names, members(inputs, arg), value, after=after)
        elif kind == "fuel_price_scale":
            com_param = _scale(com_param, ["price"], [arg], value, key="commodity")
        elif kind == "growth":
            demand = growth_demand(inputs.demand, value)
            changes["scenario"] = str(demand.scenario.values[0])
        elif kind == "natural_sink":
            changes["natural_sink"] = value * 1000.0
        elif kind == "discount_rate":
            changes["discount_rate"] = value
        elif kind == "neutrality_year":
            changes["neutrality_year"] = int(round(value))
        elif kind == "co2_storage_limit":
            overrides["co2_storage_max"] = value * 1000.0
    new_inputs = replace(inputs, tech_param=tech_param, commodity_param=com_param, demand=demand)
    return new_inputs, replace(settings, overrides=overrides, **changes)
