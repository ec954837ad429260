"""Step 1, read and validate: the submitted file's bytes, as a notebook we can trust.

Nothing reads a submission before this step has checked it:

- the file is opened without following a link, and must be a regular file (a FIFO or a
  device would block or never end) of at most ``MAX_MB``, checked with ``fstat`` on the
  open file before a byte is read; at most that many bytes are read and hashed;
- the bytes must be UTF-8 JSON, nested at most ``MAX_DEPTH`` deep, shaped like an
  nbformat 4 notebook (the parts the grader uses are checked against nbformat's schema:
  types of ``metadata``, ``cells``, each cell's type, source, metadata, tags and id);
- the chapter is the one asked for (``--chapter`` or the file name); the notebook's
  metadata decides only when the name names none, and a notebook whose metadata names
  another chapter is graded as asked and flagged.

Everything wrong here is ``invalid`` with a reason that says what to fix.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat

from labkit.grade.course import CHAPTERS
from labkit.grade.pipeline import Stop
from labkit.grade.text import Text
from labkit.i18n import LANGUAGES, N_

MAX_MB = 50
MAX_DEPTH = 64
MAX_CELLS = 5000
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def step(work) -> None:
    data = read_bytes(work.found.path)
    work.sha256 = hashlib.sha256(data).hexdigest()
    if work.expected_sha256 and work.sha256 != work.expected_sha256:
        raise Stop("grader_error", N_("the file changed while the batch was being graded; "
                                      "run the grader again"))
    nb = parse(data)
    work.language = language_of(nb)
    work.nb = nb
    work.chapter = chapter_for(nb, work.found.chapter_hint, work.notes)


def read_bytes(path, *, max_mb: int = MAX_MB) -> bytes:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP or os.path.islink(path):
            raise Stop("invalid", N_("this is a link to another file, not a notebook; "
                                     "submit the notebook itself")) from None
        raise Stop("invalid", N_("the file cannot be opened ({error})"),
                   error=os.strerror(err.errno or 0)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Stop("invalid", N_("this is not a regular file (a folder, a pipe or a "
                                     "device); submit the notebook saved from JupyterLab"))
        limit = max_mb * 2**20
        if info.st_size > limit:
            raise Stop("invalid", N_("the file is {size:.0f} MB, over the {limit} MB "
                                     "limit; clear the outputs (Edit > Clear Outputs of "
                                     "All Cells) and save again"),
                       size=info.st_size / 2**20, limit=max_mb)
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:
        raise Stop("invalid", N_("the file grew over the {limit} MB limit while it was "
                                 "read; submit it again"), limit=max_mb)
    if total == 0:
        raise Stop("invalid", N_("the file is empty; submit the notebook saved from "
                                 "JupyterLab"))
    return b"".join(chunks)


def parse(data: bytes) -> dict:
    """The notebook, checked; ``Stop("invalid")`` with the first problem found."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise Stop("invalid", N_("the file is not text (UTF-8); submit the .ipynb file "
                                 "itself")) from None
    except RecursionError:
        raise Stop("invalid", N_("the file is nested too deeply to be a notebook")) from None
    except json.JSONDecodeError as err:
        raise Stop("invalid", N_("the file is not valid JSON ({error}, line {line}); it may "
                                 "be truncated: save the notebook again and resubmit"),
                   error=err.msg, line=err.lineno) from None
    except ValueError as err:  # e.g. an integer with too many digits
        raise Stop("invalid", N_("the file is not valid JSON ({error})"),
                   error=str(err)[:100]) from None
    _check_depth(nb)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise Stop("invalid", N_("this is JSON but not a Jupyter notebook (no list of "
                                 "cells)"))
    if nb.get("nbformat") != 4 or type(nb.get("nbformat")) is not int:
        raise Stop("invalid", N_("notebook format {version} is not supported; open it in "
                                 "JupyterLab 3 or newer and save it again (format 4)"),
                   version=repr(nb.get("nbformat"))[:20])
    if type(nb.get("nbformat_minor", 0)) is not int:
        raise Stop("invalid", N_("the notebook's `nbformat_minor` is not a number"))
    if not isinstance(nb.get("metadata", {}), dict):
        raise Stop("invalid", N_("the notebook's `metadata` is not a mapping; save the "
                                 "notebook again from JupyterLab"))
    labkit = nb.get("metadata", {}).get("labkit", {})
    if not isinstance(labkit, dict):
        raise Stop("invalid", N_("the notebook's course metadata is damaged; start from a "
                                 "fresh copy of the chapter and copy your answers over"))
    if len(nb["cells"]) > MAX_CELLS:
        raise Stop("invalid", N_("the notebook has more than {limit} cells"),
                   limit=MAX_CELLS)
    for number, cell in enumerate(nb["cells"], start=1):
        problem = _cell_problem(cell)
        if problem:
            raise Stop("invalid", N_("cell {number} is not a valid notebook cell: {problem}; "
                                     "save the notebook again from JupyterLab"),
                       number=number, problem=problem)
        source = cell.get("source", "")
        cell["source"] = "".join(source) if isinstance(source, list) else source
    return nb


def _cell_problem(cell) -> Text | None:
    """What makes ``cell`` break nbformat's schema in a part the grader reads."""
    if not isinstance(cell, dict):
        return Text(N_("it is not a mapping"))
    if cell.get("cell_type") not in ("code", "markdown", "raw"):
        return Text(N_("its `cell_type` is not code, markdown or raw"))
    source = cell.get("source", "")
    if not (isinstance(source, str) or (isinstance(source, list) and all(
            isinstance(s, str) for s in source))):
        return Text(N_("its `source` is not text"))
    metadata = cell.get("metadata", {})
    if not isinstance(metadata, dict):
        return Text(N_("its `metadata` is not a mapping"))
    tags = metadata.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return Text(N_("its `tags` are not a list of strings"))
    if "id" in cell and not (isinstance(cell["id"], str) and _CELL_ID.fullmatch(cell["id"])):
        return Text(N_("its `id` is malformed"))
    if cell["cell_type"] == "code":
        if not isinstance(cell.get("outputs", []), list):
            return Text(N_("its `outputs` are not a list"))
        count = cell.get("execution_count")
        if count is not None and type(count) is not int:
            return Text(N_("its `execution_count` is not a number"))
    return None


def _check_depth(value) -> None:
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Stop("invalid", N_("the file is nested too deeply to be a notebook"))
        if isinstance(node, dict):
            stack += [(v, depth + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, depth + 1) for v in node]


def language_of(nb: dict) -> str | None:
    """The language the notebook was built in (its metadata), or None: English."""
    code = nb.get("metadata", {}).get("labkit", {}).get("language")
    return code if isinstance(code, str) and code in LANGUAGES else None


def chapter_for(nb: dict, asked: str | None, notes: list) -> str:
    """The chapter to grade ``nb`` as; a mismatch with its metadata becomes a note."""
    named = nb.get("metadata", {}).get("labkit", {}).get("chapter")
    named = named if isinstance(named, str) and named in CHAPTERS else None
    if asked:
        if named and named != asked:
            notes.append(Text(N_("flagged: the notebook's metadata names chapter {named}; it "
                                 "was graded as {asked}, the chapter it was submitted as"),
                              {"named": named, "asked": asked}))
        return asked
    if named:
        return named
    raise Stop("invalid", N_("cannot tell which chapter this is: the notebook has no course "
                             "metadata and the file name names no chapter; name it e.g. "
                             "03_mlp.ipynb or pass --chapter"))
