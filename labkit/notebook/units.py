"""What a chapter gives its catalog: the paragraphs of its markdown cells, and the texts
a learner reads in its code cells (``labkit.notebook.codetext``), each with the line of the
source it comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_FENCE = re.compile(r"^\s*```")


@dataclass(frozen=True)
class Unit:
    """One translatable paragraph, or text of a code cell, of a chapter."""

    text: str
    cell: int  # 1-based, counting every cell of the source
    line: int  # line in the source file where the paragraph starts
    form: str | None = None  # a code text's form (``codetext.Text.form``); None for prose
    kind: str | None = None  # a code text's kind (``codetext.Text.kind``); None for prose


# --- chapters ------------------------------------------------------------------------------
def paragraphs(markdown: str) -> list[str]:
    """Split a markdown cell at blank lines, keeping fenced code blocks whole."""
    return [block for _first, block in _numbered_paragraphs(markdown)]


def _numbered_paragraphs(markdown: str) -> list[tuple[int, str]]:
    """(index of its first line, paragraph) for each paragraph of a markdown cell."""
    blocks, current, first, fenced = [], [], 0, False
    for number, line in enumerate(markdown.splitlines()):
        if _FENCE.match(line):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append((first, "\n".join(current)))
                current = []
            continue
        if not current:
            first = number
        current.append(line)
    if current:
        blocks.append((first, "\n".join(current)))
    return blocks


def needs_translation(block: str) -> bool:
    """Prose does; a block that is all code fence or all display math does not."""
    text = block.strip()
    if _FENCE.match(text) and text.endswith("```") and text.count("```") == 2:
        return False
    if text.startswith("$$") and text.endswith("$$"):
        return "\\text{" in text  # words inside the formula

    return bool(re.search(r"[A-Za-z]{2}", text))


def chapter_units(source: Path) -> list[Unit]:
    """Every paragraph to translate in a chapter source, with its cell and line; first
    the header's one-line summary for README (cell 0). Then every text of its code cells
    that a learner reads."""
    text = source.read_text(encoding="utf-8")
    return list(_units(source, text))


@lru_cache(maxsize=32)
def _units(source: Path, text: str) -> tuple[Unit, ...]:
    """The units of ``source`` as it reads now (a source read once per version)."""
    from labkit.notebook.chapter import read_source, teaches

    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines, start=1) if line.startswith("# %%")]
    summary_line = next((i for i, line in enumerate(lines, start=1)
                         if line.lstrip("# ").startswith("teaches:")), 1)
    notebook = read_source(source)
    units = [Unit(teaches(source, notebook), 0, summary_line)]
    for number, cell in enumerate(notebook.cells, start=1):
        start = starts[number - 1] if number <= len(starts) else 0
        if cell.cell_type == "markdown":
            units += [Unit(block, number, start + 1 + first)
                      for first, block in _numbered_paragraphs(cell.source)
                      if needs_translation(block)]
        elif cell.cell_type == "code" and "author-test" not in cell.metadata.get("tags", []):
            units += [Unit(shown.message, number, start + shown.line, shown.form, shown.kind)
                      for shown in _shown_code_texts(cell.source, f"{source.name}, cell "
                                                                  f"{number}")]
    return tuple(units)


def _shown_code_texts(code: str, where: str) -> list:
    """The texts of a code cell that a learner is shown: not those of solutions."""
    from labkit.notebook import codetext, regions

    lines = code.split("\n")
    hidden = set()
    for kind, _indent, first, last in regions._regions(lines, where):
        if kind == "SOLUTION":
            hidden.update(range(first, last + 1))
    return [text for text in codetext.texts(code, where) if text.start[0] not in hidden]


def translate_markdown(markdown: str, table: dict[str, str]) -> tuple[str, int]:
    """The cell with each paragraph replaced by its translation; and how many were missing."""
    out, missing = [], 0
    for block in paragraphs(markdown):
        if needs_translation(block) and block not in table:
            missing += 1
        out.append(table.get(block, block))
    return "\n\n".join(out), missing


