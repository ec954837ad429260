"""Exercise: spot the bug, `nn.BCELoss` on the raw outputs of a model."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


class BceFix(Exercise):
    name = "bce_fix"
    title = N_("Spot the bug: BCELoss on raw outputs")
    hints = (
        N_("The model's last layer is `nn.Linear`, so its outputs are any real numbers "
           "(logits), while `nn.BCELoss` expects probabilities in [0, 1]."),
        N_("Use `nn.BCEWithLogitsLoss()`: a sigmoid and the binary cross-entropy in one, "
           "numerically stable step."),
    )
    solution = "loss_fn = nn.BCEWithLogitsLoss()"

    def check(self, loss_fn):
        kind = self.probe(probes.kind, loss_fn, during=_("looking at `loss_fn`"))
        expect.that(not kind["is_class"], checked="`loss_fn`",
                    expected=_("a loss object, e.g. `nn.BCEWithLogitsLoss()`"),
                    found=_("the class `{name}` itself").format(
                        name=kind["mro"][0].rsplit(".", 1)[-1]),
                    hint=_("Add the parentheses: create the loss, then call it."))
        if kind["mro"][0] == "torch.nn.modules.loss.BCELoss":
            raise NotAttempted(_(
                "`loss_fn` is still the given `nn.BCELoss()`, which expects probabilities, "
                "but the model returns raw scores. Fix `loss_fn`, run the cell, then check "
                "again."
            ))
        batch = int(self.randint(3, 9))
        cases = [
            (torch.tensor([[-4.0], [-1.0], [0.0], [2.0], [4.0]]),
             torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0]])),
            (3 * self.randn(batch, 1), self.randint(0, 2, batch, 1).float()),
            # Confident and right: a hand-written log(sigmoid) formula gives 0 * log(0) = nan.
            (torch.tensor([[40.0], [-40.0], [1.0]]), torch.tensor([[1.0], [0.0], [1.0]])),
            (self.randn(1, 1), torch.ones(1, 1)),
        ]
        for number, (logits, targets) in enumerate(cases):
            during = _("`loss_fn(logits, targets)` for logits of shape {shape} (any real "
                       "numbers) and 0/1 targets").format(shape=shape_text(logits.shape))
            found = self.call(loss_fn, logits, targets, during=during)
            expect.close(found, F.binary_cross_entropy_with_logits(logits, targets),
                         name="loss_fn(logits, targets)",
                         hint=_("The binary cross-entropy of sigmoid(logits), averaged over "
                                "the batch: `nn.BCEWithLogitsLoss()` computes exactly that."))
            if number == 0:
                # A loss to train with: its graph must lead back to the logits.
                self.call(loss_fn, logits, targets, during=during, differentiable=(0,))
