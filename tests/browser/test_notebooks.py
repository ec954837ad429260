"""Every learner notebook, met as a learner meets it: JupyterLab in a real browser.

For each notebook under notebooks/ (new chapters join by themselves): open it, Run All
with JupyterLab's own command, and fail on error outputs, cells left unrun, errors in
the log console or the browser, widgets that fail or never load, and check results that
are not rendered or do not say "not attempted". Then operate every control of every
explorer and require its picture or text to change, and solve one exercise per chapter
(chapters.py): the reference answer must pass, a known wrong one must be "incorrect".
"""

from __future__ import annotations

import os
import shutil
import time

import pytest
from browser.chapters import SOLVE, reference_answer
from browser.common import PHASES, chromium_or_skip, shots_for
from browser.labpage import NotebookPage
from browser.server import REPO, learner_notebooks

chromium_or_skip()

RUN_ALL_TIMEOUT = float(os.environ.get("LABKIT_BROWSER_TIMEOUT", "480"))
NOTEBOOKS = learner_notebooks()


def _id(path):
    return str(path.relative_to(REPO / "notebooks"))


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
    try:
        page.run_all(RUN_ALL_TIMEOUT)
        lap("run all")
        phases["slowest"] = page.slowest()
        page.scroll_to_top()
        page.screenshot("after-run-all")
        problems += page.audit("not attempted")
        page.figure_shots()
        lap("audit")

        operated, done = page.operate_explorers()
        problems += operated
        lap(f"{len(done)} controls")

        row = SOLVE.get(chapter)
        if row is None:
            problems.append(f"{path}: no exercise to solve in the browser; add a row for "
                            f"{chapter!r} to SOLVE in tests/browser/chapters.py")
        else:
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
