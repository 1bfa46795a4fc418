"""Where a sample's warm start comes from (model/fastpath.py): the reference basis, a warm-start
anchor's optimum, or its design parent's optimum (a Sobol AB row's A row; an LHS row's hub,
uncertainty/engine/hubs.py); and the first guess of its latest-peak search: its nearest anchor's
answer or its parent's, or (``latest_peak_guess = "fit"``) the least-squares plane through the
first anchors' answers (:func:`plane_guess`, :func:`plane_anchors`; a Sobol AB row still guesses
its A row's answer).

:class:`WarmStarts` holds the methods (mixed into :class:`model.fastpath.ParametricLP`);
:class:`StartCache` keeps the optima of design rows as their children's starts. An entry is keyed
by the row's exact parameter values and its anchor, and holds the row's optimal
basis (None: the row had no optimum) and, with the latest-peak search, its latest peak year, the
children's first guess, and the bases of its trials, where the children's trials of the same
years start (:meth:`model.latest_peak.LatestPeakSearch.run`).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any

import highspy
import numpy as np

from model.highs_lp import decode_basis, encode_basis

logger = logging.getLogger(__name__)

#: rows kept per process (a Sobol block's two base rows are all a batch needs at once)
SIZE = 64
#: answers per coefficient of the plane of ``latest_peak_guess = "fit"`` (:func:`plane_anchors`)
PLANE_ANSWERS_PER_COEFFICIENT = 8


def one_factor_move(parent: dict, params: dict, choices=()) -> bool:
    """Whether ``params`` moved from ``parent`` along some factors only: some continuous
    parameter is unchanged (a Sobol AB row keeps every factor but one of its A row; an LHS row
    and its hub, uncertainty/engine/hubs.py, differ in every continuous parameter almost surely,
    and share every choice). ``choices``: names of the study's choice parameters, whose values
    may be numbers (a neutrality year of 2055 or 2060) and count as categories. Only such a
    parent's latest-peak trial bases are worth starting trials from; with no continuous
    parameter, at most half of the parameters moved. Decides a start, never a result. Without
    two continuous parameters a Sobol AB row cannot be told from a hub's row this way (it then
    starts its trials as a hub's row does: from the interior point)."""
    numeric = [k for k, v in params.items() if _numeric(v) and k not in choices]
    if numeric:
        return any(parent.get(k) == params[k] for k in numeric)
    moved = sum(parent.get(name) != value for name, value in params.items())
    return 2 * moved <= len(params)


def plane_anchors(n_anchors: int, n_coefficients: int) -> int:
    """How many of the study's anchors, the first ones, the plane of ``latest_peak_guess =
    "fit"`` runs through: :data:`PLANE_ANSWERS_PER_COEFFICIENT` answers per coefficient of the
    plane (:func:`plane_coefficients`; 72 for 8 numeric parameters), at most all ``n_anchors``.
    The anchors are a Halton sequence (uncertainty/engine/anchors.py), so the first ones fill
    the space. Each
    answer is one anchor's own search (~5 trials) per run: on 48 points of the benchmark's 8
    parameters, exact answers known, the plane through the first 72 of its 128 anchors cost
    2.21 trials on average, through all 128 2.27, through the first 36 2.42, against 3.08 from
    the nearest anchor's answer and 5.31 bisecting (``python -m benchmarks.guess_fit``)."""
    return min(n_anchors, PLANE_ANSWERS_PER_COEFFICIENT * n_coefficients)


def plane_coefficients(anchors: list[dict], choices=()) -> int:
    """Coefficients of :func:`plane_guess`'s plane through all ``anchors``: 1, plus one per
    numeric parameter that varies, plus one per value but the first of each choice (a parameter
    named in ``choices`` or with a value that is no number)."""
    return 1 + len(_plane_columns(anchors, choices))


def _plane_columns(points: list[dict], choices=()) -> list[tuple]:
    """The plane's coordinates over ``points``: ``(name, level or None, centre, scale)``, a
    numeric parameter centred and scaled (left out where it does not vary), a choice one 0/1
    coordinate per value but the first."""
    columns = []
    for name in sorted(points[0]) if points else ():
        values = [p[name] for p in points]
        if name not in choices and all(_numeric(v) for v in values):
            centre, scale = float(np.mean(values)), float(np.std(values))
            if scale > 0:
                columns.append((name, None, centre, scale))
        else:
            levels = sorted({_level(v) for v in values})
            columns += [(name, level, 0.0, 1.0) for level in levels[1:]]
    return columns


