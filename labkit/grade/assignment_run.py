"""An assignment's files, remembered with its gradebook and written again on request.

``labkit grade ... --assignment A --roster R --overrides O`` grades as before, then
stores those paths and the submission folders in ``<grades>/assignment-settings.json``
and writes ``<grades>/assignment/`` (``labkit.grade.exports``) and the written answers
to grade by hand (``<grades>/assignment/written/``). ``labkit gradebook export`` and
``labkit gradebook import`` read the same settings, so a changed overrides file or
newly imported written scores reach every export with one command and nothing graded
again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from labkit.grade import written

SETTINGS = "assignment-settings.json"
FOLDER = "assignment"
KEYS = ("assignment", "roster", "overrides", "course")


def save(out: Path, roots, **paths) -> dict:
    """Store the assignment's files (absolute) beside the gradebook; the settings."""
    stored = load(out)
    stored["roots"] = [str(Path(r).resolve()) for r in roots] or stored.get("roots", [])
    for key in KEYS:
        if paths.get(key) is not None:
            stored[key] = str(Path(paths[key]).resolve())
    (Path(out) / SETTINGS).write_text(json.dumps(stored, indent=1), encoding="utf-8")
    return stored


def load(out: Path) -> dict:
    path = Path(out) / SETTINGS
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _parts(out: Path, settings: dict):
    from labkit.grade import assignment, overrides, roster, times

    plan = assignment.load(settings.get("assignment") and Path(settings["assignment"]))
    students = roster.load(settings.get("roster") and Path(settings["roster"]))
    changes = overrides.load(settings.get("overrides") and Path(settings["overrides"]))
    roots = [Path(r) for r in settings.get("roots", [])]
    return plan, students, changes, roots, times.read_manifest(roots)


def compute(out: Path, book):
    """The assignment's grades (``labkit.grade.final``) from the stored settings."""
    from labkit.grade import final, overrides

    settings = load(out)
    plan, students, changes, roots, manifest = _parts(out, settings)
    scores = {}
    if (Path(out) / written.SCORES).is_file():
        ids = set(students) if students is not None else {s["student"] for s in
                                                          book.submissions()}
        scores = written.read_scores(Path(out) / written.SCORES, plan.written, ids)
    grades = final.compute(book, assignment=plan, roster=students, overrides=changes,
                           written_scores=scores, roots=roots, manifest=manifest)
    names = {line.name for g in grades.grades for line in g.lines} | {
        q.question for q in plan.written}
    overrides.check_known(changes, {g.id for g in grades.grades}, names)
    return grades, plan, roots


def write(out: Path, book, echo=print) -> Path:
    """Write ``<out>/assignment/``: the exports, the feedback, the written answers."""
    from labkit.grade import exports

    out = Path(out)
    grades, plan, roots = compute(out, book)
    folder = out / FOLDER
    exports.write_all(grades, folder)
    if plan.written:
        placeholders = _placeholders(load(out).get("course"), grades.chapter)
        answers = written.collect(book, roots, _owners(grades), placeholders)
        written.export(folder / "written", answers, plan.written,
                       [g.id for g in grades.grades])
    missing = sum(g.status == "missing" for g in grades.grades)
    echo(f"Assignment {grades.title}: {len(grades.grades)} students, {missing} missing, "
         f"{len(grades.unmatched)} folder(s) matching nobody; files in {folder}/")
    for name in grades.unmatched:
        echo(f"  matched nobody on the roster: {name!r}")
    return folder


def _placeholders(course, chapter: str) -> dict[str, str]:
    """The answer cells' text as handed out: an answer left like that is no answer."""
    from labkit.grade.course import Course

    try:
        return written.answers_in(Course(Path(course) if course else None).reference(chapter))
    except (FileNotFoundError, ValueError):
        return {}


def _owners(grades) -> dict[str, str]:
    return {g.folder: g.id for g in grades.grades if g.folder}


def import_scores(out: Path, path: Path, book, echo=print) -> Path:
    """Check a filled-in ``answers.csv`` against the assignment, keep it beside the
    gradebook, and write every export again."""
    out = Path(out)
    settings = load(out)
    plan, students, _changes, _roots, _manifest = _parts(out, settings)
    if not plan.written:
        raise ValueError("this assignment has no written questions ([written.<question>] "
                         "in the assignment file given to `labkit grade --assignment`)")
    ids = set(students) if students is not None else {s["student"] for s in book.submissions()}
    scores = written.read_scores(Path(path), plan.written, ids)
    shutil.copyfile(path, out / written.SCORES)
    echo(f"Imported {len(scores)} written score(s) from {path}")
    return write(out, book, echo=echo)
