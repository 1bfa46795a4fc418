"""The latest peak year: how long CO2 may keep rising and neutrality still be reached.

The seed study's "China needs to peak by 2026-2029" is a statement about feasibility, not about
the least-cost path: the latest year P such that a pathway whose CO2 does not fall from
``latest_peak_from`` (2025) through P still meets neutrality from the neutrality year (and the
carbon budget, under that policy) *without the backstop* at a marginal cost below a cap (below).
Adding the rows

    co2[y] >= co2[y-1]        for latest_peak_from < y <= P

shrinks the feasible set as P grows, so feasibility is monotone in P and the largest feasible P
is found by bisection between the sentinels latest_peak_from - 1 and the last year + 1 (6 trials
for 2025-2060), each trial an interior-point solve with crossover of the same HiGHS object
(faster on the China LP than a warm dual simplex from the least-cost basis, which slows down the
further the held years reach, and about as fast as chaining trials, whose times vary more;
:meth:`LatestPeakSearch._feasible`),
except that a Sobol AB row's trial of a year its A row also tried starts from A's basis of that
trial; the starts depend on the design alone. A sample that starts from a warm-start anchor is
searched outward from the anchor's own latest peak instead (an LHS row from its hub's; or, with
``latest_peak_guess = "fit"``, from the plane through the first anchors' answers, model/starts.py),
and a Sobol AB row, which differs from its block's A row in one factor, from A's
(:meth:`LatestPeakSearch._gallop`: 2 trials when the guess is the answer or the year after
it); the trials differ, the answer does not (the year; ``delay_cost``, the cost
at that year, agrees within solver tolerance however its trial was solved; each trial's outcome
depends only on the sample and P, and feasibility is monotone in P - exactly for the LP; a trial
whose penalised use sits within solver tolerance of ``TOLERANCE`` could in principle break that
numerically, and then a guided and a plain search could differ by a year; either is repeatable).

Every trial is kept a feasible LP (proving infeasibility of a 12,000-column LP takes HiGHS minutes
where a re-optimisation takes a second): the backstop and a slack on each hold row stay in the
model at ``latest_peak_penalty`` (settings; 100) times the backstop price, and a trial counts as
feasible when its least-cost pathway uses them by less than ``TOLERANCE`` MtCO2 in total. That is
a cost cap, not pure feasibility: a pathway whose last tonne costs more than the penalised price
(500,000 CNY2020/tCO2 on the China data) counts as not reaching neutrality. Near the frontier the
marginal cost of holding CO2 one more year explodes, and on the benchmark samples pure feasibility
(a phase-1 LP: least backstop use at any cost) reached 0 to 2+ years later than the capped answer
(docs/model.md); a large ``latest_peak_penalty`` approaches it
(tests/model/test_lp_pathway_hand_solved.py).

Free disposal would make the rows meaningless: commodity balances are inequalities (production
may exceed use, as in TIMES, OSeMOSYS and MESSAGE), so a CO2 floor could be met by producing goods
nobody uses (coal hydrogen, clinker) and stopping that in the neutrality year. During the search
no commodity may therefore be produced in surplus beyond the least-cost path's own surplus in that
year (by-products such as coke-oven gas keep theirs), from ``latest_peak_from`` on.

Rules at the edges, used by the analysis as censoring:

- P = report end still feasible: CO2 may rise through every reported year; ``latest_peak_year``
  is ``+inf`` (right-censored, "not within the horizon") and ``latest_peak_status`` 1;
- even P = latest_peak_from infeasible (neutrality out of reach without the backstop whatever the
  peak): ``latest_peak_year`` is ``-inf`` ("already too late") and ``latest_peak_status`` 2.

A trial that HiGHS can neither solve nor prove infeasible (numerical trouble, after a cold
retry) ends the search with ``latest_peak_status`` 3 and NaN outputs: the sample's other outputs
are kept.

``delay_cost`` is the discounted system cost at P = ``latest_peak_year`` (backstop off) minus the
cost of the least-cost solution (bnCNY2020); NaN when the year is censored either way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import highspy
import numpy as np

from model.solve import SolveError, cold_run, option_value, set_start

logger = logging.getLogger(__name__)

INF = highspy.kHighsInf
FOUND, RIGHT_CENSORED, UNREACHABLE, FAILED = 0, 1, 2, 3
#: total use of the penalised columns (MtCO2) below which a trial counts as feasible
TOLERANCE = 1e-3
#: HiGHS options of a cold trial (:meth:`LatestPeakSearch._feasible`): interior point with
#: crossover, x1.03 the time without crossover on the China LP, and it ends at a basis that a
#: Sobol child's same trial starts from (benchmarks/trials.py)
TRIAL_OPTIONS = {"solver": "ipm", "run_crossover": "on"}
#: the first steps of the search outward from a guess (then doubling): a guess one or two years
#: off costs 3 trials instead of 4 with steps 1, 2, 4, ...; on the answers of 24 rows of a
#: 10,000-row LHS study guessed from their nearest anchor, their hub or the anchors' plane
#: (``latest_peak_guess = "fit"``), 3.54, 3.25 and 2.33 trials on average against 3.67, 3.33
#: and 2.67 (counted from the rows' bisected answers, docs/model.md)
STEPS = (1, 1)


def _steps():
    """Steps of the outward search: :data:`STEPS`, then doubling."""
    yield from STEPS
    step = STEPS[-1]
    while True:
        step *= 2
        yield step


@dataclass(frozen=True)
class LatestPeak:
    """Result of a latest-peak search.

    Attributes
    ----------
    year : float
        Latest peak year; ``+inf`` right-censored, ``-inf`` unreachable.
    status : int
        0 found, 1 right-censored, 2 unreachable without the backstop, 3 search failed.
    delay_cost : float
        Cost at the latest peak minus the least cost (bnCNY2020, discounted); NaN if censored.
    n_solves : int
        Re-solves used by the search.
    iterations : int
        Simplex iterations over those re-solves.
    censored_at : float
        The last reported year: ``+inf`` means "not by this year" (the ``censored_at`` attribute
        of the output, which the analysis reads).
    """

    year: float
    status: int
    delay_cost: float
    n_solves: int
    iterations: int
    censored_at: float = float("nan")

    def as_variables(self) -> dict:
        """Scalar output variables (xarray-ready tuples of dims, value, attrs)."""
        return {
            "latest_peak_year": (
                (),
                self.year,
                {
                    "units": "year",
                    "long_name": "latest CO2 peak year that still reaches neutrality",
                    "censored_at": self.censored_at,
                },
            ),
            "latest_peak_status": (
                (),
                float(self.status),
                {
                    "units": "1",
                    "long_name": "0 found, 1 right-censored, 2 unreachable, 3 search failed",
                },
            ),
            "delay_cost": (
                (),
                self.delay_cost,
                {"units": "bnCNY2020", "long_name": "cost of peaking at the latest peak year"},
            ),
            "latest_peak_solves": ((), float(self.n_solves), {"units": "1"}),
        }


class LatestPeakSearch:
    """Bisection for the latest peak year on a HiGHS object holding the model.

    Parameters
    ----------
    hold_rows : dict
        Year -> HiGHS row index of ``co2[y] - co2[y-1] + hold_slack[y] >= lo`` (``peak_hold``).
    penalised : numpy.ndarray
        HiGHS columns of the backstop and the hold slacks (priced at ``penalty`` x their cost).
    start : int
        ``latest_peak_from``: the trial peak year P runs from here to the last hold row's year.
    balance_rows : numpy.ndarray
        HiGHS rows of the commodity balances from ``start`` on (their surplus is capped).
    penalty : float
        ``latest_peak_penalty`` (settings; schema default 100): the penalised columns' price during
        the search as a multiple of their price (the backstop's).
    """

    def __init__(
        self,
        hold_rows: dict,
        penalised: np.ndarray,
        start: int,
        balance_rows: np.ndarray,
        penalty: float,
    ):
        if not hold_rows:
            raise SolveError(
                "latest peak: the model has no peak_hold rows (build with latest_peak)"
            )
        self.years = np.array(sorted(hold_rows))
        self.rows = np.array([hold_rows[y] for y in self.years], dtype=np.int32)
        self.penalised = np.asarray(penalised, dtype=np.int32)
        self.start = int(start)
        self.balance = np.asarray(balance_rows, dtype=np.int32)
        self.penalty = float(penalty)
        #: simplex iterations a trial's simplex may take (a warm trial; crossover's clean-up):
        #: the fast path sets its warm-solve limit, so it never depends on what ran before
        self.iteration_limit = 2**31 - 1
        self.starts, self.trial_bases, self.warm_trials = {}, {}, 0

    @classmethod
    def from_model(cls, m, ctx, labels) -> LatestPeakSearch:
        """The search for a built linopy model (``ctx`` from :func:`model.build.build_model`)."""
        con = m.constraints["peak_hold"].labels
        keep, rows = labels.rows(con)
        years = con.year.values[keep]
        _, backstop = labels.columns(ctx.var["backstop"].labels)
        _, slack = labels.columns(ctx.var["hold_slack"].labels)
        cols = np.concatenate([backstop, slack])
        start = int(ctx.values.get("latest_peak_from", ctx.inputs.years[0]))
        balance = m.constraints["balance"].labels
        late = balance.where(balance.year >= start, -1)
        _, balance_rows = labels.rows(late)
        hold = dict(zip(years.tolist(), rows.tolist(), strict=True))
        return cls(hold, cols, start, balance_rows, ctx.values["latest_peak_penalty"])

    def run(
        self,
        highs: highspy.Highs,
        least_cost: float,
        guess: float | None = None,
        starts: dict | None = None,
    ) -> LatestPeak:
        """Search on ``highs`` (solved at the least-cost optimum); restore its rows and costs.

        ``guess``: a year near the expected answer (the latest peak of the sample's anchor, or of
        its Sobol parent, which differs from it in one factor): the search then tests outward
        from it (:meth:`_gallop`), 2 trials when the guess is right instead of 5-6; the answer
        is the same (feasibility is monotone in P), only the trials differ.

        ``starts``: year -> basis of a Sobol parent's own trial of that year
        (:attr:`trial_bases` after the parent's search): the same trial here starts from it by
        the dual simplex (a one-factor move) instead of the interior point. Afterwards
        :attr:`trial_bases` holds this search's trial bases, :attr:`warm_trials` how many
        trials started from ``starts``."""
        self.starts, self.trial_bases, self.warm_trials = dict(starts or {}), {}, 0
        k, n = len(self.balance), len(self.penalised)
        lp = highs.getLp()
        lower = np.asarray(lp.row_lower_)[self.balance]
        self.price = np.asarray(lp.col_cost_)[self.penalised]
        used = np.asarray(highs.getSolution().row_value)[self.balance]
        cap = np.maximum(used, lower) + 1e-7 * np.maximum(np.abs(used), 1.0)
        highs.changeRowsBounds(k, self.balance, lower, cap)
        highs.changeColsCost(n, self.penalised, self.price * self.penalty)
        self.basis = highs.getBasis()  # the least-cost basis: a failed trial's fallback start
        self.n_solves, self.iterations, self.costs = 0, 0, {}
        limit = option_value(highs, "simplex_iteration_limit")
        highs.setOptionValue("simplex_iteration_limit", self.iteration_limit)
        try:
            if guess is None or np.isnan(guess):
                result = self._bisect(highs, least_cost)
            else:
                result = self._gallop(highs, least_cost, guess)
        except SolveError as err:
            logger.warning("latest-peak search failed: %s", err)
            result = LatestPeak(
                np.nan, FAILED, np.nan, self.n_solves, self.iterations, float(self.years[-1])
            )
        finally:
            highs.setOptionValue("simplex_iteration_limit", limit)
            self._hold(highs, self.start)
            highs.changeColsCost(n, self.penalised, self.price)
            highs.changeRowsBounds(k, self.balance, lower, np.full(k, INF))
        return result

    def _bisect(self, highs, least_cost: float) -> LatestPeak:
        """Largest feasible P in [start, last] by bisection between two sentinels: start - 1
        (nothing held: feasible by definition) and last + 1 (infeasible by definition), so the
        ends are tested only when the search reaches them (ceil(log2(last - start + 3)) trials,
        6 for 2025-2060, instead of two end checks plus the bisection)."""
        return self._between(highs, least_cost, self.start - 1, int(self.years[-1]) + 1)

    def _gallop(self, highs, least_cost: float, guess: float) -> LatestPeak:
        """Bracket the answer outward from ``guess`` (clamped to the searched years) by steps of
        1, 1, 2, 4, ... years (:data:`STEPS`), then bisect the bracket: 2 trials when the answer
        is ``guess`` or ``guess - 1``, 3 when it is ``guess + 1`` or ``guess - 2``, ~2
        log2(distance) + 2 farther off."""
        last = int(self.years[-1])
        year = int(min(max(guess, self.start), last))
        steps = _steps()
        if self._feasible(highs, year):
            lo, hi = year, last + 1
            while lo < last:
                trial = min(lo + next(steps), last)
                if not self._feasible(highs, trial):
                    hi = trial
                    break
                lo = trial
        else:
            lo, hi = self.start - 1, year
            while hi > self.start:
                trial = max(hi - next(steps), self.start)
                if self._feasible(highs, trial):
                    lo = trial
                    break
                hi = trial
        return self._between(highs, least_cost, lo, hi)

    def _between(self, highs, least_cost: float, lo: int, hi: int) -> LatestPeak:
        """Bisect between ``lo`` (feasible, or the sentinel start - 1) and ``hi`` (infeasible, or
        the sentinel last + 1) and classify the answer."""
        last = int(self.years[-1])
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._feasible(highs, mid):
                lo = mid
            else:
                hi = mid
        if lo < self.start:
            return self._result(-np.inf, UNREACHABLE, least_cost)
        if lo == last:
            return self._result(np.inf, RIGHT_CENSORED, least_cost)
        return self._result(float(lo), FOUND, least_cost)

    def _result(self, year: float, status: int, least_cost: float) -> LatestPeak:
        cost = self.costs[int(year)] - least_cost if status == FOUND else float("nan")
        return LatestPeak(year, status, cost, self.n_solves, self.iterations, float(self.years[-1]))

    def release(self, highs) -> None:
        """Hold no year: the hold rows as the model is built (and as every search leaves them)."""
        self._hold(highs, self.start)

    def _hold(self, highs, peak: int) -> None:
        """Hold CO2 non-decreasing through ``peak`` (rows of later years free)."""
        lower = np.where(self.years <= peak, 0.0, -INF)
        upper = np.full(len(self.rows), INF)
        highs.changeRowsBounds(len(self.rows), self.rows, lower, upper)

    def _feasible(self, highs, peak: int) -> bool:
        """Re-solve with CO2 held through ``peak``; feasible if the penalised columns are unused.

        A trial is an interior-point solve with crossover (:data:`TRIAL_OPTIONS`): on the China
        LP it took a near-constant ~3.9 s where a warm dual simplex from the sample's least-cost
        basis took x2.7 as long, longer the further the held years reach, and one from the
        sample's own basis of the other deciding year (a chained search) x0.89, from x0.45 to
        x1.14 (benchmarks/trials.py, 2026-12-01).
        A trial whose year the sample's Sobol parent also tried starts instead from the parent's
        basis of that trial by the dual simplex (x0.41-0.43 of the interior point, median of the
        benchmark's trials; the interior point if it does not end optimal). Either way the
        trial's outcome depends only on its LP, its start only on the design."""
        self._hold(highs, peak)
        start = self.starts.get(peak)
        optimal = highspy.HighsModelStatus.kOptimal
        if start is not None:
            set_start(highs, start)
            highs.run()
            self.warm_trials += 1
            self.iterations += int(highs.getInfo().simplex_iteration_count)
        if start is None or highs.getModelStatus() != optimal:
            cold_run(highs, TRIAL_OPTIONS)
            info = highs.getInfo()
            self.iterations += int(info.simplex_iteration_count + info.ipm_iteration_count)
        self.n_solves += 1
        if highs.getModelStatus() != optimal:
            self._cold(highs, peak)  # numerical trouble: a dual simplex from the least-cost basis
        basis = highs.getBasis()
        if basis.valid:
            self.trial_bases[peak] = basis
        x = np.asarray(highs.getSolution().col_value)[self.penalised]
        if x.sum() > TOLERANCE:
            return False
        objective = float(highs.getInfo().objective_function_value)
        self.costs[peak] = objective - float(x @ (self.price * self.penalty))
        return True

    def _cold(self, highs, peak: int) -> None:
        """A dual simplex re-solve from the least-cost basis without an iteration limit; raise
        SolveError if still not optimal."""
        limit = option_value(highs, "simplex_iteration_limit")
        set_start(highs, self.basis)
        highs.setOptionValue("simplex_iteration_limit", 2**31 - 1)
        highs.run()
        highs.setOptionValue("simplex_iteration_limit", limit)
        self.iterations += int(highs.getInfo().simplex_iteration_count)
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(
                f"latest peak: trial year {peak} ended with HiGHS status "
                f"{highs.modelStatusToString(status)}"
            )
