"""LHS rows grouped behind hubs (issue 17): a permutation, each hub before its rows, each row's
parent its nearest hub of its own category when that hub is nearer than its nearest anchor."""

from __future__ import annotations

import math

import numpy as np

from uncertainty.engine.anchors import anchor_points, nearest_anchor, unit_of
from uncertainty.engine.hubs import HUB_EVERY, hub_design
from uncertainty.study.sampling import sample_design
from uncertainty.study.space import study_from_dict


def _study(n=200, seed=4, choice=True):
    parameters = {
        "x": {"distribution": "uniform", "lower": 0, "upper": 10},
        "z": {"distribution": "normal", "mean": 0, "std": 1},
        "w": {"distribution": "uniform", "lower": -1, "upper": 1},
    }
    if choice:
        parameters["policy"] = {"distribution": "choice", "choices": ["none", "budget", "ets"]}
    return study_from_dict(
        {
            "study": {"name": "h", "model": "m:f", "sampler": "lhs", "n": n, "seed": seed,
                      "outputs": ["y"]},
            "parameters": parameters,
        }
    )  # fmt: skip


def _brute_nearest(parameters, unit, targets):
    """Nearest target by nearest_anchor's own metric (the reference implementation)."""
    values = np.array([[p.distribution.ppf(u) for p, u in zip(parameters, row)] for row in unit])
    return nearest_anchor(parameters, targets, values)


def test_hubs_lead_their_groups_and_rows_start_from_the_nearest_hub():
    study = _study()
    raw = sample_design(study).values
    anchors = anchor_points(study, 4)
    order, parents = hub_design(study.parameters, raw, anchors)
    n, n_hubs = len(raw), math.ceil(len(raw) / HUB_EVERY)
    np.testing.assert_array_equal(np.sort(order), np.arange(n))  # a permutation
    values = raw[order]
    unit = unit_of(study.parameters, values)
    hub_rows = np.flatnonzero(order < n_hubs)  # where the sampler's first rows went
    assert len(hub_rows) == n_hubs
    nearest_hub = hub_rows[_brute_nearest(study.parameters, unit, unit[hub_rows])]
    nearest_hub[hub_rows] = hub_rows
    kids = np.flatnonzero(parents >= 0)
    assert len(kids) > n // 4  # 4 anchors: most rows are nearer a hub
    np.testing.assert_array_equal(parents[kids], nearest_hub[kids])
    assert (parents[hub_rows] == -1).all()
    # each group is contiguous and its hub comes first
    assert (np.diff(order[hub_rows]) > 0).all()  # the hubs keep the sampler's (random) order
    group_start = np.searchsorted(hub_rows, np.arange(n), side="right") - 1
    np.testing.assert_array_equal(hub_rows[group_start][kids], parents[kids])
    # the parent is nearer than the row's nearest anchor, and of the row's own category
    anchor = anchors[_brute_nearest(study.parameters, unit, anchors)]
    to_anchor = ((unit - anchor) ** 2).sum(axis=1)
    to_parent = ((unit[kids] - unit[parents[kids]]) ** 2).sum(axis=1)
    assert (to_parent < to_anchor[kids]).all()
    np.testing.assert_array_equal(values[kids, 3], values[parents[kids], 3])
    others = np.setdiff1d(np.arange(n), np.concatenate([kids, hub_rows]))
    assert len(others)  # rows nearer an anchor keep their anchor
    for i in others:
        hub = nearest_hub[i]
        assert ((unit[i] - unit[hub]) ** 2).sum() >= to_anchor[i] or values[i, 3] != values[hub, 3]


def test_the_grouping_is_a_function_of_the_design():
    study = _study(n=64, choice=False)
    raw = sample_design(study).values
    anchors = anchor_points(study, 2)
    first = hub_design(study.parameters, raw, anchors)
    again = hub_design(study.parameters, raw.copy(), np.array(anchors))
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_batch_evaluates_each_row_right_after_its_parents_group():
    """A Sobol block [A, AB1, AB2, BA1, BA2, B] runs as A, AB1, AB2, B, BA1, BA2; an LHS batch
    [hub, kid, kid, hub2, kid2] keeps its order; a row whose parent is in another batch stays
    where it is (protocol._in_groups: a worker holds one or two parents' optima at a time)."""
    from uncertainty.engine.protocol import _in_groups

    a, b, h, h2, far = ([x] for x in (1.0, 2.0, 3.0, 4.0, 9.0))
    rows = np.array([a, [5.0], [6.0], [7.0], [8.0], b])
    parents = np.array([[np.nan], a, a, b, b, [np.nan]])
    lineage = [None, 1, 1, 1, 1, None]  # only None / not None matters
    assert _in_groups(rows, parents, lineage) == [0, 1, 2, 5, 3, 4]
    rows = np.array([[10.0], h, [11.0], [12.0], h2, [13.0]])
    parents = np.array([far, [np.nan], h, h, [np.nan], h2])
    lineage = [1, None, 1, 1, None, 1]
    assert _in_groups(rows, parents, lineage) == [0, 1, 2, 3, 4, 5]
