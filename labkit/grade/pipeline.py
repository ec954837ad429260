"""Grading one submission: a list of small steps, and the boundary around them.

    read -> restore -> plan -> run -> judge -> record

Each step is a module with one ``step(work)`` function that reads and fills the
``Work`` it is given (see each module's docstring for its policy). A step that must
end the submission raises ``Stop(status, reason)``. The loop here owns the
submission's boundary: a ``Stop`` becomes the submission's status; any other exception
becomes ``grader_error``, its traceback goes to the instructor's log (never to the
feedback) and the batch goes on; whatever a step started (a child process) is ended
by the loop; ``record`` always runs last. A new step is one module and one entry in
``STEPS``.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from labkit.grade.statuses import NOT_GRADED
from labkit.grade.text import Text
from labkit.i18n import N_, language


class Stop(Exception):
    """End this submission with ``status``; ``template`` (English, marked with N_) and
    ``fields`` say why."""

    def __init__(self, status: str, template: str, **fields):
        super().__init__(template.format(**fields))
        self.status, self.reason = status, Text(template, fields)


@dataclass
class Row:
    exercise: str
    position: int
    status: str
    points: float
    max_points: float
    seed: int | None
    message: str  # the same words the notebook's check shows, in the student's language
    public: str  # the message without hidden inputs and expected values


@dataclass
class CellRun:
    index: int
    origin: str
    seconds: float
    error: str | None = None


@dataclass
class Work:
    """One submission on its way through the steps."""

    found: object  # labkit.grade.discover.Found
    course: object  # labkit.grade.course.Course
    options: object  # labkit.grade.batch.Options
    expected_sha256: str | None = None  # from the first read: the file must not change
    sha256: str = ""
    nb: dict | None = None
    chapter: str | None = None
    language: str | None = None
    exercises: list = field(default_factory=list)
    restored: object = None
    plan: object = None
    session: object = None
    status: str = "graded"
    reason: Text | None = None
    rows: list[Row] = field(default_factory=list)
    cells: list[CellRun] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)
    output_dropped: int = 0
    shown_paths: str | None = None  # several files' paths (an ambiguous submission)
    out_of_memory: bool = False  # a cell's error was the allocator's (the child says)
    protections: dict = field(default_factory=dict)
    seconds: float = 0.0
    cleanup: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def student(self) -> str:
        return self.found.student

    @property
    def key(self) -> tuple[str, str]:
        return (self.found.student, self.chapter or self.found.name_key[1])


def grade(work: Work, steps, *, log=None, finish=None) -> Work:
    """Run ``steps`` over ``work``; then ``finish`` (record) whatever happened."""
    start = time.perf_counter()
    try:
        for step in steps:
            with language(work.language):
                step(work)
    except Stop as stop:
        _stopped(work, stop.status, stop.reason)
    except Exception as err:  # noqa: BLE001 - the boundary: one submission, not the batch
        if getattr(err, "learner_process_lost", False):
            _stopped(work, err.status, err.text)
        else:
            _stopped(work, "grader_error", Text(N_("the grader failed on this submission "
                                                   "({error}); it will be graded again on "
                                                   "the next run"),
                                                {"error": type(err).__name__}))
            if log is not None:
                log(work, traceback.format_exc())
    finally:
        work.cleanup.close()
        work.seconds += time.perf_counter() - start
    if finish is not None:
        try:
            finish(work)
        except Exception:  # noqa: BLE001 - recording failed: say so, keep the batch going
            if log is not None:
                log(work, traceback.format_exc())
    return work


def _stopped(work: Work, status: str, reason: Text) -> None:
    """The submission ends here; exercises not judged yet get its status (a file that
    could not be graded at all gets no rows: no points, not a row of zeros)."""
    work.status, work.reason = status, reason
    if status in NOT_GRADED:
        work.rows.clear()
        return
    judged = {r.exercise for r in work.rows}
    order = work.plan.order if work.plan is not None else work.exercises
    for number, exercise in enumerate(order):
        if exercise.name not in judged:
            with language(work.language):
                message = Text(N_("Not judged: {reason}."), {"reason": reason.render()})
                text = message.render()
            work.rows.append(Row(exercise.name, number, status, 0.0, float(exercise.points),
                                 None, text, text))


def log_to(path: Path):
    """A ``log`` for ``run``: tracebacks appended to the instructor's log file."""
    import threading

    lock = threading.Lock()

    def log(work: Work, text: str) -> None:
        with lock, open(path, "a", encoding="utf-8") as handle:
            handle.write(f"--- {work.found.shown} ({work.student}): {time.ctime()}\n{text}\n")
    return log
