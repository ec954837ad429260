"""Does every chapter run top to bottom, as a learner meets it and with its solutions?

Each notebook runs once, in a fresh kernel, and its executed copy is kept in
build/executed/ for the course site (`labkit site` reuses it) and the screenshots. The
learner notebooks run in both languages: their code is the same, but the Chinese ones
print Chinese messages, check results and figure labels. A solved notebook shares the
English one's code cells and adds the solutions; its checks must all pass, and the
messages of a pass in Chinese are tested with the exercises, so it runs in English only.

Every check in a learner notebook must say "not attempted" and every check in a solved
one "passed": the notebook's harness (LABKIT_EXPECT, see conftest.py) raises otherwise.

The kernels are forked from one that has imported torch and torchvision (see
labkit/site/warm_kernel.py): each notebook still gets a kernel of its own, with an empty
namespace, and 27 runs skip about 5 s of imports each.
"""

import os
from pathlib import Path

import pytest

from labkit.site.execute import execute
from labkit.site.warm_kernel import WarmKernels

REPO = Path(__file__).resolve().parents[2]
EXECUTED = REPO / "build" / "executed"
# Longest first: the two test workers finish together.
ORDER = ["06_deployment", "05_gpu_and_ddp", "04b_optimizers", "04_cnn", "03b_data_and_losses",
         "03_mlp",
         "02_autograd", "01_tensors", "00_setup"]


def _rank(path: Path) -> int:
    return ORDER.index(path.stem) if path.stem in ORDER else -1


def runs() -> list[tuple[str, Path, Path]]:
    learner = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"), key=_rank)
    chinese = sorted((REPO / "notebooks" / "zh").glob("[0-9]*.ipynb"), key=_rank)
    solved = sorted((REPO / "build" / "solved").glob("[0-9]*.ipynb"), key=_rank)
    found = [("solved", p, EXECUTED / "solved" / p.name) for p in solved]
    found += [("learner", p, EXECUTED / p.name) for p in learner]
    found += [("learner-zh", p, EXECUTED / "zh" / p.name) for p in chinese]
    return sorted(found, key=lambda run: _rank(run[1]))


RUNS = runs()


def test_every_chapter_is_run():
    """A chapter without its three runs (a missing `labkit build --solved-only`?) fails."""
    stems = {p.stem for p in (REPO / "notebooks" / "src").glob("[0-9]*.py")}
    for kind in ("solved", "learner", "learner-zh"):
        assert {p.stem for k, p, _ in RUNS if k == kind} == stems, (
            f"{kind} notebooks missing: run `labkit build --solved-only` first")


@pytest.fixture(scope="session")
def warm_kernel(tmp_path_factory):
    """The name of a kernel spec whose kernels start warm (one zygote per test worker)."""
    root = tmp_path_factory.mktemp("warm-kernels")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root), prepend=os.pathsep)
        with WarmKernels(root) as warm:
            yield warm.name


@pytest.mark.notebook
@pytest.mark.parametrize("kind, notebook, executed", RUNS,
                         ids=[f"{k}:{p.stem}" for k, p, _ in RUNS])
def test_notebook_runs_top_to_bottom(kind, notebook, executed, warm_kernel):
    nb = execute(notebook, executed, kernel_name=warm_kernel)
    checks = [c for c in nb.cells if c.cell_type == "code" and ".check()" in c.source]
    assert checks, f"{notebook.name} has no exercise checks"
    for cell in checks:  # every check showed its result (a rendered HTML block)
        assert any("text/html" in o.get("data", {}) for o in cell.outputs), cell.source[:80]
