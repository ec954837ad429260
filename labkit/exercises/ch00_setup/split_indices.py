"""Exercise: a reproducible random split, from a generator of the function's own."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import describe
from labkit.i18n import N_, _

CONTRACT = Contract()


def split_probe(split_indices, n: int, val_fraction: float, seed: int, spec: dict) -> dict:
    """``split_indices(n, val_fraction, seed)``, guarded, and whether the call changed
    PyTorch's global generator."""
    torch.rand(1)  # a state no fresh `torch.manual_seed(...)` gives, whatever the seed
    before = torch.random.get_rng_state()
    reply = probes.guarded_call(split_indices, (n, val_fraction, seed), {}, spec)
    reply["global_changed"] = not torch.equal(before, torch.random.get_rng_state())
    return reply


class SplitIndices(Exercise):
    name = "split_indices"
    title = N_("A reproducible validation split")
    hints = (
        N_("`torch.randperm(n, generator=g)` shuffles 0 ... n - 1, with "
           "`g = torch.Generator().manual_seed(seed)` made inside the function."),
        N_("Take `n_val = int(n * val_fraction)`; the first `n_val` shuffled indices are "
           "`val`, the rest `train`."),
    )
    solution = '''\
def split_indices(n, val_fraction, seed):
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=g)     # (n,): 0 ... n - 1, shuffled
    n_val = int(n * val_fraction)
    return order[n_val:], order[:n_val]'''

    def check(self, split_indices):
        seed = int(self.randint(1, 2**31 - 1))
        # 7 * 0.25 = 1.75: rounding down and rounding to nearest differ.
        cases = [(10, 0.2, 0), (7, 0.25, seed), (1, 0.5, 3),
                 (int(self.randint(40, 90)), 0.3, seed + 1)]
        splits = {}
        for n, fraction, one_seed in cases:
            splits[(n, one_seed)] = self._one(split_indices, n, fraction, one_seed)
        n, fraction = 50, 0.2
        first = self._one(split_indices, n, fraction, seed)
        second = self._one(split_indices, n, fraction, seed + 7)
        expect.that(not torch.equal(first[1], second[1]),
                    checked=_("`split_indices({n}, {fraction}, seed)` for two different "
                              "seeds").format(n=n, fraction=fraction),
                    expected=_("different splits for different seeds"),
                    found=_("the same `val` both times"),
                    hint=_("Shuffle with a generator seeded with `seed`: "
                           "`torch.randperm(n, generator=g)`."))

    def _one(self, split_indices, n, fraction, seed):
        during = f"`split_indices({n}, {fraction}, {seed})`"
        replies = [self.probe(split_probe, split_indices, n, fraction, seed, CONTRACT.spec(),
                              during=during) for _call in range(2)]
        values = [CONTRACT.judge(reply, during) for reply in replies]
        n_val = int(n * fraction)
        for value in values:
            expect.that(isinstance(value, (tuple, list)) and len(value) == 2,
                        checked=_("the value of {call}").format(call=during),
                        expected=_("a pair `(train, val)`"),
                        found=describe(value),
                        hint=_("Return two tensors: `return train, val`."))
            train, val = value
            expect.tensor(val, name=f"val = split_indices({n}, {fraction}, {seed})[1]",
                          shape=(n_val,), dtype=torch.int64,
                          hint=_("`val` holds `int(n * val_fraction)` indices, rounded "
                                 "down."))
            expect.tensor(train, name=f"train = split_indices({n}, {fraction}, {seed})[0]",
                          shape=(n - n_val,), dtype=torch.int64)
            every = torch.cat([train, val]).sort().values
            expect.that(torch.equal(every, torch.arange(n)),
                        checked=_("the indices in `train` and `val` of {call}").format(
                            call=during),
                        expected=_("each of 0 ... {last} exactly once").format(last=n - 1),
                        found=_("some missing or repeated"),
                        hint=_("Shuffle all the indices once and cut the result in two."))
        expect.that(all(torch.equal(a, b) for a, b in zip(values[0], values[1], strict=True)),
                    checked=_("two calls of {call}").format(call=during),
                    expected=_("the same split both times"),
                    found=_("different splits"),
                    hint=_("Seed a generator inside the function, every time it is called."))
        expect.that(not any(reply["global_changed"] for reply in replies),
                    checked=_("PyTorch's global generator after {call}").format(call=during),
                    expected=_("untouched: the numbers come from a generator of the "
                               "function's own"),
                    found=_("a changed global generator (`torch.manual_seed` or a draw "
                            "from it)"),
                    hint=_("Reseeding the global generator resets the random numbers of "
                           "everything else in the program. Use `torch.Generator()`."))
        return values[0]
