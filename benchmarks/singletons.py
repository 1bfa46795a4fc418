"""Singleton rows held as column bounds (model/highs_lp.py ``SingletonRows``) against the same
rows kept as constraints: the fast path's warm solves side by side, sample by sample.

Run: ``python -m benchmarks.singletons [N]`` (N benchmark samples, default 16; ~25 s each). Two
``ParametricLP`` of the China LP, identical except that one keeps every singleton row; each
sample is solved by both, alternately, from its nearest anchor (the anchors solved first, not
timed), so machine noise hits both alike. Prints the per-sample times, iterations and costs, the
medians and the median ratio, and saves them to ``results/benchmarks/singletons.json``.
"""

from __future__ import annotations

import statistics
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

from benchmarks import save_json
from benchmarks.fastpath import draw_samples, study_anchors, study_text, targets_of
from model.build import Settings
from model.fastpath import ParametricLP
from model.load import CHINA_DATA, load_inputs
from uncertainty.engine.anchors import nearest_anchor
from uncertainty.study.space import study_from_dict

OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "singletons.json"


class RowsKept(ParametricLP):
    """The fast path with every singleton row kept as a row (none held as a column bound)."""

    def _protected_rows(self) -> np.ndarray:
        return np.arange(self.highs.getNumRow())


def main(n: int = 16, seed: int = 1, out: Path | None = OUT) -> dict:
    inputs, targets = load_inputs(CHINA_DATA), targets_of("china")
    study = study_from_dict(tomllib.loads(study_text("china", n, seed)))
    unit, anchors = study_anchors(study)
    samples = draw_samples("china", n, seed)
    matrix = np.array([[p[name] for name in study.names] for p in samples])
    starts = nearest_anchor(study.parameters, unit, matrix).tolist()
    lps = {
        "rows_kept": RowsKept(inputs, Settings(), targets),
        "held_as_bounds": ParametricLP(inputs, Settings(), targets),
    }
    for lp in lps.values():
        lp.set_anchors(anchors)
        for k in sorted(set(starts)):
            lp.start_basis(k)
    runs: dict[str, list] = {name: [] for name in lps}
    for params, anchor in zip(samples, starts, strict=True):
        for name, lp in lps.items():
            start = time.perf_counter()
            outputs, diag = lp.solve_sample(params, anchor)
            runs[name].append(
                {
                    "seconds": time.perf_counter() - start,
                    "iterations": diag["iterations"],
                    "cost": float(outputs.cost),
                }
            )
        print(
            "  ".join(
                f"{k} {v[-1]['seconds']:.2f} s {v[-1]['iterations']:5d} it" for k, v in runs.items()
            )
        )
    kept, held = runs["rows_kept"], runs["held_as_bounds"]
    med = statistics.median
    result = {
        "samples": n,
        "singleton_rows": int(len(lps["held_as_bounds"].singletons.rows)),
        "rows": int(lps["held_as_bounds"].highs.getNumRow()),
        "rows_kept_median_s": med(r["seconds"] for r in kept),
        "held_median_s": med(r["seconds"] for r in held),
        "rows_kept_iterations_median": med(r["iterations"] for r in kept),
        "held_iterations_median": med(r["iterations"] for r in held),
        "ratio_kept_over_held_median": med(
            a["seconds"] / b["seconds"] for a, b in zip(kept, held, strict=True)
        ),
        "max_cost_relative_difference": max(
            abs(a["cost"] - b["cost"]) / abs(a["cost"]) for a, b in zip(kept, held, strict=True)
        ),
        "runs": runs,
    }
    print(
        f"{result['singleton_rows']} of {result['rows']} rows held as column bounds; "
        f"median {result['rows_kept_median_s']:.2f} s -> {result['held_median_s']:.2f} s, "
        f"iterations {result['rows_kept_iterations_median']:.0f} -> "
        f"{result['held_iterations_median']:.0f}; median ratio kept/held "
        f"{result['ratio_kept_over_held_median']:.3f}; costs agree to "
        f"{result['max_cost_relative_difference']:.1e}"
    )
    save_json(result, out)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
