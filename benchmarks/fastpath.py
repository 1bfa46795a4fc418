"""Benchmark of the LP fast path, side by side in one run, with ratios.

(a) naive: apply the parameters, rebuild the linopy model and solve it (cold) for every sample;
(b) fast: :class:`model.fastpath.ParametricLP` (update in place, warm start, extraction);
(c) floor: the bare HiGHS calls of the same updates (vectors precomputed) and the warm re-solve.

It also reports warm vs cold iterations, the throughput of 2 engine workers against 1 (a real
``netua run`` of the ChinaLP study through the engine, including each worker's one build), peak
memory of a worker, and store bytes per sample. Results are printed and saved as JSON.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks import save_json
from benchmarks.engine import engine_throughput, scale_estimate
from benchmarks.hubs import DESIGN_ROWS, format_hubs, hub_children, time_hubs
from benchmarks.solver import multi_solve, multi_solve_hubs, multi_solve_sobol, solver_options
from model.build import Settings, resolve_settings
from model.ensemble import ChinaLP
from model.fastpath import ParametricLP, solve_reference
from model.load import CHINA_DATA, EXAMPLE_DATA, load_inputs
from model.parameters import apply_parameters
from uncertainty.engine.anchors import (
    anchor_points,
    anchor_values,
    design_parents,
    nearest_anchor,
)
from uncertainty.study.sampling import sample_design
from uncertainty.study.space import study_from_dict

#: parameter -> (target, lower, upper); sampled uniformly
PARAMETERS = {
    "china": {
        "sink": ("natural_sink", 0.5, 3.0),
        "solar": ("capex_scale:solar", 0.5, 1.2),
        "wind": ("capex_scale:wind", 0.55, 1.2),
        "coal_price": ("fuel_price_scale:raw_coal", 0.7, 1.5),
        "gas_price": ("fuel_price_scale:natural_gas", 0.7, 1.5),
        "growth": ("growth", 0.0, 2.0),
        "discount": ("discount_rate", 0.03, 0.10),
        "build": ("build_rate_scale", 0.6, 1.6),
    },
    "example": {
        "sink": ("natural_sink", 0.0, 0.2),
        "solar": ("capex_scale:solar", 0.5, 1.5),
        "wind": ("capex_scale:wind", 0.5, 1.5),
        "coal_price": ("fuel_price_scale:coal", 0.7, 1.5),
        "discount": ("discount_rate", 0.03, 0.10),
        "build": ("build_rate_scale", 0.5, 2.0),
    },
}
DATA = {"china": CHINA_DATA, "example": EXAMPLE_DATA}


def draw_samples(data: str, n: int, seed: int) -> list[dict]:
    """``n`` uniform samples of the benchmark parameters."""
    rng = np.random.default_rng(seed)
    spec = PARAMETERS[data]
    return [{k: float(rng.uniform(lo, hi)) for k, (_, lo, hi) in spec.items()} for _ in range(n)]


def targets_of(data: str) -> dict:
    """Parameter -> target of the benchmark parameters."""
    return {k: t for k, (t, _, _) in PARAMETERS[data].items()}


def time_naive(inputs, targets, samples) -> list[float]:
    """Seconds per sample of (a): apply, rebuild, cold solve, extract."""
    times = []
    for params in samples:
        start = time.perf_counter()
        solve_reference(inputs, Settings(), targets, params)
        times.append(time.perf_counter() - start)
    return times


def time_fast(lp: ParametricLP, samples, starts) -> tuple[list[float], list[dict]]:
    """Seconds per sample of (b) (``starts``: each sample's anchor, None for the reference
    basis: (b0)) and the diagnostics of each sample."""
    times, diags = [], []
    for params, anchor in zip(samples, starts, strict=True):
        start = time.perf_counter()
        _, diag = lp.solve_sample(params, anchor)
        times.append(time.perf_counter() - start)
        diags.append(diag)
    return times, diags


def sobol_rows(data: str, n_base: int, seed: int, unit: np.ndarray) -> tuple[list, list, list]:
    """A Sobol (Saltelli) design of base size ``n_base`` over the benchmark parameters as the
    engine runs it: each row's parameters, its nearest anchor (``unit``: the anchors' points;
    the LHS samples' anchors, same study seed and parameters) and its parent row (-1: none;
    engine/anchors.py ``design_parents``)."""
    study = study_from_dict(tomllib.loads(study_text(data, n_base, seed, sampler="sobol")))
    values = sample_design(study).values
    starts = nearest_anchor(study.parameters, unit, values).tolist()
    parents = design_parents("sobol", len(values), len(study.names), study.second_order)
    rows = [dict(zip(study.names, row, strict=True)) for row in values]
    return rows, starts, parents.tolist()


def time_sobol(lp: ParametricLP, rows: list, starts: list, parents: list) -> dict:
    """(b) on a Sobol design (:func:`sobol_rows`) in design order: A and B rows from their
    nearest anchor, each AB row from its A row's optimum; the anchors solved beforehand like the
    LHS samples'."""
    for anchor in set(starts):
        lp.start_basis(anchor)
    times, diags = [], []
    for params, anchor, parent in zip(rows, starts, parents, strict=True):
        parent_start = None if parent < 0 else (rows[parent], starts[parent])
        start = time.perf_counter()
        _, diag = lp.solve_sample(params, anchor, parent_start)
        times.append(time.perf_counter() - start)
        diags.append(diag)
    from_parent = [d for d in diags if d["parent_start"]]
    med = statistics.median
    return {
        "sobol_rows": len(rows),
        "sobol_fast_median_s": med(times),
        "sobol_iterations_median": med(d["iterations"] for d in diags),
        "sobol_parent_share": len(from_parent) / len(rows),
        "sobol_parent_iterations_median": med(d["iterations"] for d in from_parent),
        "sobol_base_iterations_median": med(
            d["iterations"] for d in diags if not d["parent_start"]
        ),
    }


