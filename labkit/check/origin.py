"""Which code is the learner's: everything outside Python, torch and labkit themselves.

A message names the learner's line ("line 3, in `relu`: `return x.clamp(0)`") from a
traceback or from the stack of a running call; code in the libraries is never named.
"""

from __future__ import annotations

import sys
import traceback
from functools import cache
from pathlib import Path

from labkit.check.describe import cut
from labkit.i18n import _


@cache
def library_roots() -> tuple[str, ...]:
    import torch

    roots = set()
    for path in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                 Path(__file__).resolve().parents[1], Path(torch.__file__).parent):
        roots.add(str(path))
        roots.add(str(Path(path).resolve()))
    return tuple(sorted(roots))


def is_library(filename: str) -> bool:
    return filename.startswith("<frozen") or filename.startswith(library_roots())


def line_text(lineno: int, function: str, code: str | None) -> str:
    if code:
        return _("line {line}, in `{function}`: `{code}`").format(
            line=lineno, function=function, code=cut(code, 80))
    return _("line {line}, in `{function}`").format(line=lineno, function=function)


def learner_line(err: BaseException) -> str | None:
    """Where learner code raised: its last traceback frame outside libraries, or None."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if not is_library(frame.filename):
            return line_text(frame.lineno, frame.name, frame.line)
    return None


def learner_caller(frame, stop=None) -> str | None:
    """The innermost learner line on a running stack (from ``frame`` outwards, up to but
    not including the frame ``stop``), or None."""
    while frame is not None and frame is not stop:
        code = frame.f_code
        if not is_library(code.co_filename):
            import linecache

            text = linecache.getline(code.co_filename, frame.f_lineno).strip()
            return line_text(frame.f_lineno, code.co_name, text or None)
        frame = frame.f_back
    return None
