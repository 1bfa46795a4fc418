"""Reading and writing the results store: ``store.zarr``, ``manifest.json``, ``failures.jsonl``.

Layout: ``docs/store.md``. The store is created up front with the inputs of every sample, status
0 (pending) and NaN elapsed times; output variables are added (all NaN) when the first evaluated
sample shows their dimensions. Chunks along ``sample`` are the run's batches, and a batch is
written as a whole - outputs and times first, failures appended to ``failures.jsonl``, status
last - so a run killed mid-write leaves that batch pending and never touches a completed one.
:func:`grow_store` extends every ``sample`` variable to a larger (nested) design.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
import zarr

from uncertainty.errors import EmptyStoreError, StoreError, StoreNotFoundError
from uncertainty.store import guard
from uncertainty.store.format import (
    COMPLETE_CHUNKS,
    FAILURES,
    MANIFEST,
    OUTPUT_ATTRS,
    STATUS_MEANINGS,
    STORE,
    OutputSchema,
    Status,
)
from uncertainty.store.starts import remove_anchor_starts

if TYPE_CHECKING:
    from uncertainty.study.sampling import Design
    from uncertainty.study.space import Study

logger = logging.getLogger(__name__)


def create_store(
    out: Path, study: Study, design: Design, manifest: dict[str, Any], chunk: int
) -> None:
    """Create the store with inputs, pending status and NaN elapsed; write the manifest."""
    create(
        out,
        inputs=design.values,
        parameters=study.names,
        attrs=_store_attrs(study, design, manifest),
        manifest=manifest,
        chunk=chunk,
    )


def create(
    out: Path,
    *,
    inputs: np.ndarray,
    parameters: list[str] | tuple[str, ...],
    attrs: dict[str, Any],
    manifest: dict[str, Any],
    chunk: int,
    sample_id: np.ndarray | None = None,
) -> None:
    """Write a new store of ``len(inputs)`` pending samples, its manifest and an empty failure
    log: the one place a store is created (the engine and :mod:`uncertainty.testing` both come
    through here). Row ``i`` holds sample ``sample_id[i]`` (default ``i``; the engine always
    writes rows in id order, readers must not rely on it)."""
    n = len(inputs)
    ids = np.arange(n) if sample_id is None else np.asarray(sample_id)
    params = np.array(list(parameters), dtype=object)
    ds = xr.Dataset(
        {
            "inputs": (("sample", "parameter"), np.asarray(inputs, dtype=np.float64)),
            "status": ("sample", np.zeros(n, dtype=np.int8), _status_attrs()),
            "elapsed": ("sample", np.full(n, np.nan), {"units": "s"}),
        },
        coords={"sample": ids.astype(np.int64), "parameter": params},
        attrs={**attrs, "manifest": json.dumps(manifest, default=str), COMPLETE_CHUNKS: 1},
    )
    encoding = {
        "inputs": {"chunks": (chunk, len(params))},
        "status": {"chunks": (chunk,)},
        "elapsed": {"chunks": (chunk,)},
        "sample": {"chunks": (n,)},
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    guard.check_replaceable(out)  # mode "w" would delete whatever is there
    with _quiet_zarr():
        ds.to_zarr(out / STORE, mode="w", encoding=encoding, consolidated=True)
    write_manifest(out, manifest)
    (out / FAILURES).write_text("", encoding="utf-8")
    logger.info("created %s: %d samples in chunks of %d", out / STORE, n, chunk)


def open_results(directory: str | Path) -> xr.Dataset:
    """Open the store of a results folder (or a ``.zarr`` path) in memory, in design order.

    This is what a researcher's script starts from (``docs/python-api.md``): one
    :class:`xarray.Dataset` with ``inputs (sample, parameter)``, ``status``, ``elapsed`` and one
    variable per output; status codes are :class:`Status`.

    Raises
    ------
    StoreNotFoundError
        If no store is there.
    EmptyStoreError
        If the store has no rows or no successful sample.
    """
    path = Path(directory)
    location = path if path.suffix == ".zarr" else path / STORE
    if not location.exists():
        raise StoreNotFoundError(
            f"no results store at {location}; run `netua run STUDY --out {path}` first"
        )
    guard.verify(location.parent)
    with _quiet_zarr():
        try:
            ds = xr.open_zarr(location).load()
        except Exception as exc:  # a chunk that cannot be decoded
            raise StoreError(f"{location}: cannot be read ({type(exc).__name__}: {exc})") from None
    if ds.sizes.get("sample", 0) == 0:
        raise EmptyStoreError(f"store {location} has no samples")
    ds = ds.sortby("sample")
    if not (ds["status"] == Status.OK).any():
        raise EmptyStoreError(
            f"store {location} has no successful sample (status ok); nothing to analyse"
        )
    return ds


def read_failures(directory: str | Path) -> dict[int, str]:
    """The message of each failed sample in ``failures.jsonl`` (the latest line per sample; a
    torn last line left by a killed run is skipped)."""
    return {
        int(r["sample_id"]): str(r.get("message", ""))
        for r in guard.read_failure_lines(Path(directory))
    }


def remove_store(out: Path) -> bool:
    """Delete the store, manifest, failure log and kept anchor starts in ``out``; return
    whether a store existed.

    Only a netua store (or a damaged one) is deleted; anything else is refused, untouched.
    """
    existed = guard.check_replaceable(out) != "absent"
    shutil.rmtree(out / STORE, ignore_errors=True)
    for name in (MANIFEST, FAILURES):
        (out / name).unlink(missing_ok=True)
    remove_anchor_starts(out)
    return existed


def store_exists(out: Path) -> bool:
    """Whether ``out`` holds a netua store.

    Raises StoreError for a damaged netua store or a ``store.zarr`` netua did not write, so that
    neither is taken for an empty folder and overwritten.
    """
    kind = guard.kind_of(out)
    if kind == "damaged":
        guard.verify(out)  # raises, naming what is damaged and how to recover
    if kind == "foreign":
        guard.check_replaceable(out)  # raises
    return kind == "netua"


def read_manifest(out: Path) -> dict[str, Any]:
    """Return the manifest stored in the store's attributes."""
    try:
        group = zarr.open_group(out / STORE, mode="r")
        manifest = json.loads(group.attrs["manifest"])
    except Exception as exc:
        raise StoreError(
            f"{out / STORE / 'zarr.json'}: the manifest attribute cannot be read "
            f"({type(exc).__name__}: {exc}); start over with --fresh"
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("study"), dict):
        raise StoreError(
            f"{out / STORE / 'zarr.json'}: the manifest attribute is not a netua manifest; "
            "start over with --fresh"
        )
    return manifest


