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

TRANSLATIONS = ("zh",)

SETUP_CELLS = {
    "zh": '''\
# 设置：只在缺少课程包时安装它（例如在 Colab 上）。
# --no-deps 会保留已经装好的 torch；babel 用来读取中文翻译。
import importlib.util

try:
    import labkit
except ImportError:
    %pip install --quiet --no-deps "labkit @ git+{url}" babel
    import labkit
if importlib.util.find_spec("google.colab"):  # Colab 没有中文字体：装一个，图中才能显示中文
    !apt-get -qq install -y fonts-noto-cjk > /dev/null
labkit.i18n.set_language("zh")  # 检查结果、提示和数据信息都用中文显示''',
}

__all__ = ["SETUP_CELLS", "TRANSLATIONS", "chapter_table", "translated"]


def translated(nb, table: dict[str, str], lang: str, url: str):
    """A copy of the built notebook ``nb`` in ``lang``."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source, _missing = translate_markdown(cell.source, table)
        elif "setup" in cell.metadata.get("tags", []):
            cell.source = SETUP_CELLS[lang].format(url=url)
    out.metadata["labkit"] = {**out.metadata.get("labkit", {}), "language": lang}
    return out

