"""Gates outside the tests' logic: ruff (lint and format) and mypy on the core, with the project's settings."""

import shutil
import subprocess
import sys

import pytest

from tests.paths import ROOT


def tool(name: str) -> str:
    found = shutil.which(name, path=str(ROOT / ".venv" / "bin")) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -r requirements-dev.txt)")
    return found


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


def test_ruff_is_clean():
    result = run(tool("ruff"), "check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied():
    result = run(tool("ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_core_type_checks():
    result = run(sys.executable, "-m", "mypy", "--no-error-summary")  # files and settings: pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr


def test_python_version_is_supported():
    assert sys.version_info >= (3, 10)
