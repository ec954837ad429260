"""What a check returns: an outcome from a closed set, and a message in three forms.

A ``Result`` renders itself as a coloured HTML box (JupyterLab, Colab), as Markdown
(other notebook front ends) and as plain text (terminals, logs, the grader). The
text is the same in all three; only the decoration changes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from enum import Enum

from labkit.i18n import N_, _, ngettext, tidy


class Outcome(str, Enum):
    PASSED = "passed"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not attempted"
    LEARNER_ERROR = "error in your code"
    CHECKER_BUG = "checker bug"

    @classmethod
    def parse(cls, text: str) -> Outcome:
        """Accept 'passed', 'not-attempted', 'not_attempted', 'NOT_ATTEMPTED', ..."""
        key = text.strip().lower().replace("-", " ").replace("_", " ")
        for outcome in cls:
            if key in (outcome.value, outcome.name.lower().replace("_", " ")):
                return outcome
        allowed = ", ".join(o.name.lower().replace("_", "-") for o in cls)
        raise ValueError(f"unknown outcome {text!r}; use one of: {allowed}")


# What each outcome and each detail label reads as; the stored values stay English, so
# the grader and the tests can rely on them, and a message is translated when shown.
OUTCOME_WORDS = {"passed": N_("passed"), "incorrect": N_("incorrect"),
                 "not attempted": N_("not attempted"),
                 "error in your code": N_("error in your code"),
                 "checker bug": N_("checker bug")}
LABELS = (N_("Checked"), N_("Expected"), N_("Found"), N_("Hint"), N_("Error"), N_("Where"),
          N_("Fix"), N_("Parts"))

# Colours for the HTML box: (border, background).
_COLOURS = {
    Outcome.PASSED: ("#2e7d32", "#edf7ee"),
    Outcome.INCORRECT: ("#c62828", "#fdecea"),
    Outcome.NOT_ATTEMPTED: ("#757575", "#f5f5f5"),
    Outcome.LEARNER_ERROR: ("#ef6c00", "#fff4e5"),
    Outcome.CHECKER_BUG: ("#6a1b9a", "#f6edf9"),
}


class _Shown:
    """Display hooks: Jupyter picks the richest form its front end can show."""

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:  # the plain-text form in a notebook, and in a terminal
        return self.text()


@dataclass(frozen=True, repr=False)
class Result(_Shown):
    """The outcome of checking one exercise."""

    name: str
    outcome: Outcome
    points: float
    max_points: float
    summary: str = ""
    details: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    seed: int | None = None

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    def headline(self) -> str:
        points = ngettext("{got}/{total} point", "{got}/{total} points",
                          1 if self.max_points == 1 else 2).format(
            got=_fmt(self.points), total=_fmt(self.max_points))
        return _("`{name}`: {outcome} ({points})").format(
            name=self.name, outcome=_(OUTCOME_WORDS[self.outcome.value]), points=points)

    def lines(self) -> list[str]:
        out = [self.headline()]
        if self.summary:
            out.append(self.summary)
        out += [_("{label}: {text}").format(label=_(label), text=value)
                for label, value in self.details]
        return [tidy(line) for line in out]

    def text(self) -> str:
        return "\n".join(self.lines())

    def markdown(self) -> str:
        first, *rest = self.lines()
        body = [f"**{_md_escape(first)}**"] + [_md_escape(line) for line in rest]
        return "  \n".join(body)

    def html(self) -> str:
        border, background = _COLOURS[self.outcome]
        first, *rest = self.lines()
        rows = "".join(f"<div>{_html_inline(line)}</div>" for line in rest)
        return (
            f'<div class="labkit-result labkit-{self.outcome.name.lower()}" '
            f'style="border-left:4px solid {border};background:{background};'
            f'padding:6px 10px;margin:4px 0">'
            f"<div><b>{_html_inline(first, tight=True)}</b></div>{rows}</div>"
        )


@dataclass(frozen=True, repr=False)
class Note(_Shown):
    """A hint or a solution: a title and a body of Markdown-ish text."""

    title: str
    body: str

    def text(self) -> str:
        return f"{self.title}\n{self.body}"

    def markdown(self) -> str:
        return f"**{_md_escape(self.title)}**\n\n{self.body}"

    def html(self) -> str:
        return (
            '<div class="labkit-note" style="border-left:4px solid #1565c0;'
            'background:#e8f1fb;padding:6px 10px;margin:4px 0">'
            f'<div><b>{_html_inline(self.title, tight=True)}</b></div>'
            f"{_html_block(self.body)}</div>"
        )



def _fmt(x: float) -> str:
    return f"{x:g}"


_MD_SPECIAL = re.compile(r"([\\*_\[\]<>#|])")


def _md_escape(line: str) -> str:
    """Escape Markdown outside `code spans`, so learner text cannot change the layout."""
    parts = line.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = _MD_SPECIAL.sub(r"\\\1", parts[i])
    return "`".join(parts)


def _html_inline(line: str, *, tight: bool = False) -> str:
    """Escape HTML, then turn `code spans` into <code> elements.

    ``tight``: no padding around the code, so that JupyterLab's padded code style does not
    put what looks like a space between a name and the colon after it (the headline).
    """
    parts = line.split("`")
    out = []
    code = '<code style="padding:0">' if tight else "<code>"
    for i, part in enumerate(parts):
        escaped = html.escape(part)
        out.append(f"{code}{escaped}</code>" if i % 2 and i < len(parts) - 1 else escaped)
    return "".join(out) if len(parts) % 2 else html.escape(line)


def _html_block(body: str) -> str:
    """Render a body with ```python fenced blocks as <pre>, the rest line by line."""
    chunks = re.split(r"```(?:python)?\n(.*?)```", body, flags=re.S)
    out = []
    for i, chunk in enumerate(chunks):
        if i % 2:
            out.append(f"<pre style='margin:4px 0'>{html.escape(chunk.rstrip())}</pre>")
        elif chunk.strip():
            out += [f"<div>{_html_inline(line)}</div>" for line in chunk.strip().splitlines()]
    return "".join(out)
