"""Packaging: the built wheel carries the firmware templates and the licence and renders from an installed copy;
every third-party module trigger/ imports is a declared dependency pinned as constraints.txt pins it."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# What a wheel is built from (a git checkout holds the same); copied so the build leaves nothing in the work tree.
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "trigger", "firmware_templates")
# Imports allowed to come from an extra: the physics generators (GPL, `pip install .[physics]`) and the pytest
# plugin, which only pytest itself loads.  Everything else trigger/ imports must be a core dependency.
OPTIONAL_SCOPES = {"trigger/data/": "physics", "trigger/regress/pytest_plugin.py": "dev"}
# Modules only the Keras-3 environment runs (trigger/environments.py): their imports are declared in
# requirements-keras3.txt (QKeras-v3 by scripts/setup-keras3.sh), not in pyproject.toml.
KERAS3_FILES = ("trigger/frontends/keras3.py",)
KERAS3_DISTRIBUTIONS = {"hgq": "hgq2", "qkeras": "qkeras-v3"}  # module -> distribution where the names differ


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """trigger's wheel, built offline with the venv's setuptools from a copy of the repository."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in BUILD_INPUTS:
        path = REPO / name
        if not path.exists():  # the assertions below say what is missing
            continue
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(path, src / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "--no-index"]
    done = subprocess.run([*cmd, "-q", "-w", str(tmp / "dist")], cwd=tmp, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (found,) = (tmp / "dist").glob("trigger-*.whl")
    return found


def test_wheel_holds_the_templates_and_the_licence(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        templates = sorted(p.name for p in (REPO / "firmware_templates").glob("*.j2"))
        assert templates, "no templates in firmware_templates/"
        for name in templates:
            member = f"trigger/firmware_templates/{name}"
            assert member in names, f"{member} missing from {wheel.name}"
            assert z.read(member) == (REPO / "firmware_templates" / name).read_bytes()  # the file, not a link
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), sorted(names)
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        assert "License-Expression: Apache-2.0" in z.read(metadata).decode()


def test_installed_wheel_renders_templates(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import trigger, trigger.templates as t; "
        "print(trigger.__file__); print(sorted(t.environment().list_templates())); "
        "print(t.render('verilator_public.vlt.j2', top='packaged_top'))"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    where, listed, rendered = done.stdout.split("\n", 2)
    assert Path(where).is_relative_to(site), f"trigger was imported from {where}, not from the unpacked wheel"
    assert listed == repr(sorted(p.name for p in (REPO / "firmware_templates").glob("*.j2")))
    assert "packaged_top" in rendered


def test_loader_refuses_missing_and_escaping_names():
    import jinja2

    from trigger.templates import environment

    env = environment()
    assert "rtl_top.v.j2" in env.list_templates()
    for name in ("no_such.j2", "../pyproject.toml", "../firmware_templates/rtl_top.v.j2", "/etc/passwd", ""):
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template(name)


# --- declared dependencies --------------------------------------------------------------------------------------


def _name(requirement: str) -> str:
    """Normalised distribution name of a requirement string (PEP 503)."""
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


def declared(pyproject: dict) -> dict[str, set[str]]:
    """Normalised distribution name -> the groups declaring it ('core' or an extra's name)."""
    project = pyproject["project"]
    out: dict[str, set[str]] = {}
    for req in project.get("dependencies", []):
        out.setdefault(_name(req), set()).add("core")
    for extra, reqs in project.get("optional-dependencies", {}).items():
        for req in reqs:
            out.setdefault(_name(req), set()).add(extra)
    return out


def third_party_imports(package: Path) -> dict[str, set[str]]:
    """Top-level module -> files (relative to the repository) importing it, for every non-stdlib, non-trigger
    absolute import anywhere in `package` (function-level imports included)."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top not in sys.stdlib_module_names and top != package.name:
                    found.setdefault(top, set()).add(rel)
    return found


def undeclared(imports: dict[str, set[str]], groups: dict[str, set[str]], distributions: dict[str, list[str]]) -> list:
    """Imports whose distribution is not declared where every importing file needs it (sorted messages)."""
    problems = []
    for module, files in sorted(imports.items()):
        need = {"core"}
        scoped = [OPTIONAL_SCOPES[s] for f in files for s in OPTIONAL_SCOPES if f.startswith(s)]
        if len(scoped) == len(files):  # imported only where an extra provides it
            need = {"core", *scoped}
        dists = [_name(d) for d in distributions.get(module, [])]
        if not dists:
            problems.append(f"{module} (imported by {', '.join(sorted(files))}): no installed distribution provides it")
        elif not any(groups.get(d, set()) & need for d in dists):
            problems.append(
                f"{module} (distribution {' or '.join(dists)}, imported by {', '.join(sorted(files))})"
                f": not declared in {' or '.join(sorted(need))}"
            )
    return problems


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def keras3_requirements() -> set[str]:
    """Distributions the Keras-3 environment installs: requirements-keras3.txt and setup-keras3.sh's QKeras-v3."""
    names = set(pins((REPO / "requirements-keras3.txt").read_text().splitlines()))
    setup = re.search(r"QKERAS_V3=(\S+)", (REPO / "scripts" / "setup-keras3.sh").read_text())
    return names | set(pins([setup.group(1)])) if setup else names


def split_keras3(imports: dict[str, set[str]]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(imports of the default environment's files, imports only KERAS3_FILES make)."""
    default: dict[str, set[str]] = {}
    keras3: dict[str, set[str]] = {}
    for module, files in imports.items():
        for f in files:
            (keras3 if f in KERAS3_FILES else default).setdefault(module, set()).add(f)
    return default, keras3


def test_keras3_imports_are_installed_by_the_keras3_environment():
    _, keras3 = split_keras3(third_party_imports(REPO / "trigger"))
    assert {"hgq", "keras", "hls4ml"} <= set(keras3)
    needed = {module: _name(KERAS3_DISTRIBUTIONS.get(module, module)) for module in keras3}
    assert {m: d for m, d in needed.items() if d not in keras3_requirements()} == {}
    assert "qkeras-v3" in keras3_requirements() and "hgq2" in keras3_requirements()
    required = pins((REPO / "requirements-keras3.txt").read_text().splitlines())
    constrained = pins((REPO / "constraints-keras3.txt").read_text().splitlines())
    assert {n: v for n, v in required.items() if constrained.get(n) != v} == {}


def test_every_imported_third_party_module_is_declared():
    imports, _ = split_keras3(third_party_imports(REPO / "trigger"))
    assert {"numpy", "hls4ml", "jinja2", "awkward"} <= set(imports)  # the scan sees plain and function-level imports
    assert undeclared(imports, declared(_pyproject()), importlib.metadata.packages_distributions()) == []


def test_a_missing_dependency_is_reported():
    imports, _ = split_keras3(third_party_imports(REPO / "trigger"))
    dists = importlib.metadata.packages_distributions()
    pyproject = _pyproject()
    core = pyproject["project"]["dependencies"]
    pyproject["project"]["dependencies"] = [r for r in core if _name(r) != "jinja2"]
    assert [p.split(" ")[0] for p in undeclared(imports, declared(pyproject), dists)] == ["jinja2"]
    # a physics-only import declared nowhere, and a core import declared only in an extra
    physics_only = {"awkward": {"trigger/data/jets.py"}, "jinja2": {"trigger/templates.py"}}
    groups = {"awkward": {"dev"}, "jinja2": {"physics"}}
    problems = undeclared(physics_only, groups, {"awkward": ["awkward"], "jinja2": ["Jinja2"]})
    assert [p.split(" ")[0] for p in problems] == ["awkward", "jinja2"]
    assert "not declared in core or physics" in problems[0] and "not declared in core" in problems[1]
    assert undeclared({"nonexistent_mod": {"trigger/x.py"}}, groups, {})[0].endswith(
        "no installed distribution provides it"
    )


def pins(lines: list[str]) -> dict[str, str]:
    """Normalised name -> version of every `name==version` requirement."""
    out = {}
    for line in lines:
        found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)", line)
        if found:
            out[_name(found.group(1))] = found.group(2)
    return out


def test_declared_pins_match_constraints():
    project = _pyproject()["project"]
    reqs = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    declared_pins = pins(reqs)
    assert len(declared_pins) == len(reqs), "every declared dependency is pinned with =="
    constrained = pins((REPO / "constraints.txt").read_text().splitlines())
    assert {n: v for n, v in declared_pins.items() if constrained.get(n) != v} == {}
