"""Written answers: Markdown cells graded by a person, not a check.

A chapter source marks an answer cell with a tag ``answer:<question>``::

    # %% [markdown] tags=["answer:why_relu"]
    # *Write your answer here.*

and the assignment file gives the question its points and rubric
(``[written.why_relu]``). After grading, ``export`` reads each submission's answer
cells (from the file, checked against the hash the grader recorded) and writes, under
``<grades>/written/``, ``answers.csv`` (student, question, answer, points, comment: the
last two for the grader to fill in) and ``<question>.html``, every student's answer to
one question side by side, escaped. ``labkit gradebook import grades/ answers.csv``
brings the filled-in scores back (``read_scores``); they land in every export.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import math
from pathlib import Path

from labkit.grade.escape import csv_cell, safe_name

TAG = "answer:"
SCORES = "written_scores.csv"
COLUMNS = ("student", "question", "answer", "points", "comment")
MAX_ANSWER = 20_000  # characters kept of one answer


def answers_in(notebook: dict) -> dict[str, str]:
    """``{question: text}`` of a notebook's tagged Markdown cells (structure already
    validated by the grader's read step)."""
    found = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        tags = (cell.get("metadata") or {}).get("tags") or []
        for tag in tags if isinstance(tags, list) else []:
            if isinstance(tag, str) and tag.startswith(TAG):
                source = cell.get("source", "")
                text = "".join(source) if isinstance(source, list) else str(source)
                found[tag[len(TAG):]] = text[:MAX_ANSWER]
    return found


def collect(book, roots, owners: dict[str, str],
            placeholders: dict[str, str] | None = None) -> dict[tuple[str, str], str]:
    """``{(student id, question): answer}`` from the graded files; a file changed since
    it was graded is skipped (its answer would not be the one graded), and an answer
    still as handed out (``placeholders``) is no answer."""
    placeholders = placeholders or {}
    answers = {}
    for sub in book.submissions():
        if sub["status"] != "graded" or sub["student"] not in owners:
            continue
        for root in roots:
            path = Path(root) / sub["path"]
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() != sub["sha256"]:
                    break
                for question, text in answers_in(json.loads(data)).items():
                    if text.strip() != placeholders.get(question, "").strip():
                        answers[(owners[sub["student"]], question)] = text
                break
    return answers


def export(folder: Path, answers, questions, students) -> list[Path]:
    """``answers.csv`` and one HTML page per question; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "answers.csv"
    with open(table, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for question in questions:
            for student in students:
                text = answers.get((student, question.question), "")
                writer.writerow([csv_cell(student), csv_cell(question.question),
                                 csv_cell(text), "", ""])
    written = [table]
    for question in questions:
        rubric = "".join(f"<li>{html.escape(t)} ({p:g})</li>" for t, p in question.rubric)
        rows = "".join(
            f"<tr><th>{html.escape(s)}</th><td><pre>"
            f"{html.escape(answers.get((s, question.question), '')) or '<em>no answer</em>'}"
            f"</pre></td></tr>" for s in students)
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
                f"{html.escape(question.question)}</title><style>pre{{white-space:pre-wrap}}"
                f"td,th{{border:1px solid #ccc;padding:6px;vertical-align:top}}</style>"
                f"</head><body><h1>{html.escape(question.question)} ({question.points:g} "
                f"points)</h1><ul>{rubric}</ul><table>{rows}</table></body></html>\n")
        path = folder / f"{safe_name(question.question)}.html"
        path.write_text(page, encoding="utf-8")
        written.append(path)
    return written


def read_scores(path: Path, questions, students) -> dict[tuple[str, str], tuple[float, str]]:
    """``{(student, question): (points, comment)}`` from a filled-in ``answers.csv``;
    rows left blank are not graded yet. A score above the question's points, an unknown
    student or question stops with the line's number."""
    tops = {q.question: q.points for q in questions}
    scores = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            student, question = (row.get("student") or "").strip(), (row.get("question")
                                                                      or "").strip()
            text = (row.get("points") or "").strip()
            if not text:
                continue
            if question not in tops or student not in students:
                raise ValueError(f"{path}, line {number}: unknown "
                                 f"{'question' if question not in tops else 'student'} "
                                 f"{question if question not in tops else student!r}")
            try:
                points = float(text)
            except ValueError:
                points = math.nan
            if not (0 <= points <= tops[question]):
                raise ValueError(f"{path}, line {number}: {text!r} points for {question}: "
                                 f"give a number from 0 to {tops[question]:g}")
            scores[(student, question)] = (points, (row.get("comment") or "").strip())
    return scores
