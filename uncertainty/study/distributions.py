"""Probability distributions of uncertain parameters, with explicit fields.

Every distribution maps a point ``u`` of the unit interval to a value in its natural unit
through its inverse cumulative distribution function (``ppf``), so that every sampler (Sobol,
Morris, LHS, Monte Carlo) draws in the unit hypercube and every distribution works with every
sampler. SALib's overloaded ``bounds`` never appear here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from uncertainty.errors import StudyError

logger = logging.getLogger(__name__)

#: unbounded distributions clip ``u`` to [EPS, 1 - EPS] so that no sample is infinite
EPS = 1e-12


@dataclass(frozen=True)
class Uniform:
    """Uniform on [lower, upper]."""

    lower: float
    upper: float
    kind: ClassVar[str] = "uniform"
    bounded: ClassVar[bool] = True

    def check(self, where: str) -> None:
        """Raise StudyError naming ``where`` if the fields are inconsistent."""
        _ordered(where, "lower", self.lower, "upper", self.upper)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the values at unit-interval points ``u``."""
        return self.lower + (self.upper - self.lower) * np.asarray(u, dtype=float)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Return the unit-interval points of values ``x`` (the inverse of :meth:`ppf`)."""
        return np.clip((np.asarray(x, dtype=float) - self.lower) / (self.upper - self.lower), 0, 1)


@dataclass(frozen=True)
class Triangular:
    """Triangular on [lower, upper] with its mode."""

    lower: float
    mode: float
    upper: float
    kind: ClassVar[str] = "triangular"
    bounded: ClassVar[bool] = True

    def check(self, where: str) -> None:
        """Raise StudyError naming ``where`` if the fields are inconsistent."""
        _ordered(where, "lower", self.lower, "upper", self.upper)
        if not self.lower <= self.mode <= self.upper:
            raise StudyError(f"{where}: mode = {self.mode} must lie within [lower, upper]")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the values at unit-interval points ``u``."""
        from scipy import stats  # imported here: worker processes start faster without it

        width = self.upper - self.lower
        c = (self.mode - self.lower) / width
        return stats.triang.ppf(u, c, loc=self.lower, scale=width)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Return the unit-interval points of values ``x`` (the inverse of :meth:`ppf`)."""
        from scipy import stats

        width = self.upper - self.lower
        return stats.triang.cdf(x, (self.mode - self.lower) / width, loc=self.lower, scale=width)


@dataclass(frozen=True)
class Normal:
    """Normal with mean and standard deviation (std)."""

    mean: float
    std: float
    kind: ClassVar[str] = "normal"
    bounded: ClassVar[bool] = False

    def check(self, where: str) -> None:
        """Raise StudyError naming ``where`` if the fields are inconsistent."""
        _positive(where, "std", self.std)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the values at unit-interval points ``u``."""
        from scipy import stats

        return stats.norm.ppf(np.clip(u, EPS, 1 - EPS), loc=self.mean, scale=self.std)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Return the unit-interval points of values ``x`` (the inverse of :meth:`ppf`)."""
        from scipy import stats

        return stats.norm.cdf(x, loc=self.mean, scale=self.std)


@dataclass(frozen=True)
class TruncatedNormal:
    """Normal(mean, std) truncated to [lower, upper]."""

    mean: float
    std: float
    lower: float
    upper: float
    kind: ClassVar[str] = "truncnormal"
    bounded: ClassVar[bool] = True

    def check(self, where: str) -> None:
        """Raise StudyError naming ``where`` if the fields are inconsistent."""
        _positive(where, "std", self.std)
        _ordered(where, "lower", self.lower, "upper", self.upper)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the values at unit-interval points ``u``."""
        from scipy import stats

        a = (self.lower - self.mean) / self.std
        b = (self.upper - self.mean) / self.std
        return stats.truncnorm.ppf(u, a, b, loc=self.mean, scale=self.std)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Return the unit-interval points of values ``x`` (the inverse of :meth:`ppf`)."""
        from scipy import stats

        a = (self.lower - self.mean) / self.std
        b = (self.upper - self.mean) / self.std
        return stats.truncnorm.cdf(x, a, b, loc=self.mean, scale=self.std)


@dataclass(frozen=True)
class LogNormal:
    """Lognormal: ln X is normal with mean ``log_mean`` and standard deviation ``log_std``."""

    log_mean: float
    log_std: float
    kind: ClassVar[str] = "lognormal"
    bounded: ClassVar[bool] = False

    def check(self, where: str) -> None:
        """Raise StudyError naming ``where`` if the fields are inconsistent."""
        _positive(where, "log_std", self.log_std)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the values at unit-interval points ``u``."""
        from scipy import stats

        u = np.clip(u, EPS, 1 - EPS)
        return stats.lognorm.ppf(u, self.log_std, scale=math.exp(self.log_mean))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Return the unit-interval points of values ``x`` (the inverse of :meth:`ppf`)."""
        from scipy import stats

        return stats.lognorm.cdf(x, self.log_std, scale=math.exp(self.log_mean))


@dataclass(frozen=True)
class Choice:
    """A discrete choice among ``choices`` with optional ``weights`` (equal by default).

    Stored inputs hold the chosen value when all choices are numbers, else its index in ``choices``;
    the model always receives the chosen value itself.
    """

    choices: tuple[Any, ...]
    weights: tuple[float, ...] | None = None
    kind: ClassVar[str] = "choice"
    bounded: ClassVar[bool] = True

    def check(self, where: str) -> None:
        """Raise StudyError naming ``where`` if the fields are inconsistent."""
        if len(self.choices) == 0:
            raise StudyError(f"{where}: choices must list at least one value")
        if self.weights is not None:
            if len(self.weights) != len(self.choices):
                raise StudyError(f"{where}: weights must have one entry per choice")
            if any(not math.isfinite(w) for w in self.weights):
                raise StudyError(f"{where}: weights must be finite numbers, got {self.weights}")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise StudyError(f"{where}: weights must be >= 0 with a positive sum")

    @property
    def numeric(self) -> bool:
        """Whether every choice is a number (then inputs store the value, else the index)."""
        return all(_is_number(c) for c in self.choices)

    def index(self, u: np.ndarray) -> np.ndarray:
        """Return the index of the choice at unit-interval points ``u``."""
        w = np.ones(len(self.choices)) if self.weights is None else np.asarray(self.weights, float)
        edges = np.cumsum(w) / w.sum()
        return np.minimum(np.searchsorted(edges, u, side="right"), len(self.choices) - 1)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the stored values (choice value if numeric, else index) at points ``u``."""
        idx = self.index(np.asarray(u, dtype=float))
        if self.numeric:
            return np.asarray(self.choices, dtype=float)[idx]
        return idx.astype(float)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Return the middle of each stored value's interval of the unit line."""
        w = np.ones(len(self.choices)) if self.weights is None else np.asarray(self.weights, float)
        edges = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
        x = np.asarray(x, dtype=float)
        if self.numeric:
            values = np.asarray(self.choices, dtype=float)
            idx = np.argmin(np.abs(values[None, :] - x.reshape(-1, 1)), axis=1).reshape(x.shape)
        else:
            idx = np.rint(x).astype(int)
        return (edges[idx] + edges[idx + 1]) / 2

    def model_value(self, x: float) -> Any:
        """Return the choice itself for a stored input value ``x``."""
        if self.numeric:
            values = np.asarray(self.choices, dtype=float)
            return self.choices[int(np.argmin(np.abs(values - x)))]
        return self.choices[int(round(x))]


