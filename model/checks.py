"""Checks of a dataset's tables beyond their schema: units and dimensions of every value,
references between tables, years not mixed, technologies distinct, and the demand tables
(drivers, families, elasticities). Each adds its problems (file, line, column, fix) to
:class:`Problems`; :func:`model.load.load_inputs` raises them all at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.schema import TABLE_KEYS, Problems, parse_float
from model.units import UnitRegistry


def reference_sets(tables: dict[str, pd.DataFrame], params: pd.DataFrame) -> dict[str, set]:
    """Names that ``ref:`` and ``param:`` columns may refer to."""

    def col(table, column):
        frame = tables.get(table)
        return set(frame[column]) if frame is not None and column in frame else set()

    refs = {
        "commodities": col("commodities", "commodity"),
        "technologies": col("technologies", "tech"),
        "groups": col("groups", "group"),
    }
    for table in params.table.unique():
        refs["param:" + table] = set(params[params.table == table].parameter)
    return refs


def expected_dims(table, row, tables, params, units: UnitRegistry) -> dict[str, int] | None:
    """Dimension a parameter row's unit must have, resolving capacity/activity/unit per row."""
    techs, comms, specs = _lookups(tables, params)

    def tech_dims(tech):
        cap = units.unit_dims(techs.at[tech, "capacity_unit"])
        act = units.unit_dims(comms.at[techs.at[tech, "output"], "unit"])
        return cap, act

    if table == "flows":
        cap, act = tech_dims(row["tech"])
        com = units.unit_dims(comms.at[row["commodity"], "unit"])
        return _combine(com, act, -1)
    if table == "stock":
        return tech_dims(row["tech"])[0]
    if table == "activity":
        return tech_dims(row["tech"])[1]
    if table == "demand":
        return units.unit_dims(comms.at[row["commodity"], "unit"])
    expr = specs[(table, parameter_of(row))]
    subs = {}
    if (
        table in ("tech_parameters", "potentials")
        and row.get("tech", row.get("name")) in techs.index
    ):
        subs["capacity"], subs["activity"] = tech_dims(row.get("tech", row.get("name")))
    elif table in ("commodity_parameters", "potentials"):
        name = row.get("commodity", row.get("name"))
        if name in comms.index:
            subs["unit"] = units.unit_dims(comms.at[name, "unit"])
    if table == "potentials" and row["name"] not in techs.index and row["name"] not in comms.index:
        return None  # a group: its members' units are checked when the constraint is built
    return _resolve(expr, subs, units)


#: the last lookups built (holding their source frames, so an identity check is safe)
_LOOKUPS: list = []


