"""Exercise: a gradient from function values alone, by central differences."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.exercises.ch02_autograd.reference import F64, autograd_grad
from labkit.i18n import N_, _

# Function values only; `x` may be moved and put back (up to rounding), one entry at a
# time, as long as it comes back.
NO_AUTOGRAD = {"no_grad": True, "rule_out": ("autograd",), "restored": (1,),
               "rule_text": N_("function values only, no autograd")}


def cubes(t: torch.Tensor) -> torch.Tensor:
    """sum(t**3): a function the check hands to `finite_diff_grad`."""
    return (t**3).sum()


def mixed(t: torch.Tensor) -> torch.Tensor:
    """A function of all entries at once, handed to `finite_diff_grad`."""
    return t.sin().sum() * t.cos().sum() + (t**2).sum().sqrt()


class FiniteDiff(Exercise):
    name = "finite_diff"
    title = N_("Central finite differences")
    hints = (
        N_("For each entry i: copy x, add h to entry i for f(x + h e_i), subtract h for "
           "f(x - h e_i), and divide the difference by 2h."),
        N_("Loop over `range(x.numel())` on flat views: `xp = x.clone(); "
           "xp.view(-1)[i] += h`. Fill `grad = torch.zeros_like(x)` the same way."),
    )
    solution = '''\
def finite_diff_grad(f, x, h=1e-6):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        plus, minus = x.clone(), x.clone()
        plus.view(-1)[i] += h
        minus.view(-1)[i] -= h
        grad.view(-1)[i] = (f(plus) - f(minus)) / (2 * h)
    return grad'''

    def check(self, finite_diff_grad):
        # f = sum(x**3): the central difference is exactly 3 x**2 + h**2, so both the
        # formula and the use of h show.
        x, h = self.randn(4, dtype=F64), 0.1
        during = _("`finite_diff_grad(f, x, h={h})` with f(x) = (x**3).sum()").format(h=h)
        found = self.call(finite_diff_grad, cubes, x, h, during=during, **NO_AUTOGRAD)
        name = f"finite_diff_grad(f, x, h={h})"
        expect.tensor(found, name=name, shape=x.shape, dtype=F64,
                      hint=_("Return a tensor like `x`, e.g. filled in "
                             "`torch.zeros_like(x)`."))
        expect.close(found, 3 * x**2 + h**2, name=name, atol=1e-9, rtol=1e-9,
                     hint=_("Here f(x) = (x**3).sum(), and central differences with the `h` "
                            "you are given, (f(x + h) - f(x - h)) / (2 h), give exactly "
                            "3 x**2 + h**2."))
        x, h = self.randn(2, 3, dtype=F64), 1e-6
        during = _("`finite_diff_grad(f, x, h={h})` with x of shape (2, 3)").format(h=h)
        found = self.call(finite_diff_grad, mixed, x, h, during=during, **NO_AUTOGRAD)
        name = f"finite_diff_grad(f, x, h={h})"
        expect.tensor(found, name=name, shape=x.shape, dtype=F64)
        expect.close(found, autograd_grad(mixed, x), name=name, atol=1e-6, rtol=1e-6,
                     hint=_("Here f mixes all entries of an x of shape (2, 3). Move one "
                            "entry of x at a time, and only that entry."))
