"""(b) on rows of a large LHS study as the engine runs it: grouped behind hubs.

Part of ``netua bench`` (:func:`benchmarks.fastpath.run_benchmark`): a 10,000-row LHS design of
the benchmark parameters is grouped as the engine stores it (uncertainty/engine/hubs.py); ``n``
of its rows, drawn at random, are each solved the engine's way - from its hub's optimum when the
hub is nearer than its nearest anchor, else from the anchor - and, side by side, from the single
reference basis and (the rows with a hub) from their nearest anchor. The hubs' optima (like the
anchors) are set-up, not timed: in a study every hub is itself a row, solved once. The per-row
time includes applying the parameters and extracting the outputs, as (b) does.
"""

from __future__ import annotations

import statistics
import time
import tomllib

import numpy as np

from model.fastpath import ParametricLP
from uncertainty.engine.anchors import nearest_anchor, unit_of
from uncertainty.engine.hubs import hub_design
from uncertainty.study.sampling import sample_design
from uncertainty.study.space import study_from_dict

#: rows of the LHS study whose rows are timed (the scale of the issue's study)
DESIGN_ROWS = 10_000


def grouped_design(study_text: str, unit: np.ndarray):
    """The study's LHS design as the engine stores it: (study, values, nearest anchors, parents)."""
    study = study_from_dict(tomllib.loads(study_text))
    values = sample_design(study).values
    order, parents = hub_design(study.parameters, values, unit)
    values = values[order]
    return study, values, nearest_anchor(study.parameters, unit, values), parents


def hub_children(study_text: str, unit: np.ndarray, n: int, seed: int):
    """``n`` rows that start from a hub, each after its hub: (rows, anchors, parents) lists in
    the form of :func:`benchmarks.solver.multi_solve_sobol`'s (parents index into the lists)."""
    study, values, anchors, parents = grouped_design(study_text, unit)
    kids = np.random.default_rng(seed).choice(np.flatnonzero(parents >= 0), n, replace=False)
    rows, starts, links = [], [], []
    for i in kids:
        for j, link in ((parents[i], -1), (i, len(rows))):
            rows.append(dict(zip(study.names, values[j], strict=True)))
            starts.append(int(anchors[j]))
            links.append(link)
    return rows, starts, links


def time_hubs(
    lp: ParametricLP, study_text: str, unit: np.ndarray, n: int, seed: int
) -> dict[str, float]:
    """Median seconds and iterations of ``n`` rows of the grouped design (hub or anchor starts)
    and of the same rows from the reference basis; ``unit``: the anchors' points (``lp``'s)."""
    study, values, anchors, parents = grouped_design(study_text, unit)
    points = unit_of(study.parameters, values)
    rows = np.random.default_rng(seed).choice(len(values), n, replace=False)

    def params(i: int) -> dict:
        return dict(zip(study.names, values[i], strict=True))

    times, diags, reference, distance, from_anchor = [], [], [], [], []
    for i in rows:
        parent = None if parents[i] < 0 else (params(parents[i]), int(anchors[parents[i]]))
        lp.start_basis(int(anchors[i]))  # set-up: the anchor and the hub's optimum
        if parent is not None:
            lp.parent_start(parent)
        start = time.perf_counter()
        _, diag = lp.solve_sample(params(i), int(anchors[i]), parent)
        times.append(time.perf_counter() - start)
        diags.append(diag)
        reference.append(lp.solve_sample(params(i))[1]["iterations"])
        if parent is not None:  # side by side: the same row from its nearest anchor
            start = time.perf_counter()
            _, plain = lp.solve_sample(params(i), int(anchors[i]))
            from_anchor.append((time.perf_counter() - start, plain["iterations"], times[-1], diag))
        source = points[parents[i]] if parent is not None else np.asarray(unit)[anchors[i]]
        distance.append(float(np.sqrt(((points[i] - source) ** 2).sum())))
    med = statistics.median
    iterations = med(d["iterations"] for d in diags)
    return {
        "hub_design_rows": len(values),
        "hub_rows": n,
        "hub_parent_share": float(np.mean([d["parent_start"] for d in diags])),
        "hub_start_distance_median": med(distance),
        "hub_fast_median_s": med(times),
        "hub_iterations_median": iterations,
        "hub_reference_iterations_median": med(reference),
        "iterations_hubs_over_reference": iterations / med(reference),
        "hub_children_anchor_start_median_s": med(a[0] for a in from_anchor),
        "hub_children_hub_start_median_s": med(a[2] for a in from_anchor),
        "hub_children_time_hub_over_anchor": med(a[2] / a[0] for a in from_anchor),
        "hub_children_iterations_hub_over_anchor": med(
            a[3]["iterations"] / max(a[1], 1) for a in from_anchor
        ),
    }


def format_hubs(r: dict) -> list[str]:
    """Plain-text lines of the hub rows' results (empty when not measured)."""
    lines = []
    if "hub_rows" in r:
        lines.append(
            f"(b) on {r['hub_rows']} rows of a {r['hub_design_rows']:,}-row LHS study grouped "
            f"behind hubs ({r['hub_parent_share']:.0%} from their hub; start "
            f"{r['hub_start_distance_median']:.2f} away): median "
            f"{r['hub_fast_median_s'] * 1000:.1f} ms/sample, {r['hub_iterations_median']:.0f} "
            f"iterations (reference start {r['hub_reference_iterations_median']:.0f}: x"
            f"{r['iterations_hubs_over_reference']:.2f}, target <= 0.5); a/b = "
            f"{r['ratio_naive_over_fast_hubs']:.1f} (target >= 5); the rows started from their "
            f"hub took x{r['hub_children_time_hub_over_anchor']:.2f} the time and "
            f"x{r['hub_children_iterations_hub_over_anchor']:.2f} the iterations of their "
            "anchor start (median per row)"
        )
    if "multi_solve_hubs_multiple" in r:
        lines.append(
            f"latest-peak search, LHS rows from their hub's answer: "
            f"x{r['multi_solve_hubs_multiple']:.1f} one solve "
            f"({r['multi_solve_hubs_trials_median']:.0f} trials, "
            f"{r['multi_solve_hubs_search_median_s']:.1f} s)"
        )
    return lines
