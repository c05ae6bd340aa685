"""Cold start: the imports that sessions would race on happen once, before any page runs.

A cold server opened by a class at once used to run ten first imports of pandas, plotly and torch in ten script
threads; Python's import locks then hand some threads a module that is still half-initialised ("partially
initialized module 'pandas' has no attribute 'Series'"). So the first run of app.py, under one lock, imports what
the light pages need (their imports, read from the page files with `ast`, plus the libraries Streamlit loads lazily
for charts and tables) before any page runs. A background thread then imports everything the other pages need
(torch, torchvision and the modules built on them): it starts a moment after the first page has run (loading torch
holds the interpreter, and beside the overview's first run it nearly doubled that run's time on two cores), or at
once when a page that needs torch asks for it. A page
that needs torch waits for that thread behind a "starting up" note; the overview never does.
"""

from __future__ import annotations

import ast
import importlib
import logging
import threading
from functools import cache
from pathlib import Path

import streamlit as st

from lessons import available_lessons
from lessons.parts import janitor
from lessons.parts.ui import t

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
OURS = ("deeplab_core", "lessons")
HEAVY = ("torch", "torchvision")
# Loaded lazily by Streamlit and plotly the first time a chart or a table is drawn, outside any page's imports.
LAZY = ("numpy", "pandas", "pyarrow", "plotly.graph_objects", "plotly.io", "PIL.Image", "PIL.PngImagePlugin")

_lock = threading.Lock()
_light_done = False
_heavy_done = threading.Event()
_heavy_wanted = threading.Event()  # a page waits for torch: no more delay
DELAY_S = 2.0  # after the first page's run, so its last messages reach the browser first
_heavy_thread: threading.Thread | None = None


def _file_of(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports_of(path: Path) -> set[str]:
    """Modules a file imports at its top level (the imports that run when the page opens)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            submodules = (f"{node.module}.{alias.name}" for alias in node.names)
            names.update(name for name in submodules if _file_of(name))  # `from package import module`
    return names


@cache
def closure(path: Path) -> frozenset[str]:
    """Every module a page imports, following our own modules (deeplab_core, lessons) down to third-party ones."""
    seen: set[str] = set()
    todo = list(_imports_of(path))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        own = _file_of(name) if name.split(".")[0] in OURS else None
        if own is not None:
            todo.extend(_imports_of(own))
    return frozenset(seen)


def needs_torch(path: Path) -> bool:
    return any(name.split(".")[0] in HEAVY for name in closure(path))


def _import_all(names: set[str]) -> None:
    # third-party first, then ours in dependency-free order (a module's own imports load it when needed)
    for name in sorted(names, key=lambda n: (n.split(".")[0] in OURS, n)):
        if name == "streamlit" or name.startswith("streamlit."):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a broken module fails its own page, where the reader sees why; the warm-up goes on
            log.warning("warm-up could not import %s", name, exc_info=True)


def _heavy() -> None:
    _heavy_wanted.wait(DELAY_S)
    try:
        _import_all({name for lesson in available_lessons() for name in closure(lesson.path)})
        log.info("warm-up: every page's imports are loaded")
    finally:
        _heavy_done.set()


def warm_up() -> None:
    """Once per process, before any page: the light pages' imports, in this thread, under a lock."""
    global _light_done
    if _light_done:
        return
    with _lock:
        if not _light_done:
            light = [lesson.path for lesson in available_lessons() if not needs_torch(lesson.path)]
            _import_all({name for path in light for name in closure(path)} | set(LAZY))
            janitor.start()  # once per process, like the warm-up: memory of closed sessions goes back
            _light_done = True


def start_background() -> None:
    """Start importing what the other pages need, once (after the first page has run, or when one needs it)."""
    global _heavy_thread
    with _lock:
        if _heavy_thread is None:
            _heavy_thread = threading.Thread(target=_heavy, name="atrous-warm-up", daemon=True)
            _heavy_thread.start()


def torch_ready() -> bool:
    """True once torch and every page's modules are imported."""
    return _heavy_done.is_set()


def prepare(path: Path, timeout: float = 300) -> None:
    """Before the page at `path` runs: warm up once; a page that needs torch waits for it behind a note."""
    warm_up()
    # One placeholder on every run, warm or cold: an element that is there only on the cold run shifts the page's
    # elements by one on the next run, the browser remounts them, and Streamlit 1.67 then drops the URL binding
    # of every bound widget (the address bar stops following the controls).
    note = st.empty()
    if needs_torch(path) and not _heavy_done.is_set():
        _heavy_wanted.set()
        start_background()
        note.info(t("serving.warming"), icon=":material/hourglass_top:")  # drawn at once (unlike a spinner)
        _heavy_done.wait(timeout)
        note.empty()