Distribution = Uniform | Triangular | Normal | TruncatedNormal | LogNormal | Choice

#: distribution name -> (class, required fields, optional fields)
DISTRIBUTIONS: dict[str, tuple[type, tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (Uniform, ("lower", "upper"), ()),
    "triangular": (Triangular, ("lower", "mode", "upper"), ()),
    "normal": (Normal, ("mean", "std"), ()),
    "truncnormal": (TruncatedNormal, ("mean", "std", "lower", "upper"), ()),
    "lognormal": (LogNormal, ("log_mean", "log_std"), ()),
    "choice": (Choice, ("choices",), ("weights",)),
}


def make_distribution(kind: str, fields: dict[str, Any], where: str) -> Distribution:
    """Build and check a distribution from its name and fields.

    Parameters
    ----------
    kind : str
        One of :data:`DISTRIBUTIONS`.
    fields : dict
        The distribution's fields (numbers, or ``choices``/``weights`` lists for a choice).
    where : str
        Where the definition comes from (file and table), used in error messages.

    Returns
    -------
    Distribution
        A frozen distribution object.
    """
    if kind not in DISTRIBUTIONS:
        raise StudyError(
            f"{where}: unknown distribution {kind!r}; known: {', '.join(DISTRIBUTIONS)}"
        )
    cls, required, optional = DISTRIBUTIONS[kind]
    for key in required:
        if key not in fields:
            raise StudyError(f"{where}: distribution {kind!r} needs key {key!r}")
    values: dict[str, Any] = {}
    for key in required + optional:
        if key in fields:
            values[key] = _field_value(where, key, fields[key])
    dist = cls(**values)
    dist.check(where)
    _check_finite_range(dist, where)
    return dist


def _check_finite_range(dist: Distribution, where: str) -> None:
    """Refuse a distribution whose values overflow (e.g. a lognormal with ``log_mean = 1000``)."""
    try:
        with np.errstate(all="ignore"):
            ends = np.asarray(dist.ppf(np.array([EPS, 0.5, 1 - EPS])), dtype=float)
    except (OverflowError, ValueError, FloatingPointError) as exc:
        raise StudyError(f"{where}: its values cannot be computed ({exc})") from None
    if not np.all(np.isfinite(ends)):
        raise StudyError(
            f"{where}: its values overflow to infinity (quantiles {ends.tolist()}); "
            "check the fields (a lognormal's log_mean is the mean of ln X)"
        )


def distribution_fields(dist: Distribution) -> dict[str, Any]:
    """Return the distribution's name and fields as a plain dict (for JSON)."""
    out: dict[str, Any] = {"distribution": dist.kind}
    out.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(dist).items()})
    return {k: v for k, v in out.items() if v is not None}


def _field_value(where: str, key: str, value: Any) -> Any:
    if key == "choices":
        if not isinstance(value, list | tuple):
            raise StudyError(f"{where}: choices: expected a list, got {value!r}")
        return tuple(value)
    if key == "weights":
        if not isinstance(value, list | tuple) or not all(_is_number(w) for w in value):
            raise StudyError(f"{where}: weights: expected a list of numbers, got {value!r}")
        return tuple(float(w) for w in value)
    if not _is_number(value):
        raise StudyError(f"{where}: {key}: expected a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise StudyError(f"{where}: {key}: expected a finite number, got {value!r}")
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _ordered(where: str, lo_name: str, lo: float, hi_name: str, hi: float) -> None:
    if not lo < hi:
        raise StudyError(f"{where}: {lo_name} = {lo} must be less than {hi_name} = {hi}")


def _positive(where: str, name: str, value: float) -> None:
    if not value > 0:
        raise StudyError(f"{where}: {name} = {value} must be positive")
