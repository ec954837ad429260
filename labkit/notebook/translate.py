"""A chapter in another language: the same code, its words from a gettext catalog.

    learner (or solved) notebook -> translate each markdown paragraph -> translate each
    code cell's comments, docstrings and marked strings -> the setup cell that picks the
    language -> metadata ``labkit.language``

Cell ids stay those of the English notebook, and a code cell changes only in its words
(``labkit.notebook.codetext``), so a translated submission lines up with the chapter
cell by cell when it is graded. Text with no finished translation stays English (the
translation tests name it).
"""

from __future__ import annotations

import copy

from labkit.notebook import codetext
from labkit.notebook.catalogs import chapter_table, translate_markdown
from labkit.notebook.setup_cell import setup_source

TRANSLATIONS = ("zh",)

__all__ = ["TRANSLATIONS", "chapter_table", "translated"]


def translated(nb, table: dict[str, str], lang: str, url: str):
    """A copy of the built notebook ``nb`` in ``lang``. The strings of its code cells are
    translated where the source marked them: ``nb.metadata.labkit.i18n`` holds those
    cells as they were before the build dropped the markers."""
    out = copy.deepcopy(nb)
    meta = dict(out.metadata.get("labkit", {}))
    marked = meta.pop(codetext.MARKED, {})
    chapter = meta.get("chapter", "notebook")
    for index, cell in enumerate(out.cells):
        if cell.cell_type == "markdown":
            cell.source, _missing = translate_markdown(cell.source, table)
        elif "setup" in cell.metadata.get("tags", []):
            facts = out.metadata["labkit"]  # what the English setup cell was made from
            cell.source = setup_source(lang, url, facts["release"], facts["extras"])
        elif cell.cell_type == "code":
            source = marked.get(str(index), cell.source)
            cell.source, _missing = codetext.translate(source, table,
                                                       f"{chapter}, cell {index + 1}")
    out.metadata["labkit"] = {**meta, "language": lang}
    return out
