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

TRANSLATIONS = ("zh",)

SETUP_CELLS = {
    "zh": '''\
# 设置：只在缺少课程包时安装它（例如在 Colab 上）。
# --no-deps 会保留已经装好的 torch；babel 用来读取中文翻译。
try:
    import labkit
except ImportError:
    %pip install --quiet --no-deps "labkit @ git+{url}" babel
    import labkit
# 从这里起，检查结果、提示和图都是中文（没有中文字体时，图用课程自带的字体）
labkit.i18n.set_language("zh")''',
}

__all__ = ["SETUP_CELLS", "TRANSLATIONS", "chapter_table", "translated"]


def translated(nb, table: dict[str, str], lang: str, url: str, *,
               marked: dict[int, str] | None = None):
    """A copy of the built notebook ``nb`` in ``lang``. ``marked``: its code cells as they
    were before the ``# i18n`` markers were dropped, by cell index (``learner_notebook``
    and ``solved_notebook`` pass them); without them only comments and docstrings of code
    cells are translated, since the markers say which strings are words."""
    out = copy.deepcopy(nb)
    marked = marked or {}
    chapter = nb.metadata.get("labkit", {}).get("chapter", "notebook")
    for index, cell in enumerate(out.cells):
        if cell.cell_type == "markdown":
            cell.source, _missing = translate_markdown(cell.source, table)
        elif "setup" in cell.metadata.get("tags", []):
            cell.source = SETUP_CELLS[lang].format(url=url)
        elif cell.cell_type == "code":
            source = marked.get(index, cell.source)
            cell.source, _missing = codetext.translate(source, table,
                                                       f"{chapter}, cell {index + 1}")
    out.metadata["labkit"] = {**out.metadata.get("labkit", {}), "language": lang}
    return out

