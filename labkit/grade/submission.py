"""Finding submissions and reading them without trusting them.

A submission is one ``.ipynb`` file. The student is the folder it sits in
(``submissions/<student>/<chapter>.ipynb``) or, for loose files, the file name's stem;
the chapter comes from the notebook's metadata written by the build, falling back to the
file name. Anything that is not a readable notebook becomes ``invalid`` with the reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from labkit.exercises import CHAPTERS


@dataclass(frozen=True)
class Submission:
    path: Path
    student: str
    chapter_hint: str | None  # from the file name, when it names a chapter

    @property
    def key(self) -> tuple[str, str]:
        return (self.student, self.chapter_hint or self.path.stem)


class Invalid(ValueError):
    """A file that cannot be graded; the message says why and what would fix it."""


def find(paths, *, chapter: str | None = None) -> list[Submission]:
    """Every ``.ipynb`` under the given files and folders, sorted, checkpoints skipped."""
    found: dict[Path, Submission] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        for file in files:
            root = path if path.is_dir() else file.parent
            found[file.resolve()] = _submission(file, root, chapter)
    return sorted(found.values(), key=lambda s: (s.student, s.path.name))


def _submission(file: Path, root: Path, chapter: str | None) -> Submission:
    relative = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
    student = relative.parts[0] if len(relative.parts) > 1 else _student_from_name(file.stem)
    return Submission(file, _clean(student), chapter or chapter_from_name(file.name))


def _student_from_name(stem: str) -> str:
    """``alice_03_mlp`` or ``03_mlp-alice`` -> ``alice``; otherwise the stem itself."""
    for name in CHAPTERS:
        if name in stem:
            rest = stem.replace(name, "").strip("_- .")
            if rest:
                return rest
    return stem


def _clean(name: str) -> str:
    return re.sub(r"[^\w.@+-]", "_", name)[:100] or "unknown"


def chapter_from_name(filename: str) -> str | None:
    matches = [c for c in CHAPTERS if c in filename]
    return max(matches, key=len) if matches else None


def content_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read(path: Path, *, max_mb: int = 50) -> dict:
    """The notebook as a dict of nbformat 4, or ``Invalid`` with the reason."""
    size = path.stat().st_size
    if size == 0:
        raise Invalid("the file is empty; submit the notebook saved from JupyterLab")
    if size > max_mb * 2**20:
        raise Invalid(f"the file is {size / 2**20:.0f} MB, over the {max_mb} MB limit; "
                      "clear the outputs (Edit > Clear Outputs of All Cells) and save again")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise Invalid("the file is not text (UTF-8); submit the .ipynb file itself") from None
    except json.JSONDecodeError as err:
        raise Invalid(f"the file is not valid JSON ({err.msg}, line {err.lineno}); "
                      "it may be truncated: save the notebook again and resubmit") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise Invalid("this is JSON but not a Jupyter notebook (no list of cells)")
    if nb.get("nbformat") != 4:
        raise Invalid(f"notebook format {nb.get('nbformat')!r} is not supported; open it in "
                      "JupyterLab 3 or newer and save it again (format 4)")
    for number, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in (
                "code", "markdown", "raw"):
            raise Invalid(f"cell {number} is not a notebook cell")
        source = cell.get("source", "")
        if isinstance(source, list):
            if not all(isinstance(s, str) for s in source):
                raise Invalid(f"cell {number} has a malformed source")
            cell["source"] = "".join(source)
        elif not isinstance(source, str):
            raise Invalid(f"cell {number} has a malformed source")
    return nb


def language_of(nb: dict) -> str | None:
    """The language the notebook was built in (its metadata), or None: English."""
    from labkit.i18n import LANGUAGES

    meta = nb.get("metadata", {}).get("labkit", {})
    code = meta.get("language") if isinstance(meta, dict) else None
    return code if isinstance(code, str) and code in LANGUAGES else None


def chapter_of(nb: dict, submission: Submission) -> str:
    meta = nb.get("metadata", {}).get("labkit", {})
    chapter = meta.get("chapter") if isinstance(meta, dict) else None
    if chapter in CHAPTERS:
        return chapter
    if submission.chapter_hint:
        return submission.chapter_hint
    raise Invalid("cannot tell which chapter this is: the notebook has no course metadata "
                  "and the file name names no chapter; name it e.g. 03_mlp.ipynb or pass "
                  "--chapter")
