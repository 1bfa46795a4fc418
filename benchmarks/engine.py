"""The engine's part of ``netua bench``: samples per second of a real ``netua run`` with 1 and 2
workers, and the wall time of a 10,000-sample study extrapolated from that run."""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

from uncertainty.store.format import STORE


def engine_throughput(text: str, n: int) -> dict:
    """Samples per second of the engine with 1 and 2 workers on the study file ``text`` of
    ``n`` samples (fresh processes, each building the LP; the anchors the rows start from
    solved once per run, shared: set-up included), each sample's mean evaluation time, store
    bytes per sample, and how many anchors the rows started from."""
    from joblib.externals.loky import get_reusable_executor

    from uncertainty.engine.run import run_study

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study.toml"
        study.write_text(text)
        for n_jobs in (1, 2):
            # fresh worker processes for each run: a worker kept from the previous run would
            # hold its built LP and solved anchors and flatter the second run
            get_reusable_executor(kill_workers=True).shutdown(wait=True)
            folder = Path(tmp) / f"run{n_jobs}"
            start = time.perf_counter()
            run_study(study, folder, n_jobs=n_jobs, fresh=True)
            wall = time.perf_counter() - start
            out[f"samples_per_second_{n_jobs}_workers"] = n / wall
            size = sum(f.stat().st_size for f in (folder / STORE).rglob("*") if f.is_file())
            out["store_bytes_per_sample"] = size / n
            with xr.open_zarr(folder / STORE) as ds:  # each sample's own evaluation time
                elapsed = ds["elapsed"].values  # (set-up of the LP and anchors excluded)
                own = ds["parent_start"].values == 0  # rows started from their anchor
                started = ds["anchor"].values[own]  # (every row of the bench's run succeeds)
                out["engine_anchors_used"] = len(np.unique(started[started >= 0]))
            out[f"engine_elapsed_mean_{n_jobs}_workers_s"] = float(np.nanmean(elapsed))
    out["engine_samples"] = n
    out["speedup_2_vs_1_workers"] = (
        out["samples_per_second_2_workers"] / out["samples_per_second_1_workers"]
    )
    return out


def scale_estimate(result: dict, n: int = 10_000) -> dict:
    """Wall time (hours) of an ``n``-sample study, extrapolated from the measured rates.

    Assumptions: each sample costs the mean evaluation time of the samples of the 2-worker
    engine run (each sample's elapsed as the store records it: two workers sharing the machine,
    the rare rebuild audits included as they fell); everything else in that run's wall time
    (worker start, imports, building the LP and its reference solve, store writes, the last
    batch's imbalance) is a set-up paid once per worker ((wall - samples per worker x mean) for
    2 workers), except the anchors: solved once per run and shared
    (uncertainty/engine/shared.py), ceil(anchors used / workers) solves per worker at the
    measured time of (b)'s anchor solves (taken out of the measured set-up at the engine run's
    own count, as if they had all been on its critical path), the anchors used by n rows
    expected as A (1 - (1 - 1/A)^n) of A (each row's nearest anchor equally likely: all of them
    at 10,000 rows); workers scale linearly beyond 2 (one core each, no shared bottleneck: the
    store writes take ~1 ms per sample in the parent); a Dask cluster adds nothing measurable at
    seconds per sample (benchmarks/dask_overhead.py).
    """
    samples = result["engine_samples"]
    wall_2 = samples / result["samples_per_second_2_workers"]
    per_sample = result["engine_elapsed_mean_2_workers_s"]
    measured = max(wall_2 - per_sample * samples / 2, 0.0)
    used = result.get("engine_anchors_used")  # None: a run before the anchors were shared
    anchor_solve = 0.0
    if used is not None and result.get("anchors_used"):
        anchor_solve = result["anchor_setup_seconds"] / result["anchors_used"]
    fixed = max(measured - math.ceil((used or 0) / 2) * anchor_solve, 0.0)
    anchors = expected_anchors(result.get("anchors", 0), n)
    # set-up of one of W workers (s): constant (= measured) when anchor_solve is 0
    setup = {w: fixed + math.ceil(anchors / w) * anchor_solve for w in (2, 16, 64)}
    hours = {}
    for workers in (2, 16, 64):
        hours[f"loky_{workers}_workers"] = (setup[workers] + n * per_sample / workers) / 3600
    hours["dask_64_workers"] = hours["loky_64_workers"]
    out = {
        "samples": n,
        "seconds_per_sample_per_worker": per_sample,
        "setup_seconds_per_worker": measured,
        "setup_seconds_per_worker_by_workers": {f"{w}": s for w, s in setup.items()},
        "anchors_expected": anchors,
        "anchor_solve_seconds": anchor_solve,
        "hours": hours,
        "assumptions": " ".join(scale_estimate.__doc__.split("\n\n")[1].split()),
    }
    if "sobol_fast_median_s" in result:  # the solve part of a sample at the Sobol design's rate
        sobol = max(per_sample - result["fast_median_s"] + result["sobol_fast_median_s"], 0.0)
        out["seconds_per_sample_per_worker_sobol"] = sobol
        out["hours_sobol"] = {
            f"loky_{workers}_workers": (setup[workers] + n * sobol / workers) / 3600
            for workers in (2, 16, 64)
        }
    if "hub_children_time_hub_over_anchor" in result:  # an LHS study grouped behind hubs: the
        # rows with a hub (their share) solve at the side-by-side ratio to their anchor start
        share = result["hub_parent_share"]
        factor = share * result["hub_children_time_hub_over_anchor"] + (1 - share)
        hubs = max(per_sample - result["fast_median_s"] * (1 - factor), 0.0)
        out["seconds_per_sample_per_worker_lhs_hubs"] = hubs
        out["hours_lhs_hubs"] = {
            f"loky_{workers}_workers": (setup[workers] + n * hubs / workers) / 3600
            for workers in (2, 16, 64)
        }
    if "multi_solve_search_median_s" in result:
        out["latest_peak"] = latest_peak_estimate(result, out, n)
    return out


