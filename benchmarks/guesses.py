"""The latest-peak search's first guess, side by side: the nearest answer against the anchors'
plane (``latest_peak_guess = true`` against ``"fit"``).

Run: ``python -m benchmarks.guesses [N]`` (N hub/row pairs, default 10; ~30 min with the set-up).
A 10,000-row LHS design of the benchmark parameters is grouped as the engine stores it
(uncertainty/engine/hubs.py); N of its rows that start from a hub are drawn at random and each
is evaluated after its hub, as the engine does, by two copies of the China LP with the search:
one guessing the nearest answer (a hub its anchor's, a row its hub's) and one guessing the
plane through the first anchors' answers (model/starts.py ``plane_guess``, ``plane_anchors``:
72 of the study's 128 today; the committed results are of a run with 32 anchors, all in the
plane, rounded to the nearest year). The anchors' own searches (the plane's, those the rows need
for the nearest answer) are set-up,
solved first and not timed. Prints per-row trials and search seconds, their medians and means
and the median per-row ratio of the search times; saves them to
``results/benchmarks/guesses.json``. The answers must agree (the guess moves only the trials).
"""

from __future__ import annotations

import statistics
import sys
import time
import tomllib
from pathlib import Path

from benchmarks import save_json
from benchmarks.fastpath import study_anchors, study_text, targets_of
from benchmarks.hubs import DESIGN_ROWS, hub_children
from model.build import Settings
from model.fastpath import ParametricLP
from model.load import CHINA_DATA, load_inputs
from uncertainty.study.space import study_from_dict

OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "guesses.json"
GUESSES = {"nearest": True, "plane": "fit"}


def main(n: int = 10, seed: int = 1, out: Path | None = OUT) -> dict:
    inputs, targets = load_inputs(CHINA_DATA), targets_of("china")
    big = study_text("china", DESIGN_ROWS, seed)
    unit, anchors = study_anchors(study_from_dict(tomllib.loads(big)))
    rows, starts, links = hub_children(big, unit, n, seed)
    lps = {}
    for name, guess in GUESSES.items():
        lp = ParametricLP(inputs, Settings(latest_peak=True), targets, peak_guess=guess)
        lp.set_anchors(anchors)
        lps[name] = lp
    start = time.perf_counter()
    lps["plane"].anchor_plane()  # the plane's anchors' searches: its set-up
    setup = {"plane": time.perf_counter() - start, "nearest": 0.0}
    runs: dict[str, list] = {name: [] for name in lps}
    for i, (params, anchor, link) in enumerate(zip(rows, starts, links, strict=True)):
        parent = None if link < 0 else (rows[link], starts[link])
        for name, lp in lps.items():
            start = time.perf_counter()  # the anchors a row needs: set-up, not timed
            lp.start_basis(anchor)
            if lp.guesses_from_anchor(anchor):  # as the engine prepares it
                lp.anchor_peak(anchor)
            setup[name] += time.perf_counter() - start
            result, diag = lp.solve_sample(params, anchor, parent)
            runs[name].append(
                {
                    "row": i,
                    "kind": "hub" if parent is None else "row",
                    "year": float(result.latest_peak_year),
                    "trials": float(result.latest_peak_solves),
                    "search_s": diag["latest_peak_seconds"],
                    "solve_s": diag["solve_seconds"],
                }
            )
        a, b = runs["nearest"][-1], runs["plane"][-1]
        print(
            f"{a['kind']} {i:2d}: latest peak {a['year']:.0f} | nearest {a['trials']:.0f} trials "
            f"{a['search_s']:5.1f} s | plane {b['trials']:.0f} trials {b['search_s']:5.1f} s",
            flush=True,
        )
        if a["year"] != b["year"]:
            raise AssertionError(f"row {i}: the guesses found {a['year']} and {b['year']}")
    med, mean = statistics.median, statistics.mean
    result = {"pairs": n, "rows": len(rows), "setup_s": setup}
    for name, r in runs.items():
        result[name] = {
            "trials_mean": mean(x["trials"] for x in r),
            "trials_median": med(x["trials"] for x in r),
            "search_median_s": med(x["search_s"] for x in r),
            "search_mean_s": mean(x["search_s"] for x in r),
            "solve_median_s": med(x["solve_s"] for x in r),
        }
    result["search_plane_over_nearest_median"] = med(
        b["search_s"] / a["search_s"] for a, b in zip(runs["nearest"], runs["plane"], strict=True)
    )
    result["search_plane_over_nearest_mean"] = (
        result["plane"]["search_mean_s"] / result["nearest"]["search_mean_s"]
    )
    result["multiple_median"] = {
        name: med((x["search_s"] + x["solve_s"]) / x["solve_s"] for x in r)
        for name, r in runs.items()
    }
    result["runs"] = runs
    for name in runs:
        r = result[name]
        print(
            f"{name:8s} trials mean {r['trials_mean']:.2f} median {r['trials_median']:.0f}; "
            f"search median {r['search_median_s']:.1f} s, mean {r['search_mean_s']:.1f} s; "
            f"multiple of one solve (median) x{result['multiple_median'][name]:.1f}; "
            f"set-up {setup[name]:.0f} s"
        )
    ratio = result["search_plane_over_nearest_median"]
    of_means = result["search_plane_over_nearest_mean"]
    print(f"plane / nearest search time: median per row x{ratio:.2f}, of the means x{of_means:.2f}")
    if out is not None:
        save_json(result, out)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
