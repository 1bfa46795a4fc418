"""Probabilities and quantiles from independent rows, with Wilson intervals.

Every probability here is an estimate from independent rows (the A and B rows of a Sobol design, or
every row of an LHS/MC design), conditional on the sample having succeeded, and it depends on the
priors of the study. The Wilson score interval assumes independent Bernoulli draws: for
quasi-random (Sobol) or stratified (LHS) rows the true sampling error is usually smaller, so the
interval is approximate (conservative in the usual case).

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
Journal of the American Statistical Association, 22(158), 209-212.
Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. The American
Statistician, 50(4), 361-365.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from uncertainty.analysis.events import censored, compare

#: default quantiles, in percent
DEFAULT_QUANTILES = (5, 25, 50, 75, 95)


def wilson_interval(k: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n`` (Wilson 1927).

    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)`` with ``z`` the normal quantile of
    ``(1 + conf_level) / 2``. Returns ``(nan, nan)`` when ``n == 0``.
    """
    if n == 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + conf_level / 2)
    p = k / n
    centre = p + z**2 / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    denom = 1 + z**2 / n
    return float(max(0.0, (centre - half) / denom)), float(min(1.0, (centre + half) / denom))


def probability(values: np.ndarray, op: str, value: float, conf_level: float = 0.95) -> dict:
    """Estimate ``P(values <op> value)`` from the non-NaN values with a Wilson interval.

    Censored values (``+inf``) take part in the comparison as "later than any year", so
    ``P(event <= 2030)`` counts them as "not by 2030". NaN (failed) values are excluded and counted.

    Returns
    -------
    dict
        ``p, p_low, p_high, k, n, n_missing, n_censored``.
    """
    v = np.asarray(values, dtype=float)
    valid = ~np.isnan(v)
    k = int(compare(v[valid], op, value).sum())
    n = int(valid.sum())
    low, high = wilson_interval(k, n, conf_level)
    return {
        "p": k / n if n else float("nan"),
        "p_low": low,
        "p_high": high,
        "k": k,
        "n": n,
        "n_missing": int((~valid).sum()),
        "n_censored": int(censored(v).sum()),
    }


def quantiles(values: np.ndarray, q: tuple[float, ...] = DEFAULT_QUANTILES) -> np.ndarray:
    """Quantiles (``q`` in percent) of the non-NaN values along axis 0.

    Without censored values: linear interpolation (Hyndman & Fan type 7). With censored values
    (``+inf``) anywhere: the inverted empirical CDF (type 1), so a quantile is either an observed
    value or ``+inf`` ("not within the horizon"), never an interpolation towards infinity.
    """
    v = np.asarray(values, dtype=float)
    method = "inverted_cdf" if censored(v).any() else "linear"
    if v.ndim == 1:
        v = v[~np.isnan(v)]
        if v.size == 0:
            return np.full(len(q), np.nan)
        return np.quantile(v, np.asarray(q) / 100, method=method)
    return np.stack([quantiles(col, q) for col in v.reshape(len(v), -1).T], axis=-1).reshape(
        (len(q),) + v.shape[1:]
    )


def cdf_table(values: np.ndarray, years: np.ndarray, conf_level: float = 0.95) -> pd.DataFrame:
    """``P(values <= Y)`` for every ``Y`` in ``years`` with Wilson intervals.

    Columns: ``value, p, p_low, p_high, k, n, n_missing, n_censored``.
    """
    rows = [{"value": float(y), **probability(values, "<=", float(y), conf_level)} for y in years]
    return pd.DataFrame(rows)


def group_labels(x: np.ndarray, edges: list[float]) -> np.ndarray:
    """Labels ``[lo, hi)`` of the bins of ``x`` given by ``edges``; outside the edges: ``""``.

    The last bin is closed, ``[lo, hi]``.
    """
    x = np.asarray(x, dtype=float)
    edges = list(map(float, edges))
    labels = np.full(x.shape, "", dtype=object)
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        last = i == len(edges) - 2
        inside = (x >= lo) & ((x <= hi) if last else (x < hi))
        labels[inside] = f"[{lo:g}, {hi:g}{']' if last else ')'}"
    return labels


def grouped_probability(
    values: np.ndarray,
    x: np.ndarray,
    edges: list[float],
    op: str,
    value: float,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """``P(values <op> value)`` within each bin of a parameter ``x``, with Wilson intervals.

    Columns: ``group, p, p_low, p_high, k, n, n_missing, n_censored``.
    """
    labels = group_labels(x, edges)
    order = group_labels(np.asarray(edges[:-1], dtype=float), edges)
    rows = []
    for label in order:
        inside = labels == label
        rows.append(
            {"group": label, **probability(np.asarray(values)[inside], op, value, conf_level)}
        )
    return pd.DataFrame(rows)
