"""Withhold reference solutions (and, if asked, hints) from what a student can read.

The exercises keep their solutions as class attributes (``solution = '''...'''``), which
is right for practice and wrong for marks that count. Nothing here edits the course's
exercise modules: a graded build rewrites *copies* of them, and the grader's children
forget the strings they inherited.

- ``strip_source(text)`` rewrites one module's source: in every class body, an
  assignment of a string to ``solution`` becomes ``solution = None`` (and, with
  ``hints=False``, ``hints = ...`` becomes ``hints = None``). ``None`` means "withheld
  in this assignment", which ``q.x.solution()`` says in words; ``""`` still means "this
  exercise has no solution". The rewrite works on the syntax tree, so a solution
  written with any quoting, or spread over lines, goes the same way.
- ``forget_loaded()`` does the same to the exercise classes already imported (in a
  grading child, before any student cell runs).
- ``reference_texts()`` lists every solution, for the tests that prove none escapes.
"""

from __future__ import annotations

import ast
from pathlib import Path

WITHHELD = ("solution",)
WITH_HINTS = ("solution", "hints")


def strip_source(text: str, *, hints: bool = True) -> str:
    """The module's source with its solution strings (and hints unless ``hints``) gone.

    Comments go too (the tree keeps none), and with them any commented-out answer."""
    names = WITHHELD if hints else WITH_HINTS
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            node.body = [_withheld(statement, names) for statement in node.body]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _withheld(statement: ast.stmt, names: tuple[str, ...]) -> ast.stmt:
    if isinstance(statement, ast.Assign):
        targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
    elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        targets = [statement.target.id]
    else:
        return statement
    if not targets or not set(targets) <= set(names):
        return statement
    return ast.copy_location(
        ast.Assign(targets=[ast.Name(id=n, ctx=ast.Store()) for n in targets],
                   value=ast.Constant(value=None)), statement)


def exercise_modules(package: Path) -> list[Path]:
    """Every module of the chapters' exercises inside a labkit package folder."""
    return sorted((Path(package) / "exercises").glob("ch*/*.py"))


def forget_loaded() -> int:
    """Set ``solution`` to ``None`` on every exercise class imported so far; the count.

    For a grading child: what a submission could read through
    ``exercises_of(chapter)[k].solution`` is gone before its first cell runs."""
    import sys

    forgotten = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("labkit.exercises.ch") or module is None:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type) and isinstance(vars(value).get("solution"), str):
                value.solution = None
                forgotten += 1
    return forgotten


def reference_texts() -> dict[str, str]:
    """``{chapter/exercise: solution}`` for every shipped exercise that has one."""
    from labkit.exercises import CHAPTERS, exercises_of

    return {f"{chapter}/{e.name}": e.solution.strip() for chapter in CHAPTERS
            for e in exercises_of(chapter) if isinstance(e.solution, str) and e.solution.strip()}


def masked_copies(folder: Path, package: Path) -> dict[str, str]:
    """For a grading run: ``{exercise file: stripped copy}`` to lay over the package in a
    child's view (``labkit.grade.view``'s ``masked``), so that reading the source, or the
    compiled cache beside it, finds no solution. A cache is covered by an empty file,
    which Python refuses and compiles the (stripped) source instead."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    masked = {}
    for index, path in enumerate(exercise_modules(package)):
        copy = folder / f"{index:04d}-{path.name}"
        copy.write_text(strip_source(path.read_text()))
        masked[str(path.resolve())] = str(copy)
    empty = folder / "empty"
    empty.write_bytes(b"")
    for cache in sorted((Path(package) / "exercises").glob("**/__pycache__/*.pyc")):
        masked[str(cache.resolve())] = str(empty)
    for path in [folder, *folder.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o444)
    return masked
