"""A study's store run three ways (one worker, two workers, killed and resumed): the engine's
results must not depend on workers, batches or resume (tests/model/test_lp_study*.py)."""

from __future__ import annotations

import numpy as np
import xarray as xr
import zarr

from uncertainty.engine.run import run_study


def three_stores(study, tmp_path, whole: int, reset_from: int, blank=()) -> list:
    """The study's store run three ways: one worker in batches of ``whole``, two workers in
    batches of 3, and two workers in batches of 5 killed after row ``reset_from`` (those rows
    pending again, their outputs ``blank`` set to NaN) and resumed by one worker in batches of 5."""
    stores = []
    for n_jobs, batch in ((1, whole), (2, 3)):
        out = run_study(study, tmp_path / f"run{n_jobs}", n_jobs=n_jobs, batch_size=batch)
        stores.append(xr.open_zarr(out / "store.zarr").load())
    out = run_study(study, tmp_path / "resumed", n_jobs=2, batch_size=5)
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    codes = status[:]
    codes[reset_from:] = 0  # pending again: the resume evaluates them afresh
    status[:] = codes
    for name in blank:
        zarr.open_array(out / "store.zarr" / name, mode="r+")[reset_from:] = np.nan
    out = run_study(study, out, n_jobs=1, batch_size=5)
    stores.append(xr.open_zarr(out / "store.zarr").load())
    return stores
