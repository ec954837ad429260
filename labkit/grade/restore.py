"""Step 2, restore: put a submission back together from the chapter's own notebook.

Cells the learner must not change (tagged ``protected`` by the build: set-up, imports,
the exercise binding, the checks) are taken from the chapter, matched by their stable
cell ids, and put back where they belong if they were deleted. The learner's own cells,
edited or added, are kept in the learner's order. A deleted exercise cell is not
invented: the exercises that needed it are reported as missing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from labkit.grade.pipeline import Stop
from labkit.grade.text import Text
from labkit.i18n import N_
from labkit.notebook.build import EXERCISE, PROTECTED


def step(work) -> None:
    """The chapter's exercises and the submission's cells, protected ones restored."""
    try:
        work.exercises = work.course.exercises(work.chapter)
        reference = work.course.reference(work.chapter)
    except ValueError as err:
        raise Stop("invalid", N_("this chapter cannot be graded here ({error})"),
                   error=str(err)) from None
    work.restored = restore(work.nb, reference)
    work.notes += work.restored.notes


@dataclass
class Cell:
    id: str
    source: str
    origin: str  # "learner", "chapter" (restored) or "added" (new in the submission)
    tags: tuple[str, ...] = ()

    @property
    def protected(self) -> bool:
        return PROTECTED in self.tags

    @property
    def exercise(self) -> bool:
        return EXERCISE in self.tags


@dataclass
class Restored:
    cells: list[Cell]
    notes: list[Text] = field(default_factory=list)
    missing: list[Cell] = field(default_factory=list)  # deleted exercise cells (chapter's)


def _code_cells(nb) -> list[tuple[str | None, str, tuple[str, ...]]]:
    """(id, source, tags) of each code cell. A cell without an id (a notebook saved by an
    older Jupyter) gets the id the build would give its source, so unchanged cells
    still match the chapter's."""
    cells, seen = [], {}
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        tags = cell.get("metadata", {}).get("tags", []) if isinstance(
            cell.get("metadata"), dict) else []
        cid = cell.get("id")
        if not isinstance(cid, str) or not cid:
            digest = hashlib.sha1(source.encode()).hexdigest()[:8]
            seen[digest] = seen.get(digest, 0) + 1
            cid = f"{digest}-{seen[digest]}"
        cells.append((cid, source, tuple(t for t in tags if isinstance(t, str))))
    return cells


def restore(submitted: dict, chapter_nb) -> Restored:
    reference = _code_cells(chapter_nb)
    by_id = {cid: (source, tags) for cid, source, tags in reference}
    out = Restored(cells=[])
    seen = set()
    for cid, source, _ in _code_cells(submitted):
        if cid in by_id and cid not in seen:
            seen.add(cid)
            ref_source, tags = by_id[cid]
            if PROTECTED in tags:
                if source != ref_source:
                    out.notes.append(Text(N_("a protected cell ({cell}) was changed; the "
                                             "chapter's version was used"), {"cell": cid}))
                out.cells.append(Cell(cid, ref_source, "chapter", tags))
            else:
                out.cells.append(Cell(cid, source, "learner", tags))
        else:
            out.cells.append(Cell(f"added-{len(out.cells)}", source, "added"))
    # Deleted chapter cells come back just before the next chapter cell that is still
    # there (after any cells the learner added in between), or at the end.
    pending: list[Cell] = []
    for cid, source, tags in reference:
        if cid in seen:
            if pending:
                position = next(i for i, c in enumerate(out.cells) if c.id == cid)
                out.cells[position:position] = pending
                pending = []
            continue
        cell = Cell(cid, source, "chapter", tags)
        if EXERCISE in tags:
            out.missing.append(cell)
            continue
        if PROTECTED in tags:
            out.notes.append(Text(N_("a deleted protected cell ({cell}) was put back"),
                                  {"cell": cid}))
        pending.append(cell)
    out.cells.extend(pending)
    return out
