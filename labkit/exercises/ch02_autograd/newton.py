"""Exercise: Newton's method in one dimension, both derivatives from autograd."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.i18n import N_, _

F64 = torch.float64


class Valley:
    """f(x) = a (x - c)**2 + b (x - c)**4, a, b > 0: one minimum, at c."""

    def __init__(self, a: float, b: float, c: float):
        self.a, self.b, self.c = a, b, c

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.a * (x - self.c) ** 2 + self.b * (x - self.c) ** 4


class Softplus:
    """f(x) = log(1 + e^x) - t x, 0 < t < 1: convex, its minimum where sigmoid(x) = t."""

    def __init__(self, t: float):
        self.t = t

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.softplus(x) - self.t * x


def reference_newton(f, x0: torch.Tensor, steps: int) -> torch.Tensor:
    """The path of Newton's method, x0 first: x <- x - f'(x) / f''(x)."""
    x = x0.detach().clone()
    path = [x]
    for _step in range(steps):
        leaf = x.clone().requires_grad_(True)
        with torch.enable_grad():
            (d1,) = torch.autograd.grad(f(leaf), leaf, create_graph=True)
            (d2,) = torch.autograd.grad(d1, leaf)
        x = (x - d1.detach() / d2).detach()
        path.append(x)
    return torch.stack(path)


class Newton(Exercise):
    name = "newton"
    title = N_("Newton's method with a second derivative")
    hints = (
        N_("Make `x` a leaf that requires a gradient, then `(d1,) = "
           "torch.autograd.grad(f(x), x, create_graph=True)`: `d1` is f'(x) with a graph "
           "of its own, so `torch.autograd.grad(d1, x)` gives f''(x)."),
        N_("Each step is `x - d1 / d2`; detach it (or update under `torch.no_grad()`) and "
           "store a copy. `torch.stack` the list of points, `x0` first."),
    )
    solution = '''\
def newton(f, x0, steps):
    x = x0.detach().clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _step in range(steps):
        (d1,) = torch.autograd.grad(f(x), x, create_graph=True)   # f'(x), with a graph
        (d2,) = torch.autograd.grad(d1, x)                         # f''(x)
        with torch.no_grad():
            x -= d1 / d2
        path.append(x.detach().clone())
    return torch.stack(path)'''

    def check(self, newton):
        a, b = 0.5 + float(self.randn(1).abs()), 0.2 + float(self.randn(1).abs())
        c = float(self.randn(1))
        t = float(torch.sigmoid(self.randn(1)))
        problems = [
            (_("a quadratic, a (x - c)**2"), Valley(a, 0.0, c),
             torch.tensor(c + 2.0, dtype=F64), 2),
            (_("a valley, a (x - c)**2 + b (x - c)**4"), Valley(a, b, c),
             torch.tensor(c - 1.5, dtype=F64), 6),
            (_("softplus(x) - t x"), Softplus(t), torch.tensor(0.0, dtype=F64), 4),
            (_("softplus(x) - t x, in float32"), Softplus(t), torch.tensor(0.5), 1),
        ]
        for what, f, x0, steps in problems:
            call = f"newton(f, x0={x0.item():.3g}, steps={steps})"
            during = _("`{call}` on {what}").format(call=call, what=what)
            path = self.call(newton, f, x0, steps, during=during,
                             rule_out=("optimizers",),
                             rule_text=N_("autograd for both derivatives and your own "
                                          "update, no `torch.optim`"))
            expect.tensor(path, name=call, shape=(steps + 1,), dtype=x0.dtype,
                          hint=_("Return x0 and every point after it: steps + 1 numbers, "
                                 "in the dtype of x0."))
            expect.close(path[0], x0, name=f"{call}[0]",
                         hint=_("The first entry is the starting point itself."))
            reference = reference_newton(f, x0, steps)
            expect.close(path[1], reference[1], name=f"{call}[1]",
                         hint=_("f is {what} here. One step is x - f'(x) / f''(x), with "
                                "both derivatives from autograd.").format(what=what))
            expect.close(path, reference, name=call,
                         hint=_("f is {what} here. Each step uses the derivatives at the "
                                "current point only.").format(what=what))
