"""Exercises of chapter 00, Setup."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.env import pick_device


class Device(Exercise):
    name = "device"
    title = "Pick the best device"
    hints = (
        "Ask `torch.cuda.is_available()` first, then `torch.backends.mps.is_available()`.",
        "The answer is a `torch.device`, e.g. `torch.device(\"cpu\")`, not a string.",
    )
    solution = '''\
if torch.cuda.is_available():
    device = torch.device("cuda")
elif torch.backends.mps.is_available():
    device = torch.device("mps")
else:
    device = torch.device("cpu")'''

    def check(self, device):
        expect.is_type(device, torch.device, name="device",
                       hint="Wrap the name: `torch.device(\"cpu\")`.")
        best = pick_device()
        expect.that(device.type == best.type, checked="`device`",
                    expected=f"`{best.type}`, the best device on this machine",
                    found=f"`{device.type}`",
                    hint="Prefer a CUDA GPU, then Apple's MPS, then the CPU.")


class SeededNoise(Exercise):
    name = "seeded_noise"
    title = "Reproducible random numbers"
    hints = (
        "Make a generator: `g = torch.Generator().manual_seed(seed)`.",
        "Then draw from it: `torch.randn(n, generator=g)`.",
    )
    solution = '''\
def seeded_noise(seed, n):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=g)'''

    def check(self, seeded_noise):
        seeds = [0, 7, int(self.randint(1, 10_000))]
        for seed in seeds:
            n = int(self.randint(1, 6))
            during = f"`seeded_noise({seed}, {n})`"
            first = self.call(seeded_noise, seed, n, during=during)
            second = self.call(seeded_noise, seed, n, during=during)
            reference = torch.randn(n, generator=torch.Generator().manual_seed(seed))
            expect.tensor(first, name=f"seeded_noise({seed}, {n})", shape=(n,))
            expect.that(torch.equal(first, second), checked=f"two calls of {during}",
                        expected="the same numbers both times", found="different numbers",
                        hint="Seed a generator inside the function, every time it is called.")
            expect.close(first, reference, name=f"seeded_noise({seed}, {n})",
                         hint="Draw with `torch.randn` from a generator seeded with `seed`.")


EXERCISES = [Device, SeededNoise]
