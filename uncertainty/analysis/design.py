"""Designs as the analysis sees them: reading a store, row roles, independent rows, failures.

A store (``docs/store.md``) holds one row per design row, keyed by ``sample_id``. Everything here
puts rows back in design order first, because SALib-style estimators read rows by position.

Row roles of a Sobol design (Saltelli 2010): SALib stacks, for each base row ``j``, a block
``A_j, AB_j^1..AB_j^D, [BA_j^1..BA_j^D,] B_j``. The ``A`` and ``B`` rows are independent draws and
the only ones used for probabilities and quantiles. The first ``n`` blocks of a Sobol design of base
size ``N`` are a valid design of base size ``n`` when ``n`` is a power of two (nested sub-designs).

Failure policy
--------------
A failed sample (status other than ok, or a non-finite value of the output analysed) is never
dropped silently. Columns of a trajectory that no successful sample defines (a CO2 price before the
neutrality year) are undefined by definition, not failures. For Sobol and Morris:

- ``refuse`` (default): raise :class:`FailedSamplesError` listing the failed sample ids;
- ``drop-blocks``: drop every whole base block (Sobol) or trajectory (Morris) that contains a
  failure; the indices are then conditional on the model succeeding, which biases them when
  failures depend on the inputs.

Given-data methods (PAWN, probabilities, quantiles) use the successful independent rows and state
the conditioning.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Design and
estimator for the total sensitivity index. Computer Physics Communications, 181(2), 259-270.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from uncertainty.errors import AnalysisError
from uncertainty.store import BOOKKEEPING, Status, status_name

POLICIES = ("refuse", "drop-blocks")


class FailedSamplesError(AnalysisError):
    """Failed samples met the ``refuse`` policy; carries the failed sample ids."""

    def __init__(self, output: str, sample_ids: list[int]):
        super().__init__(output, sample_ids)
        self.output = output
        self.sample_ids = list(sample_ids)

    def __str__(self) -> str:
        ids = ", ".join(map(str, self.sample_ids[:50]))
        more = f" (+{len(self.sample_ids) - 50} more)" if len(self.sample_ids) > 50 else ""
        what = "every output" if self.output == "*" else f"output '{self.output}'"
        return (
            f"{len(self.sample_ids)} failed sample(s) for {what} under policy "
            f"'refuse': sample_id {ids}{more}; re-run them, or pass --policy drop-blocks to drop "
            "their whole base blocks (results are then conditional on success)"
        )


@dataclass(frozen=True)
class Layout:
    """What the analysis needs to know about a design.

    Attributes
    ----------
    sampler : str
        ``sobol``, ``morris``, ``lhs`` or ``mc``.
    n_samples : int
        Rows in the store.
    n_parameters : int
        D, the number of parameters (or groups).
    n_base : int
        Sobol base size N, Morris trajectories, or rows of an LHS/MC design.
    second_order : bool
        Whether a Sobol design carries the ``BA`` rows.
    factors : tuple of str
        Labels of the D factors: the parameter names, or the group names of a grouped design
        (in SALib's order: first appearance in the study).
    """

    sampler: str
    n_samples: int
    n_parameters: int
    n_base: int
    second_order: bool
    factors: tuple[str, ...] = ()

    @property
    def block_size(self) -> int:
        """Rows per base block (Sobol), per trajectory (Morris), else 1."""
        if self.sampler == "sobol":
            return 2 * self.n_parameters + 2 if self.second_order else self.n_parameters + 2
        if self.sampler == "morris":
            return self.n_parameters + 1
        return 1


def design_of(ds: xr.Dataset) -> Layout:
    """Read the design description from a store's attributes and check it against its size."""
    factors = factor_labels(ds)
    design = Layout(
        sampler=str(ds.attrs.get("sampler", "mc")),
        n_samples=int(ds.sizes["sample"]),
        n_parameters=len(factors),
        n_base=int(ds.attrs.get("n_base", ds.sizes["sample"])),
        second_order=bool(int(ds.attrs.get("second_order", 0))),
        factors=factors,
    )
    if design.sampler in ("sobol", "morris") and design.n_samples % design.block_size:
        raise AnalysisError(
            f"{design.sampler} store has {design.n_samples} rows, not a multiple of its block size "
            f"{design.block_size} (D={design.n_parameters}); the store is incomplete or mislabelled"
        )
    expected = np.arange(design.n_samples)
    if not np.array_equal(np.asarray(ds["sample"].values), expected):
        raise AnalysisError("store sample ids are not 0..n_samples-1; cannot restore design order")
    return design


def factor_labels(ds: xr.Dataset) -> tuple[str, ...]:
    """The D factors of a store's design: its parameters, or its groups when the study grouped
    parameters (``group = ...``), each group once in order of first appearance as SALib does."""
    names = tuple(str(p) for p in ds["parameter"].values)
    problem = json.loads(ds.attrs.get("problem", "{}") or "{}")
    groups = problem.get("groups")
    if not groups:
        return names
    if len(groups) != len(names):
        raise AnalysisError(
            f"store attribute 'problem' has {len(groups)} group labels for {len(names)} parameters"
        )
    return tuple(dict.fromkeys(str(g) for g in groups))


def grouped(design: Layout, ds: xr.Dataset) -> bool:
    """Whether the factors are groups of parameters rather than the parameters themselves."""
    return design.factors != tuple(str(p) for p in ds["parameter"].values)


def output_names(ds: xr.Dataset) -> list[str]:
    """Every output variable of a store (all data variables except the bookkeeping ones)."""
    return [str(v) for v in ds.data_vars if v not in BOOKKEEPING and "sample" in ds[v].dims]


def row_roles(design: Layout) -> np.ndarray:
    """Role of every row: ``A``, ``AB``, ``BA``, ``B`` (Sobol), ``trajectory`` (Morris), ``row``."""
    if design.sampler == "sobol":
        d = design.n_parameters
        block = ["A"] + ["AB"] * d + (["BA"] * d if design.second_order else []) + ["B"]
        return np.tile(np.array(block), design.n_samples // design.block_size)
    if design.sampler == "morris":
        return np.full(design.n_samples, "trajectory")
    return np.full(design.n_samples, "row")


def block_of(design: Layout) -> np.ndarray:
    """Base block (Sobol), trajectory (Morris) or row index of every row."""
    return np.arange(design.n_samples) // design.block_size


def independent_rows(design: Layout) -> np.ndarray:
    """Mask of independent rows: A and B of a Sobol design, every LHS/MC row, no Morris row."""
    roles = row_roles(design)
    if design.sampler == "morris":
        return np.zeros(design.n_samples, dtype=bool)
    return np.isin(roles, ["A", "B", "row"])


def nested_sizes(design: Layout, smallest: int = 8) -> list[int]:
    """Base sizes of the nested sub-designs: powers of two from ``smallest`` up to N (and N)."""
    n_blocks = design.n_samples // design.block_size
    sizes = [2**k for k in range(int(np.log2(max(smallest, 1))), 63) if 2**k < n_blocks]
    return sizes + [n_blocks]


def subdesign(design: Layout, n_blocks: int) -> Layout:
    """The design made of the first ``n_blocks`` base blocks."""
    return Layout(
        design.sampler,
        n_blocks * design.block_size,
        design.n_parameters,
        n_blocks,
        design.second_order,
        design.factors,
    )


def censored_at(ds: xr.Dataset, output: str) -> float | None:
    """The year an event-time output's ``+inf`` stands for ("not by then"), None if it has none.

    Read from the variable's ``censored_at`` attribute (set by the model, e.g. ``peak_year``).
    """
    value = ds[output].attrs.get("censored_at")
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def failed_mask(ds: xr.Dataset, output: str | None = None) -> np.ndarray:
    """Rows whose status is not ok or, with ``output``, whose value of it is missing.

    Missing means NaN or infinite, except ``+inf`` in an output with a ``censored_at`` attribute:
    that is a censored event time (data), not a failure.
    """
    bad = np.asarray(ds["status"].values) != Status.OK
    if output is not None:
        values = np.asarray(ds[output].values, dtype=float).reshape(ds.sizes["sample"], -1)
        finite = np.isfinite(values)
        if censored_at(ds, output) is not None:
            finite |= np.isposinf(values)
        # a column (e.g. a year) that no successful sample defines is undefined by definition
        # (a CO2 price before the neutrality year), not a failure of every sample
        defined = finite[~bad].any(axis=0) if (~bad).any() else np.ones(values.shape[1], bool)
        if not defined.any():  # no sample defines any of it: it failed everywhere
            defined[:] = True
        bad |= ~finite[:, defined].all(axis=1)
    return bad


def keep_blocks(design: Layout, bad: np.ndarray, output: str, policy: str) -> np.ndarray:
    """Apply the failure policy to block-structured designs; return the kept base-block indices.

    Raises
    ------
    FailedSamplesError
        Under ``refuse`` when any row failed.
    """
    if policy not in POLICIES:
        raise AnalysisError(f"unknown failure policy {policy!r}; expected one of {POLICIES}")
    n_blocks = design.n_samples // design.block_size
    if not bad.any():
        return np.arange(n_blocks)
    if policy == "refuse":
        raise FailedSamplesError(output, np.flatnonzero(bad).tolist())
    dropped = np.unique(block_of(design)[bad])
    return np.setdiff1d(np.arange(n_blocks), dropped)


def rows_of_blocks(design: Layout, blocks: np.ndarray) -> np.ndarray:
    """Row positions (design order) of the given base blocks."""
    size = design.block_size
    return (np.asarray(blocks)[:, None] * size + np.arange(size)).ravel()


def failure_table(ds: xr.Dataset, messages: dict[int, str] | None = None) -> pd.DataFrame:
    """One line per failed row: status failures, then non-finite values of single outputs.

    Columns: ``sample_id, status, output, block, role, message`` (``output`` is ``*`` for a failed
    sample, else the output whose value is not finite although the sample succeeded).
    """
    design = design_of(ds)
    roles, blocks = row_roles(design), block_of(design)
    messages = messages or {}
    rows = []
    status = np.asarray(ds["status"].values)
    for i in np.flatnonzero(status != Status.OK):
        name = status_name(status[i])
        rows.append((i, name, "*", blocks[i], roles[i], messages.get(int(i), "")))
    for out in output_names(ds):
        for i in np.flatnonzero(failed_mask(ds, out) & (status == Status.OK)):
            rows.append((i, "ok", out, blocks[i], roles[i], "non-finite output value"))
    columns = ["sample_id", "status", "output", "block", "role", "message"]
    return pd.DataFrame(rows, columns=columns).astype({"sample_id": int, "block": int})
