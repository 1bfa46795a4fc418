"""Warm-start anchors: a few fixed points of the study's space from which samples start.

A fast-path model (a class with ``set_anchors``, such as the China LP) solves
each anchor once, from its own reference start, and then starts every sample from the solution
of the anchor nearest to it (the China LP's anchors are solved once per run, spread over the
workers and shared with all of them: engine/shared.py). The anchors and each sample's nearest
anchor are functions of the study alone (its parameters and seed) and of the sample's inputs,
never of the order, the worker, the batch or the backend, so results stay bit-identical across
``n_jobs``, batch sizes, Dask and resume (tests/uncertainty/test_anchors.py).

- **Where**: ``K`` points of a scrambled Halton sequence in the unit hypercube (seeded by the
  study's seed), mapped through each parameter's distribution like the design itself.
- **Nearest**: squared Euclidean distance in the unit hypercube (a sample's point is its inputs
  through each distribution's ``cdf``); a differing category of a ``choice`` parameter (a
  structural switch such as the carbon policy) costs more than any numeric distance, so a sample
  starts from an anchor of its own category whenever one exists. Ties go to the lower index.
- **How many**: ``[model_options] anchors = K`` of the study, else the model class's
  ``default_anchors``; 0 turns anchors off (every sample starts from the model's reference).
- **Parents** (Sobol designs): a row that differs from its block's base row in one factor only
  starts from that row's optimum instead (:func:`design_parents`), when the model takes a
  ``parent``; the base row's optimum is itself defined as its solve from its nearest anchor,
  so a worker that has not solved it solves it first (same basis, bit for bit).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from uncertainty.errors import StudyError
from uncertainty.study.space import Study

#: largest number of anchors a study may ask for (each one is a full solve per run)
MAX_ANCHORS = 1024


def anchor_count(study: Study, model: Any) -> int:
    """The number of anchors for ``model`` (0 when the model takes none)."""
    if not isinstance(model, type) or not callable(getattr(model, "set_anchors", None)):
        return 0
    count = study.model_options.get("anchors", getattr(model, "default_anchors", 0))
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_ANCHORS:
        where = str(study.path) if study.path is not None else f"study {study.name!r}"
        raise StudyError(
            f"{where}: [model_options] anchors = {count!r}: give a whole number of warm-start "
            f"anchors from 0 (off) to {MAX_ANCHORS}"
        )
    return count


def anchor_points(study: Study, count: int) -> np.ndarray:
    """``count`` anchor points in the unit hypercube, shape (count, n_parameters), as
    :func:`unit_of` gives them for the anchors' inputs (a choice at the middle of its interval)."""
    from scipy.stats import qmc

    if count == 0:
        return np.empty((0, len(study.parameters)))
    raw = qmc.Halton(len(study.parameters), scramble=True, seed=study.seed).random(count)
    return unit_of(study.parameters, anchor_values(study, raw))


def anchor_values(study: Study, unit: np.ndarray) -> np.ndarray:
    """Anchor points in natural units (stored-input convention: a choice's value or index)."""
    values = np.empty_like(unit)
    for j, param in enumerate(study.parameters):
        values[:, j] = param.distribution.ppf(unit[:, j])
    return values


def unit_of(parameters, values: np.ndarray) -> np.ndarray:
    """Points of stored inputs ``values`` (n, d) in the unit hypercube."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    unit = np.empty_like(values)
    for j, param in enumerate(parameters):
        unit[:, j] = param.distribution.cdf(values[:, j])
    return unit


def nearest_anchor(parameters, anchors_unit: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of the nearest anchor of each row of stored inputs ``values`` (n, d)."""
    distance = unit_distances(parameters, unit_of(parameters, values), anchors_unit)
    return np.argmin(distance, axis=1)  # argmin: the first of equal distances


def unit_distances(parameters, unit: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distance (n, K) of each point of ``unit`` to each target, both in the unit hypercube: the
    squared Euclidean distance over the numeric parameters plus, per differing category of a
    ``choice`` parameter, more than any numeric distance can be."""
    targets = np.asarray(targets, dtype=float)
    choice = np.array([p.distribution.kind == "choice" for p in parameters], dtype=bool)
    diff = unit[:, None, :] - targets[None, :, :]
    numeric = (diff[:, :, ~choice] ** 2).sum(axis=2)
    mismatch = (np.abs(diff[:, :, choice]) > 1e-12).sum(axis=2) * (1.0 + len(parameters))
    return numeric + mismatch


def design_parents(sampler: str, n_rows: int, n_factors: int, second_order: bool) -> np.ndarray:
    """Row each design row may start from (-1: its nearest anchor), from the design's layout.

    A Saltelli (Sobol) block is ``[A, AB_1 .. AB_D, (BA_1 .. BA_D,) B]`` (SALib's order), and
    ``AB_k`` differs from ``A`` (``BA_k`` from ``B``) in the inputs of factor ``k`` only, so a
    model with parent starts (``evaluate(params, anchor=..., parent=...)``, such as the China LP)
    starts it from ``A``'s (``B``'s) optimum instead of an anchor's: a move along one factor
    instead of across the space. ``A`` and ``B`` start from their anchors. The parent is a
    function of the row's position in the design alone, so a row's start does not depend on
    the order, the batch or the worker. Other samplers: every row starts from its anchor.
    """
    parents = np.full(n_rows, -1, dtype=np.int64)
    if sampler != "sobol" or n_factors < 1:
        return parents
    size = 2 * n_factors + 2 if second_order else n_factors + 2
    for first in range(0, n_rows - size + 1, size):
        parents[first + 1 : first + 1 + n_factors] = first
        if second_order:
            parents[first + 1 + n_factors : first + 1 + 2 * n_factors] = first + size - 1
    return parents


def anchor_starts(parameters, anchors_unit, rows: np.ndarray) -> list[int | None]:
    """Each row's nearest anchor (None for every row when the study has no anchors)."""
    if not len(anchors_unit):
        return [None] * len(rows)
    return nearest_anchor(parameters, np.asarray(anchors_unit), rows).tolist()


def parent_starts(
    parameters, anchors_unit, parents: np.ndarray, to_params: Callable[[np.ndarray], dict]
) -> list[tuple[dict, int | None] | None]:
    """``(parent params, the parent's nearest anchor)`` per row, None where a row has no parent
    (a NaN row of ``parents``, the parents' stored inputs)."""
    parents = np.asarray(parents, dtype=float)
    out: list[tuple[dict, int | None] | None] = [None] * len(parents)
    has = ~np.isnan(parents).any(axis=1)
    if has.any():
        anchors = anchor_starts(parameters, anchors_unit, parents[has])
        for i, row, anchor in zip(np.flatnonzero(has), parents[has], anchors, strict=True):
            out[i] = (to_params(row), anchor)
    return out


def takes_parent(evaluate: Callable[..., Any]) -> bool:
    """Whether a model's ``evaluate`` accepts a ``parent`` start."""
    try:
        return "parent" in inspect.signature(evaluate).parameters
    except (TypeError, ValueError):
        return False
