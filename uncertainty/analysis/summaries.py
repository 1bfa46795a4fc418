"""Summary tables from independent rows: event times, quantiles, probabilities (with groups).

Only independent rows are used (the A and B rows of a Sobol design, every LHS/MC row); failed rows
are excluded and counted, so every number is conditional on the model succeeding. Wilson intervals
are exact in their assumptions only for independent random rows; for quasi-random Sobol rows or LHS
rows they are approximate (usually conservative). See :mod:`uncertainty.analysis.probability`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from uncertainty.analysis.design import Layout, independent_rows
from uncertainty.analysis.events import event_year
from uncertainty.analysis.probability import grouped_probability, probability, quantiles
from uncertainty.analysis.spec import AnalysisSpec, ProbabilitySpec
from uncertainty.store import Status

SUMMARY_COLUMNS = ["output", "year", "statistic", "value", "conf_low", "conf_high"]
SUMMARY_COLUMNS += ["n", "n_excluded", "n_censored"]
PROB_COLUMNS = ["statement", "output", "year", "op", "threshold", "group_parameter", "group"]
PROB_COLUMNS += ["p", "p_conf_low", "p_conf_high", "k", "n", "n_excluded", "n_censored"]
PROB_COLUMNS += ["conditioning"]


def event_times(ds: xr.Dataset, spec: AnalysisSpec) -> xr.Dataset:
    """Event-time outputs over all rows: declared events plus stored ``*_year`` scalar outputs.

    Censored (not within the horizon) is ``+inf``; failed samples NaN.
    """
    result = xr.Dataset(coords={"sample": ds["sample"]})
    for name in ds.data_vars:
        if str(name).endswith("_year") and ds[name].dims == ("sample",):
            result[name] = ds[name].astype(float)
    for e in spec.events:
        da = ds[e.output].where(ds["status"] == Status.OK)
        result[e.name] = event_year(da, e.op, e.value)
    for name in result.data_vars:
        result[name].attrs.setdefault("units", "year")
    return result


def conditioning(design: Layout, n_excluded: int) -> str:
    """The statement of what a given-data estimate is conditional on."""
    rows = "A and B rows of the Sobol design" if design.sampler == "sobol" else "all rows"
    kind = {"sobol": "quasi-random", "lhs": "stratified"}.get(design.sampler, "random")
    note = f"{rows} ({kind}; Wilson interval approximate)" if kind != "random" else rows
    if n_excluded:
        note += f"; {n_excluded} failed row(s) excluded: conditional on the model succeeding"
    return note


def _columns(ds: xr.Dataset, name: str, rows: np.ndarray) -> list[tuple[int | None, np.ndarray]]:
    da = ds[name].transpose("sample", ...)
    values = np.asarray(da.values, dtype=float)[rows]
    if da.dims == ("sample",):
        return [(None, values)]
    if da.dims == ("sample", "year"):
        return [(int(y), values[:, i]) for i, y in enumerate(da["year"].values)]
    return []


def summary_table(
    ds: xr.Dataset,
    design: Layout,
    spec: AnalysisSpec,
    outputs: list[str],
    probs: pd.DataFrame,
) -> pd.DataFrame:
    """Quantiles of every output (scalar, per year, event times) plus the declared probabilities.

    Columns: ``output, year, statistic, value, conf_low, conf_high, n, n_excluded, n_censored``;
    statistic ``q5`` ... for quantiles (no interval), the probability statement for probabilities
    (Wilson interval).
    """
    rows = independent_rows(design)
    events = event_times(ds, spec)
    extra = {str(v): events[v] for v in events.data_vars if v not in outputs}
    source = ds[outputs].assign(extra)
    records = []
    for name in list(outputs) + [str(v) for v in events.data_vars if v not in outputs]:
        for year, values in _columns(source, name, rows):
            qs = quantiles(values, spec.quantiles)
            base = {"output": name, "year": year, "n": int((~np.isnan(values)).sum())}
            base["n_excluded"] = int(np.isnan(values).sum())
            base["n_censored"] = int(np.isposinf(values).sum())
            for q, v in zip(spec.quantiles, qs):
                records.append({**base, "statistic": f"q{q:g}", "value": v})
    declared = probs[probs["group"].isna() & probs["declared"]] if len(probs) else probs
    for _, p in declared.iterrows():
        records.append(
            {
                "output": p["output"],
                "year": p["year"],
                "statistic": p["statement"],
                "value": p["p"],
                "conf_low": p["p_conf_low"],
                "conf_high": p["p_conf_high"],
                "n": p["n"],
                "n_excluded": p["n_excluded"],
                "n_censored": p["n_censored"],
            }
        )
    frame = pd.DataFrame(records, columns=SUMMARY_COLUMNS)
    return frame.astype({"year": "Int64"})


def _select(ds: xr.Dataset, events: xr.Dataset, p: ProbabilitySpec) -> np.ndarray:
    da = events[p.output] if p.output in events else ds[p.output]
    if p.year is not None:
        da = da.sel(year=p.year)
    return np.asarray(da.values, dtype=float)


def probabilities_table(
    ds: xr.Dataset, design: Layout, spec: AnalysisSpec, conf_level: float = 0.95
) -> pd.DataFrame:
    """Declared probabilities (overall and by group) and ``P(event <= Y)`` for every horizon year.

    Columns: ``statement, output, year, op, threshold, group_parameter, group, p, p_conf_low,
    p_conf_high, k, n, n_excluded, n_censored, conditioning, declared``.
    """
    rows = independent_rows(design)
    events = event_times(ds, spec)
    inputs = ds["inputs"].transpose("sample", "parameter")
    cdf = [
        ProbabilitySpec(str(e), "<=", float(y))
        for e in events.data_vars
        for y in _horizon(ds, events[e])
        if ProbabilitySpec(str(e), "<=", float(y)) not in spec.probabilities
    ]
    records = []
    for declared, p in [(True, p) for p in spec.probabilities] + [(False, p) for p in cdf]:
        values = _select(ds, events, p)[rows]
        est = probability(values, p.op, p.value, conf_level)
        records.append(_record(p, est, design, declared))
        if not declared:
            continue
        for g in spec.groups:
            x = np.asarray(inputs.sel(parameter=g.parameter).values, dtype=float)[rows]
            table = grouped_probability(values, x, list(g.edges), p.op, p.value, conf_level)
            for _, est in table.iterrows():
                extra = {"group_parameter": g.parameter, "group": est["group"]}
                records.append({**_record(p, est.to_dict(), design, declared), **extra})
    frame = pd.DataFrame(records, columns=PROB_COLUMNS + ["declared"])
    return frame.astype({"year": "Int64"})


def _record(p: ProbabilitySpec, est: dict, design: Layout, declared: bool) -> dict:
    return {
        "statement": p.label,
        "output": p.output,
        "year": p.year,
        "op": p.op,
        "threshold": p.value,
        "group_parameter": None,
        "group": None,
        "p": est["p"],
        "p_conf_low": est["p_low"],
        "p_conf_high": est["p_high"],
        "k": int(est["k"]),
        "n": int(est["n"]),
        "n_excluded": int(est["n_missing"]),
        "n_censored": int(est["n_censored"]),
        "conditioning": conditioning(design, int(est["n_missing"])),
        "declared": declared,
    }


def _horizon(ds: xr.Dataset, values: xr.DataArray) -> list[int]:
    """Years at which to evaluate a CDF: the store's horizon, else the observed range."""
    if "year" in ds.coords:
        return [int(y) for y in ds["year"].values]
    finite = values.values[np.isfinite(values.values)]
    if finite.size == 0:
        return []
    return list(range(int(np.floor(finite.min())), int(np.ceil(finite.max())) + 1))
