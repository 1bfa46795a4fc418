"""Seed-study replication: growth {low, medium, high} x natural sink {1, 2, 3} GtCO2/yr.

Solves the nine scenarios with the history years off (the seed study's information set, data up to
2020) and on (2021-2024 pinned to observations); the nine scenarios (history off) under each
``carbon_policy`` with the latest-peak search and the mechanics checks of issue 13 (terminal
cliff, idle capacity); and a sweep of the natural sink (0-4 Gt) under the terminal-only and the
budget policy. Writes ``results/seed_roadmap/scenarios.csv``, ``policies.csv``, ``sink_sweep.csv``,
the figures and the tables of docs/validation.md and docs/pathways.md (``tables.py``).

    python studies/seed_roadmap/run.py
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from model.build import Settings
from model.load import CHINA_DATA, load_inputs
from model.peak import year_value
from model.scenario import solve_inputs

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "results" / "seed_roadmap"
GROWTHS = ("low", "medium", "high")
SINKS = (1.0, 2.0, 3.0)
SWEEP = tuple(np.arange(0.0, 4.01, 0.5))
POLICIES = ("none", "budget", "ets")
SECTORS_2060 = (
    "power",
    "heat",
    "steel",
    "cement",
    "chemicals",
    "nonferrous",
    "other_industry",
    "transport",
    "buildings",
    "supply",
)

logger = logging.getLogger(__name__)


def solve(inputs, growth: str, sink: float, history: bool, **settings) -> xr.Dataset:
    """Outputs of one scenario (sink in GtCO2/yr)."""
    return solve_inputs(
        inputs, Settings(scenario=growth, natural_sink=sink * 1000.0, history=history, **settings)
    )


def coal_largest_until(out: xr.Dataset) -> int:
    """Last year of the unbroken run from the base year in which coal's primary energy exceeds
    that of oil, of gas and of all non-fossil sources together."""
    pe = out.primary_energy
    largest = (pe.sel(fuel="coal") > pe.sel(fuel=["oil", "gas", "nonfossil"]).max("fuel")).values
    years = out.year.values
    broken = np.flatnonzero(~largest)
    return int(years[-1] if len(broken) == 0 else years[broken[0]] - 1)


def metrics(out: xr.Dataset) -> dict:
    """The scenario row of scenarios.csv."""
    at = out.sel(year=[2030, 2040, 2060])
    row = {
        "peak_year": year_value(out.peak_year),
        "peak_year_max": int(out.peak_year_max),
        "peak_co2_gt": float(out.peak_co2),
        "co2_2030_gt": float(out.co2.sel(year=2030)),
        "co2_2060_gt": float(out.co2.sel(year=2060)),
        "coal_share_2030": float(at.coal_share.sel(year=2030)),
        "coal_share_2040": float(at.coal_share.sel(year=2040)),
        "coal_largest_until": coal_largest_until(out),
        "nonfossil_share_2030": float(at.nonfossil_share.sel(year=2030)),
        "nonfossil_share_2060": float(at.nonfossil_share.sel(year=2060)),
        "electrification_2030": float(at.electrification.sel(year=2030)),
        "electrification_2060": float(at.electrification.sel(year=2060)),
        "ccs_2060_gt": float(out.ccs.sel(year=2060)),
        "removals_2060_gt": float(out.removals.sel(year=2060)),
        "backstop_gt": float(out.backstop.sum()),
        "co2_price_2060": float(out.co2_price.sel(year=2060)),
        "cost_bncny": float(out.cost),
    }
    pe = out.primary_energy
    for year in (2024, 2030, 2060):
        total = float(pe.sel(year=year).sum())
        row[f"primary_energy_{year}_gtce"] = total
        for fuel in ("coal", "oil", "gas"):
            row[f"{fuel}_pe_share_{year}"] = float(pe.sel(year=year, fuel=fuel)) / total
    row["co2_2024_gt"] = float(out.co2.sel(year=2024))
    sec = out.co2_by_sector.sel(year=2060)
    for s in SECTORS_2060:
        row[f"co2_2060_{s}_gt"] = float(sec.sel(sector=s)) if s in sec.sector else 0.0
    ranked = sec.to_series().sort_values(ascending=False)
    row["top5_2060"] = ";".join(ranked.index[:5])
    return row


def run_grid(inputs) -> tuple[pd.DataFrame, dict]:
    """The nine scenarios, history off and on; also returns the solved outputs by key."""
    rows, outs = [], {}
    for history in (False, True):
        for growth in GROWTHS:
            for sink in SINKS:
                out = solve(inputs, growth, sink, history)
                outs[(history, growth, sink)] = out
                rows.append(
                    {
                        "history": "on" if history else "off",
                        "growth": growth,
                        "sink_gt": sink,
                        **metrics(out),
                        "solve_seconds": out.attrs["solve_seconds"],
                    }
                )
                logger.info(
                    "history %s %s sink %.0f: peak %s", history, growth, sink, rows[-1]["peak_year"]
                )
    return pd.DataFrame(rows), outs


def run_policies(inputs) -> pd.DataFrame:
    """The nine scenarios (history off) under each carbon policy, with the latest peak year."""
    from mechanics import cliff_ratios

    rows = []
    for policy in POLICIES:
        for growth in GROWTHS:
            for sink in SINKS:
                out = solve(inputs, growth, sink, False, carbon_policy=policy, latest_peak=True)
                price = out.co2_price.sel(year=[2030, 2040, 2060]).values
                rows.append(
                    {
                        "carbon_policy": policy,
                        "growth": growth,
                        "sink_gt": sink,
                        "peak_year": year_value(out.peak_year),
                        "latest_peak_year": float(out.latest_peak_year),
                        "latest_peak_status": int(out.latest_peak_status),
                        "delay_cost_bncny": float(out.delay_cost),
                        "co2_2030_gt": float(out.co2.sel(year=2030)),
                        "co2_2040_gt": float(out.co2.sel(year=2040)),
                        "co2_2060_gt": float(out.co2.sel(year=2060)),
                        "co2_price_2030": price[0],
                        "co2_price_2040": price[1],
                        "co2_price_2060": price[2],
                        "co2_net_cumulative_gt": float(out.co2_net_cumulative),
                        "backstop_gt": float(out.backstop.sum()),
                        "cost_bncny": float(out.cost),
                        **cliff_ratios(out),
                    }
                )
                logger.info("%s %s sink %.0f: %s", policy, growth, sink, rows[-1])
    return pd.DataFrame(rows)


#: sweeps: label -> (carbon_policy, overrides); the budget also at the low end of its range (207
#: GtCO2, equal per-capita share of the 2 C budget), where it binds
SWEEPS = {
    "none": ("none", {}),
    "budget": ("budget", {}),
    "budget 207 Gt": ("budget", {"carbon_budget": 207000.0}),
}


def run_sweep(
    inputs, growth: str = "medium", history: bool = False, label: str = "none"
) -> pd.DataFrame:
    """Sink sweep 0-4 Gt: cost, CO2 price, peak, 2030/2040/2060 CO2, CCS, coal share."""
    policy, overrides = SWEEPS[label]
    rows = []
    for sink in SWEEP:
        out = solve(inputs, growth, float(sink), history, carbon_policy=policy, overrides=overrides)
        rows.append(
            {
                "carbon_policy": label,
                "co2_2040_gt": float(out.co2.sel(year=2040)),
                "sink_gt": float(sink),
                **{k: v for k, v in metrics(out).items() if not k.startswith("co2_2060_")},
                "co2_2060_gt": float(out.co2.sel(year=2060)),
            }
        )
    frame = pd.DataFrame(rows)
    # marginal value of the 2060 sink: -d cost / d sink (bnCNY2020 discounted to 2020 per MtCO2/yr
    # of 2060 sink, which also raises the sink of 2026-2059 along its path and of 2061-2070)
    dcost = -np.gradient(frame.cost_bncny.to_numpy(), frame.sink_gt.to_numpy() * 1000.0)
    frame["marginal_value_bncny_per_mt"] = dcost
    return frame


def main() -> int:
    """Solve everything, write the tables and figures."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.path.insert(0, str(Path(__file__).parent))
    from figures import plot_all
    from tables import main as write_tables

    inputs = load_inputs(CHINA_DATA)
    OUT.mkdir(parents=True, exist_ok=True)
    grid, outs = run_grid(inputs)
    grid.to_csv(OUT / "scenarios.csv", index=False, float_format="%.4g")
    sweep = pd.concat([run_sweep(inputs, label=label) for label in SWEEPS])
    sweep.to_csv(OUT / "sink_sweep.csv", index=False, float_format="%.4g")
    policies = run_policies(inputs)
    policies.to_csv(OUT / "policies.csv", index=False, float_format="%.6g")
    paths = plot_all(outs, OUT)
    write_tables()  # the tables of docs/validation.md and docs/pathways.md
    logger.info(
        "wrote %s, %s and %d figure files",
        OUT / "scenarios.csv",
        OUT / "sink_sweep.csv",
        len(paths),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
