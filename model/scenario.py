"""Solve one scenario end to end: load -> build -> solve -> outputs."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from model.build import Settings, build_model
from model.load import EXAMPLE_DATA, load_inputs
from model.outputs import extract_outputs
from model.solve import solve_model


def solve_inputs(inputs, settings: Settings | None = None, **solver_options) -> xr.Dataset:
    """Build and solve the LP for loaded inputs; return the outputs Dataset."""
    m, ctx = build_model(inputs, settings)
    seconds = solve_model(m, **solver_options)
    solution = {name: var.solution for name, var in ctx.var.items()}
    duals = {}
    if "neutrality" in m.constraints:
        duals["neutrality"] = m.constraints["neutrality"].dual
    out = extract_outputs(ctx, solution, duals, float(m.objective.value))
    out.attrs.update(solve_seconds=seconds, data_hash=inputs.data_hash,
                     dataset=str(inputs.path), scenario=ctx.settings.scenario)
    return out


def solve_dataset(path: str | Path = EXAMPLE_DATA, **settings) -> xr.Dataset:
    """Load a dataset folder and solve one scenario; ``settings`` are :class:`Settings` fields."""
    return solve_inputs(load_inputs(path), Settings(**settings))
