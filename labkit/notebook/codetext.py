"""What a learner reads inside a code cell, found and rewritten in another language.

A code cell keeps one source in every language; only its words change:

- every **comment** (a run of comment lines at one column is one entry), except tool
  directives (``# noqa``, ``# type:``, solution markers) and bare shapes (``# (B, 10)``);
- every **docstring**;
- every string literal on a line that ends with the marker ``# i18n``: print labels, table
  headers, titles, axis labels, legends, option labels. Strings on other lines are code
  (``"cuda"``, ``cmap="gray"``) and never change. Adjacent literals (``"a " "b"``) are one
  entry; an f-string keeps its ``{fields}``, in any order.

The marker never reaches a notebook: ``strip_markers`` removes it from every language,
``translate`` rewrites a cell from a catalog table and removes it too. Each entry's key is
the text as written between the quotes (escapes as typed), so a translation is pasted
back as it is; ``literals.faults`` refuses one that would not be the same kind of literal.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from labkit.notebook import literals

MARKER = "# i18n"
MARKED = "i18n"  # metadata.labkit key of the marked code cells, never written to a file
_MARKER_AT_END = re.compile(r"#\s*i18n\s*$")
# Comments that tools read, not learners: they stay as they are.
_DIRECTIVE = re.compile(r"^#+\s*(?:noqa|type:|ruff:|fmt:|pragma|pylint:|YOUR CODE HERE"
                        r"|BEGIN (?:SOLUTION|STUB)|END (?:SOLUTION|STUB))", re.I)
_WORD = re.compile(r"[A-Za-z]{2}")
# A comment is words when, names aside (`C_out`, `x1`, `.grad`), it has two letters in a
# row: "# (B, C_out, H', W')" reads the same in any language, "# (2, 3) of 0.0" does not.
_NAME = re.compile(r"[\w.]*(?:_|\d|\.)[\w.]*")
_PREFIX_QUOTE = re.compile(r"([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")
_MAGIC = re.compile(r"^(\s*)[%!]")


class CodeTextError(ValueError):
    """A marker or a string the rules cannot handle; the message names the line and the fix."""


@dataclass(frozen=True)
class Text:
    """One thing a learner reads in a code cell."""

    kind: str  # "comment", "docstring" or "string"
    message: str  # the catalog key: the text as written
    line: int  # 1-based line of the cell where it starts
    form: str  # "#" for a comment, else the literal's prefix and quote: 'f"', '"""', ...
    start: tuple[int, int]  # (line index, column) of the first character it spans
    end: tuple[int, int]  # (line index, column) just after its last character
    indent: int = 0  # a comment block's column; the continuation indent of the others
    closing: bool = False  # a docstring whose closing quotes stand on their own line
    parts: int = 1  # the lines a string's adjacent literals were written on


def texts(source: str, where: str = "cell") -> list[Text]:
    """Every comment, docstring and marked string of a code cell, in source order."""
    return _scan(source, where)[0]


def strip_markers(source: str, where: str = "cell") -> str:
    """The cell without its ``# i18n`` markers (what every notebook shows)."""
    return _rewrite(source, {}, where)[0]


def translate(source: str, table: dict[str, str], where: str = "cell") -> tuple[str, int]:
    """The cell with each text replaced by its translation in ``table`` (markers removed),
    and how many texts had none (they stay as they are, as does a translation that
    ``literals.faults`` refuses)."""
    return _rewrite(source, table, where)


