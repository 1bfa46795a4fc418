"""Design rows as warm starts for an LHS study: hubs, and the rows grouped behind them.

The rows of a Latin hypercube are exchangeable, so a study whose model starts samples from a
*parent's* optimum (the China LP) may order them to suit the solver. One row in
:data:`HUB_EVERY` - the first ``ceil(n / HUB_EVERY)`` rows the sampler drew, themselves a random
subset - is a **hub**: it starts from its nearest anchor like any sample, and the rows nearer to
it than to any other hub follow it in the stored design, each starting from the hub's optimum
when the hub is nearer than its own nearest anchor (same metric as
:func:`uncertainty.engine.anchors.nearest_anchor`: the unit hypercube, a differing category of a
choice parameter first). A batch is a contiguous run of rows, so a hub and its rows mostly share
one; a row whose hub fell into another batch has the hub solved first by the
worker (``prepare_parent``), the same optimum either way.

Why: on a 10,000-row LHS of the benchmark's 8 parameters the nearest of 32 anchors was ~0.6 away
(median) and the nearest hub (1,250) 0.40; the 81 % of rows that started from their hub took
x0.79 the time (x0.83 the simplex iterations) of their anchor start, side by side (``netua
bench`` with 32 anchors, benchmarks/hubs.py; the README gives today's figures). Anchors cannot be
that dense (every anchor is a solve per run, engine/shared.py); hubs cost nothing (they are rows
of the design). The order and the parents are
functions of the study's design alone (the same for any ``n_jobs``, batch size, backend or
resume). The hubs come in the sampler's random order, so a prefix of the stored design (an
interrupted run) is a random set of groups: unbiased, but not a random set of rows; estimates do
not depend on the order (resampled intervals only through which rows their seeded draws pick).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from uncertainty.engine.anchors import unit_distances, unit_of

#: one design row in this many is a hub (a start for the rows around it)
HUB_EVERY = 8


def hub_design(parameters, values: np.ndarray, anchors_unit) -> tuple[np.ndarray, np.ndarray]:
    """The grouped order of an LHS design and each row's parent in that order.

    Parameters
    ----------
    parameters : sequence of Parameter
    values : ndarray, shape (n, n_parameters)
        The design in the sampler's order (stored-input convention).
    anchors_unit : array-like, shape (K, n_parameters)
        The study's anchors in the unit hypercube (K >= 1).

    Returns
    -------
    order : ndarray of int, shape (n,)
        ``values[order]`` is the design to store: each hub followed by its group.
    parents : ndarray of int, shape (n,)
        Row (in the new order) each row starts from, -1 for its nearest anchor.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    unit = unit_of(parameters, values)
    n_hubs = math.ceil(n / HUB_EVERY)
    hub, to_hub = _nearest(parameters, unit, unit[:n_hubs])
    hub[:n_hubs] = np.arange(n_hubs)  # a hub is its own group (and starts from its anchor)
    _, to_anchor = _nearest(parameters, unit, np.asarray(anchors_unit, dtype=float))
    order = np.lexsort((np.arange(n) >= n_hubs, hub))  # by group; the hub first, then its rows
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    parents = np.full(n, -1, dtype=np.int64)
    child = (np.arange(n) >= n_hubs) & (to_hub < to_anchor)
    parents[position[child]] = position[hub[child]]
    return order, parents


def _nearest(parameters, unit: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each row's nearest target and that distance (squared, in the unit hypercube):
    among the targets of the row's own categories of its choice parameters (k-d tree on the
    numeric columns); where a row's categories have no target, over all targets with a differing
    category costing more than any numeric distance (``unit_distances``, as ``nearest_anchor``)."""
    choice = np.array([p.distribution.kind == "choice" for p in parameters], dtype=bool)
    index = np.full(len(unit), -1, dtype=np.int64)
    distance = np.full(len(unit), np.inf)
    if not len(targets):
        return index, distance
    keys, key_of_row = np.unique(unit[:, choice], axis=0, return_inverse=True)
    key_of_row = key_of_row.ravel()
    for k, key in enumerate(keys):
        rows = np.flatnonzero(key_of_row == k)
        mine = np.flatnonzero((np.abs(targets[:, choice] - key) <= 1e-12).all(axis=1))
        if mine.size and not (~choice).any():  # choices only: any target of the categories
            index[rows], distance[rows] = mine[0], 0.0
        elif mine.size:
            tree = cKDTree(targets[mine][:, ~choice])
            d, j = tree.query(unit[rows][:, ~choice])
            index[rows], distance[rows] = mine[np.atleast_1d(j)], np.atleast_1d(d) ** 2
        else:
            total = unit_distances(parameters, unit[rows], targets)
            index[rows] = np.argmin(total, axis=1)
            distance[rows] = total[np.arange(len(rows)), index[rows]]
    return index, distance
