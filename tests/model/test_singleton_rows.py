"""Singleton rows held as column bounds (model/highs_lp.py SingletonRows): the same LP."""

import highspy
import numpy as np
import pytest

from model.highs_lp import SingletonRows

INF = highspy.kHighsInf


def _lp(rows, lower, upper, cost, col_lower, col_upper) -> highspy.Highs:
    """A Highs object of ``min cost x`` s.t. ``lower <= rows x <= upper`` (rows: dense)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # as the fast path's warm solves
    n = len(cost)
    h.addVars(n, np.asarray(col_lower, float), np.asarray(col_upper, float))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(cost, float))
    a = np.asarray(rows, float)
    for i in range(len(a)):
        idx = np.flatnonzero(a[i]).astype(np.int32)
        h.addRow(lower[i], upper[i], len(idx), idx, a[i, idx])
    return h


# x0 .. x3; rows 0-4 are singletons (x0 twice, one with a negative coefficient; x2 an
# equality), row 5 is a singleton the caller protects, rows 6-7 couple the columns
ROWS = [
    [2, 0, 0, 0],
    [-1, 0, 0, 0],
    [0, 4, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 0.5],
    [0, 0, 0, 3],
    [1, 1, 1, 1],
    [1, -1, 0, 2],
]


def _problem(rng):
    lower = [-INF, -3.0, -INF, 0.7, -INF, -INF, 5.0, -2.0]
    upper = [6.0, INF, 8.0, 0.7, 1.5, 12.0, INF, 4.0]
    cost = rng.uniform(-1.0, 2.0, 4)
    return lower, upper, cost, [0.0, 0.0, 0.0, 0.0], [10.0, INF, INF, INF]


def test_singleton_rows_as_column_bounds_give_the_same_optimum():
    """Initial bounds, then updates that move singleton and coupling rows together (as a
    sample's row families do): the same objective and primal values as the LP with the rows,
    whatever the coefficient's sign; protected rows keep their own bounds."""
    rng = np.random.default_rng(3)
    lower, upper, cost, col_lower, col_upper = _problem(rng)
    plain = _lp(ROWS, lower, upper, cost, col_lower, col_upper)
    held = _lp(ROWS, lower, upper, cost, col_lower, col_upper)
    singles = SingletonRows(held, protected=np.array([5]))
    np.testing.assert_array_equal(singles.rows, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(singles.columns, [0, 1, 2, 3])
    lp = held.getLp()
    assert np.isinf(np.asarray(lp.row_lower_)[:5]).all()
    assert np.isinf(np.asarray(lp.row_upper_)[:5]).all()
    assert lp.row_upper_[5] == 12.0  # protected: still a row
    np.testing.assert_allclose(lp.col_lower_, [0.0, 0.0, 0.7, 0.0])
    np.testing.assert_allclose(lp.col_upper_, [3.0, 2.0, 0.7, 3.0])  # min(10, 6/2, 3/1)
    for _ in range(8):
        idx = np.array([0, 1, 4, 5, 6], dtype=np.int32)
        lo = np.array([-INF, rng.uniform(-4, -1), -INF, -INF, rng.uniform(2, 6)])
        up = np.array([rng.uniform(2, 8), INF, rng.uniform(0.5, 2), rng.uniform(3, 12), INF])
        plain.changeRowsBounds(len(idx), idx, lo, up)
        rest, rest_lo, rest_up, moved = singles.take(idx, lo, up)
        assert moved and rest.tolist() == [5, 6]
        held.changeRowsBounds(len(rest), rest, rest_lo, rest_up)
        singles.push(held)
        cost = rng.uniform(-1.0, 2.0, 4)
        for h in (plain, held):
            h.changeColsCost(4, np.arange(4, dtype=np.int32), cost)
            h.run()
        assert plain.getModelStatus() == held.getModelStatus()
        if plain.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            assert held.getInfo().objective_function_value == pytest.approx(
                plain.getInfo().objective_function_value, rel=1e-9, abs=1e-9
            )
            np.testing.assert_allclose(
                held.getSolution().col_value, plain.getSolution().col_value, atol=1e-9
            )


def test_rows_without_a_singleton_pass_through():
    rng = np.random.default_rng(4)
    lower, upper, cost, col_lower, col_upper = _problem(rng)
    held = _lp(ROWS, lower, upper, cost, col_lower, col_upper)
    singles = SingletonRows(held, protected=np.array([5]))
    idx = np.array([6, 7], dtype=np.int32)
    lo, up = np.array([1.0, -1.0]), np.array([INF, 1.0])
    rest, rest_lo, rest_up, moved = singles.take(idx, lo, up)
    assert not moved
    np.testing.assert_array_equal(rest, idx)
    np.testing.assert_array_equal(rest_lo, lo)
    np.testing.assert_array_equal(rest_up, up)


def test_rows_that_touch_up_to_rounding_stay_feasible():
    """Two singleton rows 3 x >= 3 * 0.1 and 7 x <= 7 * 0.1 say x = 0.1, but divided back by
    their coefficients the bounds differ in the last bit and cross: still feasible, within
    HiGHS's primal feasibility tolerance (the fast path's 1e-9) like the rows; bounds that really
    cross stay infeasible."""
    rows = [[3.0, 0.0], [7.0, 0.0], [1.0, 1.0]]
    lower, upper = [3 * 0.1, -INF, 1.0], [INF, 7 * 0.1, INF]
    assert (3 * 0.1) / 3.0 > (7 * 0.1) / 7.0  # the rounding this test is about
    held = _lp(rows, lower, upper, [1.0, 2.0], [0.0, 0.0], [INF, INF])
    held.setOptionValue("primal_feasibility_tolerance", 1e-9)
    SingletonRows(held, protected=np.array([], dtype=np.int64))
    held.run()
    assert held.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert held.getSolution().col_value[0] == pytest.approx(0.1)
    crossing = _lp(rows, [0.31, -INF, 1.0], upper, [1.0, 2.0], [0.0, 0.0], [INF, INF])
    SingletonRows(crossing, protected=np.array([], dtype=np.int64))
    crossing.run()
    assert crossing.getModelStatus() == highspy.HighsModelStatus.kInfeasible
