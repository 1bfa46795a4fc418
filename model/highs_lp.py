"""A linopy model's LP as a ``highspy.Highs`` object, and where its variables and constraints
went (columns and rows in linopy's order): shared by the fast path and the latest-peak search;
and a basis as compact bytes, as the engine shares anchors' bases between processes."""

from __future__ import annotations

import logging
import zlib

import highspy
import numpy as np
import xarray as xr

from model.solve import SolveError, quiet_stdout

logger = logging.getLogger(__name__)

INF = highspy.kHighsInf


class LabelMap:
    """Column and row positions in HiGHS of linopy variables and constraints, computed once."""

    def __init__(self, model):
        matrices = model.matrices
        self.col_of = _inverse(matrices.vlabels, model._xCounter)
        self.row_of = _inverse(matrices.clabels, model._cCounter)

    def columns(self, labels: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
        """Flat positions in ``labels`` that are columns, and their column indices."""
        flat = labels.values.ravel()
        cols = np.where(flat >= 0, self.col_of[np.maximum(flat, 0)], -1)
        keep = np.flatnonzero(cols >= 0)
        return keep, cols[keep]

    def rows(self, labels: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
        """Flat positions in ``labels`` that are rows, and their row indices."""
        flat = labels.values.ravel()
        rows = np.where(flat >= 0, self.row_of[np.maximum(flat, 0)], -1)
        keep = np.flatnonzero(rows >= 0)
        return keep, rows[keep]


def _inverse(labels: np.ndarray, size: int) -> np.ndarray:
    out = np.full(max(int(size), int(labels.max(initial=-1)) + 1), -1, dtype=np.int64)
    out[labels] = np.arange(len(labels))
    return out


def highs_from_matrices(model, options: dict) -> highspy.Highs:
    """A Highs object holding the LP of a linopy model (columns and rows in linopy's order)."""
    M = model.matrices
    with quiet_stdout():
        h = highspy.Highs()
    for key, value in options.items():
        h.setOptionValue(key, value)
    h.addVars(len(M.vlabels), M.lb, M.ub)
    c = M.c
    h.changeColsCost(len(c), np.arange(len(c), dtype=np.int32), c)
    A = M.A.tocsr()
    lower = np.where(M.sense != "<", M.b, -INF)
    upper = np.where(M.sense != ">", M.b, INF)
    h.addRows(A.shape[0], lower, upper, A.nnz, A.indptr, A.indices, A.data)
    return h


class SingletonRows:
    """Rows with one nonzero whose coefficient never moves, held as bounds of their column.

    A row ``l <= a x_j <= u`` says ``l/a <= x_j <= u/a`` (reversed for ``a < 0``); the China LP
    has ~1,400 of them (``max_build``, the potentials, ``activity_fix``, ``max_supply``). HiGHS's
    presolve turns them into column bounds for a cold solve, but a warm solve from a basis runs
    without presolve, so there each such row is one more constraint of the basis where a boxed
    column would do (the dual simplex flips a boxed column's bound inside its ratio test). Here
    the rows stay in the LP but free (row indices, bases, duals of the other rows unchanged) and
    their bounds, as the sample sets them, tighten their columns' own bounds: the same feasible
    set and optimum (``python -m benchmarks.singletons`` solves the same samples both ways, side
    by side; results/benchmarks/singletons.json).

    ``protected`` rows are never turned into bounds: rows whose duals or values are read, whose
    coefficients move, or whose bounds something else changes (the latest-peak search).
    """

    def __init__(self, highs: highspy.Highs, protected: np.ndarray):
        lp = highs.getLp()
        matrix = lp.a_matrix_
        value = np.asarray(matrix.value_)
        major = np.repeat(np.arange(len(matrix.start_) - 1), np.diff(np.asarray(matrix.start_)))
        index, col = np.asarray(matrix.index_), major  # (row, column) of each entry
        if matrix.format_ != highspy.MatrixFormat.kColwise:
            index, col = major, np.asarray(matrix.index_)
        nonzero = value != 0
        counts = np.bincount(index[nonzero], minlength=lp.num_row_)
        single = counts == 1
        single[np.asarray(protected, dtype=np.int64)] = False
        entries = np.flatnonzero(nonzero & single[index])
        order = np.argsort(index[entries], kind="stable")
        self.rows = index[entries][order].astype(np.int32)
        self.coef = value[entries][order]
        self.columns, self._target = np.unique(col[entries][order], return_inverse=True)
        self.columns = self.columns.astype(np.int32)
        self.col_lower = np.asarray(lp.col_lower_)[self.columns]
        self.col_upper = np.asarray(lp.col_upper_)[self.columns]
        self.row_lower = np.asarray(lp.row_lower_)[self.rows]
        self.row_upper = np.asarray(lp.row_upper_)[self.rows]
        self._position = np.full(lp.num_row_, -1, dtype=np.int64)
        self._position[self.rows] = np.arange(len(self.rows))
        n = len(self.rows)
        if n:
            highs.changeRowsBounds(n, self.rows, np.full(n, -INF), np.full(n, INF))
            self.push(highs)

    def take(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple:
        """Keep the bounds of the singleton rows among ``rows`` (for :meth:`push`); return the
        other rows' ``(rows, lower, upper)`` and whether any singleton row was among them."""
        where = self._position[rows]
        mine = where >= 0
        if not mine.any():
            return rows, lower, upper, False
        self.row_lower[where[mine]] = lower[mine]
        self.row_upper[where[mine]] = upper[mine]
        return rows[~mine], lower[~mine], upper[~mine], True

    def push(self, highs: highspy.Highs) -> None:
        """Set the columns' bounds: their own, tightened by their singleton rows' bounds."""
        positive = self.coef > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            low = np.where(positive, self.row_lower, self.row_upper) / self.coef
            high = np.where(positive, self.row_upper, self.row_lower) / self.coef
        lower, upper = self.col_lower.copy(), self.col_upper.copy()
        np.maximum.at(lower, self._target, low)
        np.minimum.at(upper, self._target, high)
        # bounds that cross by a rounding error (rows that touch, divided by their coefficients)
        # are within HiGHS's primal feasibility tolerance, as the rows were (tested)
        status = highs.changeColsBounds(len(self.columns), self.columns, lower, upper)
        if status == highspy.HighsStatus.kError:
            raise SolveError("singleton rows: HiGHS refused the column bounds (NaN bounds?)")


def encode_basis(basis: highspy.HighsBasis) -> bytes | None:
    """A basis as compact bytes: the status codes (one byte each) of its columns, then its rows,
    zlib-compressed (~2.8 KB for the China LP's 38,000 against 38 KB raw), with the numbers of
    columns and rows in front. None for an invalid or alien basis (HiGHS would repair it, which
    a decoded copy would not tell it to: each process then solves that anchor itself)."""
    if not basis.valid or basis.alien:
        return None
    cols = np.fromiter(map(int, basis.col_status), np.uint8, len(basis.col_status))
    rows = np.fromiter(map(int, basis.row_status), np.uint8, len(basis.row_status))
    head = np.array([len(cols), len(rows)], dtype="<u4").tobytes()
    return head + zlib.compress(np.concatenate([cols, rows]).tobytes(), 6)


def decode_basis(data: bytes, like: highspy.HighsBasis) -> highspy.HighsBasis | None:
    """The basis :func:`encode_basis` wrote, or None (with a warning) when its sizes are not
    those of ``like`` (a basis of this LP) or the bytes are damaged."""
    try:
        n_cols, n_rows = (int(v) for v in np.frombuffer(data[:8], dtype="<u4"))
        codes = np.frombuffer(zlib.decompress(data[8:]), dtype=np.uint8)
        if codes.size and int(codes.max()) > 4:  # HighsBasisStatus: kLower .. kNonbasic
            raise ValueError(f"status code {int(codes.max())}")
    except (ValueError, TypeError, zlib.error) as exc:
        logger.warning("a shared anchor basis is damaged (%s): solving the anchor here", exc)
        return None
    if (n_cols, n_rows) != (len(like.col_status), len(like.row_status)) or len(codes) != (
        n_cols + n_rows
    ):
        logger.warning(
            "a shared anchor basis has %d columns and %d rows, this LP %d and %d: solving the "
            "anchor here",
            n_cols,
            n_rows,
            len(like.col_status),
            len(like.row_status),
        )
        return None
    status = [highspy.HighsBasisStatus(int(c)) for c in range(5)]
    basis = highspy.HighsBasis()
    basis.col_status = [status[c] for c in codes[:n_cols].tolist()]
    basis.row_status = [status[c] for c in codes[n_cols:].tolist()]
    basis.valid, basis.alien = True, False
    return basis
