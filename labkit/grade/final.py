"""From the gradebook to the grades of an assignment: the one place they are computed.

The grader's gradebook holds what the checks found, per folder and exercise. A grade
that counts also needs the instructor's decisions, each applied here, in this order:

1. the roster: each folder belongs to a roster id (``labkit.grade.roster``); a roster
   student with no submission is ``missing`` (0 points), a folder matching nobody is
   reported and left out of every export;
2. the points: each exercise scaled to the points the assignment gives it (partial
   credit keeps its share); 0 leaves it out;
3. the written answers' scores (``labkit.grade.written``), not yet graded ones at 0;
4. the overrides: points replaced, or the exercise excused (out of score and maximum),
   with the reason shown to the student;
5. the late penalty: a fraction of the points earned, from the submission time
   (``labkit.grade.times``) and the policy (``labkit.grade.assignment``).

Every export (``labkit.grade.exports``) and the feedback read the result, so they
agree. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from labkit.grade import roster as rosters
from labkit.grade.report import by_submission, reason_of
from labkit.grade.statuses import NOT_GRADED


@dataclass
class Line:
    name: str
    status: str  # the check's status, or written, ungraded, override, excused
    points: float
    max_points: float
    public: str = ""  # the check's words (or the grader's comment)
    reason: str = ""  # an override's reason


@dataclass
class Grade:
    id: str
    name: str
    email: str
    section: str
    chapter: str
    status: str  # a submission status, or "missing"
    folder: str = ""
    reason: str = ""
    lines: list[Line] = field(default_factory=list)
    submitted: datetime | None = None
    time_source: str = ""
    late_days: int = 0
    penalty: float = 0.0  # points taken
    language: str = "en"
    notes: list[str] = field(default_factory=list)

    @property
    def earned(self) -> float:
        return round(sum(line.points for line in self.lines if line.status != "excused"), 4)

    @property
    def maximum(self) -> float:
        return round(sum(line.max_points for line in self.lines
                         if line.status != "excused"), 4)

    @property
    def total(self) -> float:
        return round(max(self.earned - self.penalty, 0.0), 4)


@dataclass
class Grades:
    title: str
    chapter: str
    grades: list[Grade]
    unmatched: list[str]
    notes: list[str]


def compute(book, *, assignment, roster=None, overrides=None, written_scores=None,
            roots=(), manifest=None, chapter: str | None = None) -> Grades:
    from labkit.grade import times

    subs = by_submission(book)
    chapters = sorted({c for _s, c in subs})
    chapter = chapter or assignment.chapter or (chapters[0] if len(chapters) == 1 else None)
    if chapter is None:
        raise ValueError(f"the gradebook holds {len(chapters)} chapters "
                         f"({', '.join(chapters) or 'none'}); name the assignment's chapter "
                         "in the assignment file (chapter = \"03_mlp\")")
    subs = {s: sub for (s, c), sub in subs.items() if c == chapter}
    manifest = manifest or {}
    names = {folder: str(entry.get("name", "")) for folder, entry in manifest.items()}
    if roster is None:  # no roster: every folder is a student, known by its name
        roster = {f: rosters.Student(f, names.get(f, f), "") for f in subs}
    owners, unmatched, notes = rosters.match(subs, roster, names)
    folder_of = {sid: folder for folder, sid in owners.items()}
    grades = []
    for sid, student in roster.items():
        grade = Grade(sid, student.name, student.email, student.section, chapter, "missing")
        sub = subs.get(folder_of.get(sid, ""))
        if sub is not None:
            _fill(grade, sub, assignment)
            grade.submitted, grade.time_source = times.submitted_at(
                grade.folder, sub["path"], roots, manifest)
        grades.append(grade)
    _zero_lines(grades)
    for grade in grades:
        sid = grade.id
        for question in assignment.written:
            scored = (written_scores or {}).get((sid, question.question))
            grade.lines.append(
                Line(question.question, "written", scored[0], question.points, scored[1])
                if scored else Line(question.question, "ungraded", 0.0, question.points))
        for line in grade.lines:
            override = (overrides or {}).get((sid, line.name))
            if override is not None:
                line.status = "excused" if override.points is None else "override"
                line.points = 0.0 if override.points is None else min(
                    override.points, line.max_points)
                line.reason = override.reason
        _late(grade, assignment)
    return Grades(assignment.title(chapter), chapter, grades, unmatched, notes)


def _zero_lines(grades: list[Grade]) -> None:
    """A student with no judged exercise (missing, invalid) gets each exercise at 0, so
    that their maximum is the assignment's, like everyone's."""
    template = next((g.lines for g in grades if g.status == "graded" and g.lines), [])
    for grade in grades:
        if not grade.lines:
            grade.lines = [Line(line.name, grade.status, 0.0, line.max_points)
                           for line in template]


def _fill(grade: Grade, sub: dict, assignment) -> None:
    reason = reason_of(sub)
    grade.status, grade.folder = sub["status"], sub["student"]
    grade.reason = reason.english() if reason else ""
    grade.language = sub["language"] or "en"
    if sub["status"] in NOT_GRADED:
        return
    for row in sub["rows"]:
        if assignment.points.get(row["exercise"], 1) == 0:
            continue
        points, top = assignment.scale(row["exercise"], row["points"], row["max_points"])
        grade.lines.append(Line(row["exercise"], row["status"], points, top, row["public"]))


def _late(grade: Grade, assignment) -> None:
    if assignment.due is None or grade.submitted is None:
        return
    seconds = (grade.submitted - assignment.due).total_seconds()
    grade.late_days, fraction = assignment.late.penalty(seconds)
    grade.penalty = round(grade.earned * fraction, 4)
