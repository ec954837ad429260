"""Exercise: spot the bug, "gradient = output - label" for a squared error on a sigmoid."""

from __future__ import annotations

import torch

from labkit.check import Exercise, NotAttempted, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _

# Run under torch.no_grad(), autograd ruled out however it is spelled.
NO_AUTOGRAD = {"no_grad": True, "rule_out": ("autograd",),
               "rule_text": N_("the formula alone, without autograd")}


def reference_grad(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """dL/dz for L = 1/2 sum (sigmoid(z) - t)^2, by autograd."""
    z = z.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(0.5 * ((torch.sigmoid(z) - t) ** 2).sum(), z)
    return grad


class SigmoidMseGrad(Exercise):
    name = "sigmoid_mse_grad"
    title = N_("Spot the bug: is the gradient always output - label?")
    hints = (
        N_("Chain rule: L = 1/2 sum (s - t)^2 with s = sigmoid(z), so dL/dz = dL/ds * ds/dz."),
        N_("dL/ds = s - t and ds/dz = s (1 - s): return `(s - t) * s * (1 - s)`."),
    )
    solution = '''\
def sigmoid_mse_grad(z, t):
    s = torch.sigmoid(z)
    return (s - t) * s * (1 - s)'''

    def check(self, sigmoid_mse_grad):
        rows, cols = int(self.randint(2, 6)), int(self.randint(2, 6))
        f64 = torch.float64
        cases = [
            (torch.tensor([-3.0, -1.0, 0.0, 2.0, 4.0]), torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])),
            (3 * self.randn(rows, cols), self.randint(0, 2, rows, cols).float()),
            (self.randn(1), torch.rand(1, generator=self.rng)),
            (2 * self.randn(2, rows, cols, dtype=f64), torch.rand(2, rows, cols, generator=self.rng,
                                                                  dtype=f64)),
        ]
        for z, t in cases:
            during = _("`sigmoid_mse_grad(z, t)` for z of shape {shape} and targets t of the "
                       "same shape").format(shape=shape_text(z.shape))
            found = self.call(sigmoid_mse_grad, z, t, during=during, **NO_AUTOGRAD)
            given = torch.sigmoid(z) - t
            if isinstance(found, torch.Tensor) and found.shape == given.shape and \
                    torch.allclose(found.to(given.dtype), given, atol=1e-6):
                raise NotAttempted(_(
                    "`sigmoid_mse_grad` still returns `sigmoid(z) - t`, the seed text's "
                    "\"output - label\": that is the gradient for the cross-entropy loss, "
                    "not for this squared error. Fix it, run the cell, then check again."))
            expect.close(found, reference_grad(z, t), name="sigmoid_mse_grad(z, t)",
                         hint=_("dL/dz = (s - t) * s * (1 - s) with s = sigmoid(z): the "
                                "squared error keeps the sigmoid's slope in the gradient."))
