"""The ``netua`` command line.

Each sub-command lives with the module that does its work and registers itself through a
``register(subparsers)`` function named here by an import string, so this file only dispatches.
Input errors (``ValueError`` subclasses of our packages, missing files) print one line and exit 2;
tracebacks only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

#: sub-command modules, in the order ``netua --help`` lists them
COMMAND_MODULES = (
    "model.cli",  # solve, example
    "uncertainty.cli.run",  # run, status
    "uncertainty.cli.analysis",  # analyze, figures
    "uncertainty.cli.study",  # study
    "benchmarks.cli",  # bench
)

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="netua",
        description="Uncertainty and sensitivity analysis of China's CO2 peak and neutrality.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that part of the toolkit is not installed or not written yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure, 2 bad input)."""
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
    except KeyboardInterrupt:
        print("netua: interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, ImportError) as exc:
        if args.debug:
            raise
        print(f"netua: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
