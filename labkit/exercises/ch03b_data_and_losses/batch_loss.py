"""Exercise: spot the bug, a loss function that does not exist."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from labkit.check import Exercise, LearnerError, NotAttempted, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


class BatchLoss(Exercise):
    name = "batch_loss"
    title = N_("Spot the bug: a loss function that does not exist")
    hints = (
        N_("Read the error: `torch.nn.functional` has no `cross_entropy_loss`. "
           "`dir(nn.functional)` lists what it has."),
        N_("The function is `nn.functional.cross_entropy(outputs, labels)` (or the layer "
           "`nn.CrossEntropyLoss()`, created once, then called)."),
    )
    solution = '''\
def batch_loss(outputs, labels):
    return nn.functional.cross_entropy(outputs, labels)'''

    def check(self, batch_loss):
        batch, classes = int(self.randint(2, 17)), int(self.randint(2, 11))
        cases = [(torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0]]), torch.tensor([2, 1])),
                 (3 * self.randn(batch, classes), self.randint(0, classes, batch)),
                 (self.randn(1, 10), self.randint(0, 10, 1)),
                 (self.randn(batch, classes, dtype=torch.float64),
                  self.randint(0, classes, batch))]
        for number, (outputs, labels) in enumerate(cases):
            found = self._call(batch_loss, outputs, labels)
            expect.close(found, F.cross_entropy(outputs, labels),
                         name="batch_loss(outputs, labels)",
                         hint=_("The mean cross-entropy of the logits, as "
                                "`nn.functional.cross_entropy(outputs, labels)` computes it "
                                "(it applies the log-softmax itself)."))
            if number == 0:
                # "A tensor you could call backward() on": its graph reaches the outputs.
                self._call(batch_loss, outputs, labels, differentiable=(0,))

    def _call(self, batch_loss, outputs, labels, **contract):
        during = _("`batch_loss(outputs, labels)` for outputs (logits) of shape "
                   "{outputs_shape} and class labels of shape {labels_shape}").format(
            outputs_shape=shape_text(outputs.shape), labels_shape=shape_text(labels.shape))
        try:
            return self.call(batch_loss, outputs, labels, during=during, **contract)
        except LearnerError as err:
            # The given line reaches for a function that does not exist.
            if err.type_name == "AttributeError" and "cross_entropy_loss" in err.message:
                raise NotAttempted(_(
                    "`batch_loss` still calls `nn.functional.cross_entropy_loss`, which "
                    "does not exist (AttributeError). Fix the name, run the cell, then "
                    "check again.")) from None
            raise