# --- finding ------------------------------------------------------------------------------
def _scan(source: str, where: str) -> tuple[list[Text], list[tuple[int, int, int]]]:
    """(texts, markers): each marker as (line index, start column, end column) to remove."""
    lines = source.split("\n")
    # IPython lines (`%pip`, `!ls`) read as `pass`: they hold nothing to translate
    code = "\n".join(_MAGIC.match(line).group(1) + "pass" if _MAGIC.match(line) else line
                     for line in lines)
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        raise CodeTextError(f"{where}, line {err.lineno}: the cell does not parse, so its "
                            f"comments and strings cannot be translated: {err.msg}") from None
    comments, markers = _comments(code, where)
    marked = {line for line, _start, _end in markers}
    docstrings = _docstrings(tree)
    found, used = [], set()
    for node in _outer_strings(tree):
        span = range(node.lineno - 1, node.end_lineno)
        if id(node) in docstrings:
            found.append(_docstring(code, lines, node, where))
        elif marked.intersection(span):
            used.update(marked.intersection(span))
            text = _string(code, lines, node, where)
            if text is not None:
                found.append(text)
    for line in sorted(marked - used):
        raise CodeTextError(f"{where}, line {line + 1}: `{MARKER}` marks no string there; "
                            "put it on a line that holds a learner-facing string, or remove it")
    spans = [(t.start, t.end) for t in found if t.kind == "string"]
    for comment in comments:
        if any(a <= comment.start < b for a, b in spans):
            raise CodeTextError(f"{where}, line {comment.line}: a comment inside a marked "
                                "string that continues over several lines; move the comment "
                                "above the statement")
    return sorted(found + comments, key=lambda t: t.start), markers


def _comments(code: str, where: str):
    """Translatable comments (runs of lines at one column joined) and the markers."""
    lines = code.split("\n")
    out, markers, last = [], [], None
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError) as err:  # pragma: no cover - ast parsed it
        raise CodeTextError(f"{where}: {err}") from None
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        row, column = token.start[0] - 1, token.start[1]
        text = token.string
        marker = _MARKER_AT_END.search(text)
        if marker:
            text = text[:marker.start()].rstrip()
            first = column + len(text) if text else len(lines[row][:column].rstrip())
            markers.append((row, first, len(lines[row])))
            if not text:
                if not lines[row][:column].strip():
                    raise CodeTextError(f"{where}, line {row + 1}: `{MARKER}` goes at the end "
                                        "of the line whose strings it marks, not on a line "
                                        "of its own")
                continue
        elif "i18n" in text.lower() and re.search(r"#\s*i18n\b", text):
            raise CodeTextError(f"{where}, line {row + 1}: write the marker as `{MARKER}` at "
                                f"the very end of the line; found {text!r}")
        body = re.sub(r"^#\s?", "", text)
        if _DIRECTIVE.match(text) or not _WORD.search(_NAME.sub(" ", body)):
            last = None
            continue
        end = (row, column + len(text))
        alone = not lines[row][:column].strip()
        if (alone and last is not None and last.end[0] == row - 1
                and last.indent == column):
            last = Text("comment", f"{last.message}\n{body}", last.line, "#", last.start, end,
                        column)
            out[-1] = last
        else:
            last = Text("comment", body, row + 1, "#", (row, column), end, column)
            out.append(last)
    return out, markers


def _docstrings(tree) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                found.add(id(body[0].value))
    return found


def _outer_strings(tree):
    """String literals not inside another (an f-string's fields hold code, not words)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant)
                                               and isinstance(node.value, str)):
            yield node
            continue
        todo.extend(reversed(list(ast.iter_child_nodes(node))))


def _columns(lines: list[str], node) -> tuple[tuple[int, int], tuple[int, int]]:
    """ast's byte offsets as character columns."""
    def column(row, offset):
        return len(lines[row].encode()[:offset].decode(errors="ignore"))
    return ((node.lineno - 1, column(node.lineno - 1, node.col_offset)),
            (node.end_lineno - 1, column(node.end_lineno - 1, node.end_col_offset)))


def _segment(lines, start, end) -> str:
    if start[0] == end[0]:
        return lines[start[0]][start[1]:end[1]]
    return "\n".join([lines[start[0]][start[1]:], *lines[start[0] + 1:end[0]],
                      lines[end[0]][:end[1]]])


def _pieces(segment: str, where: str) -> list[tuple[str, str, str, int]]:
    """(prefix, quote, body, line) of each literal in an implicit concatenation; line:
    the line of the segment it starts on."""
    out, i = [], 0
    while i < len(segment):
        if segment[i] in " \t\n\\()":
            i += 1
            continue
        if segment[i] == "#":
            i = segment.find("\n", i) if "\n" in segment[i:] else len(segment)
            continue
        match = _PREFIX_QUOTE.match(segment, i)
        if not match:
            raise CodeTextError(f"{where}: cannot read the string literal {segment[:40]!r}")
        prefix, quote = match.groups()
        j = match.end()
        while not segment.startswith(quote, j):
            j += 2 if segment[j] == "\\" else 1
        out.append((prefix, quote, segment[match.end():j], segment.count("\n", 0, i)))
        i = j + len(quote)
    return out


