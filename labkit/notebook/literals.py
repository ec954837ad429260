"""A translated string literal of a code cell: is it still the same code, and how it is
written back over as many lines as the English.

A literal is checked by parsing it: the translation must be a literal of the same kind
(prefix and quotes as the English, escapes written as the English writes them), and an
f-string must keep every field, expression, conversion and format alike, in any order.
"""

from __future__ import annotations

import ast
import unicodedata

WIDTH = 100  # columns a translated literal may take before it is cut; Chinese takes two
_BREAK_AFTER = "，；：。、）) "


def faults(english: str, translation: str, form: str) -> list[str]:
    """Why ``translation`` cannot replace ``english`` in a literal written as ``form``
    (a prefix and quote such as ``f"``): it must parse as the same kind of literal and keep
    every f-string field. Comments (``#``) take any text."""
    if form == "#":
        return []
    try:
        original, translated = parse(english, form), parse(translation, form)
    except SyntaxError:
        return [f"is not a valid Python {form}...{form.lstrip('rRbBuUfF')} literal once "
                "translated (an unescaped quote or line break?)"]
    out = []
    if sorted(fields(original)) != sorted(fields(translated)):
        lost = sorted(set(fields(original)) - set(fields(translated)))
        extra = sorted(set(fields(translated)) - set(fields(original)))
        out.append("has other f-string fields than the English"
                   + (f" (lost {', '.join(lost)})" if lost else "")
                   + (f" (added {', '.join(extra)})" if extra else ""))
    return out


def width(text: str) -> int:
    """Columns ``text`` takes in a monospace font."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def split(body: str, parts: int, fstring: bool) -> list[str]:
    """``body`` cut into ``parts`` pieces of similar width, never inside an f-string
    field or an escape, after punctuation or a space where one is near."""
    safe, depth, i = [], 0, 0
    while i < len(body):
        pair = body[i:i + 2]
        if body[i] == "\\":
            i += 2
        elif fstring and depth == 0 and pair in ("{{", "}}"):
            i += 2
        elif fstring and body[i] == "{":
            depth, i = depth + 1, i + 1
        elif fstring and body[i] == "}":
            depth, i = depth - 1, i + 1
        else:
            i += 1
        if depth == 0 and 0 < i < len(body):
            safe.append(i)
    cuts, total = [], width(body)
    for k in range(1, parts):
        target = total * k / parts
        options = [c for c in safe if (not cuts or c > cuts[-1])]
        if not options:
            break
        near = [c for c in options if body[c - 1] in _BREAK_AFTER
                and abs(width(body[:c]) - target) <= 12]
        cuts.append(min(near or options, key=lambda c: abs(width(body[:c]) - target)))
    edges = [0, *cuts, len(body)]
    return [body[a:b] for a, b in zip(edges, edges[1:], strict=False) if b > a]


def parse(body: str, form: str):
    quote = form.lstrip("rRbBuUfF")
    node = ast.parse(form + body + quote, mode="eval").body
    if not isinstance(node, (ast.Constant, ast.JoinedStr)):  # pragma: no cover
        raise SyntaxError("not a literal")
    return node


def fields(node) -> list[str]:
    """Each f-string field as written (its expression, conversion and format)."""
    if not isinstance(node, ast.JoinedStr):
        return []
    out = []
    for value in node.values:
        if isinstance(value, ast.FormattedValue):
            text = ast.unparse(value.value)
            if value.conversion != -1:
                text += "!" + chr(value.conversion)
            if value.format_spec is not None:
                text += ":" + "".join(
                    v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                    for v in value.format_spec.values)
            out.append("{" + text + "}")
    return out
