"""pyproject.toml and environment.yml list the same dependencies with the same ranges."""

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
CONDA_TO_PYPI = {"pytorch": "torch"}
CONDA_ONLY = {"python", "pip"}


def _split(spec: str) -> tuple[str, str]:
    spec = spec.split(";")[0].strip()
    name, rest = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec).groups()
    return name.lower(), rest.replace(" ", "")


def pyproject_deps() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(_split(s) for s in specs if "python_version" not in s)


def conda_deps() -> dict[str, str]:
    deps = {}
    text = (REPO / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"\s*-\s+([A-Za-z0-9_.\-][^#]*)", line)
        if match and ":" not in match.group(1):
            name, rng = _split(match.group(1))
            if name not in CONDA_ONLY:
                deps[CONDA_TO_PYPI.get(name, name)] = rng
    return deps


def test_environment_yml_matches_pyproject():
    assert conda_deps() == pyproject_deps()


def test_ranges_not_pins():
    pinned = [name for name, rng in pyproject_deps().items() if rng.startswith("==")]
    assert not pinned, f"use ranges, not pins: {pinned}"


def test_ci_runs_make_test_and_readme_shows_it_first():
    assert "make test" in (REPO / ".ci" / "run").read_text()
    readme = (REPO / "README.md").read_text()
    first_section = readme.split("\n## ")[1]
    assert "make lab" in first_section and "make test" in first_section


def test_make_installs_the_tested_versions():
    """Does `make` install with constraints.txt, and do its pins fit pyproject's ranges?"""
    makefile = (REPO / "Makefile").read_text()
    assert "-c constraints.txt" in makefile
    pins = dict(_split(line) for line in (REPO / "constraints.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#"))
    assert pins["torch"] == "==2.14.1"
    from packaging.specifiers import SpecifierSet

    ranges = pyproject_deps()
    for name, pin in pins.items():
        assert pin.removeprefix("==") in SpecifierSet(ranges[name]), (name, pin, ranges[name])
