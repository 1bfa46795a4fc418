"""A resume that reads its anchors' starts back from the folder against one that solves them
again, side by side in one run (uncertainty/store/starts.py, uncertainty/engine/shared.py).

Run: ``python -m benchmarks.resume_starts [N] [WORKERS]`` (an LHS study of N rows of the
benchmark's 8 parameters on the China data, default 16, on WORKERS loky workers, default 2; ~6
min). The study runs once; then every row is marked pending again (as in a run killed before it
wrote its first batch) in four copies of its folder, which are resumed in the order kept,
solved, solved, kept (each on fresh workers, so the machine's drift falls on both alike): "kept"
as the engine resumes now, reading the starts back; "solved" with ``anchor_starts/`` deleted,
as it resumed before the starts were kept (every anchor the rows start from solved again, once,
over the workers). Prints and saves the resumes' wall times, the anchors each solved and the
ratio of the mean walls to ``results/benchmarks/resume_starts.json``. Every resumed store must
agree with the first run's bit for bit on the outputs (a kept start is the bytes the anchor's
solve gave), which it checks.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr
import zarr

from benchmarks import save_json
from benchmarks.fastpath import study_text
from uncertainty.engine.run import RunSettings, run_ensemble
from uncertainty.store import ANCHOR_STARTS
from uncertainty.study.space import load_study

OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "resume_starts.json"
OUTPUTS = ("co2", "cost", "iterations", "anchor", "peak_year")
ORDER = ("kept", "solved", "solved", "kept")


def _resume(study, where: Path, workers: int) -> dict:
    """Resume ``where`` on fresh workers: wall time and the anchors it solved."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor(kill_workers=True).shutdown(wait=True)
    notes: list[str] = []
    start = time.perf_counter()
    run_ensemble(study, where, RunSettings(workers, None), notify=notes.append)
    wall = time.perf_counter() - start
    solved = [int(m.group(1)) for n in notes if (m := re.search(r"anchors: (\d+) solved", n))]
    return {"wall_s": wall, "anchors_solved": sum(solved)}


def main(
    n: int = 16,
    workers: int = 2,
    out: Path | None = OUT,
    data: str = "china",
    order: tuple[str, ...] = ORDER,
) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="netua-resume-"))
    try:
        path = folder / "study.toml"
        path.write_text(study_text(data, n, seed=1))
        study = load_study(path)
        first = _resume(study, folder / "first", workers)  # a fresh folder: the first run
        reference = xr.open_zarr(folder / "first" / "store.zarr").load()
        runs = []
        for i, way in enumerate(order):
            where = folder / f"{way}{i}"
            shutil.copytree(folder / "first", where)
            status = zarr.open_array(where / "store.zarr" / "status", mode="r+")
            status[:] = 0  # every row pending again
            if way == "solved":
                shutil.rmtree(where / ANCHOR_STARTS)
            runs.append({"way": way, **_resume(study, where, workers)})
            store = xr.open_zarr(where / "store.zarr").load()
            assert (store.status.values == 1).all(), f"{way}: not every row succeeded"
            for name in OUTPUTS:
                np.testing.assert_array_equal(
                    store[name].values, reference[name].values, f"{way}: {name}"
                )
            print(
                f"{way:6s} wall {runs[-1]['wall_s']:6.1f} s, "
                f"{runs[-1]['anchors_solved']} anchors solved",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    mean = {w: statistics.mean(r["wall_s"] for r in runs if r["way"] == w) for w in set(order)}
    result = {
        "data": data,
        "rows": n,
        "workers": workers,
        "first_run_wall_s": first["wall_s"],
        "first_run_anchors_solved": first["anchors_solved"],
        "resumes": runs,
        "mean_wall_kept_s": mean["kept"],
        "mean_wall_solved_s": mean["solved"],
        "wall_solved_over_kept": mean["solved"] / mean["kept"],
        "same_outputs": list(OUTPUTS),
    }
    print(
        f"resume with the anchors solved again / with the kept starts: "
        f"wall x{result['wall_solved_over_kept']:.2f} "
        f"({mean['solved']:.1f} s against {mean['kept']:.1f} s)"
    )
    save_json(result, out)
    return result


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
