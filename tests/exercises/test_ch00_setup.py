"""Exercises of chapter 00, each with a right, a blank, a missing and wrong answers."""

import torch
from exercise_harness import Case, standard_tests

from labkit.env import pick_device
from labkit.exercises.ch00_setup import Device, SeededNoise


def seeded_noise(seed, n):
    return torch.randn(n, generator=torch.Generator().manual_seed(seed))


def global_seeded(seed, n):
    """Also right: seeding the global generator gives the same numbers."""
    torch.manual_seed(seed)
    return torch.randn(n)


def unseeded(seed, n):
    return torch.randn(n)


CASES = [
    Case(Device, right={"device": pick_device()}, wrong=[
        ({"device": "cpu"}, "the type of `device`"),
        ({"device": torch.device("meta")}, "the best device on this machine"),
    ]),
    Case(SeededNoise, right={"seeded_noise": seeded_noise}, wrong=[
        ({"seeded_noise": unseeded}, "the same numbers both times"),
        ({"seeded_noise": lambda seed, n: torch.zeros(n)}, "the values of"),
        ({"seeded_noise": lambda seed, n: torch.randn(n + 1, generator=torch.Generator())},
         "the shape of"),
        ({"seeded_noise": lambda seed, n: seeded_noise(seed + 1, n)}, "the values of"),
    ], raising=[
        ({"seeded_noise": lambda seed, n: 1 / 0}, "ZeroDivisionError"),
    ]),
]

test_right, test_blank, test_missing, test_wrong, test_checker_bug = standard_tests(CASES)


def test_global_seed_is_also_right():
    """Is seeding the global generator accepted as well as a private generator?"""
    from labkit.check import evaluate

    assert evaluate(SeededNoise(), {"seeded_noise": global_seeded}, seed=3).passed
