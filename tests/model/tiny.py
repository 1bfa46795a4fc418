"""Write tiny datasets for hand-solved LP tests (all rows sourced 'illustrative')."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SETTINGS = {
    "base_year": (2020, "year"),
    "end_year": (2025, "year"),
    "discount_rate": (0.0, "fraction"),
    "neutrality_year": (2100, "year"),
    "backstop_cost": (1000, "CNY2020/tCO2"),
    "reserve_margin": (0.0, "fraction"),
    "load_factor": (1.0, "fraction"),
}


def write_tables(folder: Path, tables: dict[str, list[dict]]) -> Path:
    """Write ``tables`` (name -> rows) as CSVs, adding source/note columns and settings."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = dict(SETTINGS)
    series = []  # settings by year (e.g. ets_price)
    for row in tables.pop("settings", []):
        if row.get("year", "") != "":
            series.append(row)
        else:
            settings[row["parameter"]] = (row["value"], row["unit"])
    tables["settings"] = [
        {"parameter": k, "year": "", "value": v, "unit": u} for k, (v, u) in settings.items()
    ] + series
    for name, rows in tables.items():
        frame = pd.DataFrame(rows)
        frame["source"] = "illustrative"
        frame["note"] = ""
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _setting(parameter, value, unit, year="") -> dict:
    """A settings row: (parameter, value, unit) or (parameter, value, unit, year) for a series."""
    return {"parameter": parameter, "year": year, "value": value, "unit": unit}


def power_system(
    folder: Path,
    *,
    techs,
    params,
    flows=(),
    stock=(),
    demand=100.0,
    settings=(),
    activity=(),
    commodities=(),
) -> Path:
    """A one-commodity power system: electricity demand (TWh/yr, constant) and given techs."""
    comms = [
        {"commodity": "electricity", "kind": "carrier", "unit": "TWh", "fuel": ""},
        {"commodity": "coal", "kind": "primary", "unit": "PJ", "fuel": "coal"},
    ]
    comms += list(commodities)
    tables = {
        "commodities": comms,
        "commodity_parameters": [
            {
                "commodity": "coal",
                "year": "",
                "parameter": "price",
                "value": 10,
                "unit": "CNY2020/GJ",
            },
            {
                "commodity": "coal",
                "year": "",
                "parameter": "co2_factor",
                "value": 0.1,
                "unit": "MtCO2/PJ",
            },
        ],
        "technologies": [
            {"tech": t, "sector": s, "output": o, "capacity_unit": "GW"} for t, s, o in techs
        ],
        "tech_parameters": [
            {"tech": t, "year": y, "parameter": p, "value": v, "unit": u}
            for t, y, p, v, u in params
        ],
        "flows": [
            {"tech": t, "commodity": c, "direction": d, "year": "", "value": v, "unit": u}
            for t, c, d, v, u in flows
        ]
        or [],
        "stock": [{"tech": t, "vintage": v, "value": c, "unit": "GW"} for t, v, c in stock],
        "demand": [
            {
                "commodity": "electricity",
                "scenario": "medium",
                "year": 2020,
                "value": demand,
                "unit": "TWh",
            }
        ],
        "activity": [
            {"tech": t, "year": y, "bound": b, "value": v, "unit": "TWh"} for t, y, b, v in activity
        ],
        "settings": [_setting(*row) for row in settings],
    }
    if not tables["flows"]:
        tables["flows"] = [
            {
                "tech": techs[0][0],
                "commodity": "electricity",
                "direction": "out",
                "year": "",
                "value": 1,
                "unit": "PJ/PJ",
            }
        ]
    if not tables["activity"]:
        del tables["activity"]
    return write_tables(folder, tables)
