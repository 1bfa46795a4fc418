"""Synthetic results stores and analytic test functions.

:func:`make_store` draws a SALib design, evaluates a plain function on it and writes a store in the
format of ``docs/store.md`` (``<out>/store.zarr``, ``<out>/manifest.json``,
``<out>/failures.jsonl``), with optional injected failures, written through
:mod:`uncertainty.store` exactly as the engine writes it. It lets the analysis be built and
tested without the run engine, on functions whose sensitivity indices are known exactly
(Ishigami, Sobol-G).

References
----------
Ishigami, T. & Homma, T. (1990). An importance quantification technique in uncertainty analysis for
computer models. ISUMA '90, 398-403.
Saltelli, A. & Sobol', I. M. (1995). About the use of rank transformation in sensitivity analysis of
model output. Reliability Engineering & System Safety, 50(3), 225-239 (the Sobol-G function).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from SALib.sample import latin, morris, sobol

from uncertainty import store

Outputs = Mapping[str, np.ndarray] | np.ndarray


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami function of three inputs uniform on [-pi, pi] (Ishigami & Homma 1990)."""
    x = np.asarray(x, dtype=float)
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """Analytic first-order and total Sobol indices of :func:`ishigami`."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    s1 = np.array([v1, v2, 0.0]) / var
    st = np.array([v1 + v13, v2, v13]) / var
    return {"S1": s1, "ST": st}


def sobol_g(x: np.ndarray, a: Sequence[float]) -> np.ndarray:
    """Sobol-G function of inputs uniform on [0, 1] (Saltelli & Sobol' 1995)."""
    x = np.asarray(x, dtype=float)
    a = np.asarray(a, dtype=float)
    return np.prod((np.abs(4 * x - 2) + a) / (1 + a), axis=1)


def sobol_g_indices(a: Sequence[float]) -> dict[str, np.ndarray]:
    """Analytic indices of :func:`sobol_g`: ``V_i = 1/(3 (1+a_i)^2)``, ``V = prod(1+V_i) - 1``."""
    v = 1.0 / (3.0 * (1.0 + np.asarray(a, dtype=float)) ** 2)
    total = np.prod(1 + v) - 1
    st = np.array([v[i] * np.prod(np.delete(1 + v, i)) for i in range(v.size)]) / total
    return {"S1": v / total, "ST": st}


def _problem(
    parameters: Mapping[str, tuple[float, float]], groups: Mapping[str, str] | None = None
) -> dict:
    names = list(parameters)
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [list(map(float, parameters[n])) for n in names],
    }
    if groups:
        problem["groups"] = [groups.get(n, n) for n in names]
    return problem


def draw_design(
    problem: dict,
    sampler: str,
    n: int,
    *,
    seed: int,
    second_order: bool = False,
    num_levels: int = 4,
) -> np.ndarray:
    """Draw a design matrix with SALib (``sobol``, ``morris``, ``lhs`` or ``mc``)."""
    if sampler == "sobol":
        return sobol.sample(problem, n, calc_second_order=second_order, seed=seed)
    if sampler == "morris":
        return morris.sample(problem, n, num_levels=num_levels, seed=seed)
    if sampler == "lhs":
        return latin.sample(problem, n, seed=seed)
    if sampler == "mc":
        rng = np.random.default_rng(seed)
        bounds = np.asarray(problem["bounds"], dtype=float)
        return bounds[:, 0] + rng.random((n, len(bounds))) * (bounds[:, 1] - bounds[:, 0])
    raise ValueError(f"unknown sampler {sampler!r}; expected sobol, morris, lhs or mc")


def _output_vars(
    outputs: Outputs,
    years: Sequence[int] | None,
    units: Mapping[str, str],
    attrs: Mapping[str, Mapping[str, Any]],
) -> dict[str, xr.DataArray]:
    if not isinstance(outputs, Mapping):
        outputs = {"y": outputs}
    result = {}
    for name, values in outputs.items():
        values = np.array(values, dtype=float)  # a copy: a model may return a view of its inputs
        dims = ("sample",) if values.ndim == 1 else ("sample", "year")
        da = xr.DataArray(values, dims=dims)
        if values.ndim == 2:
            da = da.assign_coords(year=np.asarray(years, dtype=int))
        if name in units:
            da.attrs["units"] = units[name]
        da.attrs.update(attrs.get(name, {}))
        result[name] = da
    return result


