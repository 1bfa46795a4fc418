"""How many warm-start anchors? Median warm iterations with K anchors, on the bench's samples.

Run: ``python -m benchmarks.anchor_density [N] [K ...]`` (default: the bench's 40 default
samples, seed 1; 32, 64 and 128 anchors; ~7 minutes per K on a 2-core machine). Each sample is
solved from its nearest of K anchors (as the engine does) and from the reference basis (b0 of
``netua bench``); prints, per K, the anchors used, the median iterations and their ratio to the
reference start's, over all N samples and over the first 16 (the committed ``netua bench`` run's
samples), and saves them to ``results/benchmarks/anchor_density.json``. Iteration counts do not
depend on the machine's speed, so this runs on a busy machine too. Used for
:attr:`model.ensemble.ChinaLP.default_anchors`.
"""

from __future__ import annotations

import statistics
import sys
import tomllib
from pathlib import Path

import numpy as np

from benchmarks import save_json
from benchmarks.fastpath import DATA, draw_samples, study_text, targets_of
from model.build import Settings
from model.fastpath import ParametricLP
from model.load import load_inputs
from uncertainty.engine.anchors import anchor_points, anchor_values, nearest_anchor
from uncertainty.study.space import study_from_dict

OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "anchor_density.json"


def main(n: int = 40, counts=(32, 64, 128), seed: int = 1, out: Path | None = OUT) -> dict:
    inputs = load_inputs(DATA["china"])
    lp = ParametricLP(inputs, Settings(), targets_of("china"))
    samples = draw_samples("china", n, seed)
    study = study_from_dict(tomllib.loads(study_text("china", n, seed)))
    matrix = np.array([[p[name] for name in study.names] for p in samples])
    reference = [lp.solve_sample(p)[1]["iterations"] for p in samples]
    med = statistics.median
    result = {"samples": n, "seed": seed, "reference_iterations": reference, "anchors": {}}
    for k in counts:
        unit = anchor_points(study, k)
        values = anchor_values(study, unit)
        lp.set_anchors([dict(zip(study.names, row, strict=True)) for row in values])
        starts = nearest_anchor(study.parameters, unit, matrix).tolist()
        iterations = []
        for params, anchor in zip(samples, starts, strict=True):
            iterations.append(lp.solve_sample(params, anchor)[1]["iterations"])
        row = {
            "anchors_used": len(set(starts)),
            "iterations": iterations,
            "median_iterations": med(iterations),
            "ratio_to_reference": med(iterations) / med(reference),
            "ratio_to_reference_first_16": med(iterations[:16]) / med(reference[:16]),
        }
        result["anchors"][str(k)] = row
        print(
            f"{k} anchors ({row['anchors_used']} used): median {row['median_iterations']} "
            f"iterations, x{row['ratio_to_reference']:.3f} the reference start's "
            f"(first 16: x{row['ratio_to_reference_first_16']:.3f})",
            flush=True,
        )
    save_json(result, out)
    return result


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args[:1] or [40]), counts=tuple(args[1:]) or (32, 64, 128))
