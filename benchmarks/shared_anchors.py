"""The anchors' latest peaks searched once per run and shared, against searched by every worker,
side by side in one run (uncertainty/engine/shared.py).

Run: ``python -m benchmarks.shared_anchors [N] [WORKERS]`` (an LHS study of N rows, default 8,
on WORKERS loky workers, default 2; ~20 min on the China data). The same ChinaLP study with the
latest-peak search and ``latest_peak_guess = "fit"`` (the plane through the anchors' answers,
all 32) runs twice through the engine: as it does now (each anchor's search once per run,
spread over the workers, recorded in the manifest and handed to every worker) and as it did before
(:class:`PerWorker`: every worker searches every anchor itself before its first batch). Prints
and saves the wall times, their ratio, and each run's set-up (wall time minus the samples'
elapsed shared among the workers) to ``results/benchmarks/shared_anchors.json``. The stores
must agree bit for bit on the outputs (the same guesses, so the same trials), which it checks.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

from benchmarks import save_json
from benchmarks.fastpath import study_text
from model.ensemble import ChinaLP
from uncertainty.engine.run import run_study

OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "shared_anchors.json"
OUTPUTS = ("cost", "iterations", "anchor", "latest_peak_year", "latest_peak_solves", "delay_cost")


#: anchors of both runs (the committed run's; the China LP's default is now 128)
ANCHORS = 32


class PerWorker(ChinaLP):
    """The China LP as the engine ran it before the anchors' results and bases were shared:
    every worker solves and searches every anchor of the plane itself (``prepared_anchors``,
    all 32 here) before its first batch."""

    shares_anchor_results = False
    shares_anchor_starts = False


def _study(folder: Path, n: int, model: str, data: str) -> Path:
    text = study_text(data, n, seed=1).replace(
        '"parent_start"]', '"parent_start", "latest_peak_year", "latest_peak_solves", "delay_cost"]'
    )
    text = text.replace('model = "model.ensemble:ChinaLP"', f'model = "{model}"')
    text = text.replace(f'data = "{data}"', f'data = "{data}"\nlatest_peak = true\n'
                        f'latest_peak_guess = "fit"\nanchors = {ANCHORS}')  # fmt: skip
    path = folder / f"{model.rsplit(':', 1)[1]}.toml"
    path.write_text(text)
    return path


def side_by_side(
    studies: dict, folder: Path, workers: int, outputs, batch_size=None, fresh=False
) -> dict:
    """Run the studies ``{"shared": path, "per_worker": path}`` into ``folder`` (``fresh``: each
    on fresh loky workers), check that their stores agree bit for bit on ``outputs``, and
    return each run's wall time and set-up (wall minus the samples' elapsed shared among the
    workers) and their ratios (:func:`report` prints and saves them)."""
    from joblib.externals.loky import get_reusable_executor

    runs, stores = {}, {}
    for name, study in studies.items():
        if fresh:
            get_reusable_executor(kill_workers=True).shutdown(wait=True)
        start = time.perf_counter()
        where = run_study(study, folder / name, n_jobs=workers, batch_size=batch_size)
        wall = time.perf_counter() - start
        store = xr.open_zarr(where / "store.zarr").load()
        samples = float(store.elapsed.sum())
        own = store.parent_start.values == 0  # rows started from their anchor
        runs[name] = {
            "wall_s": wall,
            "samples_elapsed_s": samples,
            "setup_s": wall - samples / workers,
            "ok": int((store.status.values == 1).sum()),
            "anchors_used": len(np.unique(store.anchor.values[own])),
        }
        stores[name] = store
        print(f"{name:10s} wall {wall:7.1f} s, set-up {runs[name]['setup_s']:7.1f} s", flush=True)
    for output in outputs:
        np.testing.assert_array_equal(
            stores["shared"][output].values, stores["per_worker"][output].values, output
        )
    return {
        "runs": runs,
        "wall_per_worker_over_shared": runs["per_worker"]["wall_s"] / runs["shared"]["wall_s"],
        "setup_per_worker_over_shared": runs["per_worker"]["setup_s"] / runs["shared"]["setup_s"],
        "same_outputs": list(outputs),
    }


def report(result: dict, what: str, out: Path | None) -> dict:
    """Print the ratios of :func:`side_by_side`'s ``result`` (``what``: the per-worker work) and
    save it to ``out``."""
    print(
        f"per-worker {what} / shared: wall x{result['wall_per_worker_over_shared']:.2f}, "
        f"set-up x{result['setup_per_worker_over_shared']:.2f}"
    )
    save_json(result, out)
    return result


def main(n: int = 8, workers: int = 2, out: Path | None = OUT, data: str = "china") -> dict:
    folder = Path(tempfile.mkdtemp(prefix="netua-shared-"))
    try:
        studies = {
            name: _study(folder, n, model, data)
            for name, model in (
                ("shared", "model.ensemble:ChinaLP"),
                ("per_worker", "benchmarks.shared_anchors:PerWorker"),
            )  # fmt: skip
        }
        compared = side_by_side(studies, folder, workers, OUTPUTS, batch_size=1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {"data": data, "rows": n, "workers": workers, "anchors": ANCHORS, **compared}
    return report(result, "searches", out)


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
