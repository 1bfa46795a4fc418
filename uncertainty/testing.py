"""Synthetic results stores and analytic test functions.

:func:`make_store` draws a SALib design, evaluates a plain function on it and writes a store in the
format of ``docs/store.md`` (``<out>/store.zarr``, ``<out>/manifest.json``,
``<out>/failures.jsonl``), with optional injected failures. It lets the analysis be built and
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
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from SALib.sample import latin, morris, sobol

STATUS_FLAGS = {0: "pending", 1: "ok", 2: "error", 3: "timeout", 4: "crashed"}

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


def _problem(parameters: Mapping[str, tuple[float, float]]) -> dict:
    names = list(parameters)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [list(map(float, parameters[n])) for n in names],
    }


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
    outputs: Outputs, years: Sequence[int] | None, units: Mapping[str, str]
) -> dict[str, xr.DataArray]:
    if not isinstance(outputs, Mapping):
        outputs = {"y": outputs}
    result = {}
    for name, values in outputs.items():
        values = np.asarray(values, dtype=float)
        dims = ("sample",) if values.ndim == 1 else ("sample", "year")
        da = xr.DataArray(values, dims=dims)
        if values.ndim == 2:
            da = da.assign_coords(year=np.asarray(years, dtype=int))
        if name in units:
            da.attrs["units"] = units[name]
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
) -> xr.Dataset:
    """Return an in-memory store (see :func:`make_store`) without writing it."""
    problem = _problem(parameters)
    x = draw_design(
        problem, sampler, n, seed=seed, second_order=second_order, num_levels=num_levels
    )
    status = np.ones(len(x), dtype=np.int8)
    data = _output_vars(func(x), years, units or {})
    for sid, code in (failures or {}).items():
        status[sid] = code
        for da in data.values():
            da[sid] = np.nan
    ds = xr.Dataset(data)
    ds["inputs"] = xr.DataArray(x, dims=("sample", "parameter"))
    ds["status"] = xr.DataArray(status, dims="sample")
    ds["status"].attrs.update(
        flag_values=list(STATUS_FLAGS), flag_meanings=" ".join(STATUS_FLAGS.values())
    )
    elapsed = np.where(status == 0, np.nan, 0.001)
    ds["elapsed"] = xr.DataArray(elapsed, dims="sample", attrs={"units": "s"})
    ds = ds.assign_coords(sample=np.arange(len(x)), parameter=problem["names"])
    ds.attrs.update(_attrs(problem, sampler, n, seed, second_order, num_levels))
    return ds


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
        "manifest": json.dumps({"study_text": "", "seed": int(seed)}),
    }
    if sampler == "morris":
        attrs.update(num_levels=int(levels), trajectories=int(n))
    return attrs


def write_store(ds: xr.Dataset, out: str | Path, *, study_text: str = "") -> Path:
    """Write ``ds`` as ``<out>/store.zarr`` with ``manifest.json`` and ``failures.jsonl``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads(ds.attrs.get("manifest", "{}"))
    manifest["study_text"] = study_text
    ds = ds.copy()
    ds.attrs["manifest"] = json.dumps(manifest)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr v3: string dtypes and consolidated metadata
        ds.to_zarr(out / "store.zarr", mode="w")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    lines = [
        json.dumps({"sample_id": int(s), "status": STATUS_FLAGS[int(c)], "message": "injected"})
        for s, c in zip(ds["sample"].values, ds["status"].values)
        if c not in (0, 1)
    ]
    (out / "failures.jsonl").write_text("".join(line + "\n" for line in lines))
    return out


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

    Returns
    -------
    pathlib.Path
        The output directory.
    """
    ds = build_store(
        func,
        parameters,
        sampler,
        n,
        seed,
        second_order,
        failures=failures,
        years=years,
        units=units,
    )
    return write_store(ds, out, study_text=study_text)
