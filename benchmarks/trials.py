"""The latest-peak search's trials by method, side by side: why a search costs several solves.

Run: ``python -m benchmarks.trials [N]`` (N benchmark samples, default 4; ~90 s each). Each
sample is solved from its nearest anchor and searched as the engine does; then its two deciding
trials, the answer year P (feasible) and P + 1 (infeasible), are each re-run with every method
below on the search's own LP (held years, capped surpluses, penalised backstop: the search's
set-up, through :class:`model.latest_peak.LatestPeakSearch`), so the methods see the same LPs:

- ``ipm``: interior point without crossover (what the search used before the warm trials);
- ``ipm_tol_1e-6``: the same with a 100x looser optimality tolerance;
- ``hipo``: HiGHS's newer interior point (HiPO), no crossover. The PyPI highspy wheel has no
  HiPO (it needs the separate ``highspy-extras`` of a matching version); without it HiGHS logs an
  error and runs its dual simplex instead, so a ``hipo`` run that made no interior-point
  iteration is not recorded and the result lists the method under ``unavailable``. (Measured
  once by hand, highspy 1.15.1 with highspy-extras 1.15.1, on the China LP's 2050 and 2051
  trials written to MPS: HiPO 7.4-8.7 s against 3.5-3.8 s for IPX, the interior point the
  search uses; on a least-cost LP 5.4-5.8 s against 3.5-3.7 s.)
- ``ipm_crossover``: interior point with crossover (what a cold trial of the search uses: it
  gives a basis to start others from);
- ``warm_least_cost``: dual simplex from the sample's least-cost basis;
- ``warm_parent``: dual simplex from a *parent's* optimal basis of the same trial, the parent
  being the sample with one factor redrawn (a Sobol AB row and its A row: the closest start a
  design offers; what the search does for such a trial). The parent's trials are solved first
  with ``ipm_crossover``, not timed.
- ``warm_adjacent``: from the sample's own ``ipm_crossover`` basis of the other deciding year,
  as a search chaining its trials would: P + 1 from P by the dual simplex (one more year held),
  P from P + 1 by the primal simplex (one hold row relaxed, the basis stays primal feasible).

Prints per-trial seconds, iterations and the penalised use (feasible: < 1e-3 MtCO2), the
medians and each method's median ratio to ``ipm``, and the sample's single warm solve for scale;
saves them to ``results/benchmarks/trials.json``.
"""

from __future__ import annotations

import statistics
import sys
import time
import tomllib
from pathlib import Path

import highspy
import numpy as np

from benchmarks import save_json
from benchmarks.fastpath import PARAMETERS, draw_samples, study_anchors, study_text, targets_of
from model.build import Settings
from model.fastpath import ParametricLP
from model.latest_peak import TRIAL_OPTIONS, LatestPeakSearch
from model.load import CHINA_DATA, load_inputs
from model.solve import cold_run, set_start
from uncertainty.engine.anchors import nearest_anchor
from uncertainty.study.space import study_from_dict

OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "trials.json"
COLD = {
    "ipm": {"solver": "ipm", "run_crossover": "off"},
    "ipm_tol_1e-6": {"solver": "ipm", "run_crossover": "off", "ipm_optimality_tolerance": 1e-6},
    "hipo": {"solver": "hipo", "run_crossover": "off"},
    "ipm_crossover": TRIAL_OPTIONS,
}
RESET = {"ipm_optimality_tolerance": 1e-8}


class TrialProbe(LatestPeakSearch):
    """A search that, instead of searching, times the trials ``years`` by every method on the
    LP the search sets up (:meth:`LatestPeakSearch.run` calls :meth:`_bisect`)."""

    years_to_try: tuple[int, ...] = ()
    #: year -> basis to start ``warm_parent`` from (None: that method is skipped)
    parent_bases: dict | None = None
    only: tuple[str, ...] = ()

    def _bisect(self, highs, least_cost):
        self.table, self.bases, self.unavailable = [], {}, set()
        for year in self.years_to_try:
            for method in self.only or (*COLD, "warm_least_cost", "warm_parent"):
                self._hold(highs, year)
                if method in COLD:
                    start = time.perf_counter()
                    cold_run(highs, COLD[method])
                    for key, value in RESET.items():
                        highs.setOptionValue(key, value)
                elif method == "warm_least_cost" or self.parent_bases is not None:
                    basis = self.basis if method == "warm_least_cost" else self.parent_bases[year]
                    highs.setBasis(basis)
                    highs.setOptionValue("simplex_iteration_limit", 2**31 - 1)
                    start = time.perf_counter()
                    highs.run()
                else:
                    continue
                seconds = time.perf_counter() - start
                info = highs.getInfo()
                if method == "hipo" and info.ipm_iteration_count == 0:
                    self.unavailable.add(method)  # HiGHS fell back to the dual simplex
                    continue
                if method == "ipm_crossover":
                    self.bases[year] = highs.getBasis()
                self._record(highs, year, method, seconds)
        if not self.only:
            self._adjacent(highs)
        return self._result(np.nan, 3, least_cost)

    def _adjacent(self, highs) -> None:
        """``warm_adjacent``: each trial from the sample's own trial of the other year (its
        interior-point basis with crossover), as a search chaining its trials would: a later
        year (one more year held) by the dual simplex, an earlier year (one row relaxed: the
        basis stays primal feasible) by the primal simplex, the better of the two simplex
        methods each way on the first 4 samples (2026-12-01, by hand)."""
        for year in self.years_to_try:
            for other in self.years_to_try:
                if other == year or other not in self.bases:
                    continue
                self._hold(highs, year)
                set_start(highs, self.bases[other])
                highs.setOptionValue("simplex_iteration_limit", 2**31 - 1)
                highs.setOptionValue("simplex_strategy", 1 if year > other else 4)
                start = time.perf_counter()
                highs.run()
                seconds = time.perf_counter() - start
                highs.setOptionValue("simplex_strategy", 1)
                self._record(highs, year, "warm_adjacent", seconds)

    def _record(self, highs, year: int, method: str, seconds: float) -> None:
        info = highs.getInfo()
        x = np.asarray(highs.getSolution().col_value)[self.penalised]
        self.table.append(
            {
                "year": int(year),
                "method": method,
                "seconds": seconds,
                "iterations": int(info.simplex_iteration_count + info.ipm_iteration_count),
                "optimal": highs.getModelStatus() == highspy.HighsModelStatus.kOptimal,
                "penalised_use": float(x.sum()),
                "cost": float(info.objective_function_value - x @ (self.price * self.penalty)),
            }
        )