def write_manifest(
    out: Path, manifest: dict[str, Any], attrs: dict[str, Any] | None = None
) -> None:
    """Write the manifest (and other ``attrs``, in the same update) to the store's attributes,
    consolidate the metadata and write ``manifest.json``."""
    text = json.dumps(manifest, indent=2, default=str)
    with _quiet_zarr():
        group = zarr.open_group(out / STORE, mode="r+")
        group.attrs.update({**(attrs or {}), "manifest": json.dumps(manifest, default=str)})
        zarr.consolidate_metadata(out / STORE)
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, out / MANIFEST)


def chunk_size(out: Path) -> int:
    """Return the store's chunk length along ``sample`` (the batch size)."""
    return int(zarr.open_array(out / STORE / "status", mode="r").chunks[0])


def read_arrays(out: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return the stored ``inputs`` and ``status`` arrays."""
    group = zarr.open_group(out / STORE, mode="r")
    return np.asarray(group["inputs"][:]), np.asarray(group["status"][:])


def read_schemas(out: Path, outputs: tuple[str, ...]) -> dict[str, OutputSchema]:
    """Return the schemas of the output variables already in the store."""
    with xr.open_zarr(out / STORE) as ds:
        schemas = {}
        for name in outputs:
            if name in ds:
                var = ds[name]
                dims = tuple(str(d) for d in var.dims[1:])
                coords = {d: np.asarray(ds[d].values) for d in dims if d in ds.coords}
                shape = tuple(var.shape[1:])
                attrs = {k: v for k, v in var.attrs.items() if k in OUTPUT_ATTRS}
                schemas[name] = OutputSchema(dims, shape, coords, attrs)
        return schemas


def add_outputs(out: Path, n_samples: int, chunk: int, schemas: dict[str, OutputSchema]) -> None:
    """Add output variables (all NaN) with their coordinates, chunked like the batches."""
    with xr.open_zarr(out / STORE) as existing:
        known = set(existing.variables)
        group_attrs = dict(existing.attrs)  # appending replaces the group's attributes: keep them
    variables, coords, encoding = {}, {}, {}
    for name, schema in schemas.items():
        attrs = {k: v for k, v in schema.attrs.items() if k in OUTPUT_ATTRS and v is not None}
        data = np.full((n_samples, *schema.shape), np.nan)
        variables[name] = (("sample", *schema.dims), data, attrs)
        encoding[name] = {"chunks": (chunk, *schema.shape)}
        for dim, values in schema.coords.items():
            if dim not in known:
                coords[dim] = (dim, _coord_values(values))
    with _quiet_zarr():
        xr.Dataset(variables, coords=coords, attrs=group_attrs).to_zarr(
            out / STORE, mode="a", encoding=encoding, consolidated=True
        )
    logger.info("added outputs %s", ", ".join(schemas))


def write_batch(
    out: Path,
    start: int,
    status: np.ndarray,
    elapsed: np.ndarray,
    outputs: dict[str, np.ndarray],
    failures: list[dict[str, Any]],
) -> None:
    """Write one whole batch at ``start``: outputs and times, failure lines, then status."""
    stop = start + len(status)
    with _deferred_sigint(), zarr.config.set({"array.write_empty_chunks": True}):
        # every chunk of a written batch gets its file, even all-NaN: a missing chunk file of a
        # completed batch is then damage (guard.verify), not a batch of failed samples
        group = zarr.open_group(out / STORE, mode="r+")
        for name, values in outputs.items():
            group[name][start:stop] = values
        group["elapsed"][start:stop] = elapsed
        if failures:
            guard.repair_failure_log(out)
            with open(out / FAILURES, "a", encoding="utf-8") as fh:
                fh.writelines(json.dumps(f) + "\n" for f in failures)
                fh.flush()
                os.fsync(fh.fileno())
        group["status"][start:stop] = status


def read_inputs(out: Path, n: int) -> np.ndarray:
    """Return the first ``n`` stored input rows, read past the consolidated metadata."""
    return np.asarray(zarr.open_array(out / STORE / "inputs", mode="r")[:n])


def finalize_failures(out: Path) -> list[dict[str, Any]]:
    """Rewrite ``failures.jsonl`` sorted by sample, one line per failed sample; return the lines."""
    _, status = read_arrays(out)
    ids = np.asarray(zarr.open_array(out / STORE / "sample", mode="r")[:])
    if not np.array_equal(ids, np.arange(len(ids))):  # rows not in id order (never the engine's)
        status = _by_id(status, ids)
    latest = {int(r["sample_id"]): r for r in guard.read_failure_lines(out)}
    path = out / FAILURES
    kept = [latest[i] for i in sorted(latest) if status[i] == latest[i]["status"]]
    tmp = out / (FAILURES + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    os.replace(tmp, path)
    return kept


def _by_id(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``values`` stored in row order, re-indexed by sample id."""
    result = np.empty_like(values)
    result[ids] = values
    return result


def status_counts(status: np.ndarray) -> dict[str, int]:
    """Return the number of samples per status meaning."""
    return {s.meaning: int(np.sum(status == s)) for s in Status}


def _store_attrs(study: Study, design: Design, manifest: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "study": study.name,
        "sampler": study.sampler,
        "n_base": study.n,
        "second_order": int(study.second_order),
        "seed": study.seed,
        "n_parameters": len(study.parameters),
        "problem": json.dumps(design.problem),
        "parameters": json.dumps([p.spec() for p in study.parameters], default=str),
        "manifest": json.dumps(manifest, default=str),
    }
    if study.sampler == "morris":
        attrs["num_levels"] = study.num_levels
        attrs["trajectories"] = study.n
    return attrs


def _status_attrs() -> dict[str, Any]:
    return {
        "flag_values": [int(s) for s in Status],
        "flag_meanings": " ".join(STATUS_MEANINGS),
        "long_name": "evaluation status",
    }


def _coord_values(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    return values.astype(object) if values.dtype.kind in "US" else values


@contextmanager
def _quiet_zarr() -> Iterator[None]:
    """Silence zarr's notes on consolidated metadata (not in the v3 spec; xarray reads it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
        yield


@contextmanager
def _deferred_sigint() -> Iterator[None]:
    """Hold Ctrl-C until the block is done, so a batch is never half-written by an interrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[Any] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(signal.SIGINT, None)
