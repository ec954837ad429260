"""Exercises of chapter 00, each with a right, a blank, a missing and wrong answers."""

import functools

import torch
from exercise_harness import Case, chinese_test, solution_names, standard_tests
from torch.backends.mps import is_available as captured_mps
from torch.cuda import is_available as captured_cuda

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


def with_captured_names():
    """Also right: the availability functions imported under names of its own."""
    if captured_cuda():
        return torch.device("cuda")
    return torch.device("mps" if captured_mps() else "cpu")


def with_device_count():
    """Also right: counting the GPUs."""
    if torch.cuda.device_count() > 0:
        return torch.device("cuda:0")
    return torch.device("mps") if torch.backends.mps.is_available() else torch.device("cpu")


_FIXED = best_device()  # asked once, when the cell ran


@functools.cache
def asked_once():
    """Asks on its first call only, then keeps that answer."""
    return best_device()


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


def forked(seed, n):
    """Also right: the global generator seeded inside a fork that puts it back."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torch.randn(n)


def state_put_back(seed, n):
    """Also right: the global state saved and restored around the draw."""
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        return torch.randn(n)
    finally:
        torch.random.set_rng_state(state)


def seeded_only_with_itself(seed, n):
    """Seeds the global generator with the seed it had: still a changed generator."""
    torch.manual_seed(torch.initial_seed())
    return seeded_noise(seed, n)


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
        ({"device": asked_once}, "`device()` on a machine with a CUDA GPU"),
        ({"device": lambda: torch.device}, "a `torch.device`"),
    ]),
    Case(SeededNoise, right={"seeded_noise": seeded_noise}, wrong=[
        ({"seeded_noise": unseeded}, "the same numbers both times"),
        ({"seeded_noise": lambda seed, n: torch.zeros(n)}, "the values of"),
        ({"seeded_noise": lambda seed, n: torch.randn(n + 1, generator=torch.Generator())},
         "the shape of"),
        ({"seeded_noise": lambda seed, n: seeded_noise(seed + 1, n)}, "the values of"),
        ({"seeded_noise": global_seeded}, "global generator"),
        ({"seeded_noise": draws_after_seeding}, "global generator"),
        ({"seeded_noise": seeded_only_with_itself}, "global generator"),
        # a seed fixed in the code: right for seed 0 only
        ({"seeded_noise": lambda seed, n: seeded_noise(0, n)}, "the values of"),
        ({"seeded_noise": lambda seed, n: seeded_noise(seed, n).tolist()}, "the type of"),
        ({"seeded_noise": lambda seed, n: seeded_noise(seed, min(n, 8))}, "the shape of"),
    ], raising=[
        ({"seeded_noise": lambda seed, n: 1 / 0}, "ZeroDivisionError"),
    ]),
]

(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES, names=solution_names())
test_chinese = chinese_test(CASES)


def test_other_right_answers_pass():
    """Are the torch.accelerator API, captured names, counting GPUs, and seeding a
    generator that is put back afterwards accepted too?"""
    answers = [(Device, {"device": with_accelerator_api}),
               (Device, {"device": with_captured_names}),
               (Device, {"device": with_device_count}),
               (SeededNoise, {"seeded_noise": forked}),
               (SeededNoise, {"seeded_noise": state_put_back}),
               (SeededNoise, {"seeded_noise": lambda seed, n: torch.normal(
                   0.0, 1.0, (n,), generator=torch.Generator().manual_seed(seed))})]
    for exercise, answer in answers:
        for seed in (0, 3):
            result = run_check(exercise(), answer, seed=seed)
            assert result.passed, result.text()


def test_the_pretend_machine_leaves_torch_as_it_was():
    """After a check, does PyTorch answer for the real machine again?"""
    real = (torch.cuda.is_available(), torch.backends.mps.is_available(),
            captured_cuda(), captured_mps())
    assert run_check(Device(), {"device": with_captured_names}, seed=0).passed
    assert (torch.cuda.is_available(), torch.backends.mps.is_available(),
            captured_cuda(), captured_mps()) == real
