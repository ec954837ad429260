"""Finding submissions: which files, whose they are, and which chapter each one is for.

- Folders are walked without following links, and only names ending in ``.ipynb`` are
  taken (``.ipynb_checkpoints`` skipped). A link is never followed out of, or around,
  the submissions: it is found and reported ``invalid``, so a link to a classmate's file
  can never stand in for, or push out, the classmate's own row.
- The student is the folder right under the root you passed, *exactly* as it is named
  (``submissions/Bob Jones/03_mlp.ipynb`` is ``Bob Jones``); a loose file is named
  after its stem without the chapter (``alice_03_mlp.ipynb`` is ``alice``). Names are
  never cleaned up into one another; file names made from them are (``names.py``).
- The chapter asked for is ``--chapter``, else the one the file name names; only when
  the name names none does the notebook's metadata decide (``read``).

One student and chapter, two files: both are reported as ``ambiguous``; with
``duplicates="newest"`` the most recently modified one is graded (ties: the name that
sorts last), and the other files are named in a note.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from labkit.grade.course import CHAPTERS


@dataclass(frozen=True)
class Found:
    path: Path  # as found: never resolved through a link
    student: str
    chapter_hint: str | None  # --chapter, or the chapter the file name names
    shown: str  # the path relative to the root it was found under, for people

    @property
    def name_key(self) -> tuple[str, str]:
        """(student, chapter) before the file is read: the file stem stands in for a
        chapter when the name names none."""
        return (self.student, self.chapter_hint or self.path.stem)


def find(paths, *, chapter: str | None = None) -> list[Found]:
    """Every ``.ipynb`` under the given files and folders, in a stable order."""
    found: dict[str, Found] = {}
    for raw in paths:
        if not os.path.lexists(raw):
            raise FileNotFoundError(f"{raw}: no such file or folder")
        root = Path(os.path.realpath(raw))  # the instructor's own paths are trusted
        if root.is_dir():
            files = _walk(root)
        else:
            files, root = [root], root.parent
        for file in files:
            found.setdefault(str(file), _found(file, root, chapter))
    return sorted(found.values(), key=lambda f: (f.student, f.shown))


def _walk(root: Path) -> list[Path]:
    """Notebooks under ``root``, links included (to be refused), never followed; a
    student's folder that is itself a link is listed too, to be refused."""
    files = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        if Path(folder) == root:
            files += [root / d for d in sorted(links)]
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints" and d not in links)
        files += [Path(folder) / n for n in sorted(names) if n.endswith(".ipynb")]
    return files


def _found(file: Path, root: Path, chapter: str | None) -> Found:
    relative = file.relative_to(root)
    student = relative.parts[0] if len(relative.parts) > 1 else student_from_name(file.stem)
    return Found(file, student or "unknown", chapter or chapter_from_name(file.name),
                 relative.as_posix())


def student_from_name(stem: str) -> str:
    """``alice_03_mlp`` or ``03_mlp-alice`` -> ``alice``; otherwise the stem itself."""
    for name in sorted(CHAPTERS, key=len, reverse=True):
        if name in stem:
            rest = stem.replace(name, "").strip("_- .")
            if rest:
                return rest
    return stem


def chapter_from_name(filename: str) -> str | None:
    matches = [c for c in CHAPTERS if c in filename]
    return max(matches, key=len) if matches else None


def newest(paths: list[Path]) -> Path:
    """The most recently modified file (a link's own time); ties: the last name."""
    def key(path: Path):
        try:
            return (os.lstat(path).st_mtime_ns, str(path))
        except OSError:
            return (0, str(path))
    return max(paths, key=key)


def similar_names(students) -> list[list[str]]:
    """Groups of distinct student names that differ only in case, spaces or
    punctuation (``Bob Jones``, ``bob_jones``): kept apart, and reported."""
    import re

    groups: dict[str, list[str]] = {}
    for name in sorted(students):
        groups.setdefault(re.sub(r"[\W_]+", "_", name).strip("_").casefold(), []).append(name)
    return [group for group in groups.values() if len(group) > 1]
