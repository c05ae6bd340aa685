"""The code passes ruff with the project's settings (pyproject.toml)."""

import shutil
import subprocess
import sys

import pytest

from tests.paths import ROOT


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run(
        [ruff, "check", "--output-format", "concise", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_python_version_is_supported():
    assert sys.version_info >= (3, 10)
