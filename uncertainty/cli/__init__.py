"""The ``netua`` command line.

Each verb group lives in a module here that registers itself through ``register(subparsers)``;
shared options are defined once in :mod:`uncertainty.cli.options`. This module dispatches and
turns errors into the exit codes of :data:`EXIT_CODES` (one line on stderr; tracebacks only with
``--debug``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from uncertainty.errors import ClusterError, ModelError, RunInterrupted, StoreError

#: sub-command modules, in the order ``netua --help`` lists them
COMMAND_MODULES = (
    "model.cli",  # solve, example
    "uncertainty.cli.run",  # run, status
    "uncertainty.cli.analysis",  # analyze, figures
    "uncertainty.cli.discover",  # discover
    "uncertainty.cli.study",  # study
    "uncertainty.cli.report",  # report
    "benchmarks.cli",  # bench
)

#: every exit code of every verb (docs/cli.md)
EXIT_CODES = {
    0: "done (a run is done when every sample has a status; failed samples are data)",
    1: "the run could not go on: the model cannot be set up, or the Dask cluster was lost",
    2: "bad input: study file, options, a results folder that is missing or cannot be used as "
    "asked (a refused resume, an analysis refused by the failure policy)",
    130: "interrupted (Ctrl-C): completed batches are kept; run the same command to resume",
}

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="netua",
        description="Uncertainty and sensitivity analysis of China's CO2 peak and neutrality.",
        epilog="exit codes: "
        + "; ".join(f"{code} {text.split(':')[0]}" for code, text in EXIT_CODES.items()),
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that part of the toolkit is not installed
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (:data:`EXIT_CODES`)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:  # during start-up, before a verb runs
        note("interrupted")
        return 130
    except BrokenPipeError:  # `netua status DIR | head`: the reader left
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except RunInterrupted as stop:
        where, done, total = stop.args
        note(
            f"interrupted: {done} of {total} samples are safe in {where}; "
            "run the same command again to resume"
        )
        return 130
    except KeyboardInterrupt:
        note("interrupted")
        return 130
    except (ModelError, ClusterError) as exc:
        if args.debug:
            raise
        note(f"error: {exc}")
        return 1
    except (ValueError, StoreError, FileNotFoundError, ImportError) as exc:
        if args.debug:
            raise
        note(f"error: {exc}")
        return 2
    except OSError as exc:  # a read-only folder or file system, a full disk, ...
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        note(f"error: {where}{exc.strerror or exc} (check the folder's permissions and space)")
        return 2


def note(message: str) -> None:
    """A one-line message to the user on stderr."""
    print(f"netua: {message}", file=sys.stderr)
