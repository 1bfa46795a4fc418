"""The ``netua run`` and ``netua status`` commands."""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from uncertainty.cli import note
from uncertainty.cli.options import DEFAULT_N_JOBS, add_results_dir, add_run_options
from uncertainty.errors import StudyError

if TYPE_CHECKING:
    from uncertainty.engine.run import RunSummary

# the engine (xarray, zarr, SALib) is imported inside the commands: `netua --help` stays quick

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` and ``status`` sub-commands."""
    run = subparsers.add_parser(
        "run",
        help="evaluate a study (resumes an unfinished run in the same folder)",
        description="Evaluate every sample of a study and store the results in OUT/store.zarr. "
        "Running again into the same folder resumes; see docs/study-files.md and docs/cli.md.",
    )
    add_run_options(run)
    run.set_defaults(func=cmd_run)
    status = subparsers.add_parser("status", help="progress, failures and manifest of a run")
    add_results_dir(status)
    status.set_defaults(func=cmd_status)


def cmd_run(args: argparse.Namespace) -> int:
    """Run a study; exit 0 when every sample has a status (failures included)."""
    summary = start_run(args)
    print_summary(summary)
    return 0


def start_run(args: argparse.Namespace) -> RunSummary:
    """Run (or resume) the study of parsed run options (:func:`add_run_options`)."""
    from uncertainty.engine.run import RunSettings, default_out, run_ensemble
    from uncertainty.study.space import load_study

    study = load_study(args.study)
    _check_options(args)
    if args.backend == "dask" or args.scheduler is not None:
        _quiet_dask()
    n_jobs = args.n_jobs
    if n_jobs is None:
        n_jobs = 1 if args.scheduler is not None else DEFAULT_N_JOBS
    settings = RunSettings(
        n_jobs=n_jobs,
        batch_size=args.batch_size,
        fresh=args.fresh,
        allow_code_change=args.allow_code_change,
        progress=not args.no_progress,
        backend=args.backend,
        scheduler=args.scheduler,
        oversubscribe=args.oversubscribe,
        allow_large=args.allow_large,
    )
    return run_ensemble(study, default_out(study, args.out), settings, notify=note)


def _quiet_dask() -> None:
    """Without -v, hide Dask's own log (netua reports dead workers and a lost cluster itself).

    Importing ``distributed`` sets its loggers' levels, so it is imported first.
    """
    if logger.isEnabledFor(logging.INFO):
        return
    try:
        import distributed  # noqa: F401
    except ImportError:
        return  # the backend says how to install it
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)  # distributed sets some itself


def _check_options(args: argparse.Namespace) -> None:
    """Refuse option values and combinations that cannot work."""
    if args.batch_size is not None and args.batch_size < 1:
        raise StudyError(f"--batch-size {args.batch_size}: must be at least 1")
    if args.n_jobs == 0:
        raise StudyError("--n-jobs 0: use a positive number of workers, or -1 for all CPUs")
    if args.scheduler is not None:
        from uncertainty.engine.dask_backend import check_scheduler

        check_scheduler(args.scheduler)
    if args.scheduler is not None and args.backend == "loky":
        raise StudyError("--scheduler runs on a Dask cluster: use it with --backend dask")
    if args.scheduler is not None and args.n_jobs is not None:
        raise StudyError(
            "--n-jobs with --scheduler: the cluster's workers are what it has; "
            "start more (dask worker ... --nworkers N) instead"
        )


def cmd_status(args: argparse.Namespace) -> int:
    """Print a run's progress, failures by kind and manifest."""
    from uncertainty import store

    out: Path = args.directory
    if not store.store_exists(out):  # refuses a damaged or foreign store, naming it
        raise StudyError(f"{out}: no store.zarr here (run `netua run STUDY.toml --out {out}`)")
    store.guard.verify(out)
    manifest = store.read_manifest(out)
    _, status = store.read_arrays(out)
    counts = store.status_counts(status)
    done = len(status) - counts["pending"]
    print(f"study {manifest['study']['name']!r} in {out}")
    print(f"progress: {done} of {len(status)} samples done ({100 * done / len(status):.1f} %)")
    for name, count in counts.items():
        print(f"  {name:8s} {count}")
    _print_failures(out)
    print("manifest:")
    shown = {k: v for k, v in manifest.items() if k != "study_text"}
    print(json.dumps(shown, indent=2, default=str))
    return 0


def print_summary(summary: RunSummary) -> None:
    from uncertainty import store

    counts = summary.counts
    failed = counts["error"] + counts["timeout"] + counts["crashed"]
    print(
        f"done: {summary.n_samples} samples in {summary.out / store.STORE} "
        f"({summary.n_evaluated} evaluated now); ok {counts['ok']}, failed {failed} "
        f"(error {counts['error']}, timeout {counts['timeout']}, crashed {counts['crashed']})"
    )
    if failed:
        _print_reasons(summary.failures)
        print(f"details: {summary.out / store.FAILURES}")


def _print_failures(out: Path) -> None:
    from uncertainty.store import guard

    _print_reasons(guard.read_failure_lines(out))


def _print_reasons(records: list[dict]) -> None:
    from uncertainty.store import status_name

    reasons = Counter(
        (status_name(r["status"]), r["message"].splitlines()[0][:120] if r["message"] else "")
        for r in records
    )
    for (kind, message), count in reasons.most_common(10):
        print(f"  {count:6d} {kind}: {message}")
    if len(reasons) > 10:
        print(f"  ... and {len(reasons) - 10} other reasons")
