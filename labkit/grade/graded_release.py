"""``labkit release --graded``: an assignment whose handout holds no reference solution.

Beside the learner notebooks it writes the student wheel (``labkit.grade.student_wheel``)
and ``requirements.txt`` with the one line the notebooks' setup cell installs. That
cell installs the graded package unless the one installed is a graded build already
(``+graded`` in its version), replacing a practice labkit, whose solutions would
otherwise be one ``q.x.solution()`` away. Cell ids do not change, so the grader restores
protected cells from the chapter as it does for a practice release.

What this does not do: the course itself is public, so a student who looks for the
practice package can still read its solutions. Marks that count rest on the hidden
checks (``--extra-checks``), which are never in any package a student installs.
"""

from __future__ import annotations

import re

SETUP = "setup"  # the tag labkit.notebook.build gives the first cell

# The practice setup cell's install lines (labkit.notebook.setup_cell), in any language.
_PRACTICE_INSTALL = re.compile(
    r'try:\n    import labkit\nexcept ImportError:\n'
    r'    %pip install --quiet --no-deps "[^"\n]*"\n    import labkit')

# No comment inside: the cell's comments are in the notebook's language, these lines
# in every language alike (the build's comment above them says what the cell does).
_GRADED_INSTALL = '''\
from importlib import metadata as _metadata
try:
    _installed = _metadata.version("labkit")
except _metadata.PackageNotFoundError:
    _installed = ""
if not _installed.endswith("+graded"):
    %pip install --quiet --no-deps --force-reinstall "{requirement}"
import labkit'''


def requirement(wheel_name: str, url: str | None = None) -> str:
    """What pip installs: the wheel at ``url`` (a folder or the file), else the file
    beside the notebook."""
    if url:
        return url if url.endswith(".whl") else f"{url.rstrip('/')}/{wheel_name}"
    return wheel_name


def graded_setup(source: str, requirement_line: str) -> str:
    """The setup cell's source with the graded package's install in place."""
    found = _PRACTICE_INSTALL.search(source)
    if found is None:
        raise ValueError("the setup cell has no install lines to replace; rebuild the "
                         "notebooks with `labkit build` and release again")
    graded = _GRADED_INSTALL.format(requirement=requirement_line)
    return source[:found.start()] + graded + source[found.end():]


def graded_notebook(notebook, requirement_line: str):
    """The learner notebook for a graded assignment (changed in place and returned)."""
    for cell in notebook.cells:
        if SETUP in cell.get("metadata", {}).get("tags", []):
            cell.source = graded_setup(cell.source, requirement_line)
            return notebook
    raise ValueError("the notebook has no setup cell; rebuild it with `labkit build`")
