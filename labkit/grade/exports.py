"""An assignment's grades in the formats learning platforms import, keyed by roster id.

Written under ``<grades>/assignment/`` by ``write_all``:

- ``grades.csv``: id, name, email, section, status, one column per exercise and written
  question, earned, late_days, penalty, total, max (ours; every other file follows it).
- ``canvas.csv``: Canvas's gradebook import: ``Student, ID, SIS User ID, SIS Login ID,
  Section`` then one column named after the assignment, and a ``Points Possible`` row
  under the header. Rows are matched on ``SIS User ID`` (the roster id); ``ID``
  (Canvas's own number) is left blank, which Canvas accepts when another id is given.
- ``moodle.csv``: for Moodle's "Import grades: CSV file": ``ID number, Email address,
  Full name``, the grade item's column and ``Feedback``; map "ID number" (or "Email
  address") to the user on the import page.
- ``gradescope/<id>/results.json``: Gradescope's autograder results: ``score``,
  ``output``, ``tests`` (``name``, ``score``, ``max_score``, ``status``, ``output``,
  ``visibility``), ``visibility``.

Totals are after the late penalty; the maximum is the assignment's. Every CSV cell
goes through ``escape.csv_cell`` and every file name made from an id through
``escape.file_names``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from labkit.grade.escape import csv_cell, file_names


def _fmt(points: float) -> str:
    return f"{points:g}"


def _writer(handle):
    writer = csv.writer(handle)
    return lambda row: writer.writerow([csv_cell(cell) for cell in row])


def columns(grades) -> list[str]:
    names: list[str] = []
    for grade in grades.grades:
        names += [line.name for line in grade.lines if line.name not in names]
    return names


def write_grades(grades, path: Path) -> Path:
    names = columns(grades)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write = _writer(handle)
        write(["id", "name", "email", "section", "status", *names, "earned", "late_days",
               "penalty", "total", "max"])
        for grade in grades.grades:
            cells = {line.name: (line.status if line.status == "excused"
                                 else _fmt(line.points)) for line in grade.lines}
            write([grade.id, grade.name, grade.email, grade.section, grade.status,
                   *(cells.get(n, "") for n in names), _fmt(grade.earned), grade.late_days,
                   _fmt(grade.penalty), _fmt(grade.total), _fmt(grade.maximum)])
    return path


def maximum(grades) -> float:
    return max((g.maximum for g in grades.grades if g.status != "missing"), default=0.0) \
        or max((g.maximum for g in grades.grades), default=0.0)


def write_canvas(grades, path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write = _writer(handle)
        write(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", grades.title])
        write(["Points Possible", "", "", "", "", _fmt(maximum(grades))])
        for grade in grades.grades:
            write([grade.name, "", grade.id, "", grade.section, _fmt(grade.total)])
    return path


def write_moodle(grades, path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write = _writer(handle)
        write(["ID number", "Email address", "Full name", grades.title, "Feedback"])
        for grade in grades.grades:
            summary = (f"{grade.status}" if grade.status != "graded" else "") + (
                f"; late {grade.late_days} day(s), -{_fmt(grade.penalty)}"
                if grade.late_days else "")
            write([grade.id, grade.email, grade.name, _fmt(grade.total),
                   summary.strip("; ")])
    return path


def gradescope_result(grade) -> dict:
    tests = [{"name": line.name, "score": line.points, "max_score": line.max_points,
              "status": "passed" if line.points >= line.max_points else "failed",
              "output": "\n".join(filter(None, [line.public.strip(), line.reason])),
              "visibility": "visible"} for line in grade.lines if line.status != "excused"]
    output = f"{grade.status}"
    if grade.late_days:
        output += (f"; {grade.late_days} day(s) late: -{_fmt(grade.penalty)} points")
    return {"score": grade.total, "output": output, "tests": tests, "visibility": "visible"}


def write_gradescope(grades, folder: Path) -> list[Path]:
    names = file_names({g.id for g in grades.grades})
    paths = []
    for grade in grades.grades:
        if grade.status == "missing":  # a result per submission: none without one
            continue
        path = folder / names[grade.id] / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope_result(grade), indent=1), encoding="utf-8")
        paths.append(path)
    return paths


def write_all(grades, folder: Path) -> dict[str, Path]:
    from labkit.grade import assignment_feedback

    folder.mkdir(parents=True, exist_ok=True)
    written = {"grades": write_grades(grades, folder / "grades.csv"),
               "canvas": write_canvas(grades, folder / "canvas.csv"),
               "moodle": write_moodle(grades, folder / "moodle.csv")}
    write_gradescope(grades, folder / "gradescope")
    assignment_feedback.write(grades, folder / "feedback")
    if grades.unmatched or grades.notes:
        lines = [*(f"matched nobody: {f!r}" for f in grades.unmatched), *grades.notes]
        (folder / "roster-report.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written
