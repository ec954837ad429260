"""Exercise: spot the bug in a loss whose shapes broadcast to (N, N)."""

from __future__ import annotations

import torch

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


def buggy_mse(pred, target):
    """The given code of the spot-the-bug exercise: (N, 1) - (N,) broadcasts to (N, N)."""
    return ((pred - target) ** 2).mean()


def _same_as_buggy(value, pred, target) -> bool:
    return (isinstance(value, torch.Tensor) and value.shape == ()
            and torch.allclose(value.detach().double(), buggy_mse(pred, target).double()))


class FixMse(Exercise):
    name = "fix_mse"
    title = N_("Spot the bug: a loss that broadcasts")
    hints = (
        N_("Print the shape of `pred - target` for pred of shape (3, 1) and target of "
           "shape (3,). Is it (3,)?"),
        N_("Make the shapes agree before subtracting: `pred.squeeze(1) - target` "
           "(or `pred - target[:, None]`)."),
    )
    solution = '''\
def mse(pred, target):
    # pred: (N, 1), target: (N,)
    return ((pred.squeeze(1) - target) ** 2).mean()   # (N,) - (N,) -> (N,) -> ()'''

    def check(self, mse):
        inputs = [
            (torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([1.0, 2.0, 3.0])),
            (self.randn(6, 1), self.randn(6)),
            (self.randn(4, 1), self.randn(4)),
            (self.randn(1, 1), self.randn(1)),  # one sample: the bug does not show
            (self.randn(5, 1, dtype=torch.float64), self.randn(5, dtype=torch.float64)),
        ]
        found = []
        for pred, target in inputs:
            during = _("`mse(pred, target)` with pred of shape {pred_shape} and target of "
                       "shape {target_shape}").format(pred_shape=shape_text(pred.shape),
                                                      target_shape=shape_text(target.shape))
            found.append((during, self.call(mse, pred, target, during=during)))
        if all(_same_as_buggy(value, pred, target)
               for (_during, value), (pred, target) in zip(found, inputs, strict=True)):
            raise NotAttempted(_(
                "`mse` still gives the same results as the given buggy code. Find the shape "
                "mistake, fix it, run the cell, then check again."
            ))
        # A loss you can call backward() on: its graph reaches `pred`.
        pred, target = inputs[1]
        reply = self.probe(probes.forward_backward, mse, (pred, target),
                           during="`mse(pred, target)`")
        self.judge(reply, "`mse(pred, target)`", differentiable=(0,))
        for (during, value), (pred_i, target_i) in zip(found, inputs, strict=True):
            expect.tensor(value, subject=during, shape=(),
                          hint=_("A loss is a single number: a tensor of shape () (not a "
                                 "Python number from `.item()`, which has no gradient)."))
            expect.close(value, ((pred_i[:, 0] - target_i) ** 2).mean(), subject=during,
                         hint=_("The mean over the N samples of "
                                "(pred[i, 0] - target[i]) ** 2."))
        # The gradient that flows back is the one of the mean squared error.
        expected_grad = 2 * (pred - target[:, None]) / len(target)  # (N, 1)
        expect.close(reply["grads"][0], expected_grad, atol=1e-5, subject=_(
                         "the gradient of `mse(pred, target)` with respect to `pred`"),
                     hint=_("The loss must be computed from `pred` itself."))
