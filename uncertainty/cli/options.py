"""Options shared by several verbs, defined once so that their names, defaults and help agree.

Defaults (``docs/cli.md``): ``--n-jobs`` all CPUs (``run`` and ``study``); ``--policy`` the
study's ``[analysis] policy``, else ``refuse`` (``analyze``, ``figures``, ``study``);
bootstrap ``--seed 0``, ``--resamples 1000``, ``--conf-level 0.95``. The results folder is the
positional ``DIR`` of the verbs that read one and ``--out`` of those that write one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from uncertainty.analysis.design import POLICIES

#: default worker processes of ``run`` and ``study``: one per CPU
DEFAULT_N_JOBS = -1
#: bootstrap resamples accepted (each costs a pass over the design)
MIN_RESAMPLES, MAX_RESAMPLES = 10, 100_000


def add_results_dir(parser: argparse.ArgumentParser) -> None:
    """The positional results folder of the verbs that read one."""
    parser.add_argument(
        "directory", metavar="DIR", type=Path, help="results folder (holding store.zarr)"
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options of ``netua run`` and ``netua study``."""
    parser.add_argument("study", type=Path, help="study file (TOML)")
    parser.add_argument("--out", type=Path, help="results folder (default: results/<study name>)")
    parser.add_argument(
        "--n-jobs",
        type=int,
        help="worker processes (default: one per CPU; -1 likewise; not with --scheduler)",
    )
    parser.add_argument("--batch-size", type=int, help="samples per batch and store chunk")
    parser.add_argument("--fresh", action="store_true", help="delete an existing store, start over")
    parser.add_argument(
        "--allow-code-change",
        action="store_true",
        help="resume although the code version changed (recorded in the manifest)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--oversubscribe",
        action="store_true",
        help="allow more worker processes than CPUs (--n-jobs is capped at the CPU count)",
    )
    parser.add_argument(
        "--allow-large",
        action="store_true",
        help="run a design above the 2 GiB memory/store estimate (refused otherwise)",
    )
    parser.add_argument(
        "--backend",
        choices=("loky", "dask"),
        help="where batches run: loky processes here (default) or a Dask cluster "
        "(a local one of --n-jobs workers unless --scheduler is given); see docs/cluster.md",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster at ADDRESS (tcp://host:8786, or a scheduler file .json); "
        "implies --backend dask",
    )


def add_analysis_options(parser: argparse.ArgumentParser, *, figures_only: bool = False) -> None:
    """Options of ``netua analyze``, ``netua figures`` and ``netua study``."""
    parser.add_argument(
        "--policy",
        choices=POLICIES,
        help="failed samples in Sobol/Morris designs: refuse, or drop their whole blocks "
        "(default: the study's [analysis] policy, else refuse)",
    )
    if figures_only:
        return
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument(
        "--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)"
    )
    parser.add_argument(
        "--conf-level", type=float, default=0.95, help="interval level (default 0.95)"
    )


def analysis_settings(args: argparse.Namespace):
    """The :class:`AnalysisSettings` of parsed analysis options (checked)."""
    from uncertainty.analysis.tables import AnalysisSettings

    if not MIN_RESAMPLES <= args.resamples <= MAX_RESAMPLES:
        raise ValueError(
            f"--resamples {args.resamples}: use {MIN_RESAMPLES} to {MAX_RESAMPLES:,} "
            "(1000 recommended)"
        )
    if not 0 < args.conf_level < 1:
        raise ValueError(f"--conf-level {args.conf_level}: expected a number in (0, 1)")
    return AnalysisSettings(
        policy=args.policy, seed=args.seed, n_resamples=args.resamples, conf_level=args.conf_level
    )
