"""Summarise the peak-robustness runs of both natural-sink priors as a Markdown table.

Run after ``netua analyze`` of each prior:

    python studies/peak_robustness/report.py > results/peak_robustness/summary.md

It reads ``results/peak_robustness/<prior>/`` (probabilities.csv, sobol.csv, sobol_time.csv,
convergence.csv, failures.csv, manifest.json, the store's elapsed times) and prints P(peak <= 2025),
P(peak <= 2030), P(coal share 2030 >= 44 %) with Wilson intervals, the leading total Sobol indices
of the peak year and of the 2030 coal share with their intervals, the convergence check (total
indices at N/2 against N) and the failed share and wall time.
"""

from __future__ import annotations

import json
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

RESULTS = Path(__file__).resolve().parents[2] / "results" / "peak_robustness"
PRIORS = {"seed": "seed study 1-3 Gt CO2/yr", "literature": "literature 0.5-2.0 Gt CO2/yr"}
LATEST = RESULTS.parent / "latest_peak"
STATEMENTS = (
    "P(peak_year <= 2025)",
    "P(peak_year <= 2030)",
    "P(coal_share[2030] >= 0.44)",
    "P(nonfossil_share[2030] >= 0.25)",
)


def probabilities(folder: Path) -> list[str]:
    table = pd.read_csv(folder / "probabilities.csv")
    rows = table[table.statement.isin(STATEMENTS) & table.group.isna()]
    return [
        f"{r.statement} = {r.p:.3f} [{r.p_conf_low:.3f}, {r.p_conf_high:.3f}] (n = {r.n})"
        for r in rows.itertuples()
    ]


def leading(frame: pd.DataFrame, k: int = 4) -> str:
    frame = frame.dropna(subset=["ST"]).sort_values("ST", ascending=False).head(k)
    return "; ".join(
        f"{r.parameter} ST {r.ST:.2f} [{r.ST_conf_low:.2f}, {r.ST_conf_high:.2f}], S1 {r.S1:.2f}"
        for r in frame.itertuples()
    )


