"""Warm-start anchors: a few fixed points of the study's space from which samples start.

A fast-path model (a class with ``set_anchors``, such as the China LP) solves
each anchor once, from its own reference start, and then starts every sample from the solution
of the anchor nearest to it. The anchors and each sample's nearest anchor are functions of the
study alone (its parameters and seed) and of the sample's inputs, never of the order, the worker,
the batch or the backend, so results stay bit-identical across ``n_jobs``, batch sizes, Dask and
resume (tests/uncertainty/test_anchors.py).

- **Where**: ``K`` points of a scrambled Halton sequence in the unit hypercube (seeded by the
  study's seed), mapped through each parameter's distribution like the design itself.
- **Nearest**: squared Euclidean distance in the unit hypercube (a sample's point is its inputs
  through each distribution's ``cdf``); a differing category of a ``choice`` parameter (a
  structural switch such as the carbon policy) costs more than any numeric distance, so a sample
  starts from an anchor of its own category whenever one exists. Ties go to the lower index.
- **How many**: ``[model_options] anchors = K`` of the study, else the model class's
  ``default_anchors``; 0 turns anchors off (every sample starts from the model's reference).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from uncertainty.errors import StudyError
from uncertainty.study.space import Study

#: largest number of anchors a study may ask for (each one is a full solve in every worker)
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
    anchors_unit = np.asarray(anchors_unit, dtype=float)
    unit = unit_of(parameters, values)
    choice = np.array([p.distribution.kind == "choice" for p in parameters])
    diff = unit[:, None, :] - anchors_unit[None, :, :]
    numeric = (diff[:, :, ~choice] ** 2).sum(axis=2)
    mismatch = (np.abs(diff[:, :, choice]) > 1e-12).sum(axis=2) * (1.0 + len(parameters))
    return np.argmin(numeric + mismatch, axis=1)  # argmin: the first of equal distances
