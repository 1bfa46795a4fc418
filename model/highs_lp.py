"""A linopy model's LP as a ``highspy.Highs`` object, and where its variables and constraints
went (columns and rows in linopy's order): shared by the fast path and the latest-peak search."""

from __future__ import annotations

import highspy
import numpy as np
import xarray as xr

from model.solve import quiet_stdout

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
