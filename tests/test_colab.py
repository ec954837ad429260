"""Does every notebook's setup cell work on a Colab-like runtime, and leave its PyTorch
alone?

The stand-in (build/colab, made by `make test` with scripts/colab_env.sh) is a fresh
environment as close to Colab as this machine allows: a PyTorch that is not the one the
course pins (2.13.0, CPU build), ipywidgets 7, numpy, Matplotlib and IPython, and no
labkit. Each notebook's setup cell runs there in IPython (so `%pip` works) with its
install source pointed at a copy of this checkout, then the chapter's imports run. The
test fails if any package that was there before changed version or went away.

What the stand-in cannot have: torchvision. PyPI's torchvision for PyTorch 2.13 is built
for its CUDA build and does not import beside the CPU wheel, the only other PyTorch on
this machine, so lines importing torchvision are set aside and listed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labkit.notebook.project import install_source, repository_url, version

# One worker runs this module: its shared environment is set up once.
pytestmark = pytest.mark.xdist_group("colab")

REPO = Path(__file__).resolve().parents[1]
COLAB = REPO / "build" / "colab"
PYTHON = COLAB / "env" / "bin" / "python"
NEEDS_TORCHVISION = re.compile(r"^\s*(?:import torchvision|from torchvision)\b.*$", re.M)

RUNNER = r'''
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
report = []
for name, code in json.loads(sys.stdin.read()):
    result = shell.run_cell(code)
    error = result.error_in_exec or result.error_before_exec
    report.append([name, None if error is None else f"{type(error).__name__}: {error}"])
import labkit, torch, numpy, ipywidgets
report.append(["versions", {"labkit": labkit.__version__, "torch": torch.__version__,
                            "numpy": numpy.__version__, "ipywidgets": ipywidgets.__version__}])
print("@@REPORT@@" + json.dumps(report))
'''


def _freeze() -> dict[str, str]:
    out = subprocess.run([str(PYTHON), "-m", "pip", "freeze", "--all"], capture_output=True,
                         text=True, check=True).stdout
    found = {}
    for line in out.splitlines():  # "name==1.0", or "name @ file:///..." for a local build
        name, _, rest = line.replace(" @ ", "==", 1).partition("==")
        if rest:
            found[name.strip().lower()] = rest.strip()
    return found


def _checkout_copy(tmp_path: Path) -> Path:
    """The files pip builds labkit from (a copy, so the build leaves the checkout clean)."""
    copy = tmp_path / "checkout"
    shutil.copytree(REPO / "labkit", copy / "labkit",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "constraints.txt"):
        shutil.copy(REPO / name, copy / name)
    return copy


def _cells(notebook: Path, source: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, code) to run: the setup cell pointed at ``source``, then the imports; and
    the torchvision lines set aside."""
    nb = json.loads(notebook.read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    setup = code[0]
    wanted = f'"{install_source(repository_url(REPO), version(REPO))}"'
    assert wanted in setup, f"{notebook.name}: the setup cell does not install {wanted}"
    imports = next(c for c in code[1:] if re.search(r"^(import|from) ", c, re.M))
    aside = NEEDS_TORCHVISION.findall(imports)
    imports = NEEDS_TORCHVISION.sub("pass", imports)
    name = notebook.relative_to(REPO / "notebooks").as_posix()
    return [(f"{name} setup", setup.replace(wanted, f'"labkit @ file://{source}"')),
            (f"{name} imports", imports)], aside


def _wants_torchvision(error: str) -> bool:
    """An error that only the missing torchvision explains (its import, or its name)."""
    return bool(re.match(r"(ModuleNotFoundError: No module named|NameError: name) "
                         r"'torchvision'", error))


@pytest.fixture(scope="module")
def stand_in():
    if not (COLAB / ".ready").exists():
        pytest.skip("no Colab stand-in: `make test` makes it (scripts/colab_env.sh build/colab)")
    preinstalled = dict(line.lower().split("==", 1) for line in
                        (COLAB / "preinstalled.txt").read_text().splitlines() if "==" in line)
    extra = sorted(set(_freeze()) - set(preinstalled))
    if extra:  # what an earlier run installed: a Colab runtime starts without it
        subprocess.run([str(PYTHON), "-m", "pip", "uninstall", "--quiet", "-y", *extra],
                       check=True)
    return preinstalled


@pytest.mark.parametrize("language", ["en", "zh"])
def test_setup_cells_install_the_course_and_keep_colabs_torch(stand_in, tmp_path, language):
    folder = REPO / "notebooks" / ("" if language == "en" else language)
    notebooks = sorted(folder.glob("[0-9]*.ipynb"))
    assert notebooks
    source = _checkout_copy(tmp_path)
    cells, aside = [], {}
    for notebook in notebooks:
        more, skipped = _cells(notebook, source)
        cells += more
        if skipped:
            aside[notebook.stem] = skipped
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(COLAB / "wheels"),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1",
           "LABKIT_OFFLINE": "1", "LABKIT_QUIET": "1", "MPLBACKEND": "Agg"}
    env.pop("PYTHONPATH", None)  # the stand-in sees only what it installed
    done = subprocess.run([str(PYTHON), "-c", RUNNER], input=json.dumps(cells), env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert "@@REPORT@@" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.split("@@REPORT@@", 1)[1])
    versions = report.pop()[1]
    failed = {name: error for name, error in report if error and not _wants_torchvision(error)}
    assert not failed, f"{failed}\n{done.stdout[-2000:]}"
    needs_torchvision = [name for name, error in report if error]
    # Nothing that Colab had was replaced: same packages, same versions.
    after = _freeze()
    changed = {name: (v, after.get(name)) for name, v in stand_in.items() if after.get(name) != v}
    assert not changed, f"the setup cells changed the runtime's packages: {changed}"
    assert versions["torch"].startswith("2.13.0") and versions["ipywidgets"].startswith("7.")
    assert versions["labkit"] == version(REPO)
    for extra in ("labkit", "babel", "onnx", "onnxruntime", "onnxscript"):
        assert extra in after, f"{extra} was not installed"
    print(f"{language}: set aside for want of torchvision: {aside}; cells that need it: "
          f"{needs_torchvision}")


def test_chapter_05_opens_on_a_colab_gpu():
    for folder in ("", "zh"):
        nb = json.loads((REPO / "notebooks" / folder / "05_gpu_and_ddp.ipynb").read_text())
        assert nb["metadata"]["accelerator"] == "GPU"
        assert nb["metadata"]["colab"]["gpuType"]
        text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        assert "T4 GPU" in text and ("Change runtime type" in text)
