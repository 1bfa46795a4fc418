"""Dask backend against loky: samples per second of the same studies, side by side, with ratios.

Run: ``python benchmarks/dask_overhead.py [N_TRIVIAL] [N_LP]``. Two studies - a trivial callable
(Sobol, 3 parameters, 5 N_TRIVIAL samples) and the China LP on its example data (Sobol, 3
parameters, 5 N_LP samples) - each run with loky (2 jobs) and on a 2-worker Dask ``LocalCluster``
(one thread per worker), both with the engine's automatic batch size:

- cold: what ``netua run`` does - start the workers (and the cluster), build the model, evaluate;
- warm: workers already running with the model built (loky's reusable pool after a first run;
  an already started ``LocalCluster`` reached through its scheduler address).

The numbers are ratios on the same machine, not absolute targets.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from joblib.externals.loky import get_reusable_executor

from uncertainty import Parameter, Study, Uniform, run_study
from uncertainty.engine.dask_backend import DaskBackend

N_WORKERS = 2
MODEL = "def trivial(x1, x2, x3):\n    return {'y': x1 + x2 + x3}\n"
LP_TARGETS = {
    "natural_sink": Uniform(lower=0.0, upper=0.2),
    "capex_scale:solar": Uniform(lower=0.5, upper=1.5),
    "fuel_price_scale:coal": Uniform(lower=0.7, upper=1.5),
}


def trivial_study(folder: Path, n: int) -> Study:
    """Sobol study of base size ``n`` over a function adding three numbers."""
    (folder / "bench_model.py").write_text(MODEL)
    params = [Parameter(f"x{i}", Uniform(lower=0.0, upper=1.0)) for i in (1, 2, 3)]
    return Study(name="trivial", parameters=params, seed=1, outputs=("y",),
                 model="bench_model:trivial", n=n, path=folder / "study.toml")  # fmt: skip


def lp_study(n: int) -> Study:
    """Sobol study of base size ``n`` of the China LP on its example data."""
    params = [Parameter(name, dist, target=name) for name, dist in LP_TARGETS.items()]
    return Study(
        name="lp",
        parameters=params,
        seed=1,
        outputs=("co2", "cost", "peak_year"),
        model="model.ensemble:ChinaLP",
        model_options={"data": "example"},
        n=n,
    )


def timed(study: Study, out: Path, **kwargs) -> float:
    """Return samples per second of one fresh run of ``study``."""
    start = time.perf_counter()
    run_study(study, out, fresh=True, **kwargs)
    return 5 * study.n / (time.perf_counter() - start)


def compare(study: Study, folder: Path) -> dict[str, tuple[float, float]]:
    """Return ``{"cold": (loky, dask), "warm": (loky, dask)}`` in samples per second."""
    get_reusable_executor(max_workers=N_WORKERS).shutdown(wait=True)  # loky starts cold
    loky_cold = timed(study, folder / "loky", n_jobs=N_WORKERS)
    loky_warm = timed(study, folder / "loky", n_jobs=N_WORKERS)
    dask_cold = timed(study, folder / "dask", n_jobs=N_WORKERS, backend="dask")
    backend = DaskBackend.start_local(N_WORKERS)
    try:
        address = backend.cluster.scheduler_address
        timed(study, folder / "dask", scheduler=address)  # start the workers' models
        dask_warm = timed(study, folder / "dask", scheduler=address)
    finally:
        backend.close()
    return {"cold": (loky_cold, dask_cold), "warm": (loky_warm, dask_warm)}


def main(n_trivial: int = 4096, n_lp: int = 64) -> None:
    """Print samples per second of loky and Dask, and their ratio, for both studies."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        studies = {
            f"trivial callable, {5 * n_trivial} samples": trivial_study(folder, n_trivial),
            f"China LP (example data), {5 * n_lp} samples": lp_study(n_lp),
        }
        print(f"{N_WORKERS} workers each; samples per second (higher is better)")
        print(f"{'study':44s} {'workers':7s} {'loky':>9s} {'dask':>9s} {'dask/loky':>9s} "
              f"{'extra ms/sample':>15s}")  # fmt: skip
        for label, study in studies.items():
            for kind, (loky, dask) in compare(study, folder).items():
                extra = 1e3 * (1 / dask - 1 / loky)
                print(f"{label:44s} {kind:7s} {loky:9,.0f} {dask:9,.0f} {dask / loky:9.2f} "
                      f"{extra:15.3f}")  # fmt: skip


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
