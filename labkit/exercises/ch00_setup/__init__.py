"""Exercises of chapter 00, Setup."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import describe
from labkit.exercises.legacy import invoke
from labkit.i18n import N_, _

# --- probes: they run where the learner's objects live and return plain data ---------


def device_when(device_fn, cuda: bool, mps: bool, *, what: str):
    """The learner's ``device()`` on a machine with a CUDA GPU and/or Apple's MPS, or neither:
    the availability functions answer as told while it runs."""
    accelerator = "cuda" if cuda else "mps" if mps else None
    replaced = [
        (torch.cuda, "is_available", lambda: cuda),
        (torch.cuda, "device_count", lambda: int(cuda)),
        (torch.backends.mps, "is_available", lambda: mps),
    ]
    if hasattr(torch, "accelerator"):
        replaced += [
            (torch.accelerator, "is_available", lambda: accelerator is not None),
            (torch.accelerator, "current_accelerator",
             lambda *args, **kwargs: torch.device(accelerator) if accelerator else None),
        ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in replaced]
    try:
        for owner, name, stand_in in replaced:
            setattr(owner, name, stand_in)
        return invoke(device_fn, (), {}, what)
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def noise_and_global_state(seeded_noise, seed: int, n: int, *, what: str) -> dict:
    """``seeded_noise(seed, n)``, and whether the call changed the global generator."""
    before = torch.random.get_rng_state()
    value = invoke(seeded_noise, (seed, n), {}, what)
    return {"value": value,
            "global_changed": not torch.equal(before, torch.random.get_rng_state())}


# --- exercises -------------------------------------------------------------------------

class Device(Exercise):
    name = "device"
    title = N_("Pick the best device")
    hints = (
        N_("Ask `torch.cuda.is_available()` first, then `torch.backends.mps.is_available()`, "
           "inside the function, each time it is called."),
        N_("Return a `torch.device`, e.g. `torch.device(\"cpu\")`, not a string."),
    )
    solution = '''\
def device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")'''

    def check(self, device):
        machines = [
            (False, False, "cpu", N_("`device()` on a machine with neither a CUDA GPU nor MPS")),
            (True, False, "cuda", N_("`device()` on a machine with a CUDA GPU")),
            (False, True, "mps", N_("`device()` on a machine with Apple's MPS")),
            (True, True, "cuda", N_("`device()` on a machine with both a CUDA GPU and MPS")),
        ]
        for cuda, mps, best, machine in machines:
            during = _(machine)
            found = self.probe(device_when, device, cuda, mps, what=during, during=during)
            expect.that(type(found) is torch.device,
                        checked=_("the type of {during}").format(during=during),
                        expected=_("a `torch.device`"), found=describe(found),
                        hint=_("Wrap the name: `torch.device(\"cpu\")`."))
            expect.that(found.type == best, checked=during,
                        expected=f"`{best}`", found=f"`{found.type}`",
                        hint=_("Prefer a CUDA GPU, then Apple's MPS, then the CPU, and ask "
                               "PyTorch each time the function is called."))


class SeededNoise(Exercise):
    name = "seeded_noise"
    title = N_("Reproducible random numbers")
    hints = (
        N_("Make a generator of your own: `g = torch.Generator().manual_seed(seed)`."),
        N_("Then draw from it: `torch.randn(n, generator=g)`."),
    )
    solution = '''\
def seeded_noise(seed, n):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=g)'''

    def check(self, seeded_noise):
        seeds = [0, 7, int(self.randint(1, 10_000))]
        sizes = [1, int(self.randint(2, 6)), int(self.randint(2, 6))]
        for seed, n in zip(seeds, sizes, strict=True):
            during = f"`seeded_noise({seed}, {n})`"
            first = self.probe(noise_and_global_state, seeded_noise, seed, n, what=during,
                               during=during)
            second = self.probe(noise_and_global_state, seeded_noise, seed, n, what=during,
                                during=during)
            reference = torch.randn(n, generator=torch.Generator().manual_seed(seed))
            name = f"seeded_noise({seed}, {n})"
            expect.tensor(first["value"], name=name, shape=(n,))
            expect.tensor(second["value"], name=name, shape=(n,))
            expect.that(torch.equal(first["value"], second["value"]),
                        checked=_("two calls of {call}").format(call=during),
                        expected=_("the same numbers both times"),
                        found=_("different numbers"),
                        hint=_("Seed a generator inside the function, every time it is "
                               "called."))
            expect.close(first["value"], reference, name=name,
                         hint=_("Draw with `torch.randn` from a generator seeded with `seed`."))
            expect.that(not first["global_changed"],
                        checked=_("PyTorch's global generator after {call}").format(call=during),
                        expected=_("untouched: the numbers come from a generator of the "
                                   "function's own"),
                        found=_("a changed global generator (`torch.manual_seed` or a draw "
                                "from it)"),
                        hint=_("Reseeding the global generator resets the random numbers of "
                               "everything else in the program. Use `torch.Generator()`."))


EXERCISES = [Device, SeededNoise]
