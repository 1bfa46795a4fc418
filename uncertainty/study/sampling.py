"""Designs through SALib: Sobol (Saltelli scheme), Morris, Latin hypercube and Monte Carlo.

Every design is drawn in the unit hypercube and each column is then mapped through its parameter's
inverse CDF, so every distribution works with every sampler. This module is the one place that
builds SALib's ``problem`` dict. Same study and seed, same design.

References ---------- Saltelli, A. et al. (2010) Variance based sensitivity analysis of model
output. Comput. Phys. Commun. 181, 259-270. Morris, M. D. (1991) Factorial sampling plans for
preliminary computational experiments. Technometrics 33, 161-174.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from SALib.sample import latin, morris
from SALib.sample import sobol as sobol_sample

from uncertainty.errors import StudyError
from uncertainty.study.space import Study

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Design:
    """A sample matrix in natural units, one row per sample.

    Attributes
    ----------
    values : ndarray, shape (n_samples, n_parameters)
        The inputs in each parameter's natural unit (choices: value or index).
    sample_id : ndarray of int
        The row numbers 0 .. n_samples - 1.
    problem : dict
        The SALib problem dict used (unit-hypercube bounds).
    """

    values: np.ndarray
    sample_id: np.ndarray
    problem: dict[str, Any]

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.values.shape[0])

    def fingerprint(self) -> str:
        """Return the SHA-256 of the sample matrix (float64, C order)."""
        return design_fingerprint(self.values)


#: largest design held in memory without ``--allow-large`` (bytes, estimated): 2 GiB
MAX_DESIGN_BYTES = 2 * 2**30


def design_rows(study: Study) -> int:
    """Rows of the study's design, computed without drawing it (D = factors: groups or
    parameters)."""
    factors = len({p.group if p.group is not None else p.name for p in study.parameters})
    if study.sampler == "sobol":
        return study.n * (2 * factors + 2 if study.second_order else factors + 2)
    if study.sampler == "morris":
        return study.n * (factors + 1)
    return study.n


def check_design_size(study: Study, *, allow_large: bool = False) -> None:
    """Refuse a design whose memory (or store) would exceed :data:`MAX_DESIGN_BYTES`.

    Estimate: the unit-hypercube and natural-unit matrices with SALib's working copies (4 x
    rows x D x 8 bytes); the store holds at least rows x (D + 2 + outputs) x 8 bytes.
    """
    rows = design_rows(study)
    d = len(study.parameters)
    memory = 4 * rows * d * 8
    store = rows * (d + 2 + len(study.outputs)) * 8
    if max(memory, store) > MAX_DESIGN_BYTES and not allow_large:
        where = str(study.path) if study.path is not None else f"study {study.name!r}"
        raise StudyError(
            f"{where}: [study] n = {study.n}: a {study.sampler} design of {rows:,} rows needs "
            f"about {memory / 2**30:.1f} GiB of memory and a store of at least "
            f"{store / 2**30:.1f} GiB (limit {MAX_DESIGN_BYTES / 2**30:.0f} GiB); lower n, or "
            "pass --allow-large if the machine has room"
        )


def salib_problem(study: Study) -> dict[str, Any]:
    """Return SALib's problem dict for the study: names, unit bounds and groups if any."""
    problem: dict[str, Any] = {
        "num_vars": len(study.parameters),
        "names": study.names,
        "bounds": [[0.0, 1.0]] * len(study.parameters),
    }
    if any(p.group is not None for p in study.parameters):
        problem["groups"] = [p.group if p.group is not None else p.name for p in study.parameters]
    return problem


def sample_design(study: Study) -> Design:
    """Draw the study's design.

    Parameters
    ----------
    study : Study

    Returns
    -------
    Design
        Sobol: N(D+2) rows (N(2D+2) with second order; D = number of groups when grouped); Morris:
        N(D+1); LHS and MC: N.
    """
    problem = salib_problem(study)
    unit = sample_unit(study, problem)
    if study.sampler == "morris":
        unit = _morris_levels_for_unbounded(study, unit)
    values = np.empty_like(unit)
    for j, param in enumerate(study.parameters):
        values[:, j] = param.distribution.ppf(unit[:, j])
    logger.info("design: %s, %d samples x %d parameters", study.sampler, *values.shape)
    return Design(values=values, sample_id=np.arange(values.shape[0]), problem=problem)


def sample_unit(study: Study, problem: dict[str, Any]) -> np.ndarray:
    """Return the design in the unit hypercube."""
    if study.sampler == "sobol":
        return sobol_sample.sample(
            problem,
            study.n,
            calc_second_order=study.second_order,
            scramble=True,
            seed=study.seed,
        )
    if study.sampler == "morris":
        return morris.sample(problem, study.n, num_levels=study.num_levels, seed=study.seed)
    if study.sampler == "lhs":
        return latin.sample(problem, study.n, seed=study.seed)
    rng = np.random.default_rng(study.seed)
    return rng.random((study.n, len(study.parameters)))


def _morris_levels_for_unbounded(study: Study, unit: np.ndarray) -> np.ndarray:
    """Map Morris levels k/(p-1) to bin centres (k+1/2)/p for unbounded distributions.

    Levels 0 and 1 would be infinite for a normal or lognormal parameter; bin centres keep the
    grid's equal spacing in probability.
    """
    p = study.num_levels
    out = unit.copy()
    for j, param in enumerate(study.parameters):
        if not param.distribution.bounded:
            out[:, j] = (np.round(unit[:, j] * (p - 1)) + 0.5) / p
    return out


def design_fingerprint(values: np.ndarray) -> str:
    """Return the SHA-256 hex digest of a sample matrix."""
    array = np.ascontiguousarray(values, dtype=np.float64)
    digest = hashlib.sha256(str(array.shape).encode())
    digest.update(array.tobytes())
    return digest.hexdigest()
