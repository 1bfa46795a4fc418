"""Solve a built model with HiGHS through linopy's direct interface."""

from __future__ import annotations

import logging
import time

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


class SolveError(RuntimeError):
    """The LP did not solve to optimality (infeasible, unbounded, numerical trouble)."""


def solve_model(m: linopy.Model, **options) -> float:
    """Solve ``m`` with HiGHS (one thread); return the solve time in seconds.

    Raises
    ------
    SolveError
        If the termination condition is not optimal; the message carries HiGHS's status.
    """
    opts = {**HIGHS_OPTIONS, **options}
    start = time.perf_counter()
    status, condition = m.solve(solver_name="highs", io_api="direct", **opts)
    seconds = time.perf_counter() - start
    if status != "ok":
        raise SolveError(f"HiGHS did not find an optimum: status {status}, {condition}")
    logger.info("solved in %.2f s, objective %.6g", seconds, m.objective.value)
    return seconds