def _lookups(tables, params) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Technologies and commodities indexed by name and each parameter's dimension, built once
    per dataset rather than once per value row (a load checks ~4,000 rows)."""
    sources = (tables["technologies"], tables["commodities"], params)
    if _LOOKUPS and all(a is b for a, b in zip(_LOOKUPS[0], sources, strict=True)):
        return _LOOKUPS[1]
    built = (
        sources[0].set_index("tech"),
        sources[1].set_index("commodity"),
        dict(reversed([((r.table, r.parameter), r.dimension) for r in params.itertuples()])),
    )
    _LOOKUPS[:] = [sources, built]
    return built


def parameter_of(row) -> str | None:
    """The parameter a value row sets: ``parameter`` (or ``quantity`` in history.csv)."""
    for key in ("parameter", "quantity", "driver"):
        if key in row:
            return row[key]
    return None


def _combine(a: dict, b: dict, sign: int) -> dict:
    out = dict(a)
    for d, e in b.items():
        out[d] = out.get(d, 0) + sign * e
    return {d: e for d, e in out.items() if e != 0}


def _resolve(expr: str, subs: dict, units: UnitRegistry) -> dict[str, int] | None:
    dims: dict[str, int] = {}
    for position, part in enumerate(expr.split("/")):
        for atom in part.split("*"):
            sign = 1 if position == 0 else -1
            if atom in subs:
                dims = _combine(dims, subs[atom], sign)
            elif atom in ("capacity", "activity", "unit"):
                return None
            elif atom not in ("1", "fraction"):
                dims = _combine(dims, {atom: 1}, sign)
    return dims


VALUE_TABLES = (
    "commodity_parameters",
    "tech_parameters",
    "flows",
    "stock",
    "activity",
    "demand",
    "potentials",
    "history",
    "settings",
    "drivers",
    "demand_elasticities",
)


def check_values(tables, params, units: UnitRegistry, problems: Problems) -> None:
    """Check each value row's unit dimension and range; add a ``base`` column in base units.

    A row whose value could not be converted although no problem was reported for it is itself
    reported, so that no NaN slips silently into the model.
    """
    unconverted = []
    for table in VALUE_TABLES:
        frame = tables.get(table)
        if frame is None or "value" not in frame or "unit" not in frame:
            continue
        base = np.full(len(frame), np.nan)
        for i, (idx, row) in enumerate(frame.iterrows()):
            base[i] = _check_value_row(table, row, idx + 2, tables, params, units, problems)
            if np.isnan(base[i]):
                unconverted.append((table, idx + 2))
        frame["base"] = base
    if not problems:  # otherwise the unconverted rows are those with reported problems
        for table, line in unconverted:
            problems.add(
                f"{table}.csv",
                line,
                "unit",
                "this row's value could not be converted to base units; check its unit and keys",
            )


def _check_value_row(table, row, line, tables, params, units, problems) -> float:
    file = f"{table}.csv"
    value = parse_float(row["value"])
    try:
        unit = units.parse(row["unit"])
        want = expected_dims(table, row, tables, params, units)
    except (ValueError, KeyError, IndexError):
        return np.nan  # reported by the cell checks
    if value is None:
        return np.nan
    if want is not None and dict(unit.dims) != want:
        from model.units import format_dims

        problems.add(
            file,
            line,
            "unit",
            f"{row['unit']!r} has dimension {unit.dimension}; "
            f"expected {format_dims(want)}; use a unit of that dimension",
        )
        return np.nan
    if parameter_of(row) is not None:
        spec = params[(params.table == table) & (params.parameter == parameter_of(row))]
        if len(spec):
            s = spec.iloc[0]
            base_value = value * unit.factor
            if s.lower != "" and base_value < float(s.lower):
                problems.add(
                    file,
                    line,
                    "value",
                    f"{parameter_of(row)} = {value} is below "
                    f"its lower bound {s.lower}; {s.description}",
                )
            if s.upper != "" and base_value > float(s.upper):
                problems.add(
                    file,
                    line,
                    "value",
                    f"{parameter_of(row)} = {value} is above "
                    f"its upper bound {s.upper}; {s.description}",
                )
    elif value < 0 and table in ("stock", "demand", "flows", "activity"):
        problems.add(file, line, "value", f"negative {table} value {value}; must be >= 0")
    return value * unit.factor


def check_year_mixing(tables, problems: Problems) -> None:
    """Flag keys given both for all years (blank year) and for dated years: ambiguous."""
    for table in ("commodity_parameters", "tech_parameters", "flows", "potentials", "settings"):
        frame = tables.get(table)
        if frame is None or "year" not in frame:
            continue
        keys = [k for k in TABLE_KEYS[table] if k != "year" and k in frame]
        for key, rows in frame.groupby(keys):
            blank = rows.year == ""
            if blank.any() and not blank.all():
                line = int(rows.index[blank][0]) + 2
                problems.add(
                    f"{table}.csv",
                    line,
                    "year",
                    f"{dict(zip(keys, key, strict=True))} "
                    "has a blank-year row and dated rows; the blank row would be ignored: "
                    "give years on every row or remove the dated ones",
                )


def check_distinct_techs(tables, problems: Problems) -> None:
    """Flag technologies that are exact duplicates of each other (same attributes and data)."""
    techs = tables["technologies"]
    signature = {}
    for _, row in techs.iterrows():
        parts = [row["sector"], row["output"], row["capacity_unit"]]
        for table in ("tech_parameters", "flows"):
            frame = tables.get(table)
            if frame is not None and "tech" in frame:
                sub = frame[frame.tech == row["tech"]].drop(
                    columns=[c for c in ("tech", "source", "note", "base") if c in frame]
                )
                parts.append(sub.sort_values(list(sub.columns)).to_csv(index=False))
        signature.setdefault(tuple(parts), []).append(row["tech"])
    for names in signature.values():
        if len(names) > 1:
            problems.add(
                "technologies.csv",
                None,
                "tech",
                f"technologies {names} are exact duplicates (same sector, flows and "
                "parameters); remove one or give each its own sourced data",
            )


def check_demand_tables(tables, problems: Problems) -> None:
    """The derived-demand tables refer to each other and to demand.csv consistently."""
    fam, ela, drv = (tables.get(t) for t in ("demand_families", "demand_elasticities", "drivers"))
    if fam is None:
        return
    for name, missing in (("demand_elasticities", ela), ("drivers", drv)):
        if missing is None:
            problems.add(f"{name}.csv", None, None, "missing; demand_families.csv needs it")
    settings = tables["settings"]
    if "demand_base_year" not in set(settings.parameter):
        problems.add("settings.csv", None, None, "demand_families.csv needs a demand_base_year row")
    if problems:
        return
    _check_families(fam, ela, problems)
    base = int(float(settings[settings.parameter == "demand_base_year"].value.iloc[0]))
    demand = tables.get("demand")
    given = set() if demand is None else set(zip(demand.commodity, demand.year.astype(int)))
    for idx, row in fam.iterrows():
        if (row.commodity, base) not in given:
            problems.add(
                "demand_families.csv",
                idx + 2,
                "commodity",
                f"{row.commodity!r} has no demand.csv row in demand_base_year {base}; "
                "the derivation starts from it",
            )
    for driver in ("population", "gdp_per_capita", "gdp_per_capita_growth"):
        if driver not in set(drv.driver):
            problems.add(
                "drivers.csv", None, "driver", f"no {driver!r} rows; the derivation needs it"
            )
    if "urban_population" in set(fam.scale) and "urbanisation" not in set(drv.driver):
        problems.add(
            "drivers.csv", None, "driver", "no 'urbanisation' rows; a family uses urban_population"
        )
    _check_driver_scenarios(drv, demand, problems)
    _check_demand_years(settings, base, problems)


def _check_driver_scenarios(drv, demand, problems: Problems) -> None:
    """Every demand scenario has growth rows; every driver scenario is a demand scenario or all."""
    scenarios = set() if demand is None else set(demand.scenario)
    for idx, row in drv.iterrows():
        if row.scenario != "all" and row.scenario not in scenarios:
            problems.add(
                "drivers.csv",
                idx + 2,
                "scenario",
                f"{row.scenario!r} is not a scenario of demand.csv ({', '.join(sorted(scenarios))})"
                " nor 'all'",
            )
    growth = drv[drv.driver == "gdp_per_capita_growth"]
    for scenario in sorted(scenarios):
        if not growth.scenario.isin(["all", scenario]).any():
            problems.add(
                "drivers.csv",
                None,
                "scenario",
                f"no gdp_per_capita_growth rows for scenario {scenario!r} (or 'all'): its GDP per "
                "capita would stay flat after the last level",
            )


def _check_demand_years(settings, base: int, problems: Problems) -> None:
    """The fit window (base year to demand_base_year) and the convergence year are ordered."""

    def year(name):
        rows = settings[settings.parameter == name]
        return int(float(rows.value.iloc[0])) if len(rows) else None

    start, conv = year("base_year"), year("demand_convergence_year")
    if start is not None and start >= base:
        problems.add(
            "settings.csv",
            None,
            "value",
            f"demand_base_year {base} must be after base_year {start}: the elasticities are "
            "fitted between them",
        )
    if conv is not None and conv <= base:
        problems.add(
            "settings.csv",
            None,
            "value",
            f"demand_convergence_year {conv} must be after demand_base_year {base}",
        )


def _check_families(fam, ela, problems: Problems) -> None:
    have = set(zip(ela.family, ela.parameter))
    for idx, row in fam.iterrows():
        for param in ("elasticity", "drift"):
            if (row.family, param) not in have:
                problems.add(
                    "demand_families.csv",
                    idx + 2,
                    "family",
                    f"family {row.family!r} has no {param} row in demand_elasticities.csv; add it",
                )
    for idx, row in ela.iterrows():
        lo, hi, value = float(row.low), float(row.high), float(row.value)
        if not lo <= value <= hi:
            problems.add(
                "demand_elasticities.csv",
                idx + 2,
                "value",
                f"{value} is outside its range [{lo}, {hi}]; widen the range or fix the value",
            )
