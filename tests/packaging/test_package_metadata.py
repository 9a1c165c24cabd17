"""What a wheel declares matches what the code imports; the install line in the docs is the one the code prints."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys

import tomllib

from streammsa import assets
from streammsa.paths import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def _dist_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def third_party_imports() -> set[str]:
    """Top-level modules outside the standard library that the package imports anywhere."""
    found: set[str] = set()
    for path in (REPO_ROOT / "streammsa").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("streammsa", "__future__")}


def test_every_imported_package_is_declared_or_a_no_deps_model_package():
    declared = {_dist_name(r) for r in PYPROJECT["project"]["dependencies"]}
    for extra in PYPROJECT["project"].get("optional-dependencies", {}).values():
        declared |= {_dist_name(r) for r in extra}
    declared |= {_dist_name(r) for r in assets.no_deps_packages()}
    providers = importlib.metadata.packages_distributions()
    undeclared = {}
    for module in third_party_imports():
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists & declared:
            undeclared[module] = sorted(dists) or "not installed"
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_the_readme_install_line_is_the_one_the_package_prints():
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"## Install as a package.*?```bash\n(.*?)```", readme, re.S)
    assert block, "README has no 'Install as a package' block"
    lines = [ln.split("  #")[0].strip() for ln in block.group(1).strip().splitlines()]
    assert assets.model_setup_command() in lines


def test_setup_installs_the_no_deps_packages_and_runs_every_preparation():
    setup = (REPO_ROOT / "scripts" / "setup.sh").read_text()
    assert "--no-deps -r requirements-nodeps.txt" in setup
    for command in assets.PREPARE_COMMANDS:
        assert command.replace("python ", '"$VENV/bin/python" ') in setup


def test_the_wheel_build_ships_what_paths_looks_for():
    setup_py = (REPO_ROOT / "setup.py").read_text()
    manifest = (REPO_ROOT / "MANIFEST.in").read_text()
    for folder in ("web", "models", "demo_media"):
        assert f'("{folder}",' in setup_py and folder in manifest
    assert "requirements-nodeps.txt" in setup_py and "requirements-nodeps.txt" in manifest
