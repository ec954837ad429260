"""Exercise: reproducible random numbers from a generator of the function's own."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.i18n import N_, _

CONTRACT = Contract()


def noise_probe(seeded_noise, seed: int, n: int, spec: dict) -> dict:
    """``seeded_noise(seed, n)``, guarded, and whether the call changed PyTorch's global
    generator."""
    torch.rand(1)  # a state no fresh `torch.manual_seed(...)` gives, whatever the seed
    before = torch.random.get_rng_state()
    reply = probes.guarded_call(seeded_noise, (seed, n), {}, spec)
    reply["global_changed"] = not torch.equal(before, torch.random.get_rng_state())
    return reply


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
        seeds = [0, 7, int(self.randint(1, 2**31 - 1))]
        # Sizes from 1 to beyond 16, where PyTorch draws normal numbers another way.
        sizes = [1, int(self.randint(2, 6)), int(self.randint(16, 100))]
        for seed, n in zip(seeds, sizes, strict=True):
            during = f"`seeded_noise({seed}, {n})`"
            first, second = (self.probe(noise_probe, seeded_noise, seed, n, CONTRACT.spec(),
                                        during=during) for _call in range(2))
            values = [CONTRACT.judge(first, during), CONTRACT.judge(second, during)]
            reference = torch.randn(n, generator=torch.Generator().manual_seed(seed))
            name = f"seeded_noise({seed}, {n})"
            for value in values:
                expect.tensor(value, name=name, shape=(n,))
            expect.that(torch.equal(values[0], values[1]),
                        checked=_("two calls of {call}").format(call=during),
                        expected=_("the same numbers both times"),
                        found=_("different numbers"),
                        hint=_("Seed a generator inside the function, every time it is "
                               "called."))
            expect.close(values[0], reference, name=name,
                         hint=_("Draw with `torch.randn` from a generator seeded with `seed`."))
            expect.that(not (first["global_changed"] or second["global_changed"]),
                        checked=_("PyTorch's global generator after {call}").format(call=during),
                        expected=_("untouched: the numbers come from a generator of the "
                                   "function's own"),
                        found=_("a changed global generator (`torch.manual_seed` or a draw "
                                "from it)"),
                        hint=_("Reseeding the global generator resets the random numbers of "
                               "everything else in the program. Use `torch.Generator()`."))