def convergence(folder: Path, output: str, k: int = 4) -> str:
    table = pd.read_csv(folder / "convergence.csv")
    table = table[table.output == output]
    n = table.n_base.max()
    full = table[table.n_base == n].set_index("parameter").ST
    half = table[table.n_base == n // 2].set_index("parameter").ST
    if len(half) == 0:
        return f"not checked: no design of N = {n // 2} in convergence.csv (N = {n} is too small)"
    top = full.sort_values(ascending=False).head(k).index
    diffs = (full[top] - half[top]).abs()
    verdict = "stable" if (diffs <= 0.05).all() else "NOT stable"
    detail = ", ".join(f"{p} {half[p]:.2f}->{full[p]:.2f}" for p in top)
    return f"{verdict} within 0.05 between N = {n // 2} and {n}: {detail}"


def wall_time(folder: Path) -> str:
    with xr.open_zarr(folder / "store.zarr") as ds:
        cpu = float(ds.elapsed.sum())
    manifest = json.loads((folder / "manifest.json").read_text())
    start = datetime.fromisoformat(manifest["created"])
    last = max(f.stat().st_mtime for f in (folder / "store.zarr").rglob("*") if f.is_file())
    end = datetime.fromtimestamp(last, tz=start.tzinfo)
    return (
        f"{(end - start).total_seconds() / 60:.0f} min from the first to the last write, pauses "
        "between sittings included "
        f"({cpu / 3600:.2f} h of sample evaluation)"
    )


def report(prior: str) -> list[str]:
    folder = RESULTS / prior
    failures = pd.read_csv(folder / "failures.csv")
    with xr.open_zarr(folder / "store.zarr") as ds:
        n = ds.sizes["sample"]
        failed = int((ds.status != 1).sum())
        gaps = ds.audit_gap.values
    sobol = pd.read_csv(folder / "sobol.csv")
    time = pd.read_csv(folder / "sobol_time.csv")
    audited = gaps[~pd.isna(gaps)]
    return [
        f"### Prior: {PRIORS[prior]} (`{prior}`)",
        "",
        *[f"- {line}" for line in probabilities(folder)],
        f"- peak year, leading total indices: {leading(sobol[sobol.output == 'peak_year'])}",
        "- coal share 2030, leading total indices: "
        + leading(time[(time.output == "coal_share") & (time.year == 2030)]),
        "- CO2 2030, leading total indices: "
        + leading(time[(time.output == "co2") & (time.year == 2030)]),
        "- CO2 2040, leading total indices: "
        + leading(time[(time.output == "co2") & (time.year == 2040)]),
        f"- natural sink, total index for CO2 by year: {sink_by_year(time)}",
        f"- convergence, peak year: {convergence(folder, 'peak_year')}",
        f"- convergence, peak CO2: {convergence(folder, 'peak_co2')}",
        f"- failed samples: {failed} of {n} ({100 * failed / n:.1f} %); "
        f"failure rows in failures.csv: {len(failures)}",
        f"- audits (fast path vs full rebuild): {len(audited)} samples, largest relative "
        f"objective gap {audited.max() if len(audited) else float('nan'):.1e}",
        f"- {wall_time(folder)}",
        "",
    ]


def sink_by_year(time: pd.DataFrame, threshold: float = 0.05) -> str:
    """The sink's total index for CO2 in milestone years, and from which year it stays above
    ``threshold``."""
    rows = time[(time.output == "co2") & (time.parameter == "sink")].set_index("year").ST
    above = rows > threshold
    later = [y for y in rows.index if above.loc[y:].all()]
    since = f"above {threshold} from {min(later)} on" if later else f"never above {threshold}"
    shown = ", ".join(f"{y}: {rows.loc[y]:.2f}" for y in (2030, 2040, 2050, 2060) if y in rows)
    return f"{since} ({shown})"


def latest_peak() -> list[str]:
    """Probabilities, quantiles and PAWN drivers of the latest-peak study, when it has run."""
    if not (LATEST / "probabilities.csv").exists():
        return []
    probs = pd.read_csv(LATEST / "probabilities.csv")
    wanted = probs[probs.output == "latest_peak_year"]
    wanted = wanted[wanted.threshold.isin([2029, 2035, 2045]) & wanted.group.isna()]
    summary = pd.read_csv(LATEST / "summary.csv")
    q = summary[(summary.output == "latest_peak_year") & summary.statistic.str.startswith("q")]
    with xr.open_zarr(LATEST / "store.zarr") as ds:
        ok = ds.status.values == 1
        status = ds.latest_peak_status.values[ok]
        inputs = ds.inputs.transpose("sample", "parameter").values[ok]
        names = [str(p) for p in ds.parameter.values]
        year = ds.latest_peak_year.values[ok]
    return [
        "### Latest peak year (`results/latest_peak`, Latin hypercube, seed sink prior)",
        "",
        *([stale(LATEST).removeprefix(" - ")] if stale(LATEST) else []),
        *[
            f"- {r.statement} = {r.p:.3f} [{r.p_conf_low:.3f}, {r.p_conf_high:.3f}] (n = {r.n})"
            for r in wanted.itertuples()
        ],
        "- quantiles: " + ", ".join(f"{r.statistic} {r.value:g}" for r in q.itertuples()),
        f"- search status: {int((status == 0).sum())} found, {int((status == 1).sum())} after "
        f"2060 (censored), {int((status == 2).sum())} unreachable, "
        f"{int((status == 3).sum())} failed",
        f"- drivers of latest_peak_year: {drivers(inputs, year, names)}",
        "",
    ]


def drivers(inputs, year, names, k: int = 5) -> str:
    """PAWN where the analysis could compute it, else Spearman rank correlations (scipy) of the
    finite latest peak years with each input: a screening for designs too small for PAWN."""
    pawn = LATEST / "pawn.csv"
    if pawn.exists():
        table = pd.read_csv(pawn)
        top = table[table.output == "latest_peak_year"].sort_values("median", ascending=False)
        return "PAWN median KS " + "; ".join(
            f"{r.parameter} {r.median:.2f} [{r.median_conf_low:.2f}, {r.median_conf_high:.2f}]"
            for r in top.head(k).itertuples()
        )
    from scipy.stats import spearmanr

    finite = np.isfinite(year)
    rows = []
    for i, name in enumerate(names):
        rho, p = spearmanr(inputs[finite, i], year[finite])
        rows.append((abs(rho), name, rho, p))
    rows.sort(reverse=True)
    text = "; ".join(f"{n} rho {r:+.2f} (p {p:.3f})" for _, n, r, p in rows[:k])
    return (
        f"Spearman rank correlation over {int(finite.sum())} samples (too few for PAWN's "
        f"slices): {text}"
    )


def stale(folder: Path) -> str:
    """A note when the run's study differs from the study file as it is now (the ``[analysis]``
    table aside: changing the question re-runs only the analysis, not the samples)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    path = Path(manifest.get("study_file", ""))
    if path.exists() and _design(path.read_text()) != _design(manifest.get("study_text") or ""):
        return (
            f" - **run with an earlier version of `{path.relative_to(path.parents[2])}`** "
            f"(before the current parameters; re-run with `netua study ... --fresh`)"
        )
    from model.load import CHINA_DATA, dataset_hash  # noqa: PLC0415

    if manifest.get("model_data_hash") not in (None, dataset_hash(CHINA_DATA)):
        return " - **run on an earlier version of the China data** (re-run with `--fresh`)"
    return ""


def _design(text: str) -> dict:
    """A study file's content without its ``[analysis]`` table."""
    table = tomllib.loads(text) if text else {}
    table.pop("analysis", None)
    return table


def by_policy() -> list[str]:
    """The sink's total index for CO2 by year with the carbon policy fixed (by_policy designs)."""
    lines = []
    for policy in ("none", "budget", "ets"):
        folder = RESULTS / "by_policy" / policy
        if not (folder / "sobol_time.csv").exists():
            continue
        time = pd.read_csv(folder / "sobol_time.csv")
        with xr.open_zarr(folder / "store.zarr") as ds:
            n_base = ds.sizes["sample"] // (ds.sizes["parameter"] + 2)
        lines.append(f"- `{policy}` (N = {n_base}): {sink_by_year(time)}{stale(folder)}")
    if lines:
        lines = ["### Natural sink by carbon policy (seed prior, policy fixed)", "", *lines, ""]
    return lines


def main() -> int:
    lines = ["# Peak robustness: summary (generated by studies/peak_robustness/report.py)", ""]
    for prior in PRIORS:
        if (RESULTS / prior / "sobol.csv").exists():
            lines += report(prior)
    lines += by_policy()
    lines += latest_peak()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
