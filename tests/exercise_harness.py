"""The five standard tests every exercise gets, from a table of answers.

A chapter's test module lists one ``Case`` per exercise::

    CASES = [
        Case(Relu,
             right={"relu": lambda x: x.clamp(min=0)},
             wrong=[({"relu": lambda x: x}, "values of `relu(x)`")]),
    ]
    (test_right, test_blank, test_missing, test_wrong, test_checker_bug,
     test_solution) = standard_tests(CASES, names=solution_names())

and gets, for each exercise: the right answer passes; the placeholder ``...`` is
"not attempted"; a missing variable is "not attempted" and named; every wrong answer
is "incorrect" with the given fragment in its message; a fault inside the checker is
reported as a checker bug, never as the learner's fault; and the exercise's own
``solution`` text (what ``q.x.solution()`` shows), run in a namespace holding ``names``,
passes.
"""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass, field

import pytest
import torch
import torch.nn.functional as F
from torch import nn, optim

from labkit.check import Outcome, expect, run_check, variables

SEEDS = (0, 1, 12345)  # fixed and varied: a check must hold for any seed


@dataclass
class Case:
    exercise: type
    right: dict
    wrong: list = field(default_factory=list)  # [(answers, fragment)]
    # Wrong answers that are an error in the learner's code rather than incorrect.
    raising: list = field(default_factory=list)  # [(answers, fragment)]
    # Why the exercise's solution text cannot run in a test (None: it runs).
    solution_skip: str | None = None

    @property
    def id(self) -> str:
        return self.exercise.name


def _run(case: Case, answers: dict, seed: int = 0):
    return run_check(case.exercise(), {**case.right, **answers}, seed=seed)


def solution_names(**extra) -> dict:
    """What a notebook has imported when a solution runs: torch, nn, F, optim (and extra)."""
    return {"torch": torch, "nn": nn, "F": F, "optim": optim, **extra}


def run_solution(exercise: type, names: dict) -> dict:
    """The namespace after running ``exercise.solution``, its source kept for ``inspect``."""
    filename = f"<solution of {exercise.name}>"
    text = exercise.solution.strip() + "\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = dict(names)
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102 - the course's own text
    return namespace


def standard_tests(cases: list[Case], *, names: dict | None = None):
    if not cases:
        raise ValueError("standard_tests needs at least one Case")
    for case in cases:
        if not case.wrong:
            raise ValueError(f"{case.id}: every exercise needs at least one wrong answer")
    ids = [c.id for c in cases]
    parametrize = pytest.mark.parametrize("case", cases, ids=ids)

    @parametrize
    @pytest.mark.parametrize("seed", SEEDS)
    def test_right(case, seed):
        """Does the reference answer pass, whatever the seed?"""
        result = run_check(case.exercise(), case.right, seed=seed)
        assert result.outcome is Outcome.PASSED, result.text()
        assert result.points == case.exercise.points

    @parametrize
    def test_blank(case):
        """Is the untouched placeholder `...` reported as not attempted?"""
        for var in variables(case.exercise()):
            result = _run(case, {var: ...})
            assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
            assert f"`{var}`" in result.text()
            assert result.points == 0

    @parametrize
    def test_missing(case):
        """Is a missing variable reported as not attempted, by name?"""
        for var in variables(case.exercise()):
            namespace = {k: v for k, v in case.right.items() if k != var}
            result = run_check(case.exercise(), namespace, seed=0)
            assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
            assert f"Found no variable `{var}`" in result.text()

    @parametrize
    @pytest.mark.parametrize("seed", SEEDS)
    def test_wrong(case, seed):
        """Does every plausible wrong answer fail, with the expected words?"""
        for answers, fragment in case.wrong:
            result = _run(case, answers, seed)
            assert result.outcome is Outcome.INCORRECT, result.text()
            assert fragment in result.text(), result.text()
            assert result.points == 0
        for answers, fragment in case.raising:
            result = _run(case, answers, seed)
            assert result.outcome is Outcome.LEARNER_ERROR, result.text()
            assert fragment in result.text(), result.text()

    @parametrize
    def test_checker_bug(case, monkeypatch):
        """Is a fault inside the checker reported as a checker bug?"""
        def broken(*args, **kwargs):
            raise KeyError("simulated fault in the checker")

        for name in expect.__all__:
            monkeypatch.setattr(expect, name, broken)
        result = run_check(case.exercise(), case.right, seed=0)
        assert result.outcome is Outcome.CHECKER_BUG, result.text()
        assert "not your fault" in result.text()

    @parametrize
    def test_solution(case):
        """Does the solution that `q.x.solution()` shows pass its own check?"""
        if case.solution_skip:
            pytest.skip(case.solution_skip)
        assert case.exercise.solution.strip(), f"{case.id} has no solution text"
        namespace = run_solution(case.exercise, solution_names() if names is None else names)
        for seed in SEEDS[:2]:
            result = run_check(case.exercise(), namespace, seed=seed)
            assert result.outcome is Outcome.PASSED, result.text()

    return test_right, test_blank, test_missing, test_wrong, test_checker_bug, test_solution


_CJK = re.compile(r"[\u4e00-\u9fff]")
_CODE = re.compile(r"`[^`]*`")
_ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,}){2,}")
# Values a learner's own code wrote (its exception text, its line) stay as they were.
_VERBATIM_LABELS = ("错误：", "位置：")


def english_left(text: str) -> list[str]:
    """Lines of a Chinese message that still hold three English words in a row, outside
    code spans (and outside the learner's own error text)."""
    left = []
    for line in text.splitlines():
        if line.startswith(_VERBATIM_LABELS):
            continue
        if _ENGLISH_RUN.search(_CODE.sub("", line)):
            left.append(line)
    return left


def chinese_test(cases: list[Case]):
    """In Chinese, every wrong answer keeps its outcome and reads in Chinese; so do the
    exercise's title and hints. Use as ``test_chinese = chinese_test(CASES)``."""
    from labkit.i18n import _, language

    @pytest.mark.parametrize("case", cases, ids=lambda c: c.id)
    def test_chinese(case):
        with language("zh"):
            title, hints = _(case.exercise.title), [_(h) for h in case.exercise.hints]
        assert _CJK.search(title), f"title not translated: {title!r}"
        for hint in hints:
            assert _CJK.search(hint), f"hint not translated: {hint!r}"
        for answers, _fragment in [*case.wrong, *case.raising]:
            english = _run(case, answers)
            with language("zh"):
                chinese = _run(case, answers)
                text = chinese.text()
            assert chinese.outcome is english.outcome, text
            assert _CJK.search(text), text
            assert not english_left(text), f"English left in:\n{text}"
    return test_chinese
