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


# --- one version, one URL ---------------------------------------------------------------
def _project():
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _pins() -> dict[str, str]:
    return dict(_split(line) for line in (REPO / "constraints.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#"))


def test_one_version_in_pyproject_the_changelog_and_labkit():
    """Is pyproject's version the one labkit reports and the changelog's newest?"""
    import labkit

    version = _project()["version"]
    assert labkit.__version__ == version
    assert not re.search(r"__version__\s*=", (REPO / "labkit" / "__init__.py").read_text())
    headings = re.findall(r"^## (\S+)", (REPO / "CHANGELOG.md").read_text(), re.M)
    assert headings[0] == version, f"CHANGELOG.md's newest section is {headings[0]}"


def test_setup_cells_and_badges_point_at_the_release_tag():
    """Does every committed notebook install the course at the tag of its version, and
    every badge open that tag, never a branch?"""
    import json

    from labkit.notebook.project import install_source, release_tag, repository_url

    version, url = _project()["version"], repository_url(REPO)
    notebooks = sorted((REPO / "notebooks").glob("**/*.ipynb"))
    assert len(notebooks) >= 16
    for path in notebooks:
        nb = json.loads(path.read_text())
        setup = "".join(nb["cells"][0]["source"])
        assert f'"{install_source(url, version)}"' in setup, path
        assert nb["metadata"]["labkit"]["release"] == version
    for readme in ("README.md", "README.zh.md"):
        text = (REPO / readme).read_text()
        links = re.findall(r"\((https://(?:colab|mybinder)[^)]+)\)", text)
        assert links and all(release_tag(version) in link for link in links
                             if "badge" not in link), readme
        assert "/main/" not in text and "/main?" not in text


def test_chapter_extras_are_pinned_and_fit_pyproject():
    """Does each chapter's setup cell install its extras at constraints.txt's versions?"""
    import json

    pins = _pins()
    nb = json.loads((REPO / "notebooks" / "06_deployment.ipynb").read_text())
    extras = nb["metadata"]["labkit"]["extras"]
    assert {_split(e)[0] for e in extras} >= {"onnx", "onnxruntime", "onnxscript", "babel"}
    for extra in extras:
        name, pin = _split(extra)
        assert pins[name] == pin, extra
    assert "labkit.extras.install(" in "".join(nb["cells"][0]["source"])


def test_torch_floor_is_what_labkit_needs():
    """labkit (and chapter 05) call torch.accelerator.current_accelerator(check_available=)
    which arrived in 2.7: pyproject and the doctor must say so."""
    from labkit import doctor

    assert pyproject_deps()["torch"] == ">=2.7"
    assert doctor.MIN_TORCH == (2, 7)
    python_floor = _project()["requires-python"].removeprefix(">=")
    assert doctor.MIN_PYTHON == tuple(int(x) for x in python_floor.split("."))


# --- Binder -----------------------------------------------------------------------------
TEST_TOOLS = {"pytest", "nbval", "pytest-xdist", "ruff", "playwright"}


def _binder():
    import yaml

    env = yaml.safe_load((REPO / "binder" / "environment.yml").read_text())
    conda, pip = {}, {}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            for line in entry["pip"]:
                if not line.startswith("-"):
                    name, rng = _split(line)
                    pip[name] = rng
        else:
            name, rng = _split(entry.replace("=", "==", 1) if re.match(r"^[\w-]+=\d", entry)
                               else entry)
            conda[name] = rng
    return conda, pip


def test_binder_holds_the_learner_runtime_only():
    """Does binder/ pin one Python, use matplotlib-base, skip the test tools and install
    the tested torch (CPU wheels) and every runtime dependency of pyproject?"""
    conda, pip = _binder()
    assert re.fullmatch(r"==3\.\d+", conda["python"]), conda["python"]
    python = tuple(int(x) for x in conda["python"].removeprefix("==").split("."))
    assert python >= tuple(int(x) for x in
                           _project()["requires-python"].removeprefix(">=").split("."))
    assert "matplotlib-base" in conda and "matplotlib" not in conda
    assert not TEST_TOOLS & (set(conda) | set(pip))
    pins = _pins()
    for name in ("torch", "torchvision"):
        assert pip[name].removeprefix("==").split("+")[0] == pins[name].removeprefix("==")
        assert pip[name].endswith("+cpu")
    runtime = {name: rng for name, rng in (_split(s) for s in _project()["dependencies"]
                                           if "python_version" not in s)}
    provided = {**{("matplotlib" if n == "matplotlib-base" else n): r for n, r in conda.items()},
                **pip}
    from packaging.specifiers import SpecifierSet

    for name, rng in runtime.items():
        assert name in provided, f"binder/environment.yml lacks {name}"
        got = provided[name]
        if got.startswith("=="):  # a pin must lie inside pyproject's range
            assert got.removeprefix("==").split("+")[0] in SpecifierSet(rng), (name, got)
        else:
            assert got == rng, (name, got, rng)
        if name in pins:
            assert got.split("+")[0] == pins[name], (name, got, pins[name])


def test_binder_installs_the_course_and_a_cjk_font():
    post = (REPO / "binder" / "postBuild").read_text()
    assert "pip install --no-deps" in post and post.startswith("#!/bin/bash")
    assert "fonts-noto-cjk" in (REPO / "binder" / "apt.txt").read_text().split()
    assert not (REPO / "postBuild").exists() and not (REPO / "apt.txt").exists()
