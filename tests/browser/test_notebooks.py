"""Every learner notebook, met as a learner meets it: JupyterLab in a real browser, in
JupyterLab's default layout (the file browser open) in a laptop's 1366-pixel window.

For each English notebook under notebooks/ (new chapters join by themselves): open it,
Run All with JupyterLab's own command, and fail on error outputs, cells left unrun,
errors in the log console or the browser, widgets that fail or never load, and check
results that are not rendered or do not say "not attempted". Then operate every control
of every explorer, failing on any too narrow to operate and requiring its picture or
text to change, and solve one exercise per chapter (chapters.py): the reference answer
must pass, a known wrong one must be "incorrect".

Every cell of every notebook already runs top to bottom in tests/notebook (both languages,
with nbclient), so here a notebook runs only what is the browser's own: the setup cell,
every explorer with the cells it needs, and every exercise with its check. The first
chapter keeps JupyterLab's own Run All command, so that the learner's first click is
tested as well.

What the two languages share is tested once, in English. A Chinese notebook has the
English code cells and the same widgets and checks; what is its own is words: the
explorers' Chinese labels must still leave each control room to be operated, and a wrong
answer must be explained in Chinese. So the Chinese notebooks with explorers are opened
here (every control's width measured, the first control of each explorer operated, the
wrong answer of the solved exercise explained in Chinese), and every Chinese chapter's
page, with its figures, is checked on the course site (test_site.py).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from browser.chapters import SOLVE, reference_answer
from browser.common import PHASES, chromium_or_skip, shots_for
from browser.labpage import CHECK_CALL, EXPLORER_CALL, NotebookPage
from browser.server import REPO, learner_notebooks

chromium_or_skip()

RUN_ALL_TIMEOUT = float(os.environ.get("LABKIT_BROWSER_TIMEOUT", "480"))
RUN_ALL = {"00_setup.ipynb"}  # the notebooks opened with JupyterLab's Run All


def _opened(path: Path) -> bool:
    """Every English notebook; a translation where it has an explorer (see above)."""
    return path.parent.name == "notebooks" or bool(EXPLORER_CALL.search(path.read_text()))


# The longest first (six explorers to operate), so that the two test processes end together.
NOTEBOOKS = sorted(filter(_opened, learner_notebooks()),
                   key=lambda path: path.stem != "04b_optimizers")


def _id(path):
    return str(path.relative_to(REPO / "notebooks"))


def own_cells(notebook: Path, exercise: str, every_check: bool = False) -> list[int]:
    """The cells a browser must run: the setup, every explorer and the exercise to solve
    (or, with ``every_check``, every exercise and its check), with the cells they need (by
    the grader's dependency analysis, which grading relies on as well)."""
    from labkit.grade.plan import analyse, needed_cells

    cells = json.loads(notebook.read_text())["cells"]
    code = [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "code"]
    analysed = [analyse(source) for _, source in code]
    targets = [k for k, (_, source) in enumerate(code) if EXPLORER_CALL.search(source)]
    for k, (_, source) in enumerate(code):
        match = CHECK_CALL.search(source)
        if match and (every_check or match.group(1) == exercise):
            targets += [k - 1, k]
    chosen = {0}
    for k in targets:
        info = analysed[k]
        chosen |= {k, *needed_cells(analysed, info.reads | info.deferred, k)}
    return [code[k][0] for k in sorted(chosen)]


@pytest.mark.notebook  # each notebook is its own group: the test processes share them out
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[_id(p) for p in NOTEBOOKS])
def test_notebook_in_jupyterlab(lab, jupyterlab, notebook, timer):
    path = _id(notebook)
    chapter = notebook.stem
    shutil.rmtree(shots_for(notebook), ignore_errors=True)  # no pictures from an old run
    clock = time.monotonic()
    phases = PHASES.setdefault(path, {})

    def lap(phase):
        nonlocal clock
        now = time.monotonic()
        phases[phase] = now - clock
        clock = now

    page = NotebookPage(jupyterlab, lab, path, shots_for(notebook)).open()
    lap("open")
    problems = []
    row = SOLVE.get(chapter)
    try:
        layout = page.left_area()
        assert layout["window"] == 1366 and not layout["collapsed"] and \
            layout["browserWidth"] > 150, f"not a laptop's default JupyterLab: {layout}"
        if path in RUN_ALL:
            page.run_all(RUN_ALL_TIMEOUT)
            lap("run all")
            only = None
        else:
            only = set(own_cells(notebook, row.exercise if row else "",
                                 every_check=page.language == "en"))
            page.run_cells(sorted(only), RUN_ALL_TIMEOUT)
            lap(f"run {len(only)} own cells")
        phases["slowest"] = page.slowest()
        page.scroll_to_top()
        page.screenshot("after-run-all" if only is None else "after-own-cells")
        problems += page.audit("not attempted", only=only)
        page.figure_shots()
        lap("audit")

        # Chinese: each explorer's first control (the callbacks are the English ones;
        # the words and every control's width are the translation's own).
        operated, done = page.operate_explorers(first_only=page.language != "en")
        problems += operated
        lap(f"{len(done)} controls")

        if row is None:
            problems.append(f"{path}: no exercise to solve in the browser; add a row for "
                            f"{chapter!r} to SOLVE in tests/browser/chapters.py")
        else:
            if page.language == "en":  # Chinese: the wrong answer alone (a pass's words
                # are tested with each exercise, in tests/exercises)
                answer = reference_answer(REPO, chapter, row.exercise)
                problems += page.solve(row.exercise, answer, "passed")
            problems += page.solve(row.exercise, row.wrong, "incorrect",
                                   row.fragment(page.language))
            lap(f"solve {row.exercise}")
    except Exception:
        page.screenshot("failure")
        raise
    finally:
        if problems:
            page.screenshot("failure")
        page.close()
        lab.shutdown_kernels()  # the next notebook gets the machine to itself
    assert not problems, f"{len(problems)} problem(s) in {path}:\n" + "\n".join(problems)
