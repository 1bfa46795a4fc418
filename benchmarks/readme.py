"""Regenerate the README's performance section from ``results/benchmarks/fastpath.json``.

Run ``python -m benchmarks.readme`` after ``netua bench``: the text between the markers
``<!-- performance:start -->`` and ``<!-- performance:end -->`` of README.md is replaced by the
tables below, every number taken from the JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- performance:start -->", "<!-- performance:end -->"


def _verdict(value: float, op: str, bound: float) -> str:
    met = value >= bound if op == ">=" else value <= bound
    return f"{op} {bound:g}" + ("" if met else " (missed)")


def _command(r: dict) -> str:
    """The ``netua bench`` command line that produced ``r``."""
    parts = [f"netua bench --data {r['data']} --samples {r['n_samples']} --naive {r['n_naive']}"]
    if "engine_samples" in r:
        parts.append(f"--engine-samples {r['engine_samples']}")
    if "multi_solve_samples" in r:
        parts.append(f"--multi {r['multi_solve_samples']}")
    warm = [row for row in r["solver_options"] if row["kind"] == "warm"]
    if warm:
        parts.append(f"--options-samples {warm[0]['samples']}")
    if "hub_rows" in r:
        parts.append(f"--hub-rows {r['hub_rows']}")
    if "sobol_rows" in r:
        base = round(r["sobol_rows"] * (1 - r["sobol_parent_share"]) / 2)  # an A and a B row each
        parts.append(f"--sobol-base {base}")
    return " ".join(parts)


def performance_section(r: dict) -> str:
    """The README's performance section (markdown) for a benchmark result."""
    size = r["lp_size"]
    lines = [
        START,
        f"Measured by `{_command(r)}` (saved to `results/benchmarks/fastpath.json`; regenerate "
        "this section with `python -m benchmarks.readme`), which runs the compared approaches "
        "side by side on the same samples of 8 parameters on this class of machine "
        f"({r['cpu_count']} cores, shared): the {r['data']} LP has {size['variables']:,} "
        f"variables, {size['constraints']:,} constraints and {size['nonzeros']:,} non-zeros.",
        "",
        "| approach | per sample (median) | simplex iterations (median) |",
        "| --- | --- | --- |",
        f"| (a) naive: apply the parameters, rebuild the linopy model, cold solve | "
        f"{r['naive_median_s']:.2f} s | |",
        f"| (b) fast path: build once per worker, update in place, warm start from the nearest of "
        f"{r['anchors']} anchors | {r['fast_median_s']:.2f} s | "
        f"{r['warm_iterations_median']:,.0f} |",
        f"| (b0) the same from the single reference basis | {r['reference_start_median_s']:.2f} s "
        f"| {r['reference_start_iterations_median']:,.0f} |",
        f"| (c) floor: bare HiGHS updates and warm re-solve from (b)'s starts | "
        f"{r['floor_median_s']:.2f} s | |",
        f"| cold HiGHS solve (no rebuild) | {r['cold_median_s']:.2f} s | "
        f"{r['cold_iterations_median']:,.0f} |",
    ]
    if "sobol_rows" in r:
        lines.append(
            f"| (b) on a Sobol design as the engine runs it ({r['sobol_rows']} rows: A and B rows "
            f"from their nearest anchor, the {r['sobol_parent_share']:.0%} AB rows from their "
            f"block's A row) | {r['sobol_fast_median_s']:.2f} s | "
            f"{r['sobol_iterations_median']:,.0f} (AB rows "
            f"{r['sobol_parent_iterations_median']:,.0f}) |"
        )
    if "hub_rows" in r:
        lines.append(
            f"| (b) on {r['hub_rows']} rows of a {r['hub_design_rows']:,}-row LHS study as the "
            f"engine runs it (grouped behind hubs: the {r['hub_parent_share']:.0%} of rows nearer "
            f"a hub than an anchor from the hub's optimum, the others from their anchor; start "
            f"{r['hub_start_distance_median']:.2f} away, median) | {r['hub_fast_median_s']:.2f} s "
            f"| {r['hub_iterations_median']:,.0f} (reference start "
            f"{r['hub_reference_iterations_median']:,.0f}) |"
        )
    lines += [
        "",
        "| figure | measured | target |",
        "| --- | --- | --- |",
        f"| a/b (fast path vs rebuild) | {r['ratio_naive_over_fast']:.1f} | "
        f"{_verdict(r['ratio_naive_over_fast'], '>=', 5)} |",
        f"| b/c (bookkeeping overhead) | {r['ratio_fast_over_floor']:.2f} | "
        f"{_verdict(r['ratio_fast_over_floor'], '<=', 1.3)} |",
        f"| iterations, anchor start / reference start | "
        f"{r['iterations_anchor_over_reference']:.2f} | "
        f"{_verdict(r['iterations_anchor_over_reference'], '<=', 0.5)} |",
    ]
    if "sobol_rows" in r:
        lines += [
            f"| a/b on the Sobol design | {r['ratio_naive_over_fast_sobol']:.1f} | "
            f"{_verdict(r['ratio_naive_over_fast_sobol'], '>=', 5)} |",
            f"| iterations on the Sobol design / reference start | "
            f"{r['iterations_sobol_over_reference']:.2f} | "
            f"{_verdict(r['iterations_sobol_over_reference'], '<=', 0.5)} |",
        ]
    lines += _hub_figures(r)
    if "multi_solve_multiple" in r:
        lines.append(
            f"| latest-peak search, searched from the sample's anchor's answer: its time / one "
            f"solve ({r['multi_solve_samples']} samples, {r['multi_solve_trials_median']:.0f} "
            f"trials, {r['multi_solve_search_median_s']:.1f} s; the anchors' own searches "
            f"{r.get('multi_solve_anchor_setup_s', 0):.0f} s of set-up) | "
            f"{r['multi_solve_multiple']:.1f} | {_verdict(r['multi_solve_multiple'], '<=', 3)} |"
        )
    if "multi_solve_sobol_multiple" in r:
        lines.append(
            f"| latest-peak search on Sobol AB rows, searched from their A row's answer "
            f"({r['multi_solve_sobol_samples']} rows, {r['multi_solve_sobol_trials_median']:.0f} "
            f"trials, {r['multi_solve_sobol_search_median_s']:.1f} s against "
            f"{r['multi_solve_search_median_s']:.1f} s above) / their one solve | "
            f"{r['multi_solve_sobol_multiple']:.1f} | "
            f"{_verdict(r['multi_solve_sobol_multiple'], '<=', 3)} |"
        )
    if "multi_solve_hubs_multiple" in r:
        lines.append(
            f"| latest-peak search on rows of that LHS study started from their hub, searched "
            f"from the hub's answer ({r['multi_solve_hubs_samples']} rows, "
            f"{r['multi_solve_hubs_trials_median']:.0f} trials, "
            f"{r['multi_solve_hubs_search_median_s']:.1f} s) / their one solve | "
            f"{r['multi_solve_hubs_multiple']:.1f} | "
            f"{_verdict(r['multi_solve_hubs_multiple'], '<=', 3)} |"
        )
    if "speedup_2_vs_1_workers" in r:
        lines += [
            f"| 2 engine workers vs 1 (real `netua run` of {r['engine_samples']} samples, each "
            f"worker's set-up included) | {r['speedup_2_vs_1_workers']:.2f}x | "
            f"{_verdict(r['speedup_2_vs_1_workers'], '>=', 1.8)} |",
        ]
    if "engine_elapsed_mean_2_workers_s" in r:
        one, two = r["engine_elapsed_mean_1_workers_s"], r["engine_elapsed_mean_2_workers_s"]
        lines += [
            f"| the same, per sample once set up (mean evaluation {one:.2f} s with 1 worker, "
            f"{two:.2f} s with 2), which a long study approaches | {2 * one / two:.2f}x | |",
        ]
    if "store_bytes_per_sample" in r:
        lines += [
            f"| store size | {r['store_bytes_per_sample']:,.0f} bytes per sample | |",
        ]
    lines += [
        f"| peak memory of a worker | {r['worker_peak_memory_mb']:.0f} MB | |",
        f"| anchors used / solved once | {r['anchors_used']} of {r['anchors']}, "
        f"{r['anchor_setup_seconds']:.0f} s | |",
        "",
        "HiGHS's own options on the same samples (warm: from (b)'s starts; cold: no basis):",
        "",
        "| solve | options | median | vs default | iterations | optimal |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in r["solver_options"]:
        lines.append(
            f"| {row['kind']} | {row['name']} | {row['median_s']:.2f} s | "
            f"x{row['ratio_to_default']:.2f} | {row['median_iterations']:,.0f} | "
            f"{row['optimal_share']:.0%} |"
        )
    lines += _scale_lines(r)
    lines.append(END)
    return "\n".join(lines)


def _hub_figures(r: dict) -> list[str]:
    """Figure rows of the 10,000-row LHS study grouped behind hubs (none when not measured)."""
    if "hub_rows" not in r:
        return []
    lines = [
        f"| a/b on the {r['hub_design_rows']:,}-row LHS study ((a) on the samples above, (b) on "
        "its rows: other samples, so the side-by-side ratio below is the cleaner comparison) | "
        f"{r['ratio_naive_over_fast_hubs']:.1f} | "
        f"{_verdict(r['ratio_naive_over_fast_hubs'], '>=', 5)} |",
        f"| iterations on the {r['hub_design_rows']:,}-row LHS study / reference start | "
        f"{r['iterations_hubs_over_reference']:.2f} | "
        f"{_verdict(r['iterations_hubs_over_reference'], '<=', 0.5)} |",
    ]
    if "hub_children_time_hub_over_anchor" in r:
        lines.append(
            f"| the rows of that study started from their hub: time (iterations) / the same "
            f"rows from their nearest anchor, side by side (median per row) | "
            f"x{r['hub_children_time_hub_over_anchor']:.2f} "
            f"(x{r['hub_children_iterations_hub_over_anchor']:.2f}) | |"
        )
    return lines


def _scale_lines(r: dict) -> list[str]:
    """The 10,000-sample projection paragraph (none when not measured)."""
    if "scale_10000" not in r:
        return []
    scale = r["scale_10000"]
    hours = scale["hours"]
    lines = [
        "",
        f"A {scale['samples']:,}-sample study, extrapolated: "
        + ", ".join(f"{k.replace('_', ' ')} {v:.2f} h" for k, v in hours.items())
        + ". "
        + " ".join(scale["assumptions"].split()),
    ]
    if "hours_sobol" in scale:
        lines[-1] += (
            " A Sobol study of 10,000 rows: "
            + ", ".join(f"{k.replace('_', ' ')} {v:.2f} h" for k, v in scale["hours_sobol"].items())
            + (" (the per-sample time with (b) replaced by the Sobol design's median).")
        )
    if "hours_lhs_hubs" in scale:
        lines[-1] += (
            " An LHS study of 10,000 rows grouped behind hubs: "
            + ", ".join(
                f"{k.replace('_', ' ')} {v:.2f} h" for k, v in scale["hours_lhs_hubs"].items()
            )
            + " (the same with (b)'s solve scaled, for the share of rows started from a hub, by"
            " their measured time ratio to their anchor start)."
        )
    if "latest_peak" in scale:
        peak = scale["latest_peak"]
        names = {
            "anchor_starts": "rows from their anchor",
            "lhs_hubs": "LHS behind hubs",
            "sobol": "Sobol",
        }
        lines[-1] += (
            " With the latest-peak search ("
            + "; ".join(
                f"{names[d]} {peak['seconds_per_row'][d]:.1f} s per row: "
                + ", ".join(f"{k.replace('_', ' ')} {v:.2f} h" for k, v in h.items())
                for d, h in peak["hours"].items()
            )
            + f"; {peak['seconds_per_anchor_search']:.0f} s per anchor's own search). "
            + " ".join(peak["assumptions"].split())
        )
    return lines


def update_readme(result_path: Path, readme: Path) -> None:
    """Replace the performance section of ``readme`` with the one of ``result_path``."""
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: no {START} ... {END} markers to replace")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    section = performance_section(json.loads(result_path.read_text()))
    readme.write_text(head + section + tail)


if __name__ == "__main__":
    args = sys.argv[1:]
    update_readme(
        Path(args[0]) if args else ROOT / "results" / "benchmarks" / "fastpath.json",
        Path(args[1]) if len(args) > 1 else ROOT / "README.md",
    )
