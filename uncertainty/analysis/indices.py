"""Sensitivity indices: Sobol with percentile bootstrap, Morris screening, PAWN.

Sobol estimators are those of SALib's ``sobol.analyze`` (first order after Saltelli et al. 2010,
total order after Jansen 1999, second order after Saltelli 2002), computed here so that the
bootstrap resamples whole base blocks, gives percentile intervals (not SALib's normal
approximation) and runs vectorised over any trailing output dimension such as ``year``.

References
----------
Jansen, M. J. W. (1999). Analysis of variance designs for model output. Computer Physics
Communications, 117(1-2), 35-43.
Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices. Computer
Physics Communications, 145(2), 280-297.
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Design and
estimator for the total sensitivity index. Computer Physics Communications, 181(2), 259-270.
Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall (percentile
intervals).
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics, 33(2), 161-174.
Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening design for sensitivity
analysis of large models. Environmental Modelling & Software, 22(10), 1509-1518.
Pianosi, F. & Wagener, T. (2015). A simple and efficient method for global sensitivity analysis
based on cumulative distribution functions. Environmental Modelling & Software, 67, 1-11.
Pianosi, F. & Wagener, T. (2018). Distribution-based sensitivity analysis from a generic
input-output sample. Environmental Modelling & Software, 108, 197-207.
"""

from __future__ import annotations

import warnings

import numpy as np
from SALib.analyze import morris as salib_morris

#: bytes of bootstrap work held in memory at once
_CHUNK_BYTES = 64 * 2**20


