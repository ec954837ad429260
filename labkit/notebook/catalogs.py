"""The translation catalogs: what needs translating, refreshing them, and what is stale.

Two kinds of catalog, both gettext ``.po`` files keyed by the English text:

- ``notebooks/locale/<lang>/NN_name.po``: a chapter's prose, one entry per paragraph of
  each markdown cell (code blocks stay as they are), then what a learner reads in its
  code cells: comments, docstrings and the strings of lines marked ``# i18n``
  (``labkit.notebook.codetext``; solutions and author tests are never shown, so skipped);
- ``labkit/locale/<lang>/<module>.po``: labkit's own messages, the strings wrapped in
  ``_``, ``N_`` or ``ngettext``: one catalog per chapter's exercise module
  (``ch01_tensors.po``) and ``labkit.po`` for the rest.

``update`` (``labkit i18n update``) rewrites the catalogs from the English sources;
an entry whose English changed comes back *fuzzy*, with the old English beside it, so a
translator sees exactly what changed. ``problems`` lists what a test must refuse.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from pathlib import Path

from labkit.i18n import finished_entries
from labkit.notebook.units import (  # noqa: F401 - the catalogs' units, re-exported
    Unit,
    chapter_units,
    needs_translation,
    paragraphs,
    translate_markdown,
)

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "plot_text": None}
FIXED_DATE = datetime(2026, 11, 26, tzinfo=timezone.utc)  # stable headers, stable diffs
HEADER = ("# The course in Chinese, keyed by the English text.\n"
          "# `labkit i18n update` refreshes it; fuzzy entries are the ones whose English "
          "changed.\n#")
_FENCED = re.compile(r"```.*?```", re.S)
_CODE_SPAN = re.compile(r"`[^`]+`")  # a span may wrap onto the next line
_FIELD = re.compile(r"(?<!\{)\{([A-Za-z_]\w*)?(?:[!:][^{}]*)?\}(?!\})")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_LATEX_ARGUMENT = re.compile(r"\\[A-Za-z]+\{[^{}]*\}")  # \text{out}: words, not a field


def chapter_catalog_path(repo: Path, lang: str, stem: str) -> Path:
    return repo / "notebooks" / "locale" / lang / f"{stem}.po"


def chapter_table(repo: Path, lang: str, stem: str) -> dict[str, str]:
    """English paragraph -> translation, finished entries only (fuzzy ones are not)."""
    path = chapter_catalog_path(repo, lang, stem)
    return finished_entries(path) if path.exists() else {}


# --- labkit's own messages -----------------------------------------------------------------
def labkit_messages(package: Path) -> dict[str, list[tuple]]:
    """Catalog name -> [(message id, file, line)] for every wrapped string in ``package``."""
    from babel.messages.extract import extract_from_file

    found: dict[str, list[tuple]] = {}
    for path in sorted(package.rglob("*.py")):
        name = _catalog_of(path.relative_to(package))
        relative = path.relative_to(package.parent).as_posix()
        for line, message, _comments, _context in extract_from_file(
                "python", path, keywords=KEYWORDS):
            if message and (message[0] if isinstance(message, tuple) else message):
                found.setdefault(name, []).append((message, relative, line))
    return found


def _catalog_of(relative: Path) -> str:
    """A chapter's messages go to its own catalog (``labkit/exercises/chNN_name/...`` to
    ``chNN_name.po``), everything else to ``labkit.po``."""
    parts = relative.parts
    if len(parts) > 2 and parts[0] == "exercises" and parts[1].startswith("ch"):
        return parts[1]
    return "labkit"


# --- reading, updating, judging ------------------------------------------------------------
def read(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    # read_po keeps a "#| msgid" line (the English an entry was translated from) as a
    # comment; give it back its meaning, so that writing the catalog again changes nothing.
    from babel.messages.pofile import unescape

    for message in catalog:
        previous = [c for c in message.user_comments if c.startswith("|")]
        if previous and previous[0].startswith("| msgid "):
            message.user_comments = [c for c in message.user_comments if c not in previous]
            text = " ".join(c[1:].strip() for c in previous)  # write_po wraps it at spaces
            message.previous_id = ["".join(unescape(f'"{part}"')
                                           for part in _QUOTED.findall(text))]
    return catalog


def _template(entries) -> object:
    from babel.messages.catalog import Catalog

    template = Catalog(fuzzy=False, creation_date=FIXED_DATE)
    for message, filename, line, *extra in entries:
        note = extra[1] if len(extra) > 1 else ""
        if extra and extra[0] and "f" in extra[0].lower():
            note += " " + _NOTES["f-string"]
        template.add(message, locations=[(filename, line)],
                     auto_comments=[note.strip()] if note.strip() else [])
    return template


# What a translator of a code cell's text needs to know (see CONTRIBUTING.md).
_NOTES = {
    "comment": "A comment in a code cell: each line of the translation is one comment line.",
    "docstring": "A docstring in a code cell.",
    "string": "Text a code cell prints or draws, written as a Python string: keep quotes and "
              "backslashes as the English has them; in a column padded to a width, give "
              "every entry the same number of Chinese characters (pad with U+3000).",
    "f-string": "It is an f-string: keep every {field} exactly as written, in any order.",
}


def _merged(path: Path, lang: str, entries, memory: dict[str, str] | None = None) -> bytes:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = _template(entries)
    if path.exists():
        catalog = read(path)
    else:
        catalog = Catalog(locale="zh_Hans_CN" if lang == "zh" else lang, fuzzy=False,
                          project="labkit PyTorch course", creation_date=FIXED_DATE,
                          header_comment=HEADER, copyright_holder="the course's authors",
                          language_team="Chinese <zh@labkit-course>",
                          last_translator="the course's authors",
                          revision_date=FIXED_DATE)
    before = {m.id: m.previous_id for m in catalog if m.id and m.previous_id}
    catalog.update(template, update_creation_date=False)
    for message in catalog:  # babel forgets the old English of an entry still fuzzy
        if message.fuzzy and not message.previous_id and message.id in before:
            message.previous_id = before[message.id]
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if memory and key in memory and (message.fuzzy or not message.string):
            # the same English is translated in another catalog (the code moved files)
            message.string = (memory[key], memory[key]) if isinstance(message.id, tuple) \
                else memory[key]
            message.flags.discard("fuzzy")
            message.previous_id = []
    out = io.BytesIO()
    write_po(out, catalog, width=0, ignore_obsolete=True, include_previous=True)
    return out.getvalue()


def catalog_plan(repo: Path, lang: str) -> dict[Path, list[tuple]]:
    """Every catalog file of ``lang`` and the entries its English sources call for."""
    from labkit.notebook.chapter import chapters

    plan: dict[Path, list[tuple]] = {}
    for chapter in chapters(repo):
        relative = chapter.source.relative_to(repo).as_posix()
        plan[chapter_catalog_path(repo, lang, chapter.stem)] = [
            (unit.text, relative, unit.line, unit.form, _NOTES.get(unit.kind, ""))
            for unit in chapter_units(chapter.source)]
    for name, entries in labkit_messages(repo / "labkit").items():
        plan[repo / "labkit" / "locale" / lang / f"{name}.po"] = entries
    return plan


def update(repo: Path, lang: str = "zh") -> list[Path]:
    """Rewrite every catalog of ``lang`` from the English sources; return the changed ones."""
    changed = []
    plan = catalog_plan(repo, lang)
    memory: dict[str, str] = {}  # labkit's finished entries, wherever they are now
    for path in plan:
        if path.exists() and path.parent.parent.parent.name == "labkit":
            memory.update(finished_entries(path))
    for path, entries in plan.items():
        wanted = _merged(path, lang, entries, memory)
        if not path.exists() or path.read_bytes() != wanted:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(wanted)
            changed.append(path)
    return changed


def problems(repo: Path, lang: str = "zh") -> list[str]:
    """Every entry a reader would meet in English, or broken: missing, empty, fuzzy,
    or a translation that lost a code span, a link or a ``{field}``."""
    out = []
    for path, entries in catalog_plan(repo, lang).items():
        relative = path.relative_to(repo).as_posix()
        if not path.exists():
            out.append(f"{relative}: missing; run `labkit i18n update` and translate it")
            continue
        catalog = read(path)
        for message, filename, line, *extra in entries:
            form = extra[:1]
            where = _where(filename, line)
            key = message[0] if isinstance(message, tuple) else message
            entry = catalog.get(message if not isinstance(message, tuple) else key)
            shown = _short(key)
            if entry is None:
                out.append(f"{where}: {shown} is not in {relative}; run `labkit i18n update`")
                continue
            text = entry.string[0] if isinstance(entry.string, tuple) else entry.string
            if not text:
                out.append(f"{where}: {shown} has no translation in {relative}")
            elif entry.fuzzy:
                out.append(f"{where}: {shown} changed in English; review the fuzzy "
                           f"translation in {relative} and remove its fuzzy flag")
            else:
                out += [f"{where}: {shown} {fault} in {relative}"
                        for fault in faults(key, text, form[0] if form else None)]
    return out


def faults(english: str, translation: str, form: str | None = None) -> list[str]:
    """What a translation lost that must survive: format fields, code spans and links;
    for a string of a code cell (``form``, e.g. ``f"``), a valid literal of the same kind
    with every f-string field."""
    from labkit.notebook.literals import faults as literal_faults

    out = literal_faults(english, translation, form) if form else []
    if "f" in (form or "").lower():
        pass  # its fields are checked as code, whatever they hold
    elif sorted(_fields(english)) != sorted(_fields(translation)):
        out.append("has other {fields} in its translation than in English")
    # Fenced blocks may translate their comments; the inline spans around them may not.
    flat = " ".join(_FENCED.sub("", translation).split())
    lost = [span for span in _CODE_SPAN.findall(_FENCED.sub("", english))
            if " ".join(span.split()) not in flat]
    if lost:
        out.append(f"lost the code span(s) {', '.join(lost[:3])} in its translation")
    gone = [link for link in _LINK.findall(english) if link not in translation]
    if gone:
        out.append(f"lost the link(s) {', '.join(gone[:2])} in its translation")
    return out


def _fields(text: str) -> list[str]:
    return _FIELD.findall(_LATEX_ARGUMENT.sub("", text))


def _where(filename: str, line: int) -> str:
    if filename.startswith("notebooks/src/"):
        return f"{Path(filename).stem}, the cell at line {line}"
    return f"{filename}:{line}"


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= width else flat[: width - 3] + "...")


def counts(repo: Path, lang: str = "zh") -> dict[str, int]:
    """Translated entries: chapter paragraphs, and labkit messages."""
    from labkit.i18n import finished_entries

    chapters = messages = 0
    for path in catalog_plan(repo, lang):
        if not path.exists():
            continue
        done = len(finished_entries(path))
        if path.parent.parent.parent.name == "notebooks":
            chapters += done
        else:
            messages += done
    return {"paragraphs": chapters, "messages": messages}
