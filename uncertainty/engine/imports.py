"""Importing a study's model: netua's own packages from where netua is installed, the study's
helper modules afresh, and the hashes of the files that make the model (for the manifest)."""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import logging
import sys
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: modules each model's last import loaded (for helper_hashes)
_IMPORTED: dict[str, set[str]] = {}
#: source hash of each user module imported in this process
_LOADED: dict[str, str | None] = {}


def import_model(
    model: str, search_paths: tuple[str, ...] = (), study_folder: str | None = None
) -> Any:
    """Import ``package.module:attr`` with ``search_paths`` first on ``sys.path``.

    netua's own top-level packages (:data:`OWN_PACKAGES`, e.g. the built-in model registered as
    the default, :mod:`uncertainty.study.defaults`) always come from where netua is installed: a
    folder of the same name in the study's folder or the working directory cannot shadow them.
    Modules of ``study_folder`` (the model's helpers), and cached modules that a file there would
    shadow, are imported afresh, so that two studies in one process never share a stale helper;
    the ones the import loads are recorded for :func:`helper_hashes`.
    """
    module_name, _, attr = model.partition(":")
    top = module_name.split(".")[0]
    for path in reversed(search_paths):
        if path not in sys.path:
            sys.path.insert(0, path)
    importlib.invalidate_caches()
    if top in OWN_PACKAGES:
        _import_own(top)
    else:
        _forget_shadowed(module_name, search_paths)
        if study_folder is not None and threading.current_thread() is threading.main_thread():
            # the run's process and loky workers; not a Dask worker's task thread, whose
            # process imports concurrently (a local cluster's workers are new for every run)
            _forget_local(Path(study_folder))
    before = set(sys.modules)
    module = importlib.import_module(module_name)
    _IMPORTED[model] = set(sys.modules) - before
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    _LOADED[module_name] = _file_hash(getattr(module, "__file__", None))
    return obj


def _forget_local(folder: Path) -> None:
    """Drop the cached modules named like a module of ``folder`` (its ``*.py`` files and
    packages): they are imported afresh from it, whether cached from it or from elsewhere."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    names = {p.stem for p in entries if p.suffix == ".py"}
    names |= {p.name for p in entries if (p / "__init__.py").is_file()}
    for name in names - set(OWN_PACKAGES):
        if name in sys.modules:
            for sub in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[sub]


def source_hash(obj: Any) -> str | None:
    """Return the SHA-256 of the source file defining ``obj`` (None if it has none)."""
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    return _file_hash(getattr(module, "__file__", None))


def helper_hashes(model: str, obj: Any, search_paths: tuple[str, ...]) -> dict[str, str]:
    """SHA-256 of every module the model's import loaded from the study's folder or the working
    directory, other than the model's own file (its helpers), by path relative to that folder.

    Recorded in the manifest (``code.model_helpers``) so that a helper edited between two
    sittings is a code change on resume, like an edit of the model file. netua's own packages
    are covered by the git commit and left out.
    """
    own_file = getattr(sys.modules.get(getattr(obj, "__module__", "") or ""), "__file__", None)
    roots = [Path(p).resolve() for p in search_paths]
    installed = [(_INSTALL_ROOT / name).resolve() for name in OWN_PACKAGES]
    found: dict[str, str] = {}
    for name in _IMPORTED.get(model, ()):
        file = getattr(sys.modules.get(name), "__file__", None)
        if not file or file == own_file or not str(file).endswith(".py"):
            continue
        path = Path(file).resolve()
        if "site-packages" in path.parts or any(path.is_relative_to(r) for r in installed):
            continue
        root = next((r for r in roots if path.is_relative_to(r)), None)
        if root is not None and (digest := _file_hash(str(path))) is not None:
            found[str(path.relative_to(root))] = digest
    return dict(sorted(found.items()))


#: netua's top-level packages, installed side by side (pyproject: packages.find)
OWN_PACKAGES = ("model", "uncertainty", "benchmarks")
#: the folder they are installed in (the repository root for an editable install)
_INSTALL_ROOT = Path(__file__).resolve().parents[2]


def _import_own(top: str) -> None:
    """Make ``sys.modules[top]`` netua's own package, dropping a same-named one from elsewhere."""
    home = (_INSTALL_ROOT / top).resolve()
    cached = sys.modules.get(top)
    cached_file = getattr(cached, "__file__", None)
    if cached_file is not None and Path(cached_file).resolve().parent == home:
        return
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
        del sys.modules[name]
    spec = importlib.machinery.PathFinder.find_spec(top, [str(_INSTALL_ROOT)])
    if spec is None or spec.loader is None:
        raise ImportError(f"netua's package {top!r} is not installed in {_INSTALL_ROOT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[top] = module
    spec.loader.exec_module(module)
    logger.info("using netua's own package %s from %s", top, home)


def _forget_shadowed(module_name: str, search_paths: tuple[str, ...]) -> None:
    """Drop a cached user module when another file (or a changed file) should be imported."""
    top = module_name.split(".")[0]
    cached = sys.modules.get(top)
    if cached is None or not search_paths:
        return
    found = importlib.machinery.PathFinder.find_spec(top, list(search_paths))
    if found is None or found.origin is None:
        return
    cached_file = getattr(cached, "__file__", None)
    same_file = (
        cached_file is not None and Path(cached_file).resolve() == Path(found.origin).resolve()
    )
    module = sys.modules.get(module_name)
    changed = module is not None and _LOADED.get(module_name, "unknown") != _file_hash(
        getattr(module, "__file__", None)
    )
    if not same_file or (module_name in _LOADED and changed):
        for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
            del sys.modules[name]


def _file_hash(path: str | None) -> str | None:
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
