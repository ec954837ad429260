"""The course a grader grades against: chapter notebooks, exercises, hidden checks."""

from __future__ import annotations

import importlib
import sys
from functools import cache
from pathlib import Path

from labkit.exercises import exercises_of
from labkit.grade.submission import Invalid


class ExerciseList(list):
    """A chapter's exercises, with what the learner's side needs to import their probes."""

    paths: tuple[str, ...] = ()
    modules: tuple[str, ...] = ("labkit.",)


def course_root(start: Path | None = None) -> Path:
    """The folder holding ``notebooks/src``: the given one, this checkout, or the cwd."""
    candidates = [start] if start else [Path(__file__).resolve().parents[2], Path.cwd()]
    for root in candidates:
        if root and (root / "notebooks" / "src").is_dir():
            return root
    raise FileNotFoundError(
        "the chapter sources (notebooks/src/) were not found; run the grader from a clone "
        "of the course or pass --course PATH")


class Course:
    def __init__(self, root: Path | None = None, extra_checks: Path | None = None):
        self.root = course_root(root)
        self.extra = _load_extra(extra_checks) if extra_checks else {}
        self.extra_path = str(Path(extra_checks).resolve()) if extra_checks else None

    def sources(self) -> dict[str, Path]:
        return {p.stem: p for p in sorted((self.root / "notebooks" / "src").glob("[0-9]*.py"))}

    def reference(self, chapter: str):
        source = self.sources().get(chapter)
        if source is None:
            raise Invalid(f"chapter {chapter!r} has no source in {self.root}/notebooks/src")
        from labkit.notebook.project import repository_url

        return _learner_notebook(source, repository_url(self.root))

    def exercises(self, chapter: str) -> ExerciseList:
        try:
            found = ExerciseList(exercises_of(chapter))
        except ValueError as err:
            raise Invalid(str(err)) from None
        hidden = self.extra.get(chapter, [])
        found.extend(hidden)
        if hidden:
            found.paths = (self.extra_path,)
            found.modules = ("labkit.", *sorted({e.__module__ for e in hidden}))
        if not found:
            raise Invalid(f"chapter {chapter} has no exercises to grade")
        names = [e.name for e in found]
        duplicate = {n for n in names if names.count(n) > 1}
        if duplicate:
            raise ValueError(f"hidden checks reuse exercise names {sorted(duplicate)}; "
                             "give each hidden exercise a name of its own")
        return found


@cache
def _learner_notebook(source: Path, url: str):
    from labkit.notebook.build import learner_notebook

    nb = learner_notebook(source, url)
    return {"cells": [dict(c) for c in nb.cells]}


def _load_extra(folder: Path) -> dict[str, list]:
    """Hidden checks: each ``*.py`` in the folder sets CHAPTER and EXERCISES."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"--extra-checks {folder}: no such folder")
    sys.path.insert(0, str(folder))
    by_chapter: dict[str, list] = {}
    for path in sorted(folder.glob("*.py")):
        module = importlib.import_module(path.stem)
        chapter = getattr(module, "CHAPTER", None)
        exercises = getattr(module, "EXERCISES", None)
        if not chapter or not exercises:
            raise ValueError(f"{path}: a hidden-check file sets CHAPTER = '03_mlp' (say) and "
                             "EXERCISES = [YourExercise, ...]")
        by_chapter.setdefault(chapter, []).extend(exercises)
    return by_chapter
