"""The course's chapters and their exercises: the one registry of chapters.

Each chapter is a folder, ``labkit/exercises/chNN_name/``: one module per exercise (or
per tight group of exercises) and an ``__init__.py`` whose ``EXERCISES`` lists them in
notebook order. The chapter ids (``"03_mlp"``) are the folder names without ``ch``, in
course order, and every other part of labkit learns them here: notebooks bind to them,
the build pairs each with its source ``notebooks/src/NN_name.py``, the grader and the
CLI accept them. Chapters never import each other; what two chapters share belongs to
the check kit (``labkit.check``).

In a notebook::

    from labkit import exercises
    q = exercises.bind("03_mlp", globals())
    q.relu.check()

Importing this package imports no chapter.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from collections.abc import Mapping
from functools import cache

__all__ = ["CHAPTERS", "bind", "chapters", "exercises_of", "unknown_chapter"]

_FOLDER = re.compile(r"ch(\d\d\w*)")


@cache
def chapters() -> tuple[str, ...]:
    """Every chapter id, in course order, from the folders of this package."""
    found = (info.name for info in pkgutil.iter_modules(__path__) if info.ispkg)
    return tuple(sorted(m[1] for m in map(_FOLDER.fullmatch, found) if m))


CHAPTERS = chapters()


def unknown_chapter(chapter) -> str:
    """The message for a chapter id that is not one: the closest id and the list."""
    close = difflib.get_close_matches(str(chapter), CHAPTERS, n=1)
    tip = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown chapter {chapter!r}.{tip} Chapters: {', '.join(CHAPTERS)}"


def exercises_of(chapter: str) -> list:
    """The exercise classes of a chapter, in notebook order."""
    if chapter not in CHAPTERS:
        raise ValueError(unknown_chapter(chapter))
    return list(importlib.import_module(f"{__name__}.ch{chapter}").EXERCISES)


def bind(chapter: str, namespace: Mapping):
    """Bind ``chapter``'s exercises to ``namespace`` (pass ``globals()``)."""
    from labkit.check.bound import ExerciseSet

    if not isinstance(namespace, Mapping):
        raise TypeError(
            f"bind() needs the notebook's variables, got a {type(namespace).__name__}. "
            f'Call it as exercises.bind("{chapter}", globals()).'
        )
    return ExerciseSet(chapter, exercises_of(chapter), namespace)