def sample_vectors(lp: ParametricLP, samples) -> list[dict]:
    """Each sample's vectors, computed the readable way (outside the timed floor)."""
    vectors = []
    for params in samples:
        inputs, settings = apply_parameters(lp.inputs, lp.settings, params, lp.targets)
        vectors.append(lp.vectors(inputs, settings, resolve_settings(inputs, settings)))
    return vectors


def time_floor(lp: ParametricLP, vectors, bases) -> tuple[list[float], list[float], list[int]]:
    """(c): precomputed vectors pushed and re-solved warm from the same start basis as (b);
    also cold seconds and iterations."""
    warm, cold, cold_iters = [], [], []
    h = lp.highs
    for vec, basis in zip(vectors, bases, strict=True):
        start = time.perf_counter()
        lp.apply_vectors(vec)
        h.setBasis(basis)
        h.run()
        warm.append(time.perf_counter() - start)
        h.clearSolver()
        start = time.perf_counter()
        h.run()
        cold.append(time.perf_counter() - start)
        cold_iters.append(int(h.getInfo().simplex_iteration_count))
    return warm, cold, cold_iters


def worker_memory(data: str, samples: list[dict]) -> tuple[int, float]:
    """``(pid, peak resident memory in MB)`` of a fresh (spawned) process that builds the LP and
    solves the samples, as a worker does (joblib with one job would run it in this process,
    whose peak holds everything the bench built before)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_worker_memory, data, samples).result()


def _worker_memory(data: str, samples: list[dict]) -> tuple[int, float]:
    """:func:`worker_memory` in the fresh process."""
    inputs = load_inputs(DATA[data])
    lp = ParametricLP(inputs, Settings(), targets_of(data))
    for params in samples:
        lp.solve_sample(params)
    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def study_anchors(study) -> tuple[np.ndarray, list[dict]]:
    """The China LP's default warm-start anchors of ``study`` as the engine places them: their
    points in the unit hypercube and their parameter sets."""
    unit = anchor_points(study, ChinaLP.default_anchors)
    anchors = [dict(zip(study.names, row, strict=True)) for row in anchor_values(study, unit)]
    return unit, anchors


def study_text(data: str, n: int, seed: int, sampler: str = "lhs") -> str:
    """A ChinaLP study file over the benchmark parameters (an LHS design of ``n`` samples, or
    another ``sampler``'s of base size ``n``)."""
    lines = [
        "[study]",
        'name = "bench_fastpath"',
        'model = "model.ensemble:ChinaLP"',
        f'sampler = "{sampler}"',
        f"n = {n}",
        f"seed = {seed}",
        'outputs = ["co2", "coal_share", "peak_year", "cost", "solve_seconds", "iterations",'
        ' "warm", "anchor", "parent_start"]',
        "",
        "[model_options]",
        f'data = "{data}"',
        "",
    ]
    for name, (target, lo, hi) in PARAMETERS[data].items():
        lines += [
            f"[parameters.{name}]",
            'distribution = "uniform"',
            f"lower = {lo}",
            f"upper = {hi}",
            f'target = "{target}"',
            "",
        ]
    return "\n".join(lines)


def run_benchmark(
    data: str = "china",
    *,
    n_samples: int = 40,
    n_naive: int = 5,
    n_engine: int = 64,
    n_multi: int = 3,
    n_options: int = 6,
    n_sobol: int = 2,
    n_hubs: int = 16,
    seed: int = 1,
    out: Path | None = None,
) -> dict:
    """Run (a), (b), (b0), (c) on the same samples, (b) on a Sobol design of base size
    ``n_sobol`` (0: skip) and on ``n_hubs`` rows of a 10,000-row LHS study grouped behind hubs
    (0: skip; benchmarks/hubs.py), the solver options, the multi-solve multiple and the engine
    throughput; save and return JSON."""
    inputs = load_inputs(DATA[data])
    targets = targets_of(data)
    samples = draw_samples(data, n_samples, seed)
    start = time.perf_counter()
    lp = ParametricLP(inputs, Settings(), targets)
    build = time.perf_counter() - start
    study = study_from_dict(tomllib.loads(study_text(data, n_samples, seed)))
    unit, anchors = study_anchors(study)
    matrix = np.array([[p[name] for name in study.names] for p in samples])
    starts = nearest_anchor(study.parameters, unit, matrix).tolist()
    lp.set_anchors(anchors)
    start = time.perf_counter()
    bases = [lp.start_basis(k) for k in starts]  # each anchor solved once, here
    anchor_setup = time.perf_counter() - start
    naive = time_naive(inputs, targets, samples[:n_naive])
    fast, diags = time_fast(lp, samples, starts)
    fast0, diags0 = time_fast(lp, samples, [None] * len(samples))
    vectors = sample_vectors(lp, samples)
    floor, cold, cold_iters = time_floor(lp, vectors, bases)
    options = solver_options(lp, vectors[:n_options], bases[:n_options])
    memory = worker_memory(data, samples[:5])[1]
    med = statistics.median
    result = {
        "data": data,
        "n_samples": n_samples,
        "n_naive": n_naive,
        "seed": seed,
        "lp_size": _size(lp),
        "build_seconds": build,
        "naive_median_s": med(naive),
        "fast_median_s": med(fast),
        "floor_median_s": med(floor),
        "cold_median_s": med(cold),
        "ratio_naive_over_fast": med(naive) / med(fast),
        "ratio_fast_over_floor": med(fast) / med(floor),
        "warm_iterations_median": med(d["iterations"] for d in diags),
        "reference_start_iterations_median": med(d["iterations"] for d in diags0),
        "reference_start_median_s": med(fast0),
        "iterations_anchor_over_reference": med(d["iterations"] for d in diags)
        / med(d["iterations"] for d in diags0),
        "anchors": len(anchors),
        "anchors_used": len(set(starts)),
        "anchor_setup_seconds": anchor_setup,
        "cold_iterations_median": med(cold_iters),
        "warm_share": float(np.mean([d["warm"] for d in diags])),
        "rebuilt_share": float(np.mean([d["rebuilt"] for d in diags])),
        "worker_peak_memory_mb": memory,
        "targets": {
            "naive_over_fast": ">= 5",
            "fast_over_floor": "<= 1.3",
            "speedup_2_vs_1_workers": ">= 1.8",
            "iterations_anchor_over_reference": "<= 0.5",
            "multi_solve_multiple": "<= 3",
            "iterations_hubs_over_reference": "<= 0.5",
            "ratio_naive_over_fast_hubs": ">= 5",
        },
        "cpu_count": os.cpu_count(),
        "solver_options": options,
    }
    if n_sobol:
        rows, row_starts, parents = sobol_rows(data, n_sobol, seed, unit)
        result.update(time_sobol(lp, rows, row_starts, parents))
        result["ratio_naive_over_fast_sobol"] = med(naive) / result["sobol_fast_median_s"]
        result["iterations_sobol_over_reference"] = (
            result["sobol_iterations_median"] / result["reference_start_iterations_median"]
        )
    big = study_text(data, DESIGN_ROWS, seed)  # an LHS study as large as the issue's
    if n_hubs:
        result.update(time_hubs(lp, big, unit, n_hubs, seed))
        result["ratio_naive_over_fast_hubs"] = med(naive) / result["hub_fast_median_s"]
    if n_multi:
        result.update(multi_solve(inputs, targets, samples[:n_multi], anchors, starts[:n_multi]))
        if n_hubs:
            pairs = hub_children(big, unit, n_multi, seed)
            result.update(multi_solve_hubs(inputs, targets, *pairs, anchors))
        if n_sobol:  # the first block's A row and n_multi of its AB rows
            block = slice(0, 1 + n_multi)
            result.update(
                multi_solve_sobol(
                    inputs, targets, rows[block], row_starts[block], parents[block], anchors
                )
            )
    if n_engine:
        result.update(engine_throughput(study_text(data, n_engine, seed), n_engine))
        result["scale_10000"] = scale_estimate(result)
    save_json(result, out, indent=2)
    return result


def _size(lp: ParametricLP) -> dict:
    A = lp.model.matrices.A
    return {"variables": int(A.shape[1]), "constraints": int(A.shape[0]), "nonzeros": int(A.nnz)}


def format_result(r: dict) -> str:
    """A plain-text table of a benchmark result."""
    lines = [
        f"LP ({r['data']}): {r['lp_size']['variables']} variables, "
        f"{r['lp_size']['constraints']} constraints, {r['lp_size']['nonzeros']} non-zeros; "
        f"built once in {r['build_seconds']:.2f} s",
        f"(a) naive rebuild + cold solve  median {r['naive_median_s'] * 1000:9.1f} ms/sample",
        f"(b) fast path, anchor starts    median {r['fast_median_s'] * 1000:9.1f} ms/sample",
        f"(b0) fast path, reference start median {r['reference_start_median_s'] * 1000:8.1f}"
        " ms/sample",
        f"(c) floor: bare warm HiGHS      median {r['floor_median_s'] * 1000:9.1f} ms/sample",
        f"    cold HiGHS (no rebuild)     median {r['cold_median_s'] * 1000:9.1f} ms/sample",
        f"a/b = {r['ratio_naive_over_fast']:.1f} (target >= 5);  "
        f"b/c = {r['ratio_fast_over_floor']:.2f} (target <= 1.3)",
        f"iterations: anchor start median {r['warm_iterations_median']:.0f}, reference start "
        f"{r['reference_start_iterations_median']:.0f} (ratio "
        f"{r['iterations_anchor_over_reference']:.2f}, target <= 0.5; {r['anchors_used']} of "
        f"{r['anchors']} anchors used, set up in {r['anchor_setup_seconds']:.1f} s), "
        f"cold median {r['cold_iterations_median']:.0f}; warm share {r['warm_share']:.2f}, "
        f"rebuilt share {r['rebuilt_share']:.2f}",
        f"worker peak memory {r['worker_peak_memory_mb']:.0f} MB",
    ]
    if "sobol_rows" in r:
        lines.append(
            f"(b) on a Sobol design ({r['sobol_rows']} rows, {r['sobol_parent_share']:.0%} from "
            f"their block's A row): median {r['sobol_fast_median_s'] * 1000:.1f} ms/sample, "
            f"{r['sobol_iterations_median']:.0f} iterations (x"
            f"{r['iterations_sobol_over_reference']:.2f} the reference start's; from the parent "
            f"{r['sobol_parent_iterations_median']:.0f}, from an anchor "
            f"{r['sobol_base_iterations_median']:.0f}); a/b = "
            f"{r['ratio_naive_over_fast_sobol']:.1f}"
        )
    if "speedup_2_vs_1_workers" in r:
        lines.append(
            f"engine: {r['samples_per_second_1_workers']:.2f} samples/s with 1 worker, "
            f"{r['samples_per_second_2_workers']:.2f} with 2: x{r['speedup_2_vs_1_workers']:.2f}"
            f" (target >= 1.8); store {r['store_bytes_per_sample']:.0f} bytes/sample"
        )
    for row in r["solver_options"]:
        lines.append(
            f"  {row['kind']:4s} {row['name']:40s} {row['median_s'] * 1000:8.1f} ms "
            f"x{row['ratio_to_default']:.2f}  {row['median_iterations']:.0f} iterations"
            f"  optimal {row['optimal_share']:.0%}"
        )
    if "multi_solve_multiple" in r:
        lines.append(
            f"latest-peak search: x{r['multi_solve_multiple']:.1f} one solve per sample "
            f"(target <= 3; {r['multi_solve_trials_median']:.0f} trials)"
        )
    if "multi_solve_sobol_multiple" in r:
        lines.append(
            f"latest-peak search, Sobol AB rows (from the A row's answer): "
            f"x{r['multi_solve_sobol_multiple']:.1f} one solve "
            f"({r['multi_solve_sobol_trials_median']:.0f} trials, "
            f"{r['multi_solve_sobol_search_median_s']:.1f} s)"
        )
    lines += format_hubs(r)
    if "scale_10000" in r:
        hours = r["scale_10000"]["hours"]
        lines.append("10,000 samples: " + ", ".join(f"{k} {v:.2f} h" for k, v in hours.items()))
        for design, h in r["scale_10000"].get("latest_peak", {}).get("hours", {}).items():
            lines.append(
                f"  with the latest-peak search, {design}, 2 workers: {h['loky_2_workers']:.1f} h"
            )
    return "\n".join(lines)
