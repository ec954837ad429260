"""Exercise: gradient descent with autograd, and no `torch.optim`."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.exercises.ch02_autograd.reference import autograd_grad
from labkit.i18n import N_, _


class Bowl:
    """f(p) = sum(scale * (p - center)**2): a function the check hands to the learner."""

    def __init__(self, center: torch.Tensor, scale: torch.Tensor):
        self.center, self.scale = center, scale

    def __call__(self, p: torch.Tensor) -> torch.Tensor:
        return (self.scale * (p - self.center) ** 2).sum()


def double_well(p: torch.Tensor) -> torch.Tensor:
    return (p**4 - 2 * p**2 + 0.5 * p).sum()


def _reference_descent(f, start, lr, steps):
    p = start.detach().clone()
    path = [p]
    for _step in range(steps):
        p = p - lr * autograd_grad(f, p)
        path.append(p)
    return torch.stack(path)


class GradientDescent(Exercise):
    name = "gradient_descent"
    title = N_("Find a minimum with autograd")
    hints = (
        N_("Start from `p = start.clone().requires_grad_(True)`; at each step compute "
           "`f(p)`, call `backward()`, then move against `p.grad` inside `torch.no_grad()`."),
        N_("Reset `p.grad = None` after each update, and store `p.detach().clone()` in a "
           "list (the start included); `torch.stack` the list at the end."),
    )
    solution = '''\
def gradient_descent(f, start, lr, steps):
    p = start.clone().requires_grad_(True)
    path = [p.detach().clone()]
    for _step in range(steps):
        loss = f(p)
        loss.backward()
        with torch.no_grad():
            p -= lr * p.grad
        p.grad = None
        path.append(p.detach().clone())
    return torch.stack(path)'''

    def check(self, gradient_descent):
        center, scale = self.randn(2), 0.5 + self.randn(2).abs()
        problems = [
            (_("a 2-D bowl"), Bowl(center, scale), self.randn(2), 0.1, 25),
            (_("a 1-D double well"), double_well, torch.tensor([1.5]), 0.05, 20),
            (_("a bowl over a (2, 3) tensor"), Bowl(self.randn(2, 3), torch.ones(2, 3)),
             self.randn(2, 3), 0.2, 3),
        ]
        for what, f, start, lr, steps in problems:
            call = f"gradient_descent(f, start, lr={lr}, steps={steps})"
            during = _("`{call}` on {what}").format(call=call, what=what)
            path = self.call(gradient_descent, f, start, lr, steps, during=during,
                             rule_out=("optimizers",),
                             rule_text=N_("autograd for the gradient and your own update, "
                                          "no `torch.optim`"))
            expect.tensor(path, name=call, shape=(steps + 1, *start.shape),
                          hint=_("Return the start and every point after it: steps + 1 "
                                 "rows."))
            expect.close(path[0], start, name=f"{call}[0]",
                         hint=_("The first row is the starting point itself."))
            reference = _reference_descent(f, start, lr, steps)
            expect.close(path[1], reference[1], name=f"{call}[1]",
                         hint=_("f is {what} here. One step is p - lr * gradient: downhill, "
                                "against the gradient.").format(what=what))
            expect.close(path, reference, name=call,
                         hint=_("f is {what} here. Each step must use the gradient at the "
                                "current point only: reset `p.grad` after every "
                                "update.").format(what=what))
