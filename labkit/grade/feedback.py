"""Feedback for each student: ``feedback/<student>/<chapter>.md``, in their language.

Every word is the notebook's language (a Chinese notebook's feedback is Chinese from
the title to the last note): the labels through ``labkit.i18n``, the check's words as
the check wrote them. Student text (their name, their errors, file names) is escaped
(``escape.markdown``) or fenced (``escape.fence``), so no HTML or Markdown of theirs is
rendered. Folder names come from ``escape.file_names``: safe on every system and never
shared by two students.
"""

from __future__ import annotations

import json
from pathlib import Path

from labkit.grade.escape import fence, file_names, markdown, safe_name
from labkit.grade.report import by_submission, reason_of
from labkit.grade.statuses import NOT_GRADED, WORDS
from labkit.grade.text import load
from labkit.i18n import _, language, tidy


def write_feedback(book, folder: Path, *, show_hidden: bool = False) -> int:
    subs = by_submission(book)
    folders = file_names({student for student, _chapter in subs})
    for (student, chapter), sub in subs.items():
        target = folder / folders[student] / f"{safe_name(chapter)}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        with language(sub["language"]):
            target.write_text(feedback_text(sub, show_hidden=show_hidden), encoding="utf-8")
    return len(subs)


def feedback_text(sub: dict, *, show_hidden: bool = False) -> str:
    """The feedback as Markdown, in the current language."""
    rows = sub["rows"]
    total = sum(r["points"] for r in rows)
    top = sum(r["max_points"] for r in rows)
    lines = [tidy(_("# {chapter}: feedback for {student}").format(
        chapter=sub["chapter"], student=markdown(sub["student"]))), ""]
    reason = reason_of(sub)
    said = markdown(reason.render()) if reason else ""
    if sub["status"] in NOT_GRADED:
        lines += [tidy(_("**Not graded:** {reason}").format(reason=said)), ""]
        return "\n".join(lines).rstrip() + "\n"
    lines += [tidy(_("**Score: {points} of {total} points.**").format(
        points=f"{total:g}", total=f"{top:g}")), ""]
    if sub["status"] != "graded":
        lines += [tidy(_("**Grading stopped early ({status}):** {reason}. The points of the "
                         "exercises judged before that are kept.").format(
            status=_(WORDS[sub["status"]]), reason=said)), ""]
    for row in rows:
        status = _(WORDS.get(row["status"], row["status"]))
        lines += [tidy(_("## `{name}`: {status} ({points}/{total})").format(
            name=row["exercise"], status=status, points=f"{row['points']:g}",
            total=f"{row['max_points']:g}")), ""]
        lines += fence((row["message"] if show_hidden else row["public"]).strip())
        lines.append("")
    notes = load(sub["notes"])
    if notes:
        lines += [_("## Notes"), "", *[f"- {markdown(n.render())}" for n in notes], ""]
    cells = json.loads(sub["cells"] or "[]")
    if cells:
        ran = ", ".join(str(c["cell"] + 1) for c in cells)
        lines += [_("## Cells that ran"), "",
                  tidy(_("Only the cells the exercises need were run (code cells {cells}, "
                         "counting from 1).").format(cells=ran)), ""]
        for cell in cells:
            if cell["error"]:
                lines.append("- " + tidy(_("code cell {number} raised: {error}").format(
                    number=cell["cell"] + 1, error=markdown(cell["error"]))))
    return "\n".join(lines).rstrip() + "\n"
