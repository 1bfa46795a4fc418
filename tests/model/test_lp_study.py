"""The China LP protocol class through the engine, and the benchmark at a reduced size."""

import json

import numpy as np
import pytest
import xarray as xr

from benchmarks.fastpath import run_benchmark, study_text
from uncertainty.engine.run import run_study

KEYS = (
    "naive_median_s",
    "fast_median_s",
    "floor_median_s",
    "cold_median_s",
    "ratio_naive_over_fast",
    "ratio_fast_over_floor",
    "warm_iterations_median",
    "cold_iterations_median",
    "worker_peak_memory_mb",
    "samples_per_second_1_workers",
    "samples_per_second_2_workers",
    "speedup_2_vs_1_workers",
    "store_bytes_per_sample",
    "lp_size",
    "build_seconds",
    "warm_share",
    "rebuilt_share",
)


def test_lp_study_same_store_with_one_and_two_workers(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(study_text("example", 12, seed=5))
    stores = []
    for n_jobs, batch in ((1, 12), (2, 3)):
        out = run_study(study, tmp_path / f"run{n_jobs}", n_jobs=n_jobs, batch_size=batch)
        stores.append(xr.open_zarr(out / "store.zarr").load())
    a, b = stores
    assert (a.status.values == 1).all()
    for name in (
        "inputs",
        "status",
        "co2",
        "coal_share",
        "peak_year",
        "cost",
        "iterations",
        "warm",
    ):
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


@pytest.mark.slow  # the benchmark at a reduced size; `netua bench` itself runs it in full
def test_benchmark_json_holds_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    run_benchmark("example", n_samples=6, n_naive=2, n_engine=8, seed=2, out=out)
    result = json.loads(out.read_text())
    for key in KEYS:
        assert key in result, key
    assert result["rebuilt_share"] == 0.0
