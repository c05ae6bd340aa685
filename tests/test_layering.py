"""Imports go one way, read from the source with ast: app.py -> lessons -> deeplab_core; inside the core, maths
imports neither nets nor figures, nets never import figures; and no import cycle anywhere."""

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

PACKAGES = ("app", "lessons", "deeplab_core")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module name `path` imports (absolute imports; `from a import b` counts a.b when b is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


SOURCES = {
    module_name(p): p
    for p in [ROOT / "app.py", *(ROOT / "lessons").rglob("*.py"), *(ROOT / "deeplab_core").rglob("*.py")]
}
GRAPH = {name: {m for m in imports(path) if m in SOURCES and m != name} for name, path in SOURCES.items()}


def roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imports(path)}


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if n.startswith("deeplab_core")))
def test_core_never_imports_streamlit_or_lessons(name):
    forbidden = {"streamlit", "lessons"}
    assert not roots(SOURCES[name]) & forbidden


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if n.startswith("lessons")))
def test_lessons_never_import_torch(name):
    assert not roots(SOURCES[name]) & {"torch", "torchvision"}


@pytest.mark.parametrize(
    "layer, forbidden",
    [
        ("deeplab_core.maths", ("deeplab_core.nets", "deeplab_core.figures")),
        ("deeplab_core.nets", ("deeplab_core.figures",)),
    ],
)
def test_core_layers(layer, forbidden):
    offenders = {
        name: sorted(m for m in GRAPH[name] if m.startswith(forbidden)) for name in SOURCES if name.startswith(layer)
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_command_line_tools_stay_free_of_the_ui_libraries():
    """The GPU machine has torch but no streamlit or plotly: the bench, weights and lab tools must run there; the
    inference service (serve) runs in Ray's workers, which install requirements-serve.txt, not the UI's."""
    names = ("deeplab_core.bench", "deeplab_core.weights", "deeplab_core.lab", "deeplab_core.serve")
    tools = [t for t in names if t in SOURCES]
    assert len(tools) == len(names)
    for tool in tools:
        seen, todo = set(), [tool]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            assert not roots(SOURCES[name]) & {"streamlit", "plotly"}, (tool, name)
            todo += GRAPH[name]


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(GRAPH[name]):
            if state.get(nxt) == 1:
                pytest.fail(" -> ".join([*path[path.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(SOURCES):
        if name not in state:
            visit(name, [name])


def test_app_is_a_router():
    app = ROOT / "app.py"
    assert roots(app) <= {"streamlit", "lessons"}
    assert len(app.read_text().splitlines()) <= 60


def test_the_checker_sees_imports_and_cycles():
    """Guard against a test that cannot fail: the parser finds known imports and a known edge."""
    assert "streamlit" in roots(ROOT / "lessons" / "parts" / "ui.py")
    assert "torch" in roots(ROOT / "deeplab_core" / "nets" / "model.py")
    assert "deeplab_core.nets.wiring" in GRAPH["deeplab_core.nets.model"]
