"""``netua report``: the study's self-contained HTML page (uncertainty/report/)."""

from __future__ import annotations

import argparse
from pathlib import Path

from uncertainty.cli.options import add_results_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` sub-command."""
    p = subparsers.add_parser(
        "report",
        help="write DIR/report.html: one page with every table and figure embedded",
        description="One self-contained HTML page of an analysed study (docs/report.md).",
    )
    add_results_dir(p)
    p.add_argument("--out", type=Path, default=None, help="file to write (default DIR/report.html)")
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    """Write the report; print where."""
    from uncertainty.report.render import write_report

    path = write_report(args.directory, args.out)
    size = path.stat().st_size / 2**20
    print(f"netua: wrote {path} ({size:.1f} MB)")
    return 0
