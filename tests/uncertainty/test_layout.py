"""The engine's layout shows its data flow: folders by role, small modules, and imports that go
one way (study -> engine -> store -> analysis -> plot; the store, analysis and figures never import
the engine; nothing in the generic engine imports the China model)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "uncertainty"
FLAT = {"__init__.py", "errors.py", "testing.py"}
MODULES = sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_only_the_allowed_modules_are_flat():
    flat = {p.name for p in PACKAGE.glob("*.py")}
    assert flat <= FLAT, f"flat modules beyond {sorted(FLAT)}: {sorted(flat - FLAT)}"
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {"study", "engine", "store", "analysis", "plot", "report", "cli"}


CODE = sorted(
    p for folder in ("uncertainty", "model", "benchmarks") for p in (ROOT / folder).rglob("*.py")
)


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_400_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400


@pytest.mark.parametrize("role", ["store", "analysis", "plot", "report", "study"])
def test_store_analysis_and_figures_never_import_the_engine(role):
    for path in (PACKAGE / role).rglob("*.py"):
        engine = {n for n in _imports(path) if n.startswith("uncertainty.engine")}
        assert not engine, f"{path.relative_to(PACKAGE)} imports {sorted(engine)}"


def test_the_generic_engine_names_no_china_model():
    for path in MODULES:
        china = {n for n in _imports(path) if n == "model" or n.startswith("model.")}
        assert not china, f"{path.relative_to(PACKAGE)} imports {sorted(china)}"
        assert "model.ensemble" not in path.read_text(encoding="utf-8"), path
