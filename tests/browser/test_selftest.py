"""The browser checks catch what they claim to: each kind of fault, planted in a scratch
notebook, shows up among the problems (naming its cell); a clean notebook shows none.

The faults share one notebook (a kernel start and a torch import cost seconds on a
small machine); the error cell comes last because Run All stops there.
"""

from __future__ import annotations

import time

import nbformat
import pytest
from browser.common import SHOTS, TIMES, chromium_or_skip
from browser.labpage import NotebookPage

chromium_or_skip()

SLIDER = '''\
import ipywidgets as widgets
{slider} = widgets.IntSlider(value=3, min=0, max=10, description="x")
{shown} = widgets.Label()
def show_{shown}(change=None):
    {extra}
    {shown}.value = f"x squared is {{{slider}.value ** 2}}"
{slider}.observe(show_{shown}, names="value")
show_{shown}()
widgets.VBox([{slider}, {shown}])'''


def slider(extra="pass", slider="slider", shown="shown"):
    return SLIDER.format(extra=extra, slider=slider, shown=shown)


GHOST = '''\
import ipywidgets as widgets
from traitlets import Unicode
class Ghost(widgets.DOMWidget):  # its front-end code exists nowhere
    _view_name = Unicode("GhostView").tag(sync=True)
    _view_module = Unicode("no-such-widget-module").tag(sync=True)
    _view_module_version = Unicode("1.0.0").tag(sync=True)
Ghost()'''

# The old optimizer explorer's layout: six controls in one row, each squeezed to fit.
CRAMPED = '''\
import ipywidgets as widgets
sliders = [widgets.FloatSlider(description=f"knob {k}") for k in range(6)]
readout = widgets.Label("sum 0.0")
def total(change=None):
    readout.value = f"sum {sum(s.value for s in sliders):.2f}"
for s in sliders:
    s.observe(total, names="value")
widgets.VBox([widgets.HBox(sliders), readout])'''

# A slider that a learner cannot move: nothing reaches the kernel, so the explorer's
# check must not wait for a change that cannot come.
FROZEN = '''\
import ipywidgets as widgets
frozen = widgets.IntSlider(value=3, min=0, max=10, description="frozen", disabled=True)
frozen_label = widgets.Label("3")
frozen.observe(lambda change: setattr(frozen_label, "value", str(change.new)), names="value")
widgets.VBox([frozen, frozen_label])'''

CHECKS = '''\
from labkit.check.result import Outcome, Result
class Demo:
    def __init__(self, outcome, show):
        self.result, self.show = Result("demo", outcome, 0, 1), show
    def check(self):
        self.show(self.result)
class q:
    shown_as_text = Demo(Outcome.NOT_ATTEMPTED, print)
    raw_html = Demo(Outcome.NOT_ATTEMPTED, lambda r: print(r.html()))
    says_passed = Demo(Outcome.PASSED, display)
    fine = Demo(Outcome.NOT_ATTEMPTED, display)'''

# Each fault: its cell, and what the problems must say about it; cells with no name are
# clean, and no problem may name them. Cell numbers follow this list (1-based).
FAULTS = [
    ("dead widget", GHOST, ["cell 1 `import ipywidgets as widgets`: widget failed",
                            "No version of module no-such-widget-module"]),
    ("callback error only in the log console",
     slider("if change: raise RuntimeError('planted in a callback')", "knob", "echo"),
     ["cell 2 `import ipywidgets as widgets`, after moving the slider 'x': log console "
      "error: RuntimeError: planted in a callback",
      "cell 2 `import ipywidgets as widgets`: moving the slider 'x' did not change"]),
    ("a later cell rebinds a widget's name", slider(),
     ["cell 3 `import ipywidgets as widgets`, after moving the slider 'x': log console "
      "error: AttributeError: 'str' object has no attribute 'value'",
      "cell 3 `import ipywidgets as widgets`: moving the slider 'x' did not change"]),
    ("", "shown = 'text'  # the widget's name, reused", []),
    ("", slider(slider="good_slider", shown="good_label"), []),
    ("", CHECKS, []),
    ("check result as text, not HTML", "q.shown_as_text.check()",
     ["cell 7 `q.shown_as_text.check()`: no rendered check result; saw '`demo`: not attempted"]),
    ("check result as raw HTML", "q.raw_html.check()",
     ["cell 8 `q.raw_html.check()`: check result shown as raw HTML"]),
    ("check result not 'not attempted'", "q.says_passed.check()",
     ["cell 9 `q.says_passed.check()`: expected 'not attempted', saw 'demo: passed"]),
    ("", "q.fine.check()", []),
    ("controls too narrow to operate", CRAMPED,
     ["cell 11 `import ipywidgets as widgets`: the slider 'knob 0' is",
      "too narrow to operate (at least 120 px) in a 1366-pixel window"]),
    ("control that does not move", FROZEN,
     ["cell 12 `import ipywidgets as widgets`: moving the slider 'frozen' left its value at"]),
    ("error cell", "raise ValueError('planted fault')",
     ["cell 13 `raise ValueError('planted fault')`: error output ValueError: planted fault"]),
    ("unrun cell", "after_the_error = 1", ["cell 14 `after_the_error = 1`: not run"]),
]


def _run(lab, jupyterlab, name, cells) -> list[str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = f"scratch/{name}.ipynb"
    nbformat.write(nb, lab.root / path)
    page = NotebookPage(jupyterlab, lab, path, SHOTS / "selftest" / name).open()
    try:
        page.run_all(180)
        problems = page.audit("not attempted")
        operated, _ = page.operate_explorers(timeout=5)
        page.screenshot("after")
        return problems + operated
    finally:
        page.close()
        lab.shutdown_kernels()


@pytest.fixture(scope="module")
def planted(lab, jupyterlab):
    start = time.monotonic()
    problems = _run(lab, jupyterlab, "faults", [cell for _, cell, _ in FAULTS])
    TIMES["self-test: the notebook of planted faults"] = time.monotonic() - start
    return problems


@pytest.mark.parametrize("fault", [f for f in FAULTS if f[0]], ids=lambda f: f[0])
def test_planted_fault_is_caught(planted, fault):
    name, _, fragments = fault
    text = "\n".join(planted)
    for fragment in fragments:
        assert fragment in text, f"{name}: {fragment!r} not among the problems:\n{text}"


def test_clean_cells_have_no_problems(planted):
    """No false alarms: a working slider, a rendered "not attempted", plain cells."""
    for number, (name, _, _) in enumerate(FAULTS, start=1):
        if not name:
            mark = f"cell {number} `"
            wrong = [p for p in planted if mark in p]
            assert not wrong, f"clean cell {number} reported:\n" + "\n".join(wrong)
