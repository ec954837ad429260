"""Step 5, judge: check each exercise where the plan says, in the grader's process.

The verdict is reached here; the student's code runs only in the child. Each check
runs the same code as the notebook's ``q.x.check()``, through a host whose requests
cross to the child (``labkit.grade.run.RemoteHost``), with a seed drawn from the
run's secret salt, the submission's hash and the exercise. Checks of several
submissions take turns with torch's global random generator (``CHECK_LOCK``) and let go
of it while they wait for their child. The words are written in the notebook's
language; the statuses and points are the same in every language.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading

from labkit.check.exercise import run_check
from labkit.check.result import Outcome
from labkit.grade.pipeline import Row, Stop
from labkit.grade.text import Text
from labkit.i18n import N_

CHECK_LOCK = threading.Lock()
STATUS = {Outcome.PASSED: "passed", Outcome.INCORRECT: "incorrect",
          Outcome.NOT_ATTEMPTED: "not_attempted", Outcome.LEARNER_ERROR: "error",
          Outcome.CHECKER_BUG: "checker_bug"}
# "Parts": which parts of a partial-credit exercise were earned (titles only, no values).
PUBLIC_LABELS = ("Checked", "Hint", "Error", "Where", "Fix", "Parts")


def seed_for(salt: str, sha256: str, exercise: str) -> int:
    """A seed per submission and exercise: the same on a re-run, unknown to students."""
    digest = hashlib.sha256(f"{salt}:{sha256}:{exercise}".encode()).hexdigest()
    return int(digest[:8], 16) % 2**31


def step(work) -> None:
    plan = work.plan
    for number, exercise in enumerate(plan.order):
        if exercise.name in plan.gone:
            text = Text(N_("The cell that defines `{name}` was deleted from the notebook. "
                           "Copy it back from a fresh copy of the chapter, answer it, and "
                           "submit again."), {"name": plan.gone[exercise.name]}).render()
            work.rows.append(Row(exercise.name, number, "missing", 0.0,
                                 float(exercise.points), None, text, text))
            continue
        work.session.run_before(plan.positions[exercise.name])
        seed = seed_for(work.options.salt, work.sha256, exercise.name)
        with CHECK_LOCK:
            result = run_check(exercise(), work.session.host(CHECK_LOCK), seed=seed)
        work.rows.append(Row(exercise.name, number, STATUS[result.outcome], result.points,
                             float(exercise.points), seed, result.text(), public(result)))
    if work.out_of_memory:
        raise Stop("memory", N_("a cell ran out of memory"))


def public(result) -> str:
    """The check's words without the hidden inputs' expected values, in the same
    language and form as the notebook shows them."""
    kept = tuple((label, text) for label, text in result.details if label in PUBLIC_LABELS)
    return dataclasses.replace(result, details=kept).text()
