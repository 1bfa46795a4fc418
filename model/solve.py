"""Solve a built model with HiGHS through linopy's direct interface."""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import contextmanager

import linopy

logger = logging.getLogger(__name__)

#: HiGHS options for every solve: one thread (parallelism comes from processes), tight tolerances
HIGHS_OPTIONS = {
    "threads": 1,
    "primal_feasibility_tolerance": 1e-9,
    "dual_feasibility_tolerance": 1e-9,
    "output_flag": False,
    "log_to_console": False,
}


#: a cold re-solve of a kept HiGHS object whose warm start failed: interior point with
#: crossover, which beats the dual simplex with presolve on the China LP
#: (results/benchmarks/fastpath.json, solver_options: x0.70)
COLD_OPTIONS = {"solver": "ipm", "run_crossover": "on"}


def cold_run(h, options: dict | None = None) -> None:
    """Solve the HiGHS object ``h`` from scratch with ``options`` (default :data:`COLD_OPTIONS`),
    then restore the simplex with crossover for the warm re-solves that follow."""
    h.clearSolver()
    for key, value in (COLD_OPTIONS if options is None else options).items():
        h.setOptionValue(key, value)
    try:
        h.run()
    finally:
        h.setOptionValue("solver", "choose")
        h.setOptionValue("run_crossover", "on")


def set_start(h, basis) -> None:
    """Start ``h``'s next run from ``basis`` with no simplex state left from earlier runs. HiGHS
    keeps cost perturbation and edge weights from run to run unless a coefficient changes: without
    clearing them the same LP from the same basis took 2,107 or 2,294 iterations depending on what
    ran before (the path, and on a degenerate optimum the vertex, would depend on the order of
    samples in a process)."""
    h.clearSolver()
    h.setBasis(basis)


def option_value(h, name: str):
    """The current value of a HiGHS option (highspy 1.x returns ``(status, value)``)."""
    value = h.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


class SolveError(RuntimeError):
    """The LP did not solve to optimality (infeasible, unbounded, numerical trouble)."""


@contextmanager
def quiet_stdout():
    """Silence C-level stdout (HiGHS prints its banner when a ``Highs`` object is created)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def solve_model(m: linopy.Model, **options) -> float:
    """Solve ``m`` with HiGHS (one thread); return the solve time in seconds.

    Raises
    ------
    SolveError
        If the termination condition is not optimal; the message carries HiGHS's status.
    """
    opts = {**HIGHS_OPTIONS, **options}
    start = time.perf_counter()
    with quiet_stdout():
        status, condition = m.solve(solver_name="highs", io_api="direct", **opts)
    seconds = time.perf_counter() - start
    if status != "ok":
        raise SolveError(f"HiGHS did not find an optimum: status {status}, {condition}")
    logger.info("solved in %.2f s, objective %.6g", seconds, m.objective.value)
    return seconds
