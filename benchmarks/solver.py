"""Parts of ``netua bench`` beyond (a)/(b)/(c): HiGHS's own options side by side and the cost of a
multi-solve output (the latest-peak search) as a multiple of one solve (the engine's throughput
and the 10,000-sample projection: benchmarks/engine.py)."""

from __future__ import annotations

import statistics
import time

import highspy

from model.build import Settings
from model.fastpath import ParametricLP
from model.solve import option_value

#: warm re-solves (from each sample's start basis): name -> HiGHS options
WARM_OPTIONS = {
    "dual simplex, steepest edge (default)": {},
    "dual simplex, Devex pricing": {"simplex_dual_edge_weight_strategy": 1},
    "primal simplex": {"simplex_strategy": 4},
    "dual simplex, presolve on": {"presolve": "on"},
    "dual simplex, presolve off": {"presolve": "off"},
    "parallel dual (PAMI), 2 threads": {
        "simplex_strategy": 2,
        "threads": 2,
        "simplex_max_concurrency": 2,
        "parallel": "on",
    },
}
#: cold solves (no basis): name -> HiGHS options
COLD_OPTIONS = {
    "dual simplex with presolve (default)": {},
    "interior point + crossover": {"solver": "ipm", "run_crossover": "on"},
    "interior point, no crossover": {"solver": "ipm", "run_crossover": "off"},
    "dual simplex, 2 threads": {"threads": 2, "parallel": "on"},
}


def solver_options(lp: ParametricLP, vectors: list, bases: list, n_cold: int = 3) -> list[dict]:
    """Median seconds and iterations of each option set on the same samples (one table)."""
    h = lp.highs
    rows = []
    for kind, table in (("warm", WARM_OPTIONS), ("cold", COLD_OPTIONS)):
        for name, options in table.items():
            threads = options.get("threads", 1)
            if threads != 1:  # HiGHS sizes its thread pool once per process: rebuild it
                highspy.Highs.resetGlobalScheduler(True)
            saved = {key: option_value(h, key) for key in (*options, "simplex_iteration_limit")}
            for key, value in options.items():
                h.setOptionValue(key, value)
            seconds, iterations, optimal = [], [], []
            count = len(vectors) if kind == "warm" else min(n_cold, len(vectors))
            for vec, basis in list(zip(vectors, bases, strict=True))[:count]:
                lp.apply_vectors(vec)
                h.setOptionValue("simplex_iteration_limit", 2**31 - 1)
                if kind == "warm":
                    h.setBasis(basis)
                else:
                    h.clearSolver()
                start = time.perf_counter()
                h.run()
                seconds.append(time.perf_counter() - start)
                info = h.getInfo()
                iterations.append(info.simplex_iteration_count + info.ipm_iteration_count)
                optimal.append(h.getModelStatus() == highspy.HighsModelStatus.kOptimal)
            for key, value in saved.items():
                h.setOptionValue(key, value)
            if threads != 1:
                highspy.Highs.resetGlobalScheduler(True)
            rows.append(
                {
                    "kind": kind,
                    "name": name,
                    "options": options,
                    "samples": count,
                    "median_s": statistics.median(seconds),
                    "median_iterations": statistics.median(iterations),
                    "optimal_share": sum(optimal) / count,
                }
            )
    for kind in ("warm", "cold"):
        base = next(r for r in rows if r["kind"] == kind)["median_s"]
        for r in rows:
            if r["kind"] == kind:
                r["ratio_to_default"] = r["median_s"] / base
    return rows


def multi_solve(inputs, targets: dict, samples: list[dict], anchors: list, starts: list) -> dict:
    """Seconds of the latest-peak search per sample as a multiple of its single solve."""
    parents = [-1] * len(samples)
    return _search_costs(inputs, targets, samples, starts, parents, anchors, "multi_solve")


def multi_solve_sobol(
    inputs, targets: dict, block: list[dict], starts: list, parents: list, anchors: list
) -> dict:
    """The latest-peak search on one Sobol block as the engine runs it: the A row (bisection),
    then AB rows started from A's optimum and searched outward from A's latest peak; the AB
    rows' search time as a multiple of their single solve (medians)."""
    return _search_costs(
        inputs, targets, block, starts, parents, anchors, "multi_solve_sobol", children_only=True
    )


def multi_solve_hubs(
    inputs, targets: dict, rows: list[dict], starts: list, parents: list, anchors: list
) -> dict:
    """The latest-peak search on LHS rows started from their hub (benchmarks/hubs.py
    ``hub_children``: each hub solved and searched first, as a sample): the rows' search time,
    searched outward from the hub's answer, as a multiple of their single solve (medians)."""
    return _search_costs(
        inputs, targets, rows, starts, parents, anchors, "multi_solve_hubs", children_only=True
    )


def _search_costs(
    inputs, targets, rows, starts, parents, anchors, prefix: str, children_only: bool = False
) -> dict:
    """Median search time / single solve, single solve, search seconds and trials of ``rows``
    (each from its anchor, or from its parent row's optimum; ``children_only``: rows with a
    parent only), keys prefixed ``prefix``."""
    lp = ParametricLP(inputs, Settings(latest_peak=True), targets)
    lp.set_anchors(anchors)
    multiples, solves, searches, trials, setup = [], [], [], [], 0.0
    for params, anchor, parent in zip(rows, starts, parents, strict=True):
        start = time.perf_counter()  # the anchor's solve and search are set-up, not the sample's
        lp.start_basis(anchor)
        lp.anchor_peak(anchor)
        setup += time.perf_counter() - start
        parent_start = None if parent < 0 else (rows[parent], starts[parent])
        start = time.perf_counter()
        out, diag = lp.solve_sample(params, anchor, parent_start)
        total = time.perf_counter() - start
        if children_only and parent_start is None:
            continue  # a parent row: a plain bisection, measured by multi_solve
        single = total - diag["latest_peak_seconds"]
        multiples.append(total / single)
        solves.append(single)
        searches.append(diag["latest_peak_seconds"])
        trials.append(float(out.latest_peak_solves))
    med = statistics.median
    return {
        f"{prefix}_multiple": med(multiples),
        f"{prefix}_samples": len(multiples),
        f"{prefix}_single_median_s": med(solves),
        f"{prefix}_search_median_s": med(searches),
        f"{prefix}_trials_median": med(trials),
        f"{prefix}_anchor_setup_s": setup,
        f"{prefix}_anchors": len(set(starts)),
    }
