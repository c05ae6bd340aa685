"""Which kind of test each one is, decided by rule at collection (tests/conftest.py applies it), never per file.

- `browser`: uses a browser fixture (`browser`, `page`, `new_tab`, `app_url`): headless Chromium against the one
  session server.
- `apptest`: reaches Streamlit's `AppTest` (in the test, its fixtures, or the helpers under tests/ they call).
- `network`: builds or runs a real-size DeepLab network: reaches `load_model`, `build_v1` or `build_v2`, through
  the project's code too, or uses a fixture that does (the random weights folder, the session models).
- `tool`: starts another process from the test side (ruff, mypy, a command-line tool, a server).
- `unit`: none of these: `pytest -m unit` is the quick loop.

The rules read the code a test can reach: the names its functions use, resolved in their modules, followed into
the project's own functions (not into installed packages). A new test file is classified like the others
without being listed anywhere.
"""

from __future__ import annotations

import dis
import importlib
import inspect
import subprocess
import sys
import types
import warnings
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

import pytest

from tests.paths import ROOT

KINDS = ("browser", "apptest", "network", "tool")
BROWSER_FIXTURES = frozenset({"browser", "page", "new_tab", "shared_browser_context", "app_url"})
TEST_SIDE = (ROOT / "tests", ROOT / "scripts")  # helpers followed for apptest and tool
PROJECT = (*TEST_SIDE, ROOT / "deeplab_core", ROOT / "lessons")  # followed for network
_PROJECT_PACKAGES = frozenset(root.name for root in PROJECT)


def _opnames(code: types.CodeType) -> set[str]:
    return {dis.opname[op] for op in code.co_code[::2]}


def _builders() -> tuple[object, ...]:
    from deeplab_core.nets.deeplab_v1 import build_v1
    from deeplab_core.nets.deeplab_v2 import build_v2
    from deeplab_core.nets.model import load_model

    return load_model, build_v1, build_v2


def _attribute(obj: object, name: str) -> object:
    """getattr that never raises (some objects, torch.ops for one, raise more than AttributeError)."""
    try:
        with warnings.catch_warnings():  # a deprecated attribute warns when read (numpy's np.bytes)
            warnings.simplefilter("ignore")
            return getattr(obj, name, None)
    except Exception:  # noqa: BLE001
        return None


def _unwrap(obj: object) -> object:
    if not callable(obj):
        return obj
    inner = _attribute(_attribute(obj, "hypothesis"), "inner_test")  # a @given test
    obj = inner or obj
    try:
        return inspect.unwrap(obj)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a wrapper loop or an odd object: use it as it is
        return obj


def _codes(code: types.CodeType) -> Iterable[types.CodeType]:
    """A code object and every one nested in it (inner functions, lambdas, comprehensions)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


@cache
def _file_under(filename: str, roots: tuple[Path, ...]) -> bool:
    path = Path(filename)
    return any(path.is_relative_to(root) for root in roots) and ".venv" not in path.parts


def _defined_under(fn: types.FunctionType, roots: tuple[Path, ...]) -> bool:
    return _file_under(fn.__code__.co_filename, roots)


def _imported(code: types.CodeType) -> dict[str, object]:
    """What the code's own `import` statements bind (an import inside a function is common in tests)."""
    bound: dict[str, object] = {}
    module: object = None
    for instruction in dis.get_instructions(code):
        if instruction.opname == "IMPORT_NAME":
            name = str(instruction.argval)
            if name.split(".")[0] not in _PROJECT_PACKAGES and name not in sys.modules:
                module = None  # not imported yet and not ours: importing it just to classify is not worth it
                continue
            try:
                module = importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a module that fails to import fails its test, not collection
                module = None
            if module is not None:
                bound[name.split(".")[0]] = sys.modules.get(name.split(".")[0])
                bound[name] = module
        elif instruction.opname == "IMPORT_FROM" and module is not None:
            bound[str(instruction.argval)] = _attribute(module, str(instruction.argval))
    return bound


@cache
def _edges(fn: types.FunctionType) -> tuple[frozenset[int], tuple[types.FunctionType, ...]]:
    """ids of what `fn` uses, and the functions among them (and among the classes' methods) to follow."""
    used = _callees(fn)
    _KEEP.extend(used)  # hold the objects so their ids stay theirs for the run
    follow = {inner for obj in used for inner in _functions_of(obj)}
    return frozenset(map(id, used)), tuple(follow)


def _callees(fn: types.FunctionType) -> list[object]:
    """The objects `fn`'s names resolve to: its module's globals, what it imports itself, and attributes of the
    modules it uses."""
    found: list[object] = []
    for code in _codes(fn.__code__):
        names = code.co_names
        scope = {**fn.__globals__, **_imported(code)} if "IMPORT_NAME" in _opnames(code) else fn.__globals__
        for name in names:
            obj = scope.get(name)
            if obj is None:
                continue
            found.append(obj)
            if isinstance(obj, types.ModuleType):  # `module.attribute`: any of the code's names on that module
                found += [_attribute(obj, other) for other in names if other != name]
    for cell in fn.__closure__ or ():
        try:
            found.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return found


def _functions_of(obj: object) -> list[types.FunctionType]:
    obj = _unwrap(obj)
    if isinstance(obj, types.FunctionType):
        return [obj]
    if isinstance(obj, type):
        return [_unwrap(v) for v in vars(obj).values() if isinstance(_unwrap(v), types.FunctionType)]  # type: ignore[misc]
    return []


@cache
def _reach(fn: types.FunctionType, roots: tuple[Path, ...]) -> frozenset[int]:
    """ids of every object `fn` can reach, following functions and classes defined under `roots`."""
    seen: set[int] = set()
    todo: list[types.FunctionType] = [fn]
    visited: set[types.FunctionType] = set()
    while todo:
        current = todo.pop()
        if current in visited:
            continue
        visited.add(current)
        used, follow = _edges(current)
        seen |= used
        todo += [inner for inner in follow if inner not in visited and _defined_under(inner, roots)]
    return frozenset(seen)


_KEEP: list[object] = []


def _entry_points(item: pytest.Item) -> list[types.FunctionType]:
    functions = _functions_of(getattr(item, "obj", None))
    info = getattr(item, "_fixtureinfo", None)
    for name in getattr(item, "fixturenames", ()):
        for fixturedef in info.name2fixturedefs.get(name, ()) if info else ():
            functions += _functions_of(fixturedef.func)
    return functions


def _reaches(functions: list[types.FunctionType], roots: tuple[Path, ...], targets: Iterable[object]) -> bool:
    wanted = {id(t) for t in targets}
    return any(wanted & _reach(fn, roots) for fn in functions)


def kinds_of(item: pytest.Item) -> set[str]:
    from streamlit.testing.v1 import AppTest

    functions = _entry_points(item)
    kinds = set()
    if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
        kinds.add("browser")
    if _reaches(functions, TEST_SIDE, [AppTest]):
        kinds.add("apptest")
    if _reaches(functions, PROJECT, _builders()):
        kinds.add("network")
    if _reaches(functions, TEST_SIDE, [subprocess, subprocess.run, subprocess.Popen]):
        kinds.add("tool")
    return kinds


def assign(items: list[pytest.Item], mark: Callable[[pytest.Item, str], None]) -> None:
    for item in items:
        kinds = kinds_of(item)
        for kind in sorted(kinds) or ["unit"]:
            mark(item, kind)
