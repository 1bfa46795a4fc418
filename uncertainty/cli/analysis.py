"""``netua analyze`` and ``netua figures``: tables and figures from a results store.

Errors (no store, empty store, a failure policy that refuses) are ``ValueError`` subclasses; the
dispatcher in :mod:`uncertainty.cli` prints their one-line message and exits 2.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from uncertainty.analysis.design import POLICIES

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
    analyze.add_argument(
        "directory", metavar="DIR", type=Path, help="run directory with store.zarr"
    )
    analyze.add_argument(
        "--policy",
        choices=POLICIES,
        default="refuse",
        help="failed samples in Sobol/Morris designs: refuse (default) or drop their whole blocks",
    )
    analyze.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    analyze.add_argument(
        "--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)"
    )
    analyze.add_argument(
        "--conf-level", type=float, default=0.95, help="interval level (default 0.95)"
    )
    analyze.set_defaults(func=run_analyze)

    figures = subparsers.add_parser(
        "figures",
        help="publication figures (PNG 300 dpi + PDF) from a store and its analysis tables",
        description="Write DIR/figures/*.png and *.pdf; runs the analysis first if its tables "
        "are missing.",
    )
    figures.add_argument(
        "directory", metavar="DIR", type=Path, help="run directory with store.zarr"
    )
    figures.add_argument(
        "--policy", choices=POLICIES, default="refuse", help="as for analyze, if tables are missing"
    )
    figures.set_defaults(func=run_figures)


def run_analyze(args: argparse.Namespace) -> int:
    """Run the analysis and write its tables."""
    from uncertainty.analysis.pipeline import run_analysis
    from uncertainty.analysis.tables import AnalysisSettings

    if args.resamples < 10:
        raise ValueError(f"--resamples {args.resamples}: use at least 10 (1000 recommended)")
    if not 0 < args.conf_level < 1:
        raise ValueError(f"--conf-level {args.conf_level}: expected a number in (0, 1)")
    settings = AnalysisSettings(
        policy=args.policy,
        seed=args.seed,
        n_resamples=args.resamples,
        conf_level=args.conf_level,
    )
    tables = run_analysis(args.directory, settings)
    always = ("failures", "summary", "probabilities")
    written = ", ".join(f"{n}.csv" for n, frame in tables.items() if not frame.empty or n in always)
    print(f"netua: wrote {written} and analysis.zarr to {args.directory}")
    return 0


def run_figures(args: argparse.Namespace) -> int:
    """Draw every figure that the store supports."""
    from uncertainty.plot.report import make_figures

    paths = make_figures(args.directory, policy=args.policy)
    print(f"netua: wrote {len(paths)} files to {Path(args.directory) / 'figures'}")
    return 0
