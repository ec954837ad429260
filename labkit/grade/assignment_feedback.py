"""Each student's feedback on an assignment: ``<id>.md`` and ``<id>.html``.

Both say the same, in the notebook's language: the total and maximum, each exercise
and written question with its points (a check's parts earned are in its words), the
reasons of the instructor's overrides, excused exercises, and the late penalty with the
submission time and where that time came from. Student text (their name, the check's
words quoting their values, reasons) is escaped: fenced in Markdown, ``html.escape`` in
HTML. The HTML page needs no network and no script.
"""

from __future__ import annotations

import html
from pathlib import Path

from labkit.grade.escape import fence, file_names, markdown
from labkit.grade.statuses import WORDS
from labkit.i18n import N_, _, language, tidy

EXTRA_WORDS = {"written": N_("graded by hand"), "ungraded": N_("not graded yet"),
               "override": N_("changed by your instructor"), "excused": N_("excused")}


def _status(status: str) -> str:
    return _(WORDS.get(status) or EXTRA_WORDS.get(status) or status)


def sections(grade, title: str, escape=str) -> list[tuple[str, str, str]]:
    """(heading, plain text, student text to show verbatim) per part of the feedback;
    ``escape`` is applied to the student's name, the one student text in a heading."""
    parts = [(tidy(_("{title}: feedback for {name}").format(title=escape(title),
                                                             name=escape(grade.name))),
              tidy(_("Score: {total} of {maximum} points.").format(
                  total=f"{grade.total:g}", maximum=f"{grade.maximum:g}")), "")]
    if grade.status == "missing":
        parts.append(("", _("No submission was received."), ""))
    elif grade.status != "graded":
        parts.append(("", tidy(_("Not graded in full ({status}).").format(
            status=_status(grade.status))), grade.reason))
    if grade.late_days:
        parts.append(("", tidy(_("Handed in {days} day(s) late ({when}, from the {source}): "
                                 "{penalty} points were taken.").format(
            days=grade.late_days, when=grade.submitted.isoformat(timespec="minutes"),
            source=_(grade.time_source), penalty=f"{grade.penalty:g}")), ""))
    for line in grade.lines:
        heading = tidy(_("{name}: {status} ({points}/{maximum})").format(
            name=escape(line.name), status=_status(line.status), points=f"{line.points:g}",
            maximum=f"{line.max_points:g}"))
        said = line.public.strip()
        if line.reason:
            said = (said + "\n" if said else "") + tidy(_("Reason: {reason}").format(
                reason=line.reason))
        parts.append((heading, "", said))
    return parts


def markdown_text(grade, title: str) -> str:
    lines = []
    for number, (heading, plain, verbatim) in enumerate(sections(grade, title, markdown)):
        if heading:
            lines += [("# " if number == 0 else "## ") + heading, ""]
        if plain:
            lines += [f"**{plain}**", ""]
        if verbatim:
            lines += [*fence(verbatim), ""]
    return "\n".join(lines).rstrip() + "\n"


def html_text(grade, title: str) -> str:
    body = []
    for number, (heading, plain, verbatim) in enumerate(sections(grade, title)):
        if heading:
            tag = "h1" if number == 0 else "h2"
            body.append(f"<{tag}>{html.escape(heading)}</{tag}>")
        if plain:
            body.append(f"<p><strong>{html.escape(plain)}</strong></p>")
        if verbatim:
            body.append(f"<pre>{html.escape(verbatim)}</pre>")
    return ("<!DOCTYPE html>\n<html lang='" + html.escape(grade.language) + "'><head>"
            "<meta charset='utf-8'><title>" + html.escape(title) + "</title><style>"
            "body{font-family:sans-serif;max-width:50em;margin:auto}"
            "pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def write(grades, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    names = file_names({g.id for g in grades.grades})
    for grade in grades.grades:
        with language(grade.language):
            (folder / f"{names[grade.id]}.md").write_text(
                markdown_text(grade, grades.title), encoding="utf-8")
            (folder / f"{names[grade.id]}.html").write_text(
                html_text(grade, grades.title), encoding="utf-8")
    return len(grades.grades)
