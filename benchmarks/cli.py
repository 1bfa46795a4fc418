"""``netua bench``: the fast-path benchmark."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bench`` sub-command."""
    p = sub.add_parser("bench", help="benchmark the LP fast path against rebuild and bare HiGHS")
    p.add_argument("--data", default="china", choices=["china", "example"])
    p.add_argument("--samples", type=int, default=40, help="samples for (b) and (c)")
    p.add_argument("--naive", type=int, default=5, help="samples for (a), the slow rebuild")
    p.add_argument(
        "--engine-samples",
        type=int,
        default=64,
        help="samples of the 1- vs 2-worker engine run (0: skip)",
    )
    p.add_argument(
        "--multi", type=int, default=3, help="samples of the latest-peak search (0: skip)"
    )
    p.add_argument("--options-samples", type=int, default=6, help="samples per solver option")
    p.add_argument(
        "--sobol-base",
        type=int,
        default=2,
        help="base size N of the Sobol design timed as the engine runs it (N(D+2) rows; 0: skip)",
    )
    p.add_argument(
        "--hub-rows",
        type=int,
        default=16,
        help="rows of a 10,000-row LHS study timed with hub starts as the engine runs it (0: skip)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("results/benchmarks/fastpath.json"))
    p.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    """Run the benchmark, print its table and save its JSON."""
    from benchmarks.fastpath import format_result, run_benchmark

    result = run_benchmark(
        args.data,
        n_samples=args.samples,
        n_naive=args.naive,
        n_engine=args.engine_samples,
        n_multi=args.multi,
        n_options=args.options_samples,
        n_sobol=args.sobol_base,
        n_hubs=args.hub_rows,
        seed=args.seed,
        out=args.out,
    )
    print(format_result(result))
    print(f"saved {args.out}")
    return 0