def expected_anchors(count: int, n: int) -> int:
    """Distinct anchors that ``n`` rows start from, expected when each row's nearest of
    ``count`` anchors is equally likely to be any (rounded up)."""
    if count <= 0:
        return 0
    return math.ceil(count * (1 - (1 - 1 / count) ** n) - 1e-9)


def latest_peak_estimate(result: dict, scale: dict, n: int) -> dict:
    """The same studies with the latest-peak search, extrapolated from the measured searches.

    Assumptions: each row adds the search time measured on rows of its kind (medians of the
    benchmark's few rows): a row started from its anchor (every row of a design without hubs or
    Sobol blocks) searches from the anchor's answer, a row behind a hub (their measured share)
    from the hub's, a Sobol AB row (their share) from its A row's answer and trial bases; the
    other rows of each design start from their anchor.
    Each run also searches every anchor its rows start from once (as many as in the projection
    without the search), spread over the workers and shared (uncertainty/engine/shared.py), at
    the measured set-up per anchor of the searched rows less the anchor's basis solve, which the
    set-up already holds (a run before the bases were shared: counted again). Not
    counted: a hub or Sobol A row that another batch or worker evaluates is solved and searched
    again by the worker whose rows start from it (more often the more workers share a design).
    """
    anchor_search = result["multi_solve_search_median_s"]
    # the searched rows' distinct anchors (a run before this key counted them: its 3 rows of
    # seed 1 start from 3 different anchors, 30, 2 and 22)
    distinct = result.get("multi_solve_anchors", result["multi_solve_samples"])
    per_anchor = result["multi_solve_anchor_setup_s"] / distinct
    rows = {"anchor_starts": scale["seconds_per_sample_per_worker"] + anchor_search}
    for design, solve, search, share in (
        ("lhs_hubs", "seconds_per_sample_per_worker_lhs_hubs", "multi_solve_hubs", "hub"),
        ("sobol", "seconds_per_sample_per_worker_sobol", "multi_solve_sobol", "sobol"),
    ):
        if solve in scale and f"{search}_search_median_s" in result:
            part = result[f"{share}_parent_share"]
            searched = part * result[f"{search}_search_median_s"] + (1 - part) * anchor_search
            rows[design] = scale[solve] + searched
    setup = scale["setup_seconds_per_worker_by_workers"]
    search = max(per_anchor - scale["anchor_solve_seconds"], 0.0)
    hours = {
        design: {
            f"loky_{w}_workers": (
                setup[f"{w}"] + math.ceil(scale["anchors_expected"] / w) * search + n * seconds / w
            )
            / 3600
            for w in (2, 16, 64)
        }
        for design, seconds in rows.items()
    }
    return {
        "seconds_per_row": rows,
        "seconds_per_anchor_search": search,
        "hours": hours,
        "assumptions": " ".join(latest_peak_estimate.__doc__.split("\n\n")[1].split()),
    }
