"""Imports go one way: app.py -> lessons -> deeplab_core. Read from the source with ast."""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


CORE = sorted((ROOT / "deeplab_core").rglob("*.py"))
LESSONS = sorted((ROOT / "lessons").rglob("*.py"))


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_never_imports_streamlit_or_lessons(path):
    assert not imported_roots(path) & {"streamlit", "lessons"}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lessons_never_import_torch(path):
    assert not imported_roots(path) & {"torch", "torchvision"}


def test_app_is_a_router():
    app = ROOT / "app.py"
    assert imported_roots(app) <= {"streamlit", "lessons"}
    assert len(app.read_text().splitlines()) <= 60


def test_the_checker_sees_imports():
    """Guard against a test that cannot fail: the parser must find a known import."""
    assert "streamlit" in imported_roots(ROOT / "lessons" / "ui.py")
    assert "torch" in imported_roots(ROOT / "deeplab_core" / "model.py")
