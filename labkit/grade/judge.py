"""Grade one submission: restore it, run the cells each exercise needs, judge each one.

The verdict is reached here, in the grader's process; the student's code runs only in
the child (``labkit.grade.process``). Exercises are judged in notebook order, and each
result is handed to ``on_row`` as soon as it exists, so a submission that crashes,
loops or exits later keeps the points it had already earned.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

from labkit.check.exercise import run_check, variables
from labkit.check.result import Outcome
from labkit.grade import plan
from labkit.grade.process import LearnerProcess, LearnerProcessLost
from labkit.grade.restore import restore
from labkit.grade.submission import (
    Invalid,
    Submission,
    chapter_of,
    content_hash,
    language_of,
    read,
)
from labkit.i18n import language
from labkit.notebook.build import CHECK_CALL

# Checks in different threads take turns with torch's global random generator (see
# labkit.grade.process.RemoteHost); they let go of it while they wait for a child.
CHECK_LOCK = threading.Lock()
STATUS = {Outcome.PASSED: "passed", Outcome.INCORRECT: "incorrect",
          Outcome.NOT_ATTEMPTED: "not_attempted", Outcome.LEARNER_ERROR: "error",
          Outcome.CHECKER_BUG: "checker_bug"}


@dataclass
class Row:
    exercise: str
    position: int
    status: str
    points: float
    max_points: float
    seed: int | None
    message: str  # the same words the notebook's check shows
    public: str  # the message without hidden inputs and expected values


@dataclass
class CellRun:
    index: int
    origin: str
    seconds: float
    error: str | None = None


@dataclass
class Graded:
    submission: Submission
    sha256: str
    chapter: str | None = None
    status: str = "graded"  # graded, invalid, timeout, memory, crashed
    reason: str = ""
    rows: list[Row] = field(default_factory=list)
    cells: list[CellRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output_dropped: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Options:
    timeout: float = 300.0
    memory_mb: int = 2048
    sandbox: bool = False
    salt: str = ""
    chapter: str | None = None
    jobs: int = 1
    data_dir: str | None = None
    hide: tuple[str, ...] = ()


def seed_for(salt: str, sha256: str, exercise: str) -> int:
    """A seed per submission and exercise: the same on a re-run, unknown to students."""
    digest = hashlib.sha256(f"{salt}:{sha256}:{exercise}".encode()).hexdigest()
    return int(digest[:8], 16) % 2**31


def judge(submission: Submission, course, options: Options, on_row=lambda row: None,
          sha256: str | None = None) -> Graded:
    start = time.perf_counter()
    graded = Graded(submission, sha256 or content_hash(submission.path))
    try:
        nb = read(submission.path)
        graded.chapter = options.chapter or chapter_of(nb, submission)
        exercises = course.exercises(graded.chapter)
        reference = course.reference(graded.chapter)
    except Invalid as err:
        graded.status, graded.reason = "invalid", str(err)
        graded.seconds = time.perf_counter() - start
        return graded
    restored = restore(nb, reference)
    graded.notes += restored.notes
    # The check's words are written in the notebook's language (a Chinese notebook's
    # feedback in Chinese); the statuses and points are the same in every language.
    with language(language_of(nb)):
        _grade_cells(graded, restored, exercises, options, on_row)
    graded.seconds = time.perf_counter() - start
    return graded


def _positions(cells, exercises) -> dict[str, int]:
    where = {}
    for index, cell in enumerate(cells):
        for name in CHECK_CALL.findall(cell.source):
            where.setdefault(name, index)
    return {e.name: where.get(e.name, len(cells)) for e in exercises}


def _grade_cells(graded: Graded, restored, exercises, options: Options, on_row) -> None:
    cells = restored.cells
    code = [plan.analyse(c.source) for c in cells]
    present = set().union(*(c.binds for c in code)) if code else set()
    deleted = set().union(*(plan.analyse(c.source).binds for c in restored.missing)) if (
        restored.missing) else set()
    positions = _positions(cells, exercises)
    order = sorted(exercises, key=lambda e: positions[e.name])
    needed = set().union(*(plan.needed_cells(code, variables(e), positions[e.name])
                           for e in exercises))
    ran: set[int] = set()
    process = None
    try:
        process = LearnerProcess(timeout=options.timeout, memory_mb=options.memory_mb,
                                 sandbox=options.sandbox, jobs=options.jobs,
                                 data_dir=options.data_dir, hide=options.hide,
                                 extra_paths=getattr(exercises, "paths", ()),
                                 probe_modules=getattr(exercises, "modules", ("labkit.",)))
        for number, exercise in enumerate(order):
            names = variables(exercise)
            gone = [n for n in names if n in deleted and n not in present]
            if gone:
                _emit(graded, on_row, _row(exercise, number, "missing", None,
                      f"The cell that defines `{gone[0]}` was deleted from the notebook. "
                      "Copy it back from a fresh copy of the chapter, answer it, and "
                      "submit again."))
                continue
            # Cells run in notebook order: everything any exercise needs that stands
            # before this exercise's check, so no cell ever runs after a later one.
            for index in sorted(i for i in needed if i < positions[exercise.name]):
                if index not in ran:
                    ran.add(index)
                    _run(process, graded, index, cells[index])
            seed = seed_for(options.salt, graded.sha256, exercise.name)
            with CHECK_LOCK:
                result = run_check(exercise(), process.host(CHECK_LOCK), seed=seed)
            row = _row(exercise, number, STATUS[result.outcome], seed, result.text(),
                       _public(result))
            row.points = result.points
            _emit(graded, on_row, row)
    except LearnerProcessLost as lost:
        graded.status, graded.reason = lost.status, lost.detail
        judged = {r.exercise for r in graded.rows}
        for number, exercise in enumerate(order):
            if exercise.name not in judged:
                _emit(graded, on_row, _row(exercise, number, lost.status, None,
                                           f"Not judged: {lost.detail}."))
    finally:
        if process is not None:
            process.stop()
    if any(run.error and "memory" in run.error.lower() for run in graded.cells) and (
            graded.status == "graded"):
        graded.status, graded.reason = "memory", "a cell ran out of memory"


def _run(process, graded: Graded, index: int, cell) -> None:
    reply = process.run_cell(cell.source)
    graded.output_dropped = max(graded.output_dropped, reply.get("dropped", 0))
    error = reply.get("error")
    if error and reply.get("memory"):
        error = f"out of memory: {error}"
    graded.cells.append(CellRun(index, cell.origin, reply.get("seconds", 0.0), error))


def _row(exercise, number, status, seed, message, public=None) -> Row:
    return Row(exercise.name, number, status, 0.0, float(exercise.points), seed, message,
               public if public is not None else message)


def _emit(graded: Graded, on_row, row: Row) -> None:
    graded.rows.append(row)
    on_row(row)


def _public(result) -> str:
    """The check's words without the hidden inputs' expected values."""
    lines = [result.headline()]
    if result.summary:
        lines.append(result.summary)
    for label, text in result.details:
        if label in ("Checked", "Hint", "Error", "Where", "Fix"):
            lines.append(f"{label}: {text}")
    return "\n".join(lines)
