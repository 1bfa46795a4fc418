"""``netua solve``: solve one scenario and print its headline numbers."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from model.load import CHINA_DATA, EXAMPLE_DATA

DATASETS = {"china": CHINA_DATA, "example": EXAMPLE_DATA}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``solve`` sub-command."""
    p = sub.add_parser("solve", help="solve one scenario of the model and print headline numbers")
    p.add_argument(
        "--data",
        default="china" if (CHINA_DATA / "technologies.csv").exists() else "example",
        help="dataset: china, example or a folder of CSV tables",
    )
    p.add_argument("--growth", default="medium", help="socio-economic scenario (low|medium|high)")
    p.add_argument(
        "--sink",
        type=float,
        default=None,
        help="natural carbon sink, GtCO2/yr (default: the dataset's)",
    )
    p.add_argument(
        "--no-history",
        action="store_true",
        help="do not hold 2021-2024 to observations (replicate pre-2021 studies)",
    )
    p.add_argument("--neutrality-year", type=int, default=None)
    p.add_argument(
        "--carbon-policy",
        choices=("none", "budget", "ets"),
        default="none",
        help="carbon constraint before the neutrality year (default: none)",
    )
    p.add_argument(
        "--latest-peak",
        action="store_true",
        help="also search the latest peak year that still reaches neutrality (~1 minute)",
    )
    p.add_argument("--out", type=Path, default=None, help="write the outputs as netCDF here")
    p.set_defaults(func=run_solve)


def run_solve(args: argparse.Namespace) -> int:
    """Solve and print; return the exit status."""
    from model.scenario import headline, solve_scenario

    data = DATASETS.get(args.data, Path(args.data))
    start = time.perf_counter()
    extra = {} if args.neutrality_year is None else {"neutrality_year": args.neutrality_year}
    out = solve_scenario(
        args.growth,
        args.sink,
        data=data,
        history=not args.no_history,
        carbon_policy=args.carbon_policy,
        latest_peak=args.latest_peak,
        **extra,
    )
    print(
        f"dataset {data} | growth {args.growth} | sink "
        f"{'dataset' if args.sink is None else f'{args.sink} Gt'} | "
        f"history {'off' if args.no_history else 'on'} | carbon policy {args.carbon_policy}"
    )
    print(headline(out))
    print(
        f"(load + build + solve {time.perf_counter() - start:.1f} s; "
        f"solve {out.attrs['solve_seconds']:.2f} s)"
    )
    if args.out:
        out.to_netcdf(args.out)
        print(f"outputs written to {args.out}")
    return 0
