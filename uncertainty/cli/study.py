"""``netua study``: run a study, analyse it, draw its figures and write its report in one command.

The README's main job. It calls the same functions as ``netua run``, ``netua analyze`` and
``netua figures`` (with the same options and defaults, :mod:`uncertainty.cli.options`) on one
folder, so a stopped study resumes when the command is repeated, and ends with the headline
probabilities of ``probabilities.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from uncertainty.cli.options import add_analysis_options, add_run_options, analysis_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``study`` sub-command."""
    p = subparsers.add_parser(
        "study",
        help="run, analyse and draw a study in one go (resumes like run)",
        description="netua run + netua analyze + netua figures on one study (docs/cli.md).",
    )
    add_run_options(p)
    add_analysis_options(p)
    p.set_defaults(func=run_study_command)


def run_study_command(args: argparse.Namespace) -> int:
    """Run, analyse, draw; print the headline probabilities."""
    from uncertainty.analysis.pipeline import run_analysis
    from uncertainty.cli.analysis import written
    from uncertainty.cli.run import print_summary, start_run
    from uncertainty.plot.report import make_figures

    settings = analysis_settings(args)  # checked before a long run, not after
    summary = start_run(args)
    print_summary(summary)
    tables = run_analysis(summary.out, settings)
    print(f"netua: wrote {written(tables)} and analysis.zarr to {summary.out}")
    paths = make_figures(summary.out, policy=args.policy)
    print(f"netua: wrote {len(paths)} files to {summary.out / 'figures'}")
    print(headline_probabilities(summary.out))
    run_declared_discoveries(summary.out)
    from uncertainty.report.render import write_report

    print(f"netua: wrote {write_report(summary.out)}")
    return 0


def run_declared_discoveries(out: Path) -> None:
    """The study's ``[analysis] discover`` entries (scenario discovery), each with its tables and
    figures; a condition no sample (or every sample) meets is noted, not an error."""
    from uncertainty.analysis.discovery import INSTALL, NoContrastError
    from uncertainty.analysis.spec import load_analysis_spec
    from uncertainty.cli import note
    from uncertainty.cli.discover import discover_and_write
    from uncertainty.errors import AnalysisError
    from uncertainty.store import open_results

    for entry in load_analysis_spec(open_results(out)).discover:
        options = {"name": entry.get("name"), "method": entry.get("method", "prim")}
        options["threshold"] = float(entry.get("density", 0.8))
        try:
            found, _ = discover_and_write(out, entry["where"], **options)
        except NoContrastError as exc:
            note(f"discover: {exc}")
            continue
        except AnalysisError as exc:
            if INSTALL not in str(exc):
                raise
            note(f"discover: skipped ({exc})")
            return
        print(f"netua: discover: {found.summary}")


def headline_probabilities(out: Path) -> str:
    """The study's declared probabilities over all samples, with their Wilson intervals."""
    import pandas as pd

    from uncertainty.report.content import declared_probabilities
    from uncertainty.store import open_results

    rows = declared_probabilities(pd.read_csv(out / "probabilities.csv"), open_results(out))
    lines = [f"headline probabilities ({out}):"]
    for row in rows.itertuples():
        lines.append(
            f"  {row.statement} = {row.p:.2f}, 95 % interval "
            f"[{row.p_conf_low:.2f}, {row.p_conf_high:.2f}], n = {row.n}"
        )
    return "\n".join(lines)