def _probe(lp, params, anchor, years, parent_bases=None, only=()) -> TrialProbe:
    """Solve ``params`` from its anchor and run the probe on trials ``years``."""
    probe = TrialProbe.from_model(lp.model, lp.ctx, lp.labels)
    probe.years_to_try, probe.parent_bases, probe.only = tuple(years), parent_bases, tuple(only)
    lp.apply_vectors(lp.compiled.vectors(lp.compiled.sample(params)))
    lp._warm_solve(lp.start_basis(anchor))
    probe.run(lp.highs, float(lp.highs.getInfo().objective_function_value))
    return probe


def main(n: int = 4, seed: int = 7, out: Path | None = OUT) -> dict:
    inputs, targets = load_inputs(CHINA_DATA), targets_of("china")
    lp = ParametricLP(inputs, Settings(latest_peak=True), targets)
    study = study_from_dict(tomllib.loads(study_text("china", n, seed)))
    unit, anchors = study_anchors(study)
    lp.set_anchors(anchors)
    rng = np.random.default_rng(seed)
    names = list(PARAMETERS["china"])
    rows, singles, unavailable = [], [], set()
    for i, params in enumerate(draw_samples("china", n, seed)):
        point = np.array([[params[k] for k in study.names]])
        anchor = int(nearest_anchor(study.parameters, unit, point)[0])
        lp.start_basis(anchor)  # set-up, as in the engine: the anchor and its own search
        lp.anchor_peak(anchor)
        out_sample, diag = lp.solve_sample(params, anchor)
        singles.append(diag["solve_seconds"])
        year = float(out_sample.latest_peak_year)
        if not np.isfinite(year):
            print(f"sample {i}: latest peak {year} (censored): no deciding pair, skipped")
            continue
        years = (int(year), int(year) + 1)
        parent = _probe(lp, params, anchor, years, only=("ipm_crossover",))
        factor = names[i % len(names)]
        _, lo, hi = PARAMETERS["china"][factor]
        child = {**params, factor: float(rng.uniform(lo, hi))}
        probe = _probe(lp, child, anchor, years, parent_bases=parent.bases)
        unavailable |= probe.unavailable
        for r in probe.table:
            r.update(sample=i, moved=factor)
            print(
                f"sample {i} ({factor} moved) {r['year']} {r['method']:16s} {r['seconds']:6.2f} s "
                f"{r['iterations']:6d} it  penalised {r['penalised_use']:.2g}"
            )
        rows += probe.table
    med = statistics.median
    methods = list(dict.fromkeys(r["method"] for r in rows))
    base = {(r["sample"], r["year"]): r["seconds"] for r in rows if r["method"] == "ipm"}
    table = {
        m: {
            "median_s": med(r["seconds"] for r in rows if r["method"] == m),
            "median_iterations": med(r["iterations"] for r in rows if r["method"] == m),
            "median_ratio_to_ipm": med(
                r["seconds"] / base[(r["sample"], r["year"])] for r in rows if r["method"] == m
            ),
            "same_verdict_as_ipm": all(
                (r["penalised_use"] < 1e-3) == (_ipm(rows, r)["penalised_use"] < 1e-3)
                for r in rows
                if r["method"] == m
            ),
        }
        for m in methods
    }
    result = {
        "samples": n,
        "single_solve_median_s": med(singles),
        "methods": table,
        "unavailable": sorted(unavailable),
        "trials": rows,
    }
    print(f"single warm solve (median): {result['single_solve_median_s']:.2f} s")
    for m in result["unavailable"]:
        print(f"{m:16s} not run: this highspy lacks it (HiGHS ran its dual simplex instead)")
    for m, t in table.items():
        print(
            f"{m:16s} median {t['median_s']:6.2f} s, {t['median_iterations']:7.0f} it, "
            f"x{t['median_ratio_to_ipm']:.2f} of ipm, same verdicts: {t['same_verdict_as_ipm']}"
        )
    save_json(result, out)
    return result


def _ipm(rows: list[dict], row: dict) -> dict:
    return next(
        r
        for r in rows
        if r["method"] == "ipm" and r["sample"] == row["sample"] and r["year"] == row["year"]
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
