"""`labkit verify`: does it catch a hidden check that fails the reference solution, and
one that gives a blank notebook points?

One real run (chapter 01, two hidden checks: one sound, one broken each way) for the
module; the judging of a gradebook is also tested on rows made by hand.
"""

from __future__ import annotations

import contextlib
import io
import textwrap

import pytest

from labkit.cli import main
from labkit.grade.verify import problems

# One worker runs this module: its verify run is made once.
pytestmark = pytest.mark.xdist_group("verify")

HIDDEN = '''
import torch
from labkit.check import Exercise, expect

CHAPTER = "01_tensors"


class OneHotBig(Exercise):  # sound: the reference passes, a blank gets nothing
    name, title, points = "one_hot_big", "one_hot on many classes", 2

    def check(self, one_hot):
        labels = self.randint(0, 50, 30)
        found = self.call(one_hot, labels, 50, during="`one_hot(labels, 50)`")
        expect.close(found, torch.nn.functional.one_hot(labels, 50).float(), name="one_hot")


class WrongTarget(Exercise):  # broken: expects the wrong values
    name, title, points = "one_hot_wrong", "a hidden check with a bug", 1

    def check(self, one_hot):
        found = self.call(one_hot, torch.tensor([0, 1]), 2, during="`one_hot`")
        expect.close(found, torch.zeros(2, 2), name="one_hot")


class FreePoints(Exercise):  # broken: passes whatever it gets
    name, title, points = "free_points", "a hidden check that passes anything", 1

    def check(self):
        pass


EXERCISES = [OneHotBig, WrongTarget, FreePoints]
'''


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hidden")
    (folder / "ch01_hidden.py").write_text(textwrap.dedent(HIDDEN))
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = main(["verify", "--chapter", "01_tensors", "--extra-checks", str(folder),
                     "-q"])
    return code, said.getvalue()


def test_verify_fails_and_names_each_broken_check(verified):
    code, said = verified
    assert code == 1
    assert "01_tensors/one_hot_wrong: the reference solution got 0 of 1" in said
    assert "01_tensors/free_points: a blank notebook got 1 of 1 points" in said
    assert "one_hot_big" not in said  # the sound hidden check is not reported
    assert "01_tensors/one_hot:" not in said  # nor the public ones
    assert "problem(s)" in said


def _row(exercise, status, points, top=1.0):
    return {"exercise": exercise, "status": status, "points": points, "max_points": top,
            "message": "values of `x` differ"}


class _Book:
    def __init__(self, subs):
        self.subs = subs

    def submissions(self):
        return [{k: v for k, v in s.items() if k != "rows"} for s in self.subs]

    def results(self):
        return [{**r, "student": s["student"], "chapter": s["chapter"]}
                for s in self.subs for r in s["rows"]]


def _sub(student, rows, status="graded"):
    return {"student": student, "chapter": "03_mlp", "status": status, "reason": None,
            "notes": "[]", "rows": rows}


def test_partial_credit_for_the_reference_is_a_problem():
    book = _Book([_sub("reference", [_row("relu", "incorrect", 0.5)]),
                  _sub("blank", [_row("relu", "not_attempted", 0)])])
    assert problems(book) == ["03_mlp/relu: the reference solution got 0.5 of 1 "
                              "(incorrect): values of `x` differ"]


def test_sound_checks_give_no_problem_and_a_crash_is_one():
    sound = _Book([_sub("reference", [_row("relu", "passed", 1)]),
                   _sub("blank", [_row("relu", "not_attempted", 0)])])
    assert problems(sound) == []
    crashed = _Book([_sub("reference", [], status="timeout")])
    assert problems(crashed)[0].startswith("03_mlp: the reference notebook was not graded")
