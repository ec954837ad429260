"""Partial credit: an exercise in weighted parts earns the parts it gets right."""

import pytest
import torch

from labkit.check import Exercise, Outcome, expect, run_check
from labkit.i18n import language


class Standardise(Exercise):
    name, title, points = "standardise", "Standardise rows", 3
    parts = (("the values", 2), ("without a loop", 1))  # English only: a test exercise

    def check(self, f):
        with self.part("the values"):
            x = self.randn(4, 3)
            found = self.call(f, x, during="`f(x)`")
            expect.close(found, (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True),
                         name="f(x)")
        with self.part("without a loop"):
            self.no_loop(f, lambda n: (self.randn(n, n),), during="`f(x)`")


def right(x):
    return (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True)


def looped(x):
    return torch.stack([(r - r.mean()) / r.std() for r in x])


def test_every_part_right_is_full_marks():
    result = run_check(Standardise(), {"f": right}, seed=0)
    assert result.outcome is Outcome.PASSED and result.points == 3


def test_a_part_missed_costs_its_weight_and_is_explained():
    result = run_check(Standardise(), {"f": looped}, seed=0)
    assert result.outcome is Outcome.INCORRECT
    assert result.points == 2 and result.max_points == 3
    text = result.text()
    assert "the values: earned; without a loop: not earned" in text
    assert "grows with the input" in text  # the first part missed, explained


def test_parts_missed_are_all_listed():
    result = run_check(Standardise(), {"f": lambda x: torch.stack([r for r in x])}, seed=0)
    assert result.points == 0 and "the values: not earned" in result.text()


def test_an_error_in_a_later_part_keeps_what_was_earned():
    calls = []

    def breaks_later(x):
        calls.append(1)
        if len(calls) > 1:
            raise ValueError("boom")
        return right(x)

    result = run_check(Standardise(), {"f": breaks_later}, seed=0)
    assert result.outcome is Outcome.LEARNER_ERROR and result.points == 2


def test_a_part_must_be_declared():
    class Undeclared(Standardise):
        def check(self, f):
            with self.part("something else"):
                pass

    assert run_check(Undeclared(), {"f": right}, seed=0).outcome is Outcome.CHECKER_BUG


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_parts_line_speaks_the_learners_language(lang):
    with language(lang):
        text = run_check(Standardise(), {"f": looped}, seed=0).text()
    english = "Parts: the values: earned; without a loop: not earned"
    assert (english in text) == (lang == "en")
    assert ("各部分：" in text) == (lang == "zh")
