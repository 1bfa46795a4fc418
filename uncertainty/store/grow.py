"""Growing a store to a larger nested design (``docs/study-files.md``, "Extending a design")."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import zarr

from uncertainty.errors import StoreError
from uncertainty.store.core import _deferred_sigint, _quiet_zarr
from uncertainty.store.format import STORE

if TYPE_CHECKING:
    from uncertainty.study.sampling import Design
    from uncertainty.study.space import Study

logger = logging.getLogger(__name__)


def design_attrs(study: Study) -> dict[str, Any]:
    """Return the attributes that change when the design grows: ``n_base`` (``trajectories``)."""
    attrs: dict[str, Any] = {"n_base": study.n}
    if study.sampler == "morris":
        attrs["trajectories"] = study.n
    return attrs


def grow_store(out: Path, design: Design, n_old: int, chunk: int) -> None:
    """Grow every variable along ``sample`` from ``n_old`` rows to ``design.n_samples``.

    New rows get the design's inputs and ids, status 0 (pending) and NaN elsewhere; rows below
    ``n_old`` are never changed. Rows are written one chunk at a time from ``n_old``: the chunk
    holding both stored and new rows is rewritten whole with its stored part intact (zarr's
    local store replaces a chunk file atomically). Idempotent, so an interrupted growth can be
    run again; each array's own metadata is used (the consolidated copy is refreshed by the
    caller's :func:`write_manifest`).
    """
    n_new = design.n_samples
    with _deferred_sigint(), _quiet_zarr():
        group = zarr.open_group(out / STORE, mode="r+", use_consolidated=False)
        for name, array in sorted(group.arrays()):
            dims = _dimension_names(array)
            if not dims or dims[0] != "sample":
                continue
            array.resize((n_new, *array.shape[1:]))
            start = n_old
            while start < n_new:
                stop = min((start // chunk + 1) * chunk, n_new)
                array[start:stop] = _new_rows(name, array, design, start, stop)
                start = stop
    logger.info("grew %s from %d to %d samples", out / STORE, n_old, n_new)


def _new_rows(name: str, array: Any, design: Design, start: int, stop: int) -> np.ndarray:
    """Values of rows ``start:stop`` of a grown ``sample`` variable."""
    if name == "sample":
        return design.sample_id[start:stop].astype(array.dtype)
    if name == "inputs":
        return design.values[start:stop].astype(np.float64)
    if name == "status":
        return np.zeros(stop - start, dtype=array.dtype)
    if np.dtype(array.dtype).kind == "f":
        return np.full((stop - start, *array.shape[1:]), np.nan, dtype=array.dtype)
    raise StoreError(f"cannot grow variable {name!r} of dtype {array.dtype} along 'sample'")


def _dimension_names(array: Any) -> tuple[str, ...]:
    names = getattr(array.metadata, "dimension_names", None)
    if names is None:  # zarr v2 layout
        names = array.attrs.get("_ARRAY_DIMENSIONS")
    return tuple(str(n) for n in names or ())
