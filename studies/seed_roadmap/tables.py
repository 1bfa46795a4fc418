"""Write the scenario and sink-sweep tables of the docs from ``results/seed_roadmap/*.csv``.

    python studies/seed_roadmap/tables.py     (run.py calls it after solving)

Replaces the text between ``<!-- scenarios:begin -->``/``<!-- scenarios:end -->`` in
docs/validation.md and ``<!-- sweep:begin -->``/``<!-- sweep:end -->`` in docs/pathways.md, so the
numbers in the docs are always those of the last run.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "results" / "seed_roadmap"
DOCS = ROOT / "docs"


def replace_between(doc: Path, tag: str, text: str) -> None:
    """Replace what lies between ``<!-- tag:begin -->`` and ``<!-- tag:end -->`` in ``doc``."""
    begin, end = f"<!-- {tag}:begin -->", f"<!-- {tag}:end -->"
    content = doc.read_text()
    if begin not in content or end not in content:
        raise SystemExit(f"{doc} lacks the markers {begin} / {end}; add them where the table goes")
    head, rest = content.split(begin, 1)
    _, tail = rest.split(end, 1)
    doc.write_text(f"{head}{begin}\n{text}{end}{tail}")


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _electrification(s) -> str:
    return f"{100 * s.electrification_2030:.0f} / {100 * s.electrification_2060:.0f} %"


def _both(off, on, fmt) -> str:
    a, b = fmt(off), fmt(on)
    return a if a == b else f"{a} \\| {b}"


def scenario_table(grid: pd.DataFrame) -> str:
    """Nine scenarios, each cell 'history off | history on' (one value when they agree)."""
    head = (
        "| growth | sink Gt | peak year (plain max) | peak Gt | coal 2030 | coal 2040 | "
        "coal largest until | non-fossil 2030 | non-fossil 2060 | electrif. 2030 / 2060 | "
        "CCS 2060 Gt | CO2 price 2060 CNY/t | backstop Gt | 2060 top-5 emitters (history off) |\n"
        + "| --- " * 14
        + "|\n"
    )
    rows = []
    key = ["growth", "sink_gt"]
    on = grid[grid.history == "on"].set_index(key)
    for _, r in grid[grid.history == "off"].iterrows():
        h = on.loc[(r.growth, r.sink_gt)]
        cells = [
            r.growth,
            f"{r.sink_gt:g}",
            _both(r, h, lambda s: f"{_year(s.peak_year)} ({int(s.peak_year_max)})"),
            _both(r, h, lambda s: f"{s.peak_co2_gt:.2f}"),
            _both(r, h, lambda s: _pct(s.coal_share_2030)),
            _both(r, h, lambda s: _pct(s.coal_share_2040)),
            _both(r, h, lambda s: str(int(s.coal_largest_until))),
            _both(r, h, lambda s: _pct(s.nonfossil_share_2030)),
            _both(r, h, lambda s: _pct(s.nonfossil_share_2060)),
            _both(r, h, _electrification),
            _both(r, h, lambda s: f"{s.ccs_2060_gt:.2f}"),
            _both(r, h, lambda s: f"{s.co2_price_2060:,.0f}"),
            _both(r, h, lambda s: f"{s.backstop_gt:.2f}"),
            r.top5_2060.replace(";", ", "),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    # the sector columns of run.py's metrics, in their order: co2_2060_<sector>_gt
    columns = [c for c in grid.columns if c.startswith("co2_2060_") and c != "co2_2060_gt"]
    names = [c.removeprefix("co2_2060_").removesuffix("_gt") for c in columns]
    names = [n.replace("nonferrous", "non-ferrous").replace("_", " ") for n in names]
    sectors = (
        "\n\n2060 direct CO2 by sector, Gt (history off):\n\n"
        "| growth | sink Gt | " + " | ".join(names) + " |\n" + "| --- " * (len(names) + 2) + "|\n"
    )
    for _, r in grid[grid.history == "off"].iterrows():
        cells = " | ".join(f"{r[c]:.2f}" for c in columns)
        sectors += f"| {r.growth} | {r.sink_gt:g} | {cells} |\n"
    return head + "\n".join(rows) + sectors


def sweep_table(sweep: pd.DataFrame) -> str:
    """Sink sweep rows by policy: peak, 2030/2040/2060 CO2, CCS, coal share, price, cost."""
    head = (
        "| policy | sink Gt | peak year (max) | CO2 2030 Gt | CO2 2040 Gt | coal 2030 | "
        "CO2 2060 Gt | CCS 2060 Gt | CO2 price 2060 CNY/t | -dcost/dsink bnCNY/Mt | cost bnCNY |\n"
        + "| --- " * 11
        + "|\n"
    )
    rows = [
        f"| {r.carbon_policy} | {r.sink_gt:.1f} | {_year(r.peak_year)} ({int(r.peak_year_max)}) | "
        f"{r.co2_2030_gt:.3f} | {r.co2_2040_gt:.3f} | {_pct(r.coal_share_2030)} | "
        f"{r.co2_2060_gt:.2f} | {r.ccs_2060_gt:.2f} | {r.co2_price_2060:,.0f} | "
        f"{r.marginal_value_bncny_per_mt:.4f} | {r.cost_bncny:,.0f} |"
        for _, r in sweep.iterrows()
    ]
    return head + "\n".join(rows) + "\n"


def _year(value: float) -> str:
    if value == float("inf"):
        return "> 2060 (censored)"
    if value == float("-inf"):
        return "none (unreachable)"
    return "failed" if value != value else str(int(value))


def policies_table(policies: pd.DataFrame) -> str:
    """Nine scenarios under each carbon policy: peak, latest peak, prices, mechanics checks."""
    head = (
        "| policy | growth | sink Gt | peak year | latest peak year | delay cost bnCNY | "
        "CO2 2030 / 2040 Gt | CO2 price 2030 / 2040 / 2060 CNY/t | cumulative net 2020-60 Gt | "
        "cliff ratio net / gross | idle 2059, running 2060 |\n" + "| --- " * 11 + "|\n"
    )

    def price(x: float) -> str:
        return "-" if x != x else f"{x:,.0f}"

    rows = [
        f"| {r.carbon_policy} | {r.growth} | {r.sink_gt:g} | {_year(r.peak_year)} | "
        f"{_year(r.latest_peak_year)} | "
        f"{'-' if r.delay_cost_bncny != r.delay_cost_bncny else f'{r.delay_cost_bncny:,.0f}'} | "
        f"{r.co2_2030_gt:.2f} / {r.co2_2040_gt:.2f} | "
        f"{price(r.co2_price_2030)} / {price(r.co2_price_2040)} / {price(r.co2_price_2060)} | "
        f"{r.co2_net_cumulative_gt:.0f} | {r.cliff_ratio_net:.2f} / {r.cliff_ratio_gross:.2f} | "
        f"{r.idle_2059_running_2060 if isinstance(r.idle_2059_running_2060, str) else 'none'} |"
        for _, r in policies.iterrows()
    ]
    return head + "\n".join(rows) + "\n"


def main() -> int:
    grid = pd.read_csv(OUT / "scenarios.csv")
    sweep = pd.read_csv(OUT / "sink_sweep.csv")
    replace_between(DOCS / "validation.md", "scenarios", scenario_table(grid))
    replace_between(DOCS / "pathways.md", "sweep", sweep_table(sweep))
    policies = OUT / "policies.csv"
    if policies.exists():
        replace_between(DOCS / "validation.md", "policies", policies_table(pd.read_csv(policies)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