def build_store(
    func: Callable[[np.ndarray], Outputs],
    parameters: Mapping[str, tuple[float, float]],
    sampler: str = "sobol",
    n: int = 64,
    seed: int = 1,
    second_order: bool = False,
    *,
    failures: Mapping[int, int] | None = None,
    years: Sequence[int] | None = None,
    units: Mapping[str, str] | None = None,
    num_levels: int = 4,
    groups: Mapping[str, str] | None = None,
    attrs: Mapping[str, Mapping[str, Any]] | None = None,
) -> xr.Dataset:
    """Return an in-memory store (see :func:`make_store`) without writing it.

    It is the store the engine would write: written through :mod:`uncertainty.store` into a
    temporary folder and read back with :func:`uncertainty.store.open_results`.
    """
    with tempfile.TemporaryDirectory() as tmp:
        _write(
            func, parameters, sampler, n, seed, second_order, Path(tmp), failures=failures,
            years=years, units=units, num_levels=num_levels, groups=groups, attrs=attrs,
        )  # fmt: skip
        with xr.open_zarr(Path(tmp) / store.STORE) as ds:
            return ds.load()


def _write(
    func: Callable[[np.ndarray], Outputs],
    parameters: Mapping[str, tuple[float, float]],
    sampler: str,
    n: int,
    seed: int,
    second_order: bool,
    out: Path,
    *,
    failures: Mapping[int, int] | None,
    years: Sequence[int] | None,
    units: Mapping[str, str] | None,
    num_levels: int = 4,
    groups: Mapping[str, str] | None = None,
    attrs: Mapping[str, Mapping[str, Any]] | None = None,
    study_text: str = "",
) -> Path:
    problem = _problem(parameters, groups)
    x = draw_design(
        problem, sampler, n, seed=seed, second_order=second_order, num_levels=num_levels
    )
    status = np.full(len(x), store.Status.OK, dtype=np.int8)
    data = _output_vars(func(x), years, units or {}, attrs or {})
    for sid, code in (failures or {}).items():
        status[sid] = code
        for da in data.values():
            da[sid] = np.nan
    store_attrs = _attrs(problem, sampler, n, seed, second_order, num_levels)
    manifest = _manifest(store_attrs, study_text)
    return _write_dataset(out, x, problem["names"], store_attrs, manifest, data, status)


def _attrs(problem: dict, sampler: str, n: int, seed: int, second: bool, levels: int) -> dict:
    specs = [
        {"name": name, "unit": "1", "distribution": "uniform", "lower": lo, "upper": hi}
        for name, (lo, hi) in zip(problem["names"], problem["bounds"])
    ]
    attrs = {
        "study": "synthetic",
        "sampler": sampler,
        "n_base": int(n),
        "second_order": int(bool(second)),
        "seed": int(seed),
        "n_parameters": problem["num_vars"],
        "problem": json.dumps(problem),
        "parameters": json.dumps(specs),
    }
    if sampler == "morris":
        attrs.update(num_levels=int(levels), trajectories=int(n))
    return attrs


def _manifest(attrs: Mapping[str, Any], study_text: str) -> dict[str, Any]:
    """A manifest of the engine's shape for a synthetic study (no model, no code version)."""
    return {
        "study_file": None,
        "study_text": study_text,
        "study": {
            "name": attrs["study"],
            "model": None,
            "sampler": attrs["sampler"],
            "n": attrs["n_base"],
            "seed": attrs["seed"],
            "parameters": json.loads(attrs["parameters"]),
        },
        "seed": attrs["seed"],
        "synthetic": True,
    }


