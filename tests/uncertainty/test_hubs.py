"""LHS rows grouped behind hubs (issue 17): a permutation, each hub before its rows, each row's
parent its nearest hub of its own category when that hub is nearer than its nearest anchor."""

from __future__ import annotations

import math

import numpy as np
import pytest

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


def _check(study, n_anchors):
    """Invariants of any grouping: a permutation; each parent a hub (no parent itself) of the
    row's own categories, ahead of the row and leading its group."""
    raw = sample_design(study).values
    order, parents = hub_design(study.parameters, raw, anchor_points(study, n_anchors))
    n = len(raw)
    np.testing.assert_array_equal(np.sort(order), np.arange(n))
    hubs = np.flatnonzero(order < math.ceil(n / HUB_EVERY))
    kids = np.flatnonzero(parents >= 0)
    assert np.isin(parents[kids], hubs).all() and (parents[hubs] == -1).all()
    assert (parents[kids] < kids).all()
    group = hubs[np.searchsorted(hubs, np.arange(n), side="right") - 1]
    np.testing.assert_array_equal(group[kids], parents[kids])
    return raw[order], parents, hubs


@pytest.mark.parametrize("n", [1, 5, 9])
def test_small_designs_group_into_one_or_two_hubs(n):
    values, parents, _ = _check(_study(n=n), 4)
    assert (parents[0] == -1) and len(values) == n


def test_choices_only_and_categories_without_a_hub():
    choices = {
        "p": {"distribution": "choice", "choices": ["a", "b", "c"]},
        "q": {"distribution": "choice", "choices": ["x", "y"]},
    }
    study = study_from_dict(
        {
            "study": {"name": "c", "model": "m:f", "sampler": "lhs", "n": 24, "seed": 1,
                      "outputs": ["y"]},
            "parameters": choices,
        }
    )  # fmt: skip
    values, parents, hub_rows = _check(study, 1)  # one anchor: most categories have none
    kids = np.flatnonzero(parents >= 0)
    assert len(kids)  # a hub of the row's own categories beats an anchor of another
    hubs = values[hub_rows]
    for i in kids:  # its own categories' hub (distance 0), or none of them has a hub
        same = (values[parents[i]] == values[i]).all()
        assert same or not (hubs == values[i]).all(axis=1).any()
    assert any((values[parents[i]] == values[i]).all() for i in kids)
    study = _study(n=9, seed=3)  # 2 hubs for 3 policies: a policy without a hub
    values, parents, hub_rows = _check(study, 1)
    for i in np.flatnonzero(parents >= 0):  # its own policy's hub, or its policy has none
        assert values[i, 3] == values[parents[i], 3] or values[i, 3] not in values[hub_rows, 3]


def test_one_factor_move_tells_a_sobol_parent_from_a_hub():
    """Only a parent that kept some numeric parameter (a Sobol AB row's A row) gives its
    latest-peak trial bases; an LHS hub differs in every numeric parameter."""
    from model.starts import one_factor_move

    a = {"x": 1.0, "y": 2.0, "z": 3.0, "policy": "none"}
    assert one_factor_move(a, {**a, "x": 1.5})  # one factor moved
    assert one_factor_move(a, {**a, "x": 1.5, "y": 2.5})  # a group of two
    assert not one_factor_move(a, {"x": 1.1, "y": 2.1, "z": 3.1, "policy": "none"})  # a hub
    assert not one_factor_move({"x": 1.0}, {"x": 2.0})  # one factor that is everything
    assert one_factor_move({"p": "a", "q": "b", "r": "c"}, {"p": "z", "q": "b", "r": "c"})


def test_a_numeric_choice_kept_is_no_one_factor_move():
    """A hub and its rows share every choice (uncertainty/engine/hubs.py), numeric ones too (a
    neutrality year of 2055 or 2060): named as choices they do not make a hub's row a one-factor
    move, as a continuous factor kept by a Sobol AB row does."""
    from model.starts import one_factor_move

    hub = {"x": 1.0, "y": 2.0, "year": 2060}
    row = {"x": 1.1, "y": 2.1, "year": 2060}
    assert not one_factor_move(hub, row, choices={"year"})
    assert one_factor_move(hub, row)  # unnamed, the kept year looked like a kept factor
    assert one_factor_move(hub, {**hub, "x": 1.5}, choices={"year"})  # a Sobol AB row
    # choices only: at most half of them moved
    assert one_factor_move(
        {"year": 2060, "k": 1, "m": 3}, {"year": 2055, "k": 1, "m": 3}, {"year", "k", "m"}
    )
    assert not one_factor_move({"year": 2060, "k": 1}, {"year": 2055, "k": 2}, {"year", "k"})


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
