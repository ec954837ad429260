"""Class 8 of issue 18: grading is a list of small steps, and the loop owns the boundary.

Also class 1's grader-side guarantees (an exception while judging one submission is
that submission's ``grader_error``, the batch goes on, a re-run retries it; a dead
fork server is replaced) and class 6's statuses (what a re-run grades again).
"""

import json
import multiprocessing.forkserver
import os
import signal
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import grade_fixtures as golden
import pytest

from labkit.grade import batch, judge, pipeline, plan, read, restore, run, statuses
from labkit.grade.batch import grade
from labkit.grade.gradebook import Gradebook
from labkit.grade.pipeline import Stop, Work
from labkit.grade.text import Text

# One worker runs this module: its shared fixture (a batch, an environment) is built once.
pytestmark = pytest.mark.xdist_group("pipeline")


def test_8_the_pipeline_is_one_list_of_step_modules():
    assert batch.STEPS == (read.step, restore.step, plan.step, run.step, judge.step)
    for number, module in enumerate((read, restore, plan, run, judge), start=1):
        assert module.__doc__.startswith(f"Step {number}, "), module.__name__


def _work(tmp_path, source=b"{}"):
    path = tmp_path / "alice" / "01_tensors.ipynb"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(source)
    found = SimpleNamespace(path=path, student="alice", chapter_hint="01_tensors",
                            shown="alice/01_tensors.ipynb", name_key=("alice", "01_tensors"))
    return Work(found, course=None, options=None)


def test_8_a_new_step_is_one_entry_and_the_loop_owns_the_boundary(tmp_path):
    """A step fills the work or raises Stop; an exception is the submission's
    grader_error, logged for the instructor; whatever a step started is ended."""
    seen, logged, ended = [], [], []

    def note(work):
        work.cleanup.callback(ended.append, "stopped")
        work.notes.append(Text("a note from a new step"))

    def broken(work):
        raise KeyError("a bug in the grader")

    good = json.dumps(golden._load()).encode()
    done = pipeline.grade(_work(tmp_path, good), [read.step, note], finish=seen.append)
    assert done.status == "graded" and done.chapter == "01_tensors"
    assert [n.english() for n in done.notes] == ["a note from a new step"]
    assert seen == [done] and ended == ["stopped"]
    stopped = pipeline.grade(_work(tmp_path), [lambda w: (_ for _ in ()).throw(
        Stop("invalid", "why: {x}", x=1))], finish=seen.append)
    assert (stopped.status, stopped.reason.english()) == ("invalid", "why: 1")
    failed = pipeline.grade(_work(tmp_path, good), [read.step, note, broken],
                            log=lambda work, text: logged.append(text), finish=seen.append)
    assert failed.status == "grader_error" and "KeyError" in failed.reason.english()
    assert "a bug in the grader" in logged[0] and "Traceback" in logged[0]
    assert "Traceback" not in failed.reason.render() and ended == ["stopped", "stopped"]


def test_6_a_rerun_grades_again_what_may_have_come_from_the_machine(tmp_path):
    book = Gradebook(tmp_path)
    for status in statuses.SUBMISSION:
        work = _work(tmp_path)
        work.found.student, work.chapter, work.status, work.sha256 = status, "01", status, "h"
        book.record(work, "v1")
        assert book.is_done(status, "01", "h", "v1") is (status in statuses.FINAL)
        assert not book.is_done(status, "01", "h", "v2")  # a changed grader grades again
    assert {"timeout", "memory", "grader_error"}.isdisjoint(statuses.FINAL)


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("boundary")
    golden.write_all(folder / "subs", cases=["correct", "wrong"])
    (folder / "subs" / "correct").rename(folder / "subs" / "boom")
    golden.write_all(folder / "subs", cases=["correct"])
    return folder


def test_1_an_exception_while_judging_one_submission_is_its_grader_error(subs, monkeypatch):
    def explode(work):
        if work.student == "boom":
            raise ZeroDivisionError("the grader divided by zero")
        return judge.step(work)

    monkeypatch.setattr(batch, "STEPS", batch.STEPS[:-1] + (explode,))
    out = subs / "out"
    grade([subs / "subs"], out, jobs=2, timeout=60, salt="b", progress=False,
          echo=lambda text: None)
    db = sqlite3.connect(out / "gradebook.sqlite")
    status = dict(db.execute("SELECT student, status FROM submissions"))
    assert status == {"boom": "grader_error", "correct": "graded", "wrong": "graded"}
    assert "the grader divided by zero" in (out / "grading.log").read_text()
    feedback = (out / "feedback" / "boom" / "01_tensors.md").read_text()
    assert "ZeroDivisionError" in feedback and "divided by zero" not in feedback
    monkeypatch.undo()
    said = []
    grade([subs / "subs"], out, jobs=2, timeout=60, salt="b", progress=False,
          echo=said.append)  # the re-run grades boom again, and only boom
    assert "Graded 1 submission(s)" in said[-1] and "2 unchanged skipped" in said[-1]
    assert dict(db.execute("SELECT student, status FROM submissions"))["boom"] == "graded"


def test_1_a_dead_fork_server_is_replaced(subs):
    server = multiprocessing.forkserver._forkserver._forkserver_pid
    if server is None:
        pytest.skip("no fork server started in this process")
    os.kill(server, signal.SIGKILL)
    book = grade([subs / "subs" / "wrong"], subs / "again", jobs=1, timeout=60, salt="b",
                 progress=False, echo=lambda text: None)
    assert [s["status"] for s in book.submissions()] == ["graded"]
    assert multiprocessing.forkserver._forkserver._forkserver_pid != server


def test_the_grader_version_covers_all_code_a_check_runs(tmp_path):
    """Derived from the package, not listed by hand: a changed helper regrades."""
    from labkit.grade.version import grader_version, package_files

    package = Path(__file__).resolve().parents[2] / "labkit"
    names = {p.relative_to(package).as_posix() for p in package_files()}
    for needed in ("models.py", "exercises/ch05_gpu_and_ddp/simulated_device.py",
                   "gloo_group.py", "check/plain.py", "grade/judge.py", "locale/zh/labkit.po"):
        assert needed in names
    assert any(n.startswith("exercises/") for n in names)
    chapter = tmp_path / "03_mlp.py"
    chapter.write_text("x = 1")
    before = grader_version([chapter])
    assert grader_version([chapter]) == before
    chapter.write_text("x = 2")
    assert grader_version([chapter]) != before
