"""The example dataset with every pathway family switched on (for fast-path and policy tests).

Adds to a copy of ``model/data/example``: a horizon past the reported years, a sink path, a
carbon budget, an ETS price path with coverage, activity decline limits on the emitters, activity
growth limits on the new options, a wind+solar integration limit and a group build ceiling. All
rows are ``illustrative``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from model.load import EXAMPLE_DATA

SETTINGS = [
    ("end_year", "", 2045, "year"),
    ("report_end_year", "", 2040, "year"),
    ("sink_path_start", "", 2025, "year"),
    ("sink_target_year", "", 2040, "year"),
    ("carbon_budget", "", 3000, "MtCO2"),
    ("carbon_budget_start", "", 2020, "year"),
    ("carbon_budget_end", "", 2040, "year"),
    ("ets_price", 2020, 0, "CNY2020/tCO2"),
    ("ets_price", 2022, 50, "CNY2020/tCO2"),
    ("ets_price_base_year", "", 2022, "year"),
    ("ets_price_growth", "", 0.05, "fraction"),
    ("max_vre_share", 2020, 0.2, "fraction"),
    ("max_vre_share", 2040, 0.6, "fraction"),
    ("latest_peak_from", "", 2022, "year"),
]
TECH_PARAMETERS = [
    ("coal_power", "", "max_activity_decline", 0.08, "fraction"),
    ("coal_power", "", "max_activity_decline_seed", 10, "TWh"),
    ("bf_bof", "", "max_activity_decline", 0.08, "fraction"),
    ("bf_bof", "", "max_activity_decline_seed", 1, "Mt"),
    ("dac", "", "max_activity_growth", 0.3, "fraction"),
    ("dac", "", "max_activity_growth_seed", 5, "MtCO2"),
    ("co2_storage", "", "max_activity_growth", 0.3, "fraction"),
    ("co2_storage", "", "max_activity_growth_seed", 10, "MtCO2"),
    ("coal_power", 2020, "ets_coverage", 0, "fraction"),
    ("coal_power", 2021, "ets_coverage", 1, "fraction"),
    ("gas_power", 2020, "ets_coverage", 0, "fraction"),
    ("gas_power", 2021, "ets_coverage", 1, "fraction"),
    ("bf_bof", 2023, "ets_coverage", 0, "fraction"),
    ("bf_bof", 2024, "ets_coverage", 1, "fraction"),
]
GROUPS = [
    ("emitters", "coal_power"),
    ("emitters", "bf_bof"),
    ("new", "dac"),
    ("new", "co2_storage"),
]
POTENTIALS = [("wind_solar", 2021, 30), ("wind_solar", 2040, 60)]


def rich_dataset(folder: Path) -> Path:
    """Write the enriched example dataset into ``folder`` and return it."""
    shutil.copytree(EXAMPLE_DATA, folder)
    _append(folder, "settings", ["parameter", "year", "value", "unit"], SETTINGS, drop="end_year")
    _append(
        folder, "tech_parameters", ["tech", "year", "parameter", "value", "unit"], TECH_PARAMETERS
    )
    _append(folder, "groups", ["group", "tech"], GROUPS)
    rows = [(name, year, "max_new_capacity", value, "GW") for name, year, value in POTENTIALS]
    _append(folder, "potentials", ["name", "year", "parameter", "value", "unit"], rows)
    demand = pd.read_csv(folder / "demand.csv")
    low = demand.assign(scenario="low", value=demand.value * 0.8)
    high = demand.assign(scenario="high", value=demand.value * 1.25)
    pd.concat([demand, low, high]).to_csv(folder / "demand.csv", index=False)
    return folder


def _append(folder: Path, table: str, columns: list, rows: list, drop: str | None = None) -> None:
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    if drop is not None:
        frame = frame[frame.iloc[:, 0] != drop]
    extra = pd.DataFrame([[str(v) for v in row] for row in rows], columns=columns)
    extra["source"], extra["note"] = "illustrative", ""
    pd.concat([frame, extra]).fillna("").to_csv(folder / f"{table}.csv", index=False)
