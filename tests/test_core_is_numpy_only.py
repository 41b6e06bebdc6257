"""core/ depends on NumPy and the standard library only, so it runs and tests without the UI stack."""

import ast
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORE = REPO_ROOT / "core"
ALLOWED = sys.stdlib_module_names | {"numpy", "core"}
UI_LIBRARIES = {"streamlit", "pandas", "altair"}


def imported_top_level_names(tree: ast.AST):
    """(line, top-level module name) for every import in `tree`; relative imports count as core."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, "core" if node.level else node.module.split(".")[0]


def test_core_files_import_only_numpy_and_the_standard_library():
    files = sorted(CORE.rglob("*.py"))
    assert files, f"no .py files found in {CORE}"
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line} imports {name}"
        for path in files
        for line, name in imported_top_level_names(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if name not in ALLOWED
    ]
    assert not offenders, "core/ may import only numpy and the standard library:\n" + "\n".join(offenders)


def test_importing_core_loads_no_ui_library():
    # A fresh interpreter, so modules imported by other tests (or conftest) do not count.
    # Every submodule is imported, not just core/__init__.py.
    code = (
        "import importlib, pkgutil, sys, core\n"
        "for m in pkgutil.iter_modules(core.__path__): importlib.import_module('core.' + m.name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(UI_LIBRARIES)!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"importing core loaded UI libraries: {result.stdout.strip()}"
