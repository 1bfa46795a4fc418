"""The manifest of a study run: what produced the store, and whether a resume may continue it.

The manifest records the study file, seed, package versions, the git commit of the code, the
model's data hash and a fingerprint of the design. Resuming compares the new manifest with the
stored one and refuses, saying what differs, when the study, design, model data or code changed
(a code change may be allowed explicitly and is then recorded). A study that differs only in a
larger ``n`` extends the run instead (:func:`extended_manifest`).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import platform
import subprocess
from pathlib import Path
from typing import Any

from uncertainty.errors import StoreError
from uncertainty.study.sampling import Design
from uncertainty.study.space import Study

logger = logging.getLogger(__name__)

PACKAGES = ("netua", "numpy", "scipy", "pandas", "xarray", "zarr", "SALib", "joblib", "linopy")
PACKAGES += ("highspy",)


def package_versions() -> dict[str, str | None]:
    """Python's and :data:`PACKAGES`' versions in this process."""
    return {"python": platform.python_version()} | {name: _version(name) for name in PACKAGES}


def build_manifest(
    study: Study,
    design: Design,
    *,
    data_hash: str | None,
    model_source_hash: str | None,
    model_helpers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return the manifest of a new run.

    Parameters
    ----------
    study : Study
    design : Design
    data_hash : str or None
        The model's ``data_hash()``, None if it has none.
    model_source_hash : str or None
        SHA-256 of the file defining the model function or class.
    model_helpers : dict, optional
        SHA-256 of each module the model imports from the study's folder (recorded when any).
    """
    manifest = {
        "study_file": None if study.path is None else str(Path(study.path).resolve()),
        "study_text": study.text,
        "study": study.definition(),
        "seed": study.seed,
        "n_samples": design.n_samples,
        "design_fingerprint": design.fingerprint(),
        "model_data_hash": data_hash,
        "code": {
            "git_commit": git_commit(),
            "netua_version": _version("netua"),
            "model_source_hash": model_source_hash,
        },
        "packages": package_versions(),
        "created": _now(),
        "resumed": [],
        "code_changes": [],
    }
    if model_helpers:
        manifest["code"]["model_helpers"] = dict(model_helpers)
    return manifest


def differences(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return what differs between a stored and a new manifest: (study/design/data, code)."""
    blocking = []
    old_study, new_study = old.get("study", {}), new.get("study", {})
    for key in sorted(set(old_study) | set(new_study)):
        if old_study.get(key) != new_study.get(key):
            blocking.append(
                f"study key {key!r}: {_short(old_study.get(key))} -> {_short(new_study.get(key))}"
            )
    if old.get("design_fingerprint") != new.get("design_fingerprint"):
        blocking.append("the design (sample matrix) differs")
    if old.get("model_data_hash") != new.get("model_data_hash"):
        blocking.append(
            f"model data hash: {old.get('model_data_hash')} -> {new.get('model_data_hash')}"
        )
    code = []
    old_code, new_code = old.get("code", {}), new.get("code", {})
    for key in sorted(set(old_code) | set(new_code)):
        if old_code.get(key) != new_code.get(key):
            code.append(f"code {key}: {old_code.get(key)} -> {new_code.get(key)}")
    return blocking, code


def resumed_manifest(
    old: dict[str, Any], new: dict[str, Any], *, allow_code_change: bool, store: Path
) -> dict[str, Any]:
    """Check that ``new`` may continue the run recorded in ``old``; return the updated manifest.

    Raises
    ------
    StoreError
        If the study, design or model data differ, or the code differs and is not allowed.
    """
    blocking, code = differences(old, new)
    if blocking:
        raise StoreError(
            f"cannot resume {store}: {'; '.join(blocking)} (use --fresh to start over, or "
            "another --out folder)"
        )
    _check_code(code, allow_code_change, store)
    updated = dict(old)
    updated["resumed"] = list(old.get("resumed", [])) + [_now()]
    return _record_code_change(updated, old, new, code)


def extension_of(old: dict[str, Any], new: dict[str, Any]) -> tuple[int, int] | None:
    """Return ``(old n, new n)`` if the studies differ only in ``n`` (same data), else None."""
    old_study, new_study = old.get("study", {}), new.get("study", {})
    keys = {k for k in set(old_study) | set(new_study) if old_study.get(k) != new_study.get(k)}
    if keys != {"n"} or old.get("model_data_hash") != new.get("model_data_hash"):
        return None
    return int(old_study["n"]), int(new_study["n"])


def extended_manifest(
    old: dict[str, Any], new: dict[str, Any], *, allow_code_change: bool, store: Path
) -> dict[str, Any]:
    """Return the manifest of the run in ``old`` grown to the larger ``n`` of ``new``.

    The study, study file, sample count and design fingerprint become ``new``'s; an entry is
    appended to ``extended``. Only call when :func:`extension_of` is not None.

    Raises
    ------
    StoreError
        If ``n`` gets smaller, or the code differs and is not allowed.
    """
    growth = extension_of(old, new)
    if growth is None:
        raise StoreError(f"cannot extend {store}: the study differs in more than 'n'")
    n_old, n_new = growth
    if n_new < n_old:
        raise StoreError(
            f"cannot resume {store}: study key 'n': {n_old} -> {n_new} (a stored design can grow "
            "to a larger n, never shrink; use --fresh to start over, or another --out folder)"
        )
    _, code = differences(old, new)
    _check_code(code, allow_code_change, store)
    updated = {k: v for k, v in old.items() if k != "extending"}
    for key in ("study_file", "study_text", "n_samples", "design_fingerprint"):
        updated[key] = new.get(key)
    # the old definition with the new n: the same values (only n differs), as they were written
    # (600 stays 600, not 600.0), so what is keyed on them (kept anchor starts) still matches
    updated["study"] = {**old.get("study", {}), "n": new["study"]["n"]}
    entry = {
        "at": _now(),
        "n": [n_old, n_new],
        "n_samples": [old.get("n_samples"), new.get("n_samples")],
        "previous_design_fingerprint": old.get("design_fingerprint"),
        "previous_study_text": old.get("study_text"),
    }
    updated["extended"] = list(old.get("extended", [])) + [entry]
    return _record_code_change(updated, old, new, code)


def _check_code(code: list[str], allow_code_change: bool, store: Path) -> None:
    if code and not allow_code_change:
        raise StoreError(
            f"cannot resume {store}: {'; '.join(code)} (pass --allow-code-change to continue "
            "with the new code, recorded in the manifest, or --fresh to start over)"
        )


def _record_code_change(
    updated: dict[str, Any], old: dict[str, Any], new: dict[str, Any], code: list[str]
) -> dict[str, Any]:
    if code:
        change = {"at": _now(), "changes": code, "code": new.get("code")}
        updated["code_changes"] = list(old.get("code_changes", [])) + [change]
        updated["code"] = new.get("code")
        logger.warning("resuming with changed code: %s", "; ".join(code))
    return updated


def git_commit() -> str | None:
    """Return the git commit of the code of this package, None outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def record_sitting(manifest: dict[str, Any], backend: str, workers: int, pending: int) -> dict:
    """The manifest with this sitting appended to ``sittings``: when it started, where
    (backend, worker count) and how many samples it had left (shown by ``netua report``)."""
    entry = {"started": _now(), "backend": backend, "workers": workers, "pending": pending}
    return {**manifest, "sittings": [*manifest.get("sittings", []), entry]}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