def split_blocks(
    y: np.ndarray, n_parameters: int, second_order: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Split Sobol-design outputs (rows in design order) into A, B, AB and BA.

    Parameters
    ----------
    y : ndarray, shape (N * block, ...)
        Outputs of whole base blocks in design order; trailing dims (e.g. year) are kept.
    n_parameters : int
        D.
    second_order : bool
        Whether each block carries the D ``BA`` rows.

    Returns
    -------
    A, B : ndarray, shape (N, ...)
    AB : ndarray, shape (N, D, ...)
    BA : ndarray, shape (N, D, ...) or None
    """
    d = n_parameters
    block = 2 * d + 2 if second_order else d + 2
    if np.shape(y)[0] % block:
        raise ValueError(f"{np.shape(y)[0]} rows are not whole Sobol blocks of {block} (D={d})")
    y = np.asarray(y, dtype=float).reshape(-1, block, *np.shape(y)[1:])
    ba = y[:, d + 1 : 2 * d + 1] if second_order else None
    return y[:, 0], y[:, -1], y[:, 1 : d + 1], ba


def _ratio(num: np.ndarray, var: np.ndarray) -> np.ndarray:
    out = np.full(np.broadcast_shapes(num.shape, var.shape), np.nan)
    return np.divide(num, var, out=out, where=var > 0)


def sobol_estimates(
    a: np.ndarray, b: np.ndarray, ab: np.ndarray, ba: np.ndarray | None, axis: int = 0
) -> dict[str, np.ndarray]:
    """Point estimates of S1, ST (and S2) along the base-row ``axis``.

    ``S1_i = mean(B (AB_i - A)) / V`` (Saltelli 2010), ``ST_i = mean((A - AB_i)^2) / (2 V)``
    (Jansen 1999), ``S2_ij = mean(BA_i AB_j - A B) / V - S1_i - S1_j`` (Saltelli 2002), with
    ``V`` the variance of the pooled A and B rows. Outputs should be centred beforehand (as SALib
    does); a zero variance gives NaN, not 0.

    Returns
    -------
    dict
        ``S1``, ``ST`` of shape (..., D, ...) with D at position ``axis``; ``S2`` of shape
        (..., D, D, ...) when ``ba`` is given.
    """
    var = np.var(np.concatenate([a, b], axis=axis), axis=axis)
    a_ = np.expand_dims(a, axis + 1)
    b_ = np.expand_dims(b, axis + 1)
    var_ = np.expand_dims(var, axis)
    s1 = _ratio(np.mean(b_ * (ab - a_), axis=axis), var_)
    st = _ratio(0.5 * np.mean((a_ - ab) ** 2, axis=axis), var_)
    result = {"S1": s1, "ST": st}
    if ba is not None:
        cross = np.mean(
            np.expand_dims(ba, axis + 2) * np.expand_dims(ab, axis + 1)
            - np.expand_dims(a_ * b_, axis + 1),
            axis=axis,
        )
        vjk = _ratio(cross, np.expand_dims(var_, axis))
        s2 = vjk - np.expand_dims(s1, axis + 1) - np.expand_dims(s1, axis)
        d = s1.shape[axis]
        diag = np.eye(d, dtype=bool).reshape((d, d) + (1,) * (s2.ndim - axis - 2))
        result["S2"] = np.where(diag, np.nan, s2)
    return result


#: relative standard deviation below which an output element counts as constant
FLAT_TOLERANCE = 1e-7


def sobol_indices(
    y: np.ndarray,
    n_parameters: int,
    *,
    second_order: bool = False,
    n_resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Sobol indices with percentile-bootstrap confidence intervals over base blocks.

    Parameters
    ----------
    y : ndarray, shape (N * block, ...)
        Outputs of a Sobol design in design order (whole blocks only); trailing dims are analysed
        element-wise (time-resolved indices when the trailing dim is ``year``).
    n_parameters : int
        D, the number of parameters (or groups).
    second_order : bool
        Compute S2 (the design must carry the ``BA`` rows).
    n_resamples : int
        Bootstrap resamples; each draws N base rows j with replacement and keeps whole blocks.
    conf_level : float
        Confidence level of the percentile intervals.
    seed : int
        Seed of ``numpy.random.default_rng`` (0 is a seed like any other).

    Returns
    -------
    dict
        For each of ``S1``, ``ST`` (shape (D, ...)) and ``S2`` (shape (D, D, ...), upper and lower
        triangle symmetric, diagonal NaN): the estimate and ``<name>_low``, ``<name>_high`` (the
        percentile interval) and ``<name>_conf`` (its half-width); plus ``n_base``.
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must lie in (0, 1), got {conf_level}")
    y = np.asarray(y, dtype=float)
    mean = y.mean(axis=0)
    y = y - mean
    # numerically constant elements (a year pinned to observations varies only by solver noise,
    # ~1e-9 relative) are constant: their indices are NaN, not noise divided by noise
    flat = y.std(axis=0) <= FLAT_TOLERANCE * np.maximum(np.abs(mean), 1e-300)
    y = np.where(flat, 0.0, y)
    a, b, ab, ba = split_blocks(y, n_parameters, second_order)
    point = sobol_estimates(a, b, ab, ba)
    draws = _bootstrap(a, b, ab, ba, n_resamples, seed)
    alpha = (1 - conf_level) / 2
    result: dict[str, np.ndarray] = {"n_base": np.asarray(a.shape[0])}
    for name, est in point.items():
        with warnings.catch_warnings():  # constant outputs: all-NaN draws give NaN bounds
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanquantile(draws[name], [alpha, 1 - alpha], axis=0)
        if name == "S2":
            est, low, high = (_symmetric(v) for v in (est, low, high))
        result.update({name: est, f"{name}_low": low, f"{name}_high": high})
        result[f"{name}_conf"] = (high - low) / 2
    return result


def _symmetric(s2: np.ndarray) -> np.ndarray:
    upper = np.triu(np.ones(s2.shape[:2], dtype=bool), 1).reshape(
        s2.shape[:2] + (1,) * (s2.ndim - 2)
    )
    sym = np.where(upper, s2, np.swapaxes(s2, 0, 1))
    return np.where(np.swapaxes(upper, 0, 1) | upper, sym, np.nan)


def _bootstrap(a, b, ab, ba, n_resamples: int, seed: int) -> dict[str, np.ndarray]:
    """Estimates on ``n_resamples`` resamples of the base rows, stacked on axis 0."""
    n = a.shape[0]
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(n_resamples, n))
    width = (ab.size + (ba.size if ba is not None else 0) + 2 * a.size) * 8
    chunk = max(1, int(_CHUNK_BYTES // max(width, 1)))
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, n_resamples, chunk):
        r = index[start : start + chunk]
        est = sobol_estimates(a[r], b[r], ab[r], None if ba is None else ba[r], axis=1)
        for name, value in est.items():
            parts.setdefault(name, []).append(value)
    return {name: np.concatenate(values, axis=0) for name, values in parts.items()}


def morris_indices(
    problem: dict,
    x: np.ndarray,
    y: np.ndarray,
    *,
    num_levels: int = 4,
    n_resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Morris elementary-effects screening (Morris 1991; mu* after Campolongo et al. 2007).

    Thin wrapper over ``SALib.analyze.morris`` with an explicit generator (so seed 0 is a seed).
    ``x`` and ``y`` must be whole trajectories in design order.

    Returns
    -------
    dict
        ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf`` (normal-approximation half-width, SALib).
    """
    res = salib_morris.analyze(
        problem,
        np.asarray(x, dtype=float),
        np.asarray(y, dtype=float),
        num_resamples=n_resamples,
        conf_level=conf_level,
        num_levels=num_levels,
        seed=np.random.default_rng(seed),
    )
    return {k: np.asarray(res[k], dtype=float) for k in ("mu", "mu_star", "sigma", "mu_star_conf")}


def _slices(x: np.ndarray, n_slices: int) -> np.ndarray:
    """Slice label of every row: equiprobable slices of ``x`` (or its values when few)."""
    values = np.unique(x)
    if values.size <= n_slices:
        return np.searchsorted(values, x)
    edges = np.quantile(x, np.linspace(0, 1, n_slices + 1)[1:-1])
    return np.searchsorted(edges, x, side="right")


def _ks_per_slice(y_sorted: np.ndarray, y: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """KS distance between the CDF of ``y`` and its CDF within each slice (grid: values of y)."""
    grid = np.unique(y_sorted)
    f_all = np.searchsorted(y_sorted, grid, side="right") / y_sorted.size
    ks = []
    for label in np.unique(labels):
        cond = np.sort(y[labels == label])
        f_cond = np.searchsorted(cond, grid, side="right") / cond.size
        ks.append(np.max(np.abs(f_all - f_cond)))
    return np.asarray(ks)


def pawn_indices(
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_slices: int = 10,
    n_resamples: int = 200,
    conf_level: float = 0.95,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """PAWN indices from given data (Pianosi & Wagener 2015, 2018).

    For each parameter the rows are cut into ``n_slices`` equiprobable slices of that parameter;
    the index is a statistic over slices of the Kolmogorov-Smirnov distance between the output's
    unconditional empirical CDF and its CDF within the slice. Empirical CDFs are exact step
    functions, so integer outputs (years) and censored values (``+inf``: not within the horizon)
    are handled without smoothing.

    Parameters
    ----------
    x : ndarray, shape (n, D)
        Independent input rows.
    y : ndarray, shape (n,)
        Outputs; ``+inf`` allowed (censored), NaN not allowed.
    n_slices, n_resamples, conf_level, seed
        Slices per parameter; bootstrap resamples of rows for the percentile interval of the median
        statistic; its level; the seed of ``numpy.random.default_rng``.

    Returns
    -------
    dict
        ``median``, ``mean``, ``max``, ``min`` KS over slices (shape (D,)), ``median_low``,
        ``median_high`` and ``ks_critical``, the two-sample KS critical value at ``1 - conf_level``
        for a slice of average size (a median below it is indistinguishable from no influence).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.isnan(y).any():
        raise ValueError("PAWN needs outputs without NaN; drop failed rows first")
    stats_ = _pawn_stats(x, y, n_slices)
    rng = np.random.default_rng(seed)
    boot = np.array(
        [
            _pawn_stats(x[r], y[r], n_slices)["median"]
            for r in rng.integers(0, len(y), size=(n_resamples, len(y)))
        ]
    )
    alpha = (1 - conf_level) / 2
    stats_["median_low"], stats_["median_high"] = np.quantile(boot, [alpha, 1 - alpha], axis=0)
    m = len(y) / n_slices
    c_alpha = np.sqrt(-0.5 * np.log(alpha))
    stats_["ks_critical"] = np.full(x.shape[1], c_alpha * np.sqrt((len(y) + m) / (len(y) * m)))
    return stats_


def _pawn_stats(x: np.ndarray, y: np.ndarray, n_slices: int) -> dict[str, np.ndarray]:
    y_sorted = np.sort(y)
    ks = [_ks_per_slice(y_sorted, y, _slices(x[:, i], n_slices)) for i in range(x.shape[1])]
    return {
        "median": np.array([np.median(k) for k in ks]),
        "mean": np.array([np.mean(k) for k in ks]),
        "max": np.array([np.max(k) for k in ks]),
        "min": np.array([np.min(k) for k in ks]),
    }


def is_discrete(values: np.ndarray, max_levels: int = 200) -> bool:
    """Whether an output takes integer values only (e.g. years), ``+inf`` allowed (censored)."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return False
    return bool(np.all(finite == np.round(finite)) and np.unique(finite).size <= max_levels)


__all__ = [
    "is_discrete",
    "morris_indices",
    "pawn_indices",
    "sobol_estimates",
    "sobol_indices",
    "split_blocks",
]