def plane_guess(anchors: list[dict], answers: list, low: float, high: float, choices=()):
    """The least-squares plane through the anchors' latest peaks, as a first guess for samples.

    ``answers[k]`` is anchor ``k``'s latest peak year (None or NaN: no answer, left out; -inf and
    +inf, censored, count as ``low`` and ``high``: the searched years' sentinels). A numeric
    parameter is one coordinate (centred and scaled over the anchors), a choice (a parameter
    named in ``choices`` or with a value that is no number) one 0/1 coordinate per value the
    anchors take but the first (a value no anchor takes counts as the first); parameters equal
    at every anchor are left out.
    Returns ``params -> year`` or None with fewer than two answers: the year after the plane's
    value rounded down. The search takes 2 trials when the answer is its guess or the year
    before (model/latest_peak.py ``_gallop``), so this guess covers the two whole years around
    the plane's value; rounding to the nearest year covered one of them and the year below:
    on 48 points of the benchmark's 8 parameters, the plane through 128 anchors took 2.27
    trials on average against 2.50 rounded (exact answers; ``python -m benchmarks.guess_fit``).
    A function of the anchors and their answers alone, so the same in every process. On 24 rows
    of a 10,000-row LHS study of the China LP the plane through its 32 anchors missed the
    bisected answer by -2.1 to +0.7 years (sd 0.8) where the nearest anchor missed by -5 to +3
    (sd 2.1) and the row's hub by -4 to +2 (sd 2.2) (docs/model.md)."""
    keep = [k for k, y in enumerate(answers) if y is not None and not np.isnan(y)]
    if len(keep) < 2:
        return None
    points = [anchors[k] for k in keep]
    columns = _plane_columns(points, choices)

    def features(params: dict) -> np.ndarray:
        row = [1.0]
        for name, level, centre, scale in columns:
            value = params.get(name)
            x = float(value) if level is None else float(_level(value) == level)
            row.append((x - centre) / scale)
        return np.array(row)

    matrix = np.array([features(p) for p in points])
    years = np.clip(np.array([float(answers[k]) for k in keep]), low, high)
    beta = np.linalg.lstsq(matrix, years, rcond=None)[0]

    def value(params: dict) -> float:
        return float(features(params) @ beta)

    def guess(params: dict) -> float:
        return float(np.floor(value(params)) + 1.0)

    guess.value = value  # the plane's own value (benchmarks/guess_fit.py)
    return guess


def _numeric(value: Any) -> bool:
    return isinstance(value, float | int | np.number) and not isinstance(value, bool)


def _level(value: Any) -> str:
    """A choice's value as a category: numbers exactly (2060 and 2060.0 alike), else by repr."""
    return _exact(value) if _numeric(value) else repr(value)


def start_key(params: dict, anchor: int | None) -> str:
    """Key of a row: its parameter values (exactly: numbers as float hex, so 2 and 2.0 and numpy
    floats agree; strings as they are; anything else by repr) and its anchor."""
    values = {str(k): _exact(v) for k, v in sorted(params.items())}
    return json.dumps([values, None if anchor is None else int(anchor)])


def _exact(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return float(value).hex()
    except (TypeError, ValueError):
        return repr(value)


class StartCache:
    """Least-recently-used map of row key -> (basis or None, latest peak year or None, trial
    bases by year or None)."""

    def __init__(self, size: int = SIZE):
        self.size = size
        self._entries: OrderedDict[str, tuple[Any, float | None, dict | None]] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str) -> tuple[Any, float | None, dict | None]:
        self._entries.move_to_end(key)
        return self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def put(self, key: str, basis: Any, peak: float | None = None, trials: dict | None = None):
        self._entries[key] = (basis, peak, trials)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


