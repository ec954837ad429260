"""Exercise: the straight-through estimator, with `detach`."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect, probes
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


class RoundSte(Exercise):
    name = "round_ste"
    title = N_("Stop a gradient with detach: the straight-through estimator")
    hints = (
        N_("`x.round()` has the right values but a zero gradient. Add to `x` a correction "
           "that autograd cannot see."),
        N_("`x + (x.round() - x).detach()`: the value is `x.round()`, the gradient that of "
           "`x`."),
    )
    solution = '''\
def round_ste(x):
    return x + (x.round() - x).detach()'''

    def check(self, round_ste):
        cases = [torch.tensor([-1.7, -0.4, 0.3, 2.6]),
                 torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]),  # halves: to the even one
                 3 * self.randn(2, 3)]
        for x in cases:
            shape = shape_text(x.shape)
            name = "round_ste(x)"
            weights = self.randn(*x.shape)
            during = _("`round_ste(x)` and a backward pass through it, x of shape "
                       "{shape}").format(shape=shape)
            reply = self.probe(probes.forward_backward, round_ste, (x,), grad_output=weights,
                               during=during)
            out, grads = self.judge(reply, during), reply["grads"]
            expect.tensor(out, name=name, shape=x.shape, dtype=x.dtype)
            expect.close(out, x.round(), name=name,
                         hint=_("The values must be `x.round()` (which rounds halves to "
                                "the even neighbour: 0.5 -> 0, 1.5 -> 2)."))
            expect.that(grads is not None,
                        checked=_("whether `{name}` is connected to the graph of "
                                  "`x`").format(name=name),
                        expected=_("a result with a `grad_fn`"),
                        found=_("a result that autograd cannot trace back to `x`"),
                        hint=_("Detach only the correction term, not the whole result."))
            grad = grads[0]
            expect.that(grad is not None, checked=_("the gradient of `round_ste(x)`"),
                        expected=_("a gradient that flows back to `x`"),
                        found=_("no gradient at all"), hint=_("Keep `x` itself in the result."))
            expect.close(grad, weights, name="x.grad",
                         hint=_("After a backward pass through `round_ste(x)` with incoming "
                                "gradient g, `x.grad` must equal g: the gradient passes "
                                "straight through, as if the result were `x` itself."))
