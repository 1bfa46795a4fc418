"""Would design rows make better warm starts than anchors for independent (LHS) samples?

Run: ``python -m benchmarks.design_starts [K]`` (K sample rows, default 12; ~40 s each). On a
10,000-row LHS design of the benchmark parameters, every 4th row is a candidate start ("hub",
solved as a sample from its nearest anchor); a later, non-hub row is solved twice, side by side:
from its nearest of the 32 anchors (what the engine does) and from the optimum of the nearest
earlier hub (``parent_start``). Prints distances in the unit cube, iterations and seconds of
both, their median ratios, and saves them to ``results/benchmarks/design_starts.json``. Not used
by the engine (README, Performance: why).
"""

from __future__ import annotations

import statistics
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

from benchmarks import save_json
from benchmarks.fastpath import study_anchors, study_text, targets_of
from model.build import Settings
from model.fastpath import ParametricLP
from model.load import CHINA_DATA, load_inputs
from uncertainty.engine.anchors import nearest_anchor, unit_of
from uncertainty.study.sampling import sample_design
from uncertainty.study.space import study_from_dict

OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "design_starts.json"
ROWS, EVERY = 10_000, 4


def main(k: int = 12, seed: int = 5, out: Path | None = OUT) -> dict:
    study = study_from_dict(tomllib.loads(study_text("china", ROWS, 1)))
    values = sample_design(study).values
    unit = unit_of(study.parameters, values)
    anchors_unit, anchors = study_anchors(study)
    start = nearest_anchor(study.parameters, anchors_unit, values)
    hubs = np.arange(0, ROWS, EVERY)
    rng = np.random.default_rng(seed)
    rows = [int(i) for i in rng.choice(np.arange(ROWS // 2, ROWS), 4 * k, replace=False)]
    rows = [i for i in rows if i % EVERY][:k]
    lp = ParametricLP(load_inputs(CHINA_DATA), Settings(), targets_of("china"))
    lp.set_anchors(anchors)

    def params(i: int) -> dict:
        return dict(zip(study.names, values[i], strict=True))

    runs = []
    for i in rows:
        earlier = hubs[hubs < i]
        distance = np.sqrt(((unit[earlier] - unit[i]) ** 2).sum(axis=1))
        hub = int(earlier[np.argmin(distance)])
        parent = (params(hub), int(start[hub]))
        lp.start_basis(int(start[i]))  # set-up, not timed: the anchors and the hub's optimum
        lp.parent_start(parent)
        t0 = time.perf_counter()
        _, from_anchor = lp.solve_sample(params(i), int(start[i]))
        t1 = time.perf_counter()
        _, from_hub = lp.solve_sample(params(i), int(start[i]), parent)
        t2 = time.perf_counter()
        runs.append(
            {
                "row": i,
                "hub": hub,
                "anchor_distance": float(np.sqrt(((unit[i] - anchors_unit[start[i]]) ** 2).sum())),
                "hub_distance": float(distance.min()),
                "anchor_iterations": int(from_anchor["iterations"]),
                "hub_iterations": int(from_hub["iterations"]),
                "anchor_s": t1 - t0,
                "hub_s": t2 - t1,
            }
        )
        r = runs[-1]
        print(
            f"row {i}: distance {r['anchor_distance']:.2f} -> {r['hub_distance']:.2f}, "
            f"iterations {r['anchor_iterations']} -> {r['hub_iterations']}, "
            f"{r['anchor_s']:.2f} s -> {r['hub_s']:.2f} s"
        )
    med = statistics.median
    result = {
        "design_rows": ROWS,
        "hub_every": EVERY,
        "anchors": len(anchors),
        "median_anchor_distance": med(r["anchor_distance"] for r in runs),
        "median_hub_distance": med(r["hub_distance"] for r in runs),
        "median_iterations_hub_over_anchor": med(
            r["hub_iterations"] / r["anchor_iterations"] for r in runs
        ),
        "median_seconds_hub_over_anchor": med(r["hub_s"] / r["anchor_s"] for r in runs),
        "runs": runs,
    }
    print(
        f"median distance {result['median_anchor_distance']:.2f} -> "
        f"{result['median_hub_distance']:.2f}; iterations x"
        f"{result['median_iterations_hub_over_anchor']:.2f}, time x"
        f"{result['median_seconds_hub_over_anchor']:.2f} (from the nearest earlier hub / from "
        "the nearest anchor, per-row medians)"
    )
    save_json(result, out)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
