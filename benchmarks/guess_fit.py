"""The latest-peak search's first guess, by the trials it costs on exact answers.

Run: ``python -m benchmarks.guess_fit compute [N_TEST] [WORKERS]`` (~50 min on 2 cores, China
LP), then ``python -m benchmarks.guess_fit`` (seconds). ``compute`` searches the exact latest
peak of each of the benchmark study's 128 anchors (netua bench's study, seed 1) and of
``N_TEST`` (48) uniform points of its 8 parameters (seed 11), each solved from its nearest
anchor, split over ``WORKERS`` processes (2), and saves the answers to
``results/benchmarks/guess_fit_answers.json`` (each search starts from the plane through the
answers its process found so far, which moves its trials, never its answer). The evaluation
then counts the trials each way of guessing would cost on the test points, with the search's
own code (:class:`model.latest_peak.LatestPeakSearch`, its trials answered from the known
answer; the count is checked against every search ``compute`` ran): the nearest anchor's answer
(``latest_peak_guess = true``; a row behind a hub guesses the hub's, not counted here) and the
plane (``"fit"``, :func:`model.starts.plane_guess`) through the first K anchors, as the model
guesses (the year after the plane's value rounded down) and rounded to the nearest year (how
it guessed before 2026-12-01). Counts, not times: a trial is an interior-point solve of a
near-constant ~4-6 s (benchmarks/trials.py). Saves ``results/benchmarks/guess_fit.json``.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks import save_json
from benchmarks.fastpath import draw_samples, study_anchors, study_text, targets_of
from model.latest_peak import FAILED, LatestPeakSearch
from model.starts import plane_anchors, plane_coefficients, plane_guess

RESULTS = Path(__file__).resolve().parents[1] / "results" / "benchmarks"
ANSWERS, OUT = RESULTS / "guess_fit_answers.json", RESULTS / "guess_fit.json"
#: numbers of leading anchors the plane is tried through
FIRST = (18, 36, 54, 72, 128)


def _study():
    from uncertainty.study.space import study_from_dict

    return study_from_dict(tomllib.loads(study_text("china", 40, 1)))


def _shard(k: int, m: int, n_test: int) -> dict:
    """Answers of every ``m``-th job from ``k`` (anchors first, then the test points)."""
    from model.build import Settings
    from model.fastpath import ParametricLP
    from model.load import CHINA_DATA, load_inputs
    from uncertainty.engine.anchors import nearest_anchor

    lp = ParametricLP(
        load_inputs(CHINA_DATA), Settings(latest_peak=True), targets_of("china"), peak_guess=False
    )
    study = _study()
    unit, anchors = study_anchors(study)
    lp.set_anchors(anchors)
    tests = draw_samples("china", n_test, 11)
    near = nearest_anchor(
        study.parameters, unit, np.array([[p[n] for n in study.names] for p in tests])
    )
    low, high = lp.latest_peak.start - 1, float(lp.latest_peak.years[-1]) + 1
    jobs = [("anchors", i, a, i) for i, a in enumerate(anchors)]
    jobs += [("tests", i, p, int(near[i])) for i, p in enumerate(tests)]
    search = lp.latest_peak
    out = {"years": [search.start, int(search.years[-1])], "anchors": {}, "tests": {}}
    points, found = [], []
    for kind, i, params, anchor in jobs[k::m]:
        start = time.perf_counter()
        lp._solve_from(params, lp.start_basis(anchor))
        plane = plane_guess(points, found, low, high) if len(found) >= 12 else None
        guess = plane(params) if plane else None
        res = lp.latest_peak.run(
            lp.highs, float(lp.highs.getInfo().objective_function_value), guess
        )
        out[kind][str(i)] = {
            "params": params,
            "anchor": anchor,
            "year": res.year,
            "status": res.status,
            "solves": res.n_solves,
            "guess": guess,
            "seconds": time.perf_counter() - start,
        }
        if kind == "anchors" and res.status in (0, 1, 2):
            points.append(params)
            found.append(res.year)
        print(kind, i, res.year, res.n_solves, guess, flush=True)
    return out


def compute(n_test: int = 48, workers: int = 2) -> dict:
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_shard, range(workers), [workers] * workers, [n_test] * workers))
    answers = {"years": parts[0]["years"], "anchors": {}, "tests": {}}
    for part in parts:
        for kind in ("anchors", "tests"):
            answers[kind].update(part[kind])
    save_json(answers, ANSWERS)
    return answers


class _Oracle(LatestPeakSearch):
    """The search with each trial answered from a known latest peak, counting the trials."""

    def __init__(self, start: int, last: int):
        years = range(start, last + 1)
        super().__init__(dict(zip(years, years)), np.array([]), start, np.array([]), 1.0)

    def count(self, answer: float, guess: float | None) -> int:
        self.answer, self.n_solves, self.iterations, self.costs = answer, 0, 0, {}
        if guess is None or math.isnan(guess):  # as LatestPeakSearch.run
            self._bisect(None, 0.0)
        else:
            self._gallop(None, 0.0, guess)
        return self.n_solves

    def _feasible(self, highs, peak: int) -> bool:
        self.n_solves += 1
        self.costs[peak] = 0.0
        return peak <= self.answer


def evaluate(answers: dict, out: Path | None = OUT) -> dict:
    """Mean trials of each guess on the test points. A point whose search failed, or whose
    nearest anchor's did, is left out of every column (the nearest-answer guess would bisect
    the latter: leaving it out flatters that guess); none did in the committed answers."""
    oracle = _Oracle(*answers["years"])
    low, high = oracle.start - 1, oracle.years[-1] + 1.0
    anchors = [answers["anchors"][str(k)] for k in range(len(answers["anchors"]))]
    tests = [answers["tests"][str(k)] for k in range(len(answers["tests"]))]
    tests = [t for t in tests if FAILED not in (t["status"], anchors[t["anchor"]]["status"])]
    done = [r for r in anchors + tests if r["status"] != FAILED]
    checked = [oracle.count(r["year"], r["guess"]) == r["solves"] for r in done]
    if not all(checked):
        raise SystemExit(f"the trial count differs from the search on {checked.count(False)} rows")
    mean = statistics.fmean
    table = {
        "nearest anchor's answer": mean(
            oracle.count(t["year"], anchors[t["anchor"]]["year"]) for t in tests
        )
    }
    for k in FIRST:
        plane = plane_guess(
            [a["params"] for a in anchors[:k]], [a["year"] for a in anchors[:k]], low, high
        )
        table[f"plane, first {k}"] = mean(
            oracle.count(t["year"], plane(t["params"])) for t in tests
        )
        table[f"plane, first {k}, nearest year"] = mean(
            oracle.count(t["year"], math.floor(plane.value(t["params"]) + 0.5)) for t in tests
        )
    default = plane_anchors(len(anchors), plane_coefficients([a["params"] for a in anchors]))
    result = {
        "anchors": len(anchors),
        "tests": len(tests),
        "searches_checked": len(checked),
        "plane_anchors": default,
        "answers": sorted({t["year"] for t in tests}),
        "mean_trials": table,
        "bisection_mean_trials": mean(oracle.count(t["year"], None) for t in tests),
    }
    for name, value in table.items():
        print(f"{name:36s} {value:.2f} trials")
    print(f"(bisection {result['bisection_mean_trials']:.2f}; the model's plane: first {default})")
    save_json(result, out)
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["compute"]:
        args = [int(a) for a in sys.argv[2:4]]
        compute(*args)
    evaluate(json.loads(ANSWERS.read_text()))
