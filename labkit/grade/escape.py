"""Outputs safe to open: CSV cells, Markdown feedback and file names from student input.

- A CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  is a formula to a spreadsheet; such a cell gets a leading ``'`` (the OWASP advice on
  CSV injection), which spreadsheets show and do not run.
- Student text in Markdown (names, error messages, reasons) is escaped: ``<`` and ``&``
  become entities, so no HTML reaches a renderer, and Markdown's own marks are
  backslashed; a block of student text is fenced with more backticks than it holds.
- A file or folder name made from a student name keeps it when it is already safe on
  Linux, macOS and Windows alike; otherwise unsafe characters become ``_`` and a short
  hash of the real name is added, so two names never meet in one file. Names that
  differ only in letter case (one folder on Windows and macOS) get the hash as well.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
             *(f"lpt{i}" for i in range(10))}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_MARKDOWN = re.compile(r"([\\`*_\[\]{}()#+\-.!|~>])")


def csv_cell(value):
    """``value`` as a CSV cell that a spreadsheet shows and never evaluates."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def markdown(text: str) -> str:
    """Student text for a line of Markdown: no HTML, no formatting, one line."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)


def fence(text: str, info: str = "text") -> list[str]:
    """A fenced code block holding ``text`` exactly: its fence is longer than any run of
    backticks inside, so student text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    marks = "`" * max(3, longest + 1)
    return [f"{marks}{info}", text, marks]


def safe_name(name: str) -> str:
    """``name`` as a file name; unchanged only when it is safe everywhere."""
    clean = unicodedata.normalize("NFC", name)
    clean = _UNSAFE.sub("_", clean).strip(" .")[:80]
    reserved = clean.split(".")[0].lower() in _RESERVED  # CON, LPT1.txt: Windows devices
    if clean == name and clean and not reserved:
        return clean
    return f"{'_' if reserved else ''}{clean or 'unnamed'}-{_digest(name)}"


def file_names(names) -> dict[str, str]:
    """A file name for each name: distinct, even where case is ignored."""
    chosen = {name: safe_name(name) for name in names}
    folded: dict[str, list[str]] = {}
    for name, file in chosen.items():
        folded.setdefault(file.casefold(), []).append(name)
    for group in folded.values():
        if len(group) > 1:
            for name in group:
                chosen[name] = f"{safe_name(name)}-{_digest(name)}"
    return chosen


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
