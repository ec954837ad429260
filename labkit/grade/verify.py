"""``labkit verify``: before an assignment goes out, prove its checks grade as meant.

It grades, with the real grader (children, isolation, hidden checks and all), two
made-up students per chapter: ``reference``, who hands in the solved notebook built
from the chapter source, and ``blank``, who hands in the learner notebook untouched.
Every public and hidden check must give ``reference`` full points and ``blank`` none;
anything else is a problem, named with its exercise and the check's words. A hidden
check that fails the reference solution is a bug in the hidden check (or a solution
that the check's author did not foresee); one that gives a blank notebook points
would give them to every student.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

REFERENCE, BLANK = "reference", "blank"


def write_students(folder: Path, course, chapters) -> None:
    """``folder/reference/<chapter>.ipynb`` (solved) and ``folder/blank/...`` (learner)."""
    from labkit.notebook.build import learner_notebook, solved_notebook, to_text
    from labkit.notebook.project import repository_url

    url = repository_url(course.root)
    sources = course.sources()
    for chapter in chapters:
        if chapter not in sources:
            raise ValueError(f"chapter {chapter!r} has no source in {course.root}/notebooks/src")
        for student, solved in ((REFERENCE, True), (BLANK, False)):
            (folder / student).mkdir(parents=True, exist_ok=True)
            build = solved_notebook if solved else learner_notebook
            text = to_text(build(sources[chapter], url))
            (folder / student / f"{chapter}.ipynb").write_text(text)


def problems(book) -> list[str]:
    """What did not grade as meant, one line each (empty: the checks are sound)."""
    from labkit.grade.report import by_submission, reason_of

    found = []
    for (student, chapter), sub in sorted(by_submission(book).items()):
        if sub["status"] != "graded":
            reason = reason_of(sub)
            found.append(f"{chapter}: the {student} notebook was not graded "
                         f"({sub['status']}: {reason.english() if reason else ''})")
        for row in sub["rows"]:
            name = f"{chapter}/{row['exercise']}"
            if student == REFERENCE and (row["status"] != "passed"
                                         or row["points"] < row["max_points"]):
                words = row["message"].strip().splitlines()[:3]
                found.append(f"{name}: the reference solution got {row['points']:g} of "
                             f"{row['max_points']:g} ({row['status']}): " + " / ".join(words))
            if student == BLANK and row["points"] > 0:
                found.append(f"{name}: a blank notebook got {row['points']:g} of "
                             f"{row['max_points']:g} points; the check must give it none")
    return found


def verify(*, chapters=None, extra_checks=None, course_root=None, jobs=None,
           timeout: float = 600, unsafe: bool = False, echo=print) -> list[str]:
    """Grade the reference and blank students of ``chapters`` (default: all); the
    problems found."""
    from labkit.grade.batch import grade
    from labkit.grade.course import CHAPTERS, Course

    course = Course(course_root, extra_checks)
    chapters = list(chapters or CHAPTERS)
    with tempfile.TemporaryDirectory(prefix="labkit-verify-") as scratch:
        scratch = Path(scratch)
        write_students(scratch / "submissions", course, chapters)
        book = grade([scratch / "submissions"], scratch / "grades", jobs=jobs,
                     timeout=timeout, extra_checks=extra_checks, course_root=course_root,
                     unsafe=unsafe, salt="verify", progress=False,
                     echo=lambda *a: None)
        try:
            found = problems(book)
            counted = len(book.results())
        finally:
            book.close()
    echo(f"Checked {counted} exercise results over {len(chapters)} chapter(s): "
         f"{len(found)} problem(s).")
    for line in found:
        echo(f"  {line}")
    return found