def _write_dataset(
    out: Path,
    x: np.ndarray,
    names: Sequence[str],
    attrs: Mapping[str, Any],
    manifest: dict[str, Any],
    data: Mapping[str, xr.DataArray],
    status: np.ndarray,
    sample_id: np.ndarray | None = None,
) -> Path:
    """Write a whole design as the engine does: create, add outputs, one batch, tidy failures."""
    n = len(x)
    store.create(out, inputs=x, parameters=list(names), attrs=dict(attrs), manifest=manifest,
                 chunk=n, sample_id=sample_id)  # fmt: skip
    schemas = {
        name: store.OutputSchema(
            tuple(str(d) for d in da.dims[1:]),
            tuple(da.shape[1:]),
            {str(d): np.asarray(da[d].values) for d in da.dims[1:] if d in da.coords},
            dict(da.attrs),
        )
        for name, da in data.items()
    }
    if schemas:
        store.add_outputs(out, n, n, schemas)
    done = status != store.Status.PENDING
    elapsed = np.where(done, 0.001, np.nan)
    ids = np.arange(n) if sample_id is None else np.asarray(sample_id)
    failures = [
        {"sample_id": int(ids[i]), "status": int(status[i]), "message": "injected"}
        for i in np.flatnonzero(done & (status != store.Status.OK))
    ]
    outputs = {name: np.asarray(da.values, dtype=float) for name, da in data.items()}
    store.write_batch(out, 0, status.astype(np.int8), elapsed, outputs, failures)
    store.finalize_failures(out)
    return out


def write_store(ds: xr.Dataset, out: str | Path, *, study_text: str = "") -> Path:
    """Write an in-memory store ``ds`` (e.g. from :func:`build_store`, possibly edited) to
    ``<out>/store.zarr`` with ``manifest.json`` and ``failures.jsonl``, through
    :mod:`uncertainty.store`."""
    attrs = {k: v for k, v in ds.attrs.items() if k != "manifest"}
    manifest = json.loads(ds.attrs.get("manifest", "{}") or "{}")
    if "study" not in manifest:
        manifest = _manifest(attrs, study_text)
    manifest["study_text"] = study_text
    data = {str(v): ds[v] for v in ds.data_vars if v not in store.BOOKKEEPING}
    x = np.asarray(ds["inputs"].transpose("sample", "parameter").values)
    names = [str(p) for p in ds["parameter"].values]
    status = np.asarray(ds["status"].values, dtype=np.int8)
    ids = np.asarray(ds["sample"].values)
    return _write_dataset(Path(out), x, names, attrs, manifest, data, status, ids)


def make_store(
    func: Callable[[np.ndarray], Outputs],
    parameters: Mapping[str, tuple[float, float]],
    sampler: str = "sobol",
    n: int = 64,
    seed: int = 1,
    second_order: bool = False,
    out: str | Path = "results/synthetic",
    *,
    failures: Mapping[int, int] | None = None,
    years: Sequence[int] | None = None,
    units: Mapping[str, str] | None = None,
    study_text: str = "",
    groups: Mapping[str, str] | None = None,
    attrs: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Draw a SALib design, evaluate ``func`` on it and write a results store.

    Parameters
    ----------
    func : callable
        Maps the design matrix (n_samples, n_parameters) to one output array (named ``y``) or a
        mapping of output name to an array (n_samples,) for scalars or (n_samples, n_years) for
        trajectories over ``years``.
    parameters : mapping
        Parameter name to (lower, upper) bounds of a uniform distribution, in study order.
    sampler : {'sobol', 'morris', 'lhs', 'mc'}
        The design; ``n`` is the base sample size (Sobol), trajectories (Morris) or rows.
    n, seed, second_order
        Design size, design seed and whether a Sobol design carries second-order rows.
    out : path
        Output directory; ``store.zarr`` is written inside it.
    failures : mapping, optional
        Sample id to a status code (2 error, 3 timeout, 4 crashed, 0 pending) to inject: the outputs
        of those samples become NaN, as the engine writes them.
    years : sequence of int, optional
        The ``year`` coordinate of 2-D outputs.
    units : mapping, optional
        Output name to its ``units`` attribute.
    study_text : str
        Study-file text stored in the manifest (it may hold an ``[analysis]`` table).
    groups : mapping, optional
        Parameter name to its Sobol/Morris group (SALib's ``groups``); others form their own.
    attrs : mapping, optional
        Output name to extra attributes of its variable (e.g. ``{"censored_at": 2060}``).

    Returns
    -------
    pathlib.Path
        The output directory.
    """
    return _write(
        func, parameters, sampler, n, seed, second_order, Path(out), failures=failures,
        years=years, units=units, groups=groups, attrs=attrs, study_text=study_text,
    )  # fmt: skip
