"""A chapter in another language: the same code cells, the prose from a gettext catalog.

    learner (or solved) notebook -> translate each markdown paragraph -> the setup cell
    that picks the language -> metadata ``labkit.language``

Cell ids stay those of the English notebook, so a translated submission lines up with
the chapter cell by cell when it is graded. A paragraph with no finished translation
stays English (the translation tests name it).
"""

from __future__ import annotations

import copy

from labkit.notebook.catalogs import chapter_table, translate_markdown
from labkit.notebook.setup_cell import setup_source

TRANSLATIONS = ("zh",)

__all__ = ["TRANSLATIONS", "chapter_table", "translated"]


def translated(nb, table: dict[str, str], lang: str, url: str):
    """A copy of the built notebook ``nb`` in ``lang``."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source, _missing = translate_markdown(cell.source, table)
        elif "setup" in cell.metadata.get("tags", []):
            facts = out.metadata["labkit"]  # what the English setup cell was made from
            cell.source = setup_source(lang, url, facts["release"], facts["extras"])
    out.metadata["labkit"] = {**out.metadata.get("labkit", {}), "language": lang}
    return out

