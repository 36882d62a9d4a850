"""The import rule of docs/architecture.md holds on the real import graph.

The contracts live in pyproject.toml (``[tool.importlinter]``) and are checked by import-linter,
the same check a developer runs with ``lint-imports``. A copy of the package with one import
against the rule shows that the check can fail.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(project: Path, source: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_package_keeps_every_import_contract() -> None:
    result = _lint(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    # The three rules are all there: none was dropped to make the check pass.
    assert result.stdout.count("KEPT") == 3, result.stdout


def test_a_store_that_imports_the_command_line_breaks_the_rule(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "src" / "zoomorch", tmp_path / "src" / "zoomorch",
                    ignore=shutil.ignore_patterns("__pycache__"))
    store = tmp_path / "src" / "zoomorch" / "db" / "store.py"
    store.write_text(store.read_text() + "\nimport zoomorch.cli.common  # against the rule\n")
    result = _lint(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "zoomorch.db.store -> zoomorch.cli.common" in result.stdout, result.stdout
