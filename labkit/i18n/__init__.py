"""Messages in the learner's language, through gettext catalogs.

Every sentence labkit shows a learner is written in English and wrapped::

    from labkit.i18n import _, N_

    TITLE = N_("Standardise each row")      # marked here, translated where it is shown
    _("`{call}` gave the wrong shape").format(call=call)   # translated now

``_`` looks the English text up in the catalogs of the current language
(``labkit/locale/<language>/*.po``, the format translators' tools read) and falls back
to the English text. The language is English unless a notebook says otherwise with
``labkit.i18n.set_language("zh")`` (the Chinese notebooks' setup cell does), the
environment has ``LABKIT_LANG=zh``, or a ``with language("zh"):`` block is active (the
grader uses it for each submission). Catalogs load on first use, so importing this
module reads nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from functools import cache
from pathlib import Path

ENGLISH = "en"
LANGUAGES = {"en": "English", "zh": "中文"}
LOCALE = Path(__file__).resolve().parent.parent / "locale"

_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("labkit_language",
                                                                       default=None)


def current() -> str:
    """The language messages are shown in now: ``"en"`` or ``"zh"``."""
    chosen = _override.get() or os.environ.get("LABKIT_LANG", "").strip().lower()
    chosen = chosen.split("_")[0].split("-")[0]  # zh_CN, zh-Hans -> zh
    return chosen if chosen in LANGUAGES else ENGLISH


def set_language(code: str, *, quiet: bool = False) -> None:
    """Show labkit's messages in ``code`` ("en" or "zh") from now on, in this process and
    in the processes it starts (data-loader workers, distributed ranks). For a language
    other than English, prints one line on how figures will show it (``quiet``: not)."""
    key = _known(code)
    os.environ["LABKIT_LANG"] = key
    if key != ENGLISH and not quiet:
        from labkit.i18n.fonts import font_note

        print(font_note())


@contextlib.contextmanager
def language(code: str | None):
    """Within the block, messages are in ``code`` (None: leave the language as it is)."""
    if code is None:
        yield
        return
    token = _override.set(_known(code))
    try:
        yield
    finally:
        _override.reset(token)


def _known(code: str) -> str:
    """``code`` as a key of ``LANGUAGES``, or a ValueError that lists them."""
    key = str(code).strip().lower()
    if key not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}; use one of: {', '.join(LANGUAGES)}")
    return key


def _(message: str) -> str:
    """``message`` in the current language (the English text when there is no translation)."""
    code = current()
    if code == ENGLISH or not message:
        return message
    return translations(code).get(message, message)


# Full-width punctuation carries its own spacing, and Chinese words are not separated by
# spaces: a space beside the one or between two of the other is a typo in Chinese.
_SPACE_AT_FULL_WIDTH = re.compile(r"(?<=[，。：；！？（）、“”])[ ]+|[ ]+(?=[，。：；！？（）、“”])"
                                  r"|(?<=[\u4e00-\u9fff])[ ]+(?=[\u4e00-\u9fff])")


def tidy(line: str) -> str:
    """``line`` without the spaces that joining Chinese templates and fields leaves beside
    full-width punctuation or between two Chinese characters; `code spans` are left
    exactly as they are."""
    if current() == ENGLISH or "`" in line and line.count("`") % 2:
        return line
    parts = line.split("`")
    parts[::2] = [_SPACE_AT_FULL_WIDTH.sub("", part) for part in parts[::2]]
    return "`".join(parts)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it yet (for module and class
    constants, which are made before any notebook picks its language)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural English form, or its translation (Chinese has one form)."""
    code = current()
    english = singular if n == 1 else plural
    if code == ENGLISH:
        return english
    return translations(code).get(singular, english)


@cache
def translations(code: str) -> dict[str, str]:
    """English -> translation for every finished entry of ``code``'s labkit catalogs."""
    folder = LOCALE / code
    table: dict[str, str] = {}
    for path in sorted(folder.glob("*.po")):
        table.update(finished_entries(path))
    return table


def finished_entries(path: Path) -> dict[str, str]:
    """English -> translation for the entries of one catalog that are translated and not
    fuzzy (a plural entry by its singular)."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    out = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        english = message.id[0] if isinstance(message.id, tuple) else message.id
        text = message.string[0] if isinstance(message.string, tuple) else message.string
        if text:
            out[english] = text
    return out
