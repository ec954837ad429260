"""Exercise: a learning rate read from the curvature of a quadratic bowl."""

from __future__ import annotations

import math

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import describe
from labkit.i18n import N_, _

QUADRATIC_H = torch.tensor([[13.0, 12.0], [12.0, 13.0]], dtype=torch.float64)
QUADRATIC_START = torch.tensor([2.0, 0.0], dtype=torch.float64)
QUADRATIC_STEPS = 100
QUADRATIC_TARGET = 1e-3


def quadratic_loss(theta: torch.Tensor) -> torch.Tensor:
    """f(theta) = 1/2 theta^T H theta, the bowl of the learning-rate exercise."""
    return 0.5 * theta @ QUADRATIC_H.to(theta.dtype) @ theta


def run_gd(lr: float, steps: int = QUADRATIC_STEPS) -> list[float]:
    """The loss at each step of plain gradient descent on `quadratic_loss` (gradient H theta)."""
    theta = QUADRATIC_START.clone()
    losses = [float(quadratic_loss(theta))]
    for _step in range(steps):
        theta = theta - lr * (QUADRATIC_H @ theta)
        losses.append(float(quadratic_loss(theta)))
    return losses


class PickLearningRate(Exercise):
    name = "pick_lr"
    title = N_("Pick a learning rate from the curvature")
    hints = (
        N_("The eigenvalues of H are the curvatures: `torch.linalg.eigvalsh(H)`. Gradient "
           "descent is stable only for lr < 2 / (largest eigenvalue)."),
        N_("The slowest direction shrinks by (1 - lr * smallest eigenvalue) each step; "
           "lr = 2 / (smallest + largest) balances both directions."),
    )
    solution = "pick_lr = 2 / (1.0 + 25.0)   # 2 / (lambda_min + lambda_max)"

    def check(self, pick_lr):
        expect.is_type(pick_lr, (int, float, torch.Tensor), name="pick_lr",
                       hint=_("A single number, like 0.01."))
        if isinstance(pick_lr, torch.Tensor):  # e.g. computed from torch.linalg.eigvalsh
            expect.that(pick_lr.numel() == 1 and pick_lr.is_floating_point(),
                        checked="`pick_lr`", expected=_("a single number"),
                        found=describe(pick_lr), hint=_("Use `float(...)` on your result."))
        lr = float(pick_lr)
        expect.that(math.isfinite(lr) and lr > 0, checked="`pick_lr`",
                    expected=_("a positive learning rate"), found=describe(pick_lr))
        losses = run_gd(lr)
        final = losses[-1]
        limit = 2 / float(torch.linalg.eigvalsh(QUADRATIC_H).max())
        if not math.isfinite(final) or final > losses[0]:
            expect.that(False, checked=_("gradient descent with lr={lr:g} for {steps} "
                                         "steps").format(lr=lr, steps=QUADRATIC_STEPS),
                        expected=_("a loss below {target:g}").format(target=QUADRATIC_TARGET),
                        found=_("a loss that grew from {first:.4g} to {final:.4g}").format(
                            first=losses[0], final=final),
                        hint=_("Too large: above 2 / lambda_max = {limit:.4g} the steep "
                               "direction overshoots more at each step.").format(limit=limit))
        low, high = (float(x) for x in torch.linalg.eigvalsh(QUADRATIC_H))
        if abs(1 - lr * high) >= abs(1 - lr * low):
            hint = _("Too close to the limit 2 / lambda_max = {limit:.4g}: each step "
                     "multiplies the steep direction by 1 - lr * {high:g} = {factor:.3g}, so it "
                     "swings from side to side and barely shrinks. Take a smaller "
                     "rate.").format(limit=limit, high=high, factor=1 - lr * high)
        else:
            hint = _("Too slow: each step multiplies the flat direction only by 1 - lr * "
                     "{low:g} = {factor:.3g}. Take a larger rate, below "
                     "2 / lambda_max = {limit:.4g}.").format(low=low, factor=1 - lr * low,
                                                             limit=limit)
        expect.that(final < QUADRATIC_TARGET, checked=_(
                        "gradient descent with lr={lr:g} for {steps} steps").format(
                            lr=lr, steps=QUADRATIC_STEPS),
                    expected=_("a loss below {target:g}").format(target=QUADRATIC_TARGET),
                    found=f"{final:.4g}", hint=hint)
