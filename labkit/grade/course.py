"""The course a grader grades against: chapter notebooks, exercises, hidden checks.

Hidden checks (``--extra-checks``) stay in the grader: their files are never on a
child's path or file system. A hidden check that runs a probe of its own
(``self.probe(row_sums, ...)``) has that probe's source, and only that (the module's
imports and the function itself), sent to the child when it starts; a probe must
therefore be a module-level function that uses only what its module imports.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from functools import cache
from pathlib import Path

# The one place the grader learns the chapters and their exercises from the check kit.
from labkit.exercises import CHAPTERS, exercises_of

__all__ = ["CHAPTERS", "Course", "ExerciseList", "course_root", "exercises_of",
           "preload_exercises"]


def preload_exercises() -> None:
    """Import every chapter's exercises (in the fork server, once for all children)."""
    for chapter in CHAPTERS:
        try:
            exercises_of(chapter)
        except Exception:  # noqa: BLE001 - a broken chapter shows up when it is graded
            pass


class ExerciseList(list):
    """A chapter's exercises, with what the learner's side needs to run their probes."""

    modules: tuple[str, ...] = ("labkit.",)
    probe_sources: dict[str, str] = {}


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
        self.extra_folder = Path(extra_checks).resolve() if extra_checks else None
        self.extra, self.probe_sources = _load_extra(extra_checks) if extra_checks else ({}, {})

    def sources(self) -> dict[str, Path]:
        return {p.stem: p for p in sorted((self.root / "notebooks" / "src").glob("[0-9]*.py"))}

    def reference(self, chapter: str):
        """The chapter's learner notebook; ValueError when the course has no such source."""
        source = self.sources().get(chapter)
        if source is None:
            raise ValueError(f"chapter {chapter!r} has no source in {self.root}/notebooks/src")
        from labkit.notebook.project import repository_url

        return _learner_notebook(source, repository_url(self.root))

    def exercises(self, chapter: str) -> ExerciseList:
        found = ExerciseList(exercises_of(chapter))  # ValueError for an unknown chapter
        hidden = self.extra.get(chapter, [])
        found.extend(hidden)
        if hidden:
            modules = sorted({e.__module__ for e in hidden})
            found.modules = ("labkit.", *modules)
            found.probe_sources = {m: self.probe_sources[m] for m in modules
                                   if m in self.probe_sources}
        names = [e.name for e in found]
        duplicate = {n for n in names if names.count(n) > 1}
        if duplicate:
            raise RuntimeError(f"hidden checks reuse exercise names {sorted(duplicate)}; "
                               "give each hidden exercise a name of its own")
        return found

    def code_files(self) -> list[Path]:
        """Files whose change changes a grade: chapter sources and hidden checks."""
        files = list(self.sources().values())
        if self.extra_folder is not None:
            files += sorted(self.extra_folder.glob("*.py"))
        return files


@cache
def _learner_notebook(source: Path, url: str):
    from labkit.notebook.build import learner_notebook

    nb = learner_notebook(source, url)
    return {"cells": [dict(c) for c in nb.cells]}


def _load_extra(folder: Path) -> tuple[dict[str, list], dict[str, str]]:
    """Hidden checks: each ``*.py`` in the folder sets CHAPTER and EXERCISES. Loaded in
    the grader under a private module name; also returns each module's probe source."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"--extra-checks {folder}: no such folder")
    by_chapter: dict[str, list] = {}
    sources: dict[str, str] = {}
    for path in sorted(folder.glob("*.py")):
        name = f"labkit_hidden_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        chapter = getattr(module, "CHAPTER", None)
        exercises = getattr(module, "EXERCISES", None)
        if not chapter or not exercises:
            raise ValueError(f"{path}: a hidden-check file sets CHAPTER = '03_mlp' (say) and "
                             "EXERCISES = [YourExercise, ...]")
        by_chapter.setdefault(chapter, []).extend(exercises)
        sources[name] = probe_source(path.read_text())
    return by_chapter, sources


def probe_source(text: str) -> str:
    """The imports and the probe functions of a hidden-check module, nothing else: a
    function is a probe when a check passes it to ``self.probe`` by name."""
    tree = ast.parse(text)
    probes = {node.args[0].id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "probe" and node.args
              and isinstance(node.args[0], ast.Name)}
    kept = [node for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            or (isinstance(node, ast.FunctionDef) and node.name in probes)]
    return ast.unparse(ast.Module(body=kept, type_ignores=[]))
