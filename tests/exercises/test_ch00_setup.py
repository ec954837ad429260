"""Exercises of chapter 00, each with a right, a blank, a missing and wrong answers."""

import functools

import torch
from exercise_harness import Case, chinese_test, solution_names, standard_tests
from torch.backends.mps import is_available as captured_mps
from torch.cuda import is_available as captured_cuda

from labkit.check import run_check
from labkit.exercises.ch00_setup import Device, SplitIndices

# --- device --------------------------------------------------------------------------


def supported_device(supported):
    accelerator = torch.accelerator.current_accelerator(check_available=True)
    if accelerator is not None and accelerator.type in supported:
        return accelerator
    return torch.device("cpu")


def with_if_chain(supported):
    """Also right: each backend asked in turn, as older code does."""
    if "cuda" in supported and torch.cuda.is_available():
        return torch.device("cuda")
    if "mps" in supported and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def with_captured_names(supported):
    """Also right: the availability functions imported under names of their own."""
    if captured_cuda() and "cuda" in supported:
        return torch.device("cuda")
    return torch.device("mps" if captured_mps() and "mps" in supported else "cpu")


def with_is_available(supported):
    """Also right: is_available() first, then the build's accelerator, by name."""
    if torch.accelerator.is_available():
        kind = torch.accelerator.current_accelerator().type
        if kind in supported:
            return torch.device(kind)
    return torch.device("cpu")


def any_accelerator(supported):
    found = torch.accelerator.current_accelerator(check_available=True)
    return found if found is not None else torch.device("cpu")


def build_accelerator(supported):
    """The build's accelerator, without check_available: `cuda` on a machine without GPU."""
    found = torch.accelerator.current_accelerator()
    return found if found is not None and found.type in supported else torch.device("cpu")


_FIXED = supported_device(("cuda", "mps"))  # asked once, when the cell ran


def asked_once(supported):
    return _FIXED if supported else torch.device("cpu")


@functools.cache
def cached(supported):
    """Asks on its first call for each `supported`, then keeps that answer."""
    return supported_device(supported)


def cuda_only(supported):
    return torch.device("cuda" if torch.cuda.is_available() and "cuda" in supported else "cpu")


def as_string(supported):
    return supported_device(supported).type


def first_supported(supported):
    """Trusts the list instead of asking the machine."""
    return torch.device(supported[0]) if supported else torch.device("cpu")


# --- split_indices --------------------------------------------------------------------


def split_indices(n, val_fraction, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = int(n * val_fraction)
    return order[n_val:], order[:n_val]


def by_argsort(n, val_fraction, seed):
    """Also right: random keys sorted, the validation part last, returned as a list."""
    keys = torch.rand(n, generator=torch.Generator().manual_seed(seed))
    order = keys.argsort()
    n_train = n - int(n * val_fraction)
    return [order[:n_train], order[n_train:]]


def forked(n, val_fraction, seed):
    """Also right: the global generator seeded inside a fork that puts it back."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return split_indices(n, val_fraction, torch.initial_seed())


def reseeds_global(n, val_fraction, seed):
    torch.manual_seed(seed)
    order = torch.randperm(n)
    n_val = int(n * val_fraction)
    return order[n_val:], order[:n_val]


def unseeded(n, val_fraction, seed):
    order = torch.randperm(n, generator=torch.Generator())  # a fresh generator: seed 67280421310721
    n_val = int(n * val_fraction)
    return order[n_val:], order[:n_val]


def in_order(n, val_fraction, seed):
    n_val = int(n * val_fraction)
    return torch.arange(n_val, n), torch.arange(n_val)


def rounded(n, val_fraction, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = round(n * val_fraction)
    return order[n_val:], order[:n_val]


def drawn_twice(n, val_fraction, seed):
    """Two permutations: the parts overlap."""
    g = torch.Generator().manual_seed(seed)
    n_val = int(n * val_fraction)
    return torch.randperm(n, generator=g)[n_val:], torch.randperm(n, generator=g)[:n_val]


def changes_each_call(n, val_fraction, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + _calls.pop()))
    n_val = int(n * val_fraction)
    return order[n_val:], order[:n_val]


_calls = list(range(10_000))


def draws_after_seeding(n, val_fraction, seed):
    torch.rand(1)
    return split_indices(n, val_fraction, seed)


CASES = [
    Case(Device, right={"device": supported_device}, wrong=[
        ({"device": any_accelerator}, "supported"),
        ({"device": build_accelerator}, "neither a CUDA GPU nor MPS"),
        ({"device": lambda supported: _FIXED}, "`cuda`"),
        ({"device": asked_once}, "a CUDA GPU"),
        ({"device": cuda_only}, "Apple's MPS"),
        ({"device": first_supported}, "neither a CUDA GPU nor MPS"),
        ({"device": as_string}, "a `torch.device`"),
        ({"device": torch.device("cpu")}, "something callable"),
        ({"device": cached}, "a CUDA GPU"),
    ]),
    Case(SplitIndices, right={"split_indices": split_indices}, wrong=[
        ({"split_indices": reseeds_global}, "global generator"),
        ({"split_indices": draws_after_seeding}, "global generator"),
        ({"split_indices": unseeded}, "different seeds"),
        ({"split_indices": in_order}, "different seeds"),
        ({"split_indices": rounded}, "rounded down"),
        ({"split_indices": drawn_twice}, "exactly once"),
        ({"split_indices": changes_each_call}, "the same split both times"),
        ({"split_indices": lambda n, val_fraction, seed: split_indices(n, val_fraction, 0)},
         "different seeds"),
        ({"split_indices": lambda n, val_fraction, seed: split_indices(n, val_fraction, seed)[1]},
         "a pair"),
        ({"split_indices": lambda n, val_fraction, seed: tuple(
            t.int() for t in split_indices(n, val_fraction, seed))}, "dtype"),
    ], raising=[
        ({"split_indices": lambda n, val_fraction, seed: 1 / 0}, "ZeroDivisionError"),
    ]),
]

(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES, names=solution_names())
test_chinese = chinese_test(CASES)


def test_other_right_answers_pass():
    """Are the older if-chain, captured names, `is_available()` first, random keys sorted
    and a forked global generator accepted too?"""
    answers = [(Device, {"device": with_if_chain}),
               (Device, {"device": with_captured_names}),
               (Device, {"device": with_is_available}),
               (SplitIndices, {"split_indices": by_argsort}),
               (SplitIndices, {"split_indices": forked})]
    for exercise, answer in answers:
        for seed in (0, 3):
            result = run_check(exercise(), answer, seed=seed)
            assert result.passed, result.text()


def test_the_pretend_machine_leaves_torch_as_it_was():
    """After a check, does PyTorch answer for the real machine again?"""
    real = (torch.cuda.is_available(), torch.backends.mps.is_available(),
            captured_cuda(), captured_mps(),
            torch.accelerator.current_accelerator(check_available=True))
    assert run_check(Device(), {"device": with_captured_names}, seed=0).passed
    assert (torch.cuda.is_available(), torch.backends.mps.is_available(),
            captured_cuda(), captured_mps(),
            torch.accelerator.current_accelerator(check_available=True)) == real
