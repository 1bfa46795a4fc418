"""``netua analyze`` and ``netua figures``: tables and figures from a results store.

Errors (no store, empty store, a failure policy that refuses) are ``ValueError`` subclasses; the
dispatcher in :mod:`uncertainty.cli` prints their one-line message and exits 2.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from uncertainty.cli.options import add_analysis_options, add_results_dir, analysis_settings

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` and ``figures`` sub-commands."""
    analyze = subparsers.add_parser(
        "analyze",
        help="Sobol/Morris/PAWN indices, probabilities and quantiles from a results store",
        description="Write sobol.csv, sobol_time.csv, summary.csv, probabilities.csv, "
        "failures.csv, convergence.csv, morris.csv or pawn.csv and analysis.zarr into DIR "
        "(see docs/analysis.md).",
    )
    add_results_dir(analyze)
    add_analysis_options(analyze)
    analyze.set_defaults(func=run_analyze)

    figures = subparsers.add_parser(
        "figures",
        help="publication figures (PNG 300 dpi + PDF) from a store and its analysis tables",
        description="Write DIR/figures/*.png and *.pdf; runs the analysis first if its tables "
        "are missing.",
    )
    add_results_dir(figures)
    add_analysis_options(figures, figures_only=True)
    figures.set_defaults(func=run_figures)


def run_analyze(args: argparse.Namespace) -> int:
    """Run the analysis and write its tables."""
    from uncertainty.analysis.pipeline import run_analysis

    tables = run_analysis(args.directory, analysis_settings(args))
    print(f"netua: wrote {written(tables)} and analysis.zarr to {args.directory}")
    return 0


def written(tables: dict) -> str:
    """The CSV files an analysis wrote, for the user."""
    always = ("failures", "summary", "probabilities")
    return ", ".join(f"{n}.csv" for n, frame in tables.items() if not frame.empty or n in always)


def run_figures(args: argparse.Namespace) -> int:
    """Draw every figure that the store supports."""
    from uncertainty.plot.report import make_figures

    paths = make_figures(args.directory, policy=args.policy)
    print(f"netua: wrote {len(paths)} files to {Path(args.directory) / 'figures'}")
    return 0
