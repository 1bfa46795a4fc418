"""What protects a results folder: its kind, its integrity and one run at a time.

- :func:`kind_of` tells a netua store from a damaged netua store and from anything else in
  ``<out>/store.zarr``; netua deletes (``--fresh``) or rewrites only what it wrote.
- :func:`verify` checks a netua store before it is resumed, analysed or reported: every array's
  metadata readable, ``status`` within the :class:`Status` codes, ``inputs`` present and finite,
  and a chunk file for every chunk of an output that holds a successful sample (zarr reads a
  missing chunk as NaN without a word). It names the damaged file and how to recover.
- :func:`run_lock` lets one ``netua run`` at a time write a folder: a lock file
  ``<out>/.netua-run.lock`` (pid, host, start); a second run is refused at once, naming the
  first. A lock left by a process that no longer runs on this host is stale and taken over; one
  from another host is refused (delete the file if that run is gone).

``docs/store.md`` ("Integrity, the lock and recovery") states the rules.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from uncertainty.errors import StoreError
from uncertainty.store.format import COMPLETE_CHUNKS, FAILURES, MANIFEST, STORE, Status

LOCK = ".netua-run.lock"
#: the arrays every netua store has
REQUIRED = ("inputs", "status", "elapsed", "sample", "parameter")
RECOVER = "start over with --fresh (or another --out folder)"


def check_folder(out: Path) -> None:
    """Refuse an ``--out`` that is a file or cannot be written, before anything is run."""
    if out.exists() and not out.is_dir():
        raise StoreError(f"--out {out}: a file, not a folder; give a folder for the results")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".netua-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise StoreError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None


def kind_of(out: Path) -> str:
    """``absent``, ``netua``, ``damaged`` (netua's, but its root metadata is unreadable) or
    ``foreign`` (not written by netua: another Zarr store, a zarr v2 store, any other folder)."""
    path = out / STORE
    if not path.exists():
        return "absent"
    if not path.is_dir():
        return "foreign"
    root = _read_json(path / "zarr.json")
    if root is not None and "manifest" in root.get("attributes", {}):
        return "netua"
    arrays = {p.name for p in path.iterdir() if (p / "zarr.json").is_file() or p.is_dir()}
    manifest = _read_json(out / MANIFEST) or {}
    if {"inputs", "status"} <= arrays and "design_fingerprint" in manifest:
        return "damaged"
    return "foreign"


def check_replaceable(out: Path) -> str:
    """Refuse to create a store over (or delete) something netua did not write; return its kind."""
    kind = kind_of(out)
    if kind == "foreign":
        raise StoreError(
            f"{out / STORE} exists and was not written by netua (no netua store metadata); "
            "it is left alone: move it away or choose another --out folder"
        )
    return kind


def verify(out: Path) -> None:
    """Raise StoreError naming the first damaged file of the netua store in ``out``."""
    path = out / STORE
    kind = kind_of(out)
    if kind == "damaged":
        raise StoreError(
            f"{path / 'zarr.json'}: missing or unreadable, so the store's design and manifest "
            f"are lost; {RECOVER} (the samples cannot be trusted without them)"
        )
    if kind != "netua":
        raise StoreError(f"{path}: not a netua results store")
    for name in REQUIRED:
        if _read_json(path / name / "zarr.json") is None:
            raise StoreError(f"{path / name / 'zarr.json'}: missing or unreadable; {RECOVER}")
    status = _read(path, "status")
    inputs = _read(path, "inputs")
    bad = ~np.isin(status, [int(s) for s in Status])
    if bad.any():
        ids = np.flatnonzero(bad)[:10].tolist()
        raise StoreError(
            f"{path / 'status'}: codes {sorted(set(status[bad].tolist()))[:5]} are not status "
            f"codes (samples {ids}); the status array is damaged; {RECOVER}"
        )
    attrs = (_read_json(path / "zarr.json") or {}).get("attributes", {})
    try:
        manifest = json.loads(attrs.get("manifest", ""))
    except (TypeError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("study"), dict):
        raise StoreError(
            f"{path / 'zarr.json'}: the manifest attribute is not a readable netua manifest; "
            f"the store's provenance is lost: {RECOVER}"
        )
    grown = _interrupted_growth(attrs.get("manifest"))
    checked = inputs if grown is None else inputs[:grown]  # rows beyond: the growth finishes them
    rows = np.flatnonzero(~np.isfinite(checked).all(axis=1))
    if rows.size:
        chunk = int(zarr.open_array(path / "inputs", mode="r").chunks[0])
        raise StoreError(
            f"{path / 'inputs'}: chunk(s) {sorted({int(r) // chunk for r in rows})[:10]} missing "
            f"or damaged (samples {rows[:5].tolist()} have no inputs); {RECOVER}"
        )
    if attrs.get(COMPLETE_CHUNKS):  # older stores skipped all-NaN chunks: nothing to check
        _check_output_chunks(path, status)


def _interrupted_growth(manifest_text: Any) -> int | None:
    """Rows stored before an interrupted growth (the manifest's ``extending`` mark), else None."""
    try:
        mark = json.loads(manifest_text).get("extending")
        return None if not mark else int(mark["n_samples"][0])
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None


def _check_output_chunks(path: Path, status: np.ndarray) -> None:
    """Every chunk holding a successful sample must exist for every output variable."""
    group = zarr.open_group(path, mode="r", use_consolidated=False)
    for name, array in group.arrays():
        if name in REQUIRED or not array.shape or array.shape[0] != status.size:
            continue
        chunk = int(array.chunks[0])
        for index in range(0, status.size, chunk):
            if not (status[index : index + chunk] == Status.OK).any():
                continue
            key = array.metadata.encode_chunk_key((index // chunk,) + (0,) * (array.ndim - 1))
            if not (path / name / key).is_file():
                raise StoreError(
                    f"{path / name / key}: missing, though samples {index}-"
                    f"{min(index + chunk, status.size) - 1} are marked ok; mark them pending "
                    f"to re-run them, or {RECOVER}"
                )


def _read(path: Path, name: str) -> np.ndarray:
    try:
        return np.asarray(zarr.open_array(path / name, mode="r")[:])
    except Exception as exc:  # a truncated or garbled chunk: any codec error
        raise StoreError(
            f"{path / name}: cannot be read ({type(exc).__name__}: {exc}); {RECOVER}"
        ) from None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


@contextmanager
def run_lock(out: Path, command: str = "netua run") -> Iterator[None]:
    """Hold ``<out>/.netua-run.lock`` for the duration of a run (see the module docstring)."""
    path = out / LOCK
    mine = {"pid": os.getpid(), "host": socket.gethostname(), "command": command}
    mine["started"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            _refuse_or_clear(path)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(mine, fh)
        break
    else:  # pragma: no cover - another run took the stale lock between our two attempts
        raise StoreError(f"{out}: another netua run took the folder; see {path}")
    try:
        yield
    finally:
        if (_read_json(path) or {}).get("pid") == mine["pid"]:
            path.unlink(missing_ok=True)


def _refuse_or_clear(path: Path) -> None:
    """Remove a stale lock (its process is gone on this host); refuse for a live or remote one."""
    other = _read_json(path) or {}
    pid, host = other.get("pid"), other.get("host")
    if host == socket.gethostname() and isinstance(pid, int) and not _alive(pid):
        path.unlink(missing_ok=True)
        return
    who = f"pid {pid} on {host}, started {other.get('started', '?')}" if pid else "unreadable"
    raise StoreError(
        f"{path.parent}: another netua run is writing this folder ({who}); wait for it, or "
        f"if it is gone delete {path}"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_failure_lines(out: Path) -> list[dict[str, Any]]:
    """The records of ``failures.jsonl``; a torn last line (a run killed mid-append) is skipped.

    Any other line that is not JSON is damage and is refused, naming the file and line.
    """
    path = out / FAILURES
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            if number == len(lines):  # no newline after it: the append was cut short
                continue
            raise StoreError(
                f"{path}: line {number} is not a failure record; delete the line (the sample "
                "keeps its status in the store) or run again with --fresh"
            ) from None
    return records


def repair_failure_log(out: Path) -> None:
    """Cut a torn last line off ``failures.jsonl`` before appending (left by a kill)."""
    path = out / FAILURES
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return
        data = path.read_bytes()
        fh.truncate(data.rfind(b"\n") + 1)
