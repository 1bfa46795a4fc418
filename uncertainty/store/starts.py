"""The warm-start anchors' starts a run solved, kept in its folder for a resume or an extension.

``<out>/anchor_starts/<k>.start``: anchor ``k``'s start as the model gave it (bytes; a China LP
basis is ~2.8 KB), behind a 32-byte SHA-256 of what it was solved for (``key``: the engine's
:func:`uncertainty.engine.shared.start_key`: the code, the package versions, the model data,
the study but its ``n``, the anchor's parameter values) and of the bytes. A file is written
whole (a temporary file renamed over it), so a run killed mid-write leaves the old file or none.
A file that is cut, altered, or was solved for another key (a resume with
``--allow-code-change`` or another HiGHS, a folder whose store was deleted by hand and begun
again for another study) does not match its digest and is solved again, as if it were absent.
``--fresh`` deletes them.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

#: the folder of the starts in a results folder
ANCHOR_STARTS = "anchor_starts"
SUFFIX = ".start"


def _digest(key: Any, data: bytes) -> bytes:
    text = json.dumps(key, sort_keys=True, default=str).encode()
    return hashlib.sha256(len(text).to_bytes(8, "little") + text + data).digest()


def write_anchor_start(out: Path, anchor: int, data: bytes, key: Any) -> None:
    """Keep anchor ``anchor``'s start ``data``, solved for ``key`` (JSON-able)."""
    folder = Path(out) / ANCHOR_STARTS
    folder.mkdir(exist_ok=True)
    path = folder / f"{int(anchor)}{SUFFIX}"
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        tmp.write_bytes(_digest(key, data) + data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # a write that failed part-way


def read_anchor_starts(out: Path, keys: dict[int, Any]) -> tuple[dict[int, bytes], list[int]]:
    """``({anchor: start}, [anchors whose file is damaged or was solved for another key])`` of
    the kept starts of the anchors in ``keys`` (anchor -> its key); an anchor without a file is
    in neither."""
    folder = Path(out) / ANCHOR_STARTS
    found, spoilt = {}, []
    for k, key in keys.items():
        path = folder / f"{int(k)}{SUFFIX}"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError:
            spoilt.append(int(k))
            continue
        head, data = raw[:32], raw[32:]
        if len(raw) >= 32 and head == _digest(key, data):
            found[int(k)] = data
        else:
            spoilt.append(int(k))
    return found, spoilt


def remove_anchor_starts(out: Path) -> None:
    """Delete the kept starts (``--fresh``): the files netua writes there (``<k>.start`` and
    their temporary files, left by a run killed mid-write), then the folder if nothing else is
    in it; anything else is left alone."""
    folder = Path(out) / ANCHOR_STARTS
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        stem, _, tail = path.name.partition(SUFFIX)
        if stem.isdigit() and (tail == "" or tail.startswith(".tmp")) and path.is_file():
            path.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass  # something netua did not write is in it
