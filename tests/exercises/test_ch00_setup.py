"""Exercises of chapter 00, each with a right, a blank, a missing and wrong answers."""

import torch
from exercise_harness import Case, chinese_test, solution_names, standard_tests

from labkit.check import run_check
from labkit.exercises.ch00_setup import Device, SeededNoise

# --- device --------------------------------------------------------------------------


def best_device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def with_accelerator_api():
    """Also right: the newer torch.accelerator API."""
    accelerator = torch.accelerator.current_accelerator()
    return accelerator if accelerator is not None else torch.device("cpu")


_FIXED = best_device()  # asked once, when the cell ran


def mps_first():
    if torch.backends.mps.is_available():
        return torch.device("mps")
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def cuda_or_cpu():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def as_string():
    return "cuda" if torch.cuda.is_available() else "cpu"


# --- seeded_noise --------------------------------------------------------------------


def seeded_noise(seed, n):
    return torch.randn(n, generator=torch.Generator().manual_seed(seed))


def global_seeded(seed, n):
    torch.manual_seed(seed)
    return torch.randn(n)


def unseeded(seed, n):
    return torch.randn(n)


def draws_after_seeding(seed, n):
    """Right numbers, then one more draw from the global generator."""
    torch.rand(1)
    return seeded_noise(seed, n)


CASES = [
    Case(Device, right={"device": best_device}, wrong=[
        ({"device": lambda: torch.device("cpu")}, "a CUDA GPU"),
        ({"device": lambda: _FIXED}, "`cuda`"),
        ({"device": mps_first}, "both a CUDA GPU and MPS"),
        ({"device": cuda_or_cpu}, "Apple's MPS"),
        ({"device": as_string}, "a `torch.device`"),
        ({"device": torch.device("cpu")}, "something callable"),
    ]),
    Case(SeededNoise, right={"seeded_noise": seeded_noise}, wrong=[
        ({"seeded_noise": unseeded}, "the same numbers both times"),
        ({"seeded_noise": lambda seed, n: torch.zeros(n)}, "the values of"),
        ({"seeded_noise": lambda seed, n: torch.randn(n + 1, generator=torch.Generator())},
         "the shape of"),
        ({"seeded_noise": lambda seed, n: seeded_noise(seed + 1, n)}, "the values of"),
        ({"seeded_noise": global_seeded}, "global generator"),
        ({"seeded_noise": draws_after_seeding}, "global generator"),
    ], raising=[
        ({"seeded_noise": lambda seed, n: 1 / 0}, "ZeroDivisionError"),
    ]),
]

(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES, names=solution_names())
test_chinese = chinese_test(CASES)


def test_other_right_answers_pass():
    """Is the torch.accelerator API accepted too?"""
    for seed in (0, 3):
        result = run_check(Device(), {"device": with_accelerator_api}, seed=seed)
        assert result.passed, result.text()