def _string(code, lines, node, where) -> Text | None:
    start, end = _columns(lines, node)
    pieces = _pieces(_segment(lines, start, end), f"{where}, line {start[0] + 1}")
    raw = {"r" in p.lower() for p, _q, _b, _n in pieces}
    if len(raw) > 1 or any("b" in p.lower() for p, _q, _b, _n in pieces):
        raise CodeTextError(f"{where}, line {start[0] + 1}: a marked string joins raw and "
                            "plain (or bytes) literals; write it as one kind")
    fstring = any("f" in p.lower() for p, _q, _b, _n in pieces)
    body = "".join(b if "f" in p.lower() or not fstring else b.replace("{", "{{").replace(
        "}", "}}") for p, _q, b, _n in pieces)
    words = re.sub(r"\{[^{}]*\}", "", body) if fstring else body
    if not _WORD.search(words):
        return None  # "o-", ", ", "{x:.3f}": nothing in it is read as words
    prefix = ("r" if raw.pop() else "") + ("f" if fstring else "")
    last = lines[end[0]]
    return Text("string", body, start[0] + 1, prefix + pieces[0][1], start, end,
                len(last) - len(last.lstrip()), parts=len({n for *_rest, n in pieces}))


def _docstring(code, lines, node, where) -> Text:
    start, end = _columns(lines, node)
    [(prefix, quote, body, _line)] = _pieces(_segment(lines, start, end), where)
    rows = body.split("\n")
    indent = min((len(r) - len(r.lstrip()) for r in rows[1:] if r.strip()), default=0)
    closing = len(rows) > 1 and not rows[-1].strip()
    kept = rows[:-1] if closing else rows
    message = "\n".join([kept[0], *(r[indent:] for r in kept[1:])])
    return Text("docstring", message, start[0] + 1, prefix + quote, start, end, indent, closing)


# --- rewriting ----------------------------------------------------------------------------
def _rewrite(source: str, table: dict[str, str], where: str) -> tuple[str, int]:
    found, markers = _scan(source, where)
    lines = source.split("\n")
    edits, missing = [], 0
    for text in found:
        translation = table.get(text.message)
        if translation is None:
            missing += 1
            continue
        if translation == text.message or literals.faults(text.message, translation, text.form):
            continue
        edits.append((text.start, text.end, _written(text, translation)))
    for row, first, last in markers:
        if not any(a <= (row, first) < b for a, b, _new in edits):
            edits.append(((row, first), (row, last), ""))
    for start, end, new in sorted(edits, reverse=True):
        head, tail = lines[start[0]][:start[1]], lines[end[0]][end[1]:]
        lines[start[0]:end[0] + 1] = (head + new + tail).split("\n")
    return "\n".join(lines), missing


def _written(text: Text, translation: str) -> str:
    """The translation as it goes back into the code."""
    if text.kind == "comment":
        pad = "\n" + " " * text.indent
        return pad.join(f"# {line}".rstrip() for line in translation.split("\n"))
    if text.kind == "docstring":
        rows = translation.split("\n")
        body = "\n".join([rows[0], *((" " * text.indent + r) if r else "" for r in rows[1:])])
        if text.closing:
            body += "\n" + " " * text.indent
        return text.form + body + text.form.lstrip("rRbBuUfF")
    quote = text.form.lstrip("rRbBuUfF")
    wide = text.start[1] + literals.width(translation) + len(text.form) + 2
    if text.parts == 1 or wide <= literals.WIDTH:
        return text.form + translation + quote
    # As long as the English, and written on as many lines
    raw = "r" if "r" in text.form.lower() else ""
    fstring = "f" in text.form.lower()
    chunks = literals.split(translation, text.parts, fstring)
    return ("\n" + " " * text.indent).join(
        raw + ("f" if fstring and "{" in chunk else "") + quote + chunk + quote
        for chunk in chunks)
