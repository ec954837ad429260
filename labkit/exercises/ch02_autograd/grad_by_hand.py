"""Exercise: the gradient of mean(log(1 + x**2)), written from the chain rule."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.exercises.ch02_autograd.reference import F64, autograd_grad
from labkit.i18n import N_, _


def log1p_square_mean(x: torch.Tensor) -> torch.Tensor:
    return torch.log(1 + x**2).mean()


class GradByHand(Exercise):
    name = "grad_by_hand"
    title = N_("A gradient by hand")
    hints = (
        N_("Chain rule: the derivative of log(u) is 1/u, and u = 1 + x_i**2 has derivative "
           "2 x_i."),
        N_("The mean divides by N = x.numel(), so every entry of the gradient carries a 1/N: "
           "`2 * x / (x.numel() * (1 + x**2))`."),
    )
    solution = '''\
def grad_f(x):
    return 2 * x / (x.numel() * (1 + x**2))'''

    def check(self, grad_f):
        inputs = [("grad_f(torch.tensor([0.0, 1.0, -2.0]))", torch.tensor([0.0, 1.0, -2.0])),
                  ("grad_f(x)", self.randn(5)), ("grad_f(x)", self.randn(2, 3)),
                  ("grad_f(x)", self.randn(1)), ("grad_f(x)", self.randn(3, 1, 2, dtype=F64))]
        for name, x in inputs:
            during = _("`{name}` for x of shape {shape}").format(name=name,
                                                                  shape=shape_text(x.shape))
            found = self.call(grad_f, x, during=during, no_grad=True, rule_out=("autograd",),
                              rule_text=N_("the formula alone, without autograd"))
            expected = autograd_grad(log1p_square_mean, x)
            expect.tensor(found, name=name, shape=x.shape, dtype=x.dtype)
            hint = _("Compare with what autograd gives for the same x.")
            if x.numel() > 1 and torch.allclose(found, expected * x.numel(), atol=1e-5):
                hint = _("Your answer is N times too large: the mean divides by N = x.numel().")
            expect.close(found, expected, name=name, hint=hint)
