"""``netua discover DIR --where EXPR``: which combinations of inputs lead to an outcome.

Writes ``discover_<name>.csv``, ``box_<name>.csv``, ``rsa_<name>.csv`` into DIR and the figures
``discover_<name>_{trajectory,box,pair}`` into DIR/figures (docs/analysis.md, "Scenario
discovery"). A condition that no sample, or every sample, meets is one line and exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from uncertainty.cli.options import add_results_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``discover`` sub-command."""
    p = subparsers.add_parser(
        "discover",
        help="scenario discovery: the input box where a condition holds (PRIM or CART) and a "
        "regional sensitivity table",
        description="Find which combinations of inputs lead to an outcome, e.g. --where "
        "'peak_year > 2025' or 'coal_share[2030] >= 0.44 and peak_year > 2025'.",
    )
    add_results_dir(p)
    p.add_argument("--where", required=True, metavar="EXPR", help="OUTPUT[YEAR] OP VALUE [and ...]")
    p.add_argument("--name", help="names the output files (default: derived from EXPR)")
    p.add_argument("--method", choices=("prim", "cart"), default="prim", help="default prim")
    p.add_argument(
        "--density",
        type=float,
        default=0.8,
        help="the chosen box is the one of highest coverage with at least this density "
        "(default 0.8)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of PRIM's resampling (default 0)")
    p.set_defaults(func=run_discover)


def run_discover(args: argparse.Namespace) -> int:
    """Run one discovery and write its tables and figures."""
    found, paths = discover_and_write(
        args.directory, args.where, name=args.name, method=args.method,
        threshold=args.density, seed=args.seed,
    )  # fmt: skip
    print(f"netua: {found.summary}")
    print(f"netua: wrote {', '.join(p.name for p in paths)} to {args.directory}")
    return 0


def discover_and_write(directory: Path, where: str, **options):
    """:func:`uncertainty.analysis.discovery.discover` on a results folder, tables and figures
    written; returns the discovery and the written paths."""
    from uncertainty.analysis.discovery import discover, write_tables
    from uncertainty.analysis.spec import load_analysis_spec
    from uncertainty.plot import discovery as figures
    from uncertainty.plot.style import save
    from uncertainty.store import open_results

    ds = open_results(directory)
    found = discover(ds, where, load_analysis_spec(ds), **options)
    paths = write_tables(found, directory)
    out = Path(directory) / "figures"
    stem = f"discover_{found.name}"
    paths += save(figures.trajectory_figure(found), out, f"{stem}_trajectory")
    paths += save(figures.box_limits_figure(found), out, f"{stem}_box")
    paths += save(figures.pair_figure(found), out, f"{stem}_pair")
    return found, paths
