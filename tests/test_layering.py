"""The domain never depends on the admin: models, manifests and the small modules beside them
import nothing from ``plugin_admin.admin``, directly or through what they import."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ("models", "manifests", "validation", "catalog", "hashing", "caching", "serialization")


def domain_files() -> list[Path]:
    files = []
    for name in DOMAIN:
        path = ROOT / "plugin_admin" / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    return files


def imported_modules(source: str, package: str) -> set[str]:
    """Every module ``source`` imports, anywhere in it (functions too), relative to ``package``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # `from plugin_admin import admin`
    return found


def package_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts if path.name == "__init__.py" else parts[:-1]).removesuffix(".__init__")


def is_admin(module: str) -> bool:
    return module == "plugin_admin.admin" or module.startswith("plugin_admin.admin.")


def test_no_domain_module_imports_the_admin():
    offenders = {}
    for path in domain_files():
        modules = imported_modules(path.read_text(encoding="utf-8"), package_of(path))
        if any(map(is_admin, modules)):
            offenders[str(path.relative_to(ROOT))] = sorted(filter(is_admin, modules))
    assert offenders == {}


def test_importing_the_domain_loads_no_admin_module():
    """What the domain imports, and what that imports in turn, stays out of the admin too."""
    modules = ", ".join(f"plugin_admin.{name}" for name in DOMAIN)
    script = f"import sys, {modules}; print(sorted(m for m in sys.modules if m.startswith('plugin_admin.admin')))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "source",
    ["from ..admin import views", "from plugin_admin.admin.views import x", "from .. import admin",
     "import plugin_admin.admin.lists", "def f():\n    from ..admin import forms"],
)  # fmt: skip
def test_the_check_sees_every_form_of_an_admin_import(source):
    assert any(map(is_admin, imported_modules(source, "plugin_admin.models")))
