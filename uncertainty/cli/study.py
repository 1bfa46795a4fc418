"""``netua study``: run a study, analyse it and draw its figures in one command.

The README's main job. It chains ``netua run``, ``netua analyze`` and ``netua figures`` on the
same folder (so a stopped study resumes when the command is repeated) and ends with the headline
probabilities of ``probabilities.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``study`` sub-command."""
    p = subparsers.add_parser(
        "study",
        help="run, analyse and draw a study in one go (resumes like run)",
        description="netua run + netua analyze + netua figures on one study.",
    )
    p.add_argument("study", type=Path, help="study file (TOML)")
    p.add_argument("--out", type=Path, help="output folder (default: results/<study name>)")
    p.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="worker processes (default: all CPUs; not with --scheduler)",
    )
    p.add_argument("--fresh", action="store_true", help="delete an existing store, start over")
    p.add_argument(
        "--policy",
        choices=("refuse", "drop-blocks"),
        default="drop-blocks",
        help="failed samples in the Sobol analysis (default: drop their blocks)",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--backend", choices=("loky", "dask"), help="as for netua run")
    p.add_argument("--scheduler", metavar="ADDRESS", help="as for netua run (Dask cluster)")
    p.set_defaults(func=run_study_command)


def run_study_command(args: argparse.Namespace) -> int:
    """Run, analyse, draw; print the headline probabilities."""
    from uncertainty.cli.analysis import run_analyze, run_figures
    from uncertainty.cli.run import cmd_run
    from uncertainty.engine.run import default_out
    from uncertainty.study.space import load_study

    out = default_out(load_study(args.study), args.out)
    n_jobs = args.n_jobs if args.n_jobs is not None or args.scheduler else -1
    run_args = argparse.Namespace(
        study=args.study,
        out=out,
        n_jobs=n_jobs,
        batch_size=None,
        fresh=args.fresh,
        allow_code_change=False,
        no_progress=args.no_progress,
        backend=args.backend,
        scheduler=args.scheduler,
    )
    status = cmd_run(run_args)
    if status:
        return status
    run_analyze(
        argparse.Namespace(
            directory=out, policy=args.policy, seed=0, resamples=1000, conf_level=0.95
        )
    )
    run_figures(argparse.Namespace(directory=out, policy=args.policy))
    print(headline_probabilities(out))
    return 0


def headline_probabilities(out: Path) -> str:
    """The study's declared probabilities over all samples, with their Wilson intervals."""
    import pandas as pd
    import xarray as xr

    from uncertainty.analysis.spec import load_analysis_spec

    with xr.open_zarr(out / "store.zarr") as ds:
        labels = [p.label for p in load_analysis_spec(ds).probabilities]
    table = pd.read_csv(out / "probabilities.csv")
    rows = table[table.statement.isin(labels) & table.group.isna()]
    lines = [f"headline probabilities ({out}):"]
    for row in rows.itertuples():
        lines.append(
            f"  {row.statement} = {row.p:.2f}, 95 % interval "
            f"[{row.p_conf_low:.2f}, {row.p_conf_high:.2f}], n = {row.n}"
        )
    return "\n".join(lines)