class WarmStarts:
    """Start bases and latest-peak guesses of :class:`model.fastpath.ParametricLP` (which
    provides ``highs``, ``compiled``, ``apply_vectors``, ``_warm_solve``, ``ref_basis``,
    ``latest_peak``, ``peak_guess``, ``peak_fit`` and the caches)."""

    #: names of the study's choice parameters (:meth:`set_choices`)
    choices: frozenset = frozenset()
    #: the anchors' bases as the engine shared them (:meth:`share_anchor_starts`)
    _shared_starts: tuple = ()

    def set_choices(self, names) -> None:
        """Names of the study's choice parameters (from the engine): a kept choice, numeric or
        not, does not make a parent a one-factor move (:func:`one_factor_move`)."""
        self.choices = frozenset(names)
        self._plane = None  # its coordinates depend on the choices

    def set_anchors(self, anchors: list[dict]) -> None:
        """Warm-start anchors: parameter sets whose optimal bases samples may start from.

        Each anchor is solved when a sample first asks for it, from the reference basis, so its
        basis is the same in every process whatever ran before (uncertainty/engine/anchors.py).
        """
        self.anchors = [dict(a) for a in anchors]
        self._anchor_bases, self._anchor_peaks, self._plane, self._shared = {}, {}, None, ()
        self._shared_starts = ()

    def anchor_start(self, anchor: int) -> bytes | None:
        """Anchor ``anchor``'s optimal basis (solved here if this process has not yet) as bytes
        (:func:`encode_basis`; None if it cannot be shared): what the engine shares with every
        worker."""
        return encode_basis(self.start_basis(anchor))

    def share_anchor_starts(self, starts: list) -> None:
        """Every anchor's optimal basis as the engine computed it once for the run
        (uncertainty/engine/shared.py; bytes of :func:`encode_basis`, None where it was not
        computed or failed: solved here should a sample need it). The same basis as this
        process would solve (an anchor is always solved from the reference basis); decoded
        when a sample first starts from it."""
        self._shared_starts = tuple(starts)

    def share_anchor_peaks(self, peaks: list) -> None:
        """Every anchor's latest peak as the engine computed it once for the run
        (uncertainty/engine/shared.py): a year, NaN where the anchor's search failed or ran out of
        time, None where it was not computed (searched here should a sample need it). They
        replace this process's own answers, so every worker guesses from the same ones."""
        shared = tuple("nan" if p is not None and p != p else p for p in peaks)
        if shared == self._shared:
            return
        self._anchor_peaks = {k: float(p) for k, p in enumerate(peaks) if p is not None}
        self._plane, self._shared = None, shared
        self._starts.clear()  # design rows' answers and trial bases found from other guesses

    def start_basis(self, anchor: int | None) -> highspy.HighsBasis:
        """The basis a sample starts from: the reference, or anchor ``anchor``'s optimum."""
        if anchor is None:
            return self.ref_basis
        if anchor not in self._anchor_bases:
            shared = self._shared_starts[anchor] if anchor < len(self._shared_starts) else None
            basis = None if shared is None else decode_basis(shared, self.ref_basis)
            if basis is None:
                self._solve_from(self.anchors[anchor], self.ref_basis)
                basis = self.highs.getBasis()
            self._anchor_bases[anchor] = basis
        return self._anchor_bases[anchor]

    def anchor_peak(self, anchor: int | None, fresh: bool = False) -> float | None:
        """The first guess of the latest-peak search of a sample starting from ``anchor``: the
        anchor's own latest peak (as the engine shared it, :meth:`share_anchor_peaks`, else its
        bisection from its optimum, once per process; NaN if it failed), or None (no anchor, no
        search, or ``peak_guess`` off); ``fresh``: searched again (what the engine shares).
        May leave the anchor's LP in HiGHS: call it before applying a sample."""
        if anchor is None or self.latest_peak is None or not self.peak_guess:
            return None
        if fresh or anchor not in self._anchor_peaks:
            try:  # no guess (a plain bisection) if the anchor's solve or search cannot run
                self._solve_from(self.anchors[anchor], self.start_basis(anchor))
                peak = self._latest_peak_here(None)
            except Exception as exc:
                logger.info("anchor %d: no latest peak to guess from (%s)", anchor, exc)
                peak = float("nan")
            except BaseException:  # a time limit: no guess (plain bisections), never run again
                self._anchor_peaks[anchor] = float("nan")
                raise
            self._anchor_peaks[anchor] = peak
        return self._anchor_peaks[anchor]

    def first_guess(self, params: dict, anchor: int | None) -> float | None:
        """The first guess of the latest-peak search of a sample without a one-factor parent:
        the anchors' plane at ``params`` (``latest_peak_guess = "fit"``: the first anchors'
        answers first, shared by the engine or searched once per process,
        :meth:`anchor_plane`) or its anchor's answer (:meth:`anchor_peak`). May leave an
        anchor's LP in HiGHS: call it before applying a sample."""
        plane = self._fit_plane()
        return self.anchor_peak(anchor) if plane is None else plane(params)

    def _fit_plane(self):
        """The plane samples guess from (``latest_peak_guess = "fit"``, :meth:`anchor_plane`),
        None without it or without answers to run it through."""
        return self.anchor_plane() if self.peak_fit and self.latest_peak is not None else None

    def plane_anchors(self) -> int:
        """How many anchors, the first ones, the plane runs through (:func:`plane_anchors`;
        0 without ``latest_peak_guess = "fit"`` or the search): the engine computes their
        answers once per run (``prepared_anchors`` of model/ensemble.py)."""
        if not (self.peak_fit and self.latest_peak is not None and self.anchors):
            return 0
        return plane_anchors(len(self.anchors), plane_coefficients(self.anchors, self.choices))

    def guesses_from_anchor(self, anchor: int) -> bool:
        """Whether anything guesses from anchor ``anchor``'s own latest peak: its samples (the
        nearest-answer guess, or the plane's fallback when fewer than two of its anchors have
        an answer) or the plane (one of its anchors). With the plane the other anchors' searches
        are skipped: their answers would change no guess (:meth:`model.ensemble.ChinaLP
        .prepare_anchor`)."""
        if self.latest_peak is None or not self.peak_guess:
            return False
        if not self.peak_fit or anchor < self.plane_anchors():
            return True
        return self.anchor_plane() is None

    def anchor_plane(self):
        """:func:`plane_guess` through the first :meth:`plane_anchors` anchors' latest peaks
        (cached; None if fewer than two of them have one)."""
        if self._plane is None:
            answers = [self.anchor_peak(k) for k in range(self.plane_anchors())]
            search = self.latest_peak
            low, high = search.start - 1, float(search.years[-1]) + 1
            points = self.anchors[: len(answers)]
            self._plane = plane_guess(points, answers, low, high, self.choices) or False
        return self._plane or None

    def sample_start(self, params: dict, anchor: int | None, parent: tuple | None) -> tuple:
        """``(basis, first guess, trial bases, from parent)`` of a sample: its parent's optimum
        when the parent has one (:meth:`parent_start`), else its anchor's basis. The guess is
        the parent's answer after a one-factor move (a Sobol AB row; its trial bases too), else
        :meth:`first_guess`, except that with the nearest-answer guess an LHS row guesses its
        hub's answer (nearer than its anchor's; the plane is nearer still)."""
        basis, guess, starts = (None, None, None) if parent is None else self.parent_start(parent)
        if basis is None:
            return self.start_basis(anchor), self.first_guess(params, anchor), None, False
        if not one_factor_move(parent[0], params, self.choices):
            starts = None  # an LHS hub: its trial bases took x1.0-1.6 the interior point's time
            plane = self._fit_plane()
            if plane is not None:  # else the hub's answer: its own anchor is not prepared
                guess = plane(params)
        return basis, guess, starts, True

    def parent_start(self, parent: tuple[dict, int | None]) -> tuple:
        """``(basis, latest peak, trial bases)`` of ``parent = (params, anchor)``: its optimal
        basis when solved from that anchor's basis (None if it has no optimum: its child then
        starts from its own anchor) and, with the latest-peak search, its latest peak year (the
        child's first guess) and its trials' bases by year (the child's trials of those years
        start there). From the cache when this process solved the parent recently, else solved
        here the same way (search included), so it is the same either way."""
        key = start_key(*parent)
        if key not in self._starts:
            params, anchor = parent
            try:  # any failure of the parent leaves its child to its own anchor, never fails it
                start = self.start_basis(anchor)  # (may solve the anchor first)
                guess = self.first_guess(params, anchor)  # as when the parent ran as a sample
                self._solve_from(params, start)
                basis = self.highs.getBasis()
                peak, trials = None, None
                if self.latest_peak is not None:
                    peak = self._latest_peak_here(guess)
                    trials = self.latest_peak.trial_bases
            except Exception as exc:
                logger.info("parent without optimum (%s): its child starts from its anchor", exc)
                basis, peak, trials = None, None, None
            self._starts.put(key, basis, peak, trials)
        return self._starts.get(key)

    def _latest_peak_here(self, guess: float | None) -> float:
        """Latest peak year of the LP just solved in HiGHS (searched from ``guess``)."""
        objective = float(self.highs.getInfo().objective_function_value)
        return self.latest_peak.run(self.highs, objective, guess).year

    def _solve_from(self, params: dict, basis: highspy.HighsBasis) -> None:
        """Apply ``params`` and solve warm from ``basis`` (cold fallback as for a sample)."""
        self.apply_vectors(self.compiled.vectors(self.compiled.sample(params)))
        self._warm_solve(basis)
