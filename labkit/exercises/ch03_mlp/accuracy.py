"""Exercise: the accuracy of a batch of logits, as a Python number."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect, probes, verdicts
from labkit.check.contract import Contract
from labkit.check.describe import shape_text
from labkit.i18n import N_, _

CONTRACT = Contract()  # neither logits nor labels may change


class Accuracy(Exercise):
    name = "accuracy"
    title = N_("Accuracy from logits")
    hints = (
        N_("The predicted class is the index of the largest logit in each row: "
           "`logits.argmax(dim=1)`."),
        N_("Compare with `labels`, turn the bools into floats and average: "
           "`(pred == labels).float().mean().item()`."),
    )
    solution = '''\
def accuracy(logits, labels):
    predictions = logits.argmax(dim=1)  # (B, K) -> (B,)
    return (predictions == labels).float().mean().item()'''

    def check(self, accuracy):
        logits = torch.tensor([[2.0, 0.1, -1.0], [0.0, 3.0, 1.0], [0.5, 0.2, 0.9],
                               [1.0, 4.0, 2.0]])  # predicts 0, 1, 2, 1
        batch, classes = int(self.randint(5, 40)), int(self.randint(2, 11))
        large = int(self.randint(100, 300))  # more rows than any hard-coded batch size
        cases = [
            (logits, torch.tensor([0, 1, 0, 2])),  # half right
            (logits, torch.tensor([0, 1, 2, 1])),  # all right
            (logits, torch.tensor([1, 0, 0, 0])),  # all wrong
            (self.randn(batch, classes), self.randint(0, classes, batch)),
            (self.randn(1, classes), self.randint(0, classes, 1)),
            (self.randn(large, classes, dtype=torch.float64), self.randint(0, classes, large)),
        ]
        for x, labels in cases:
            during = _("`accuracy(logits, labels)` for logits of shape {logits_shape} and "
                       "labels of shape {labels_shape}").format(
                logits_shape=shape_text(x.shape), labels_shape=shape_text(labels.shape))
            # Exercise.call's own probe, judged here so the type's message has its hint.
            reply = self.probe(probes.guarded_call, accuracy, (x, labels), {},
                               CONTRACT.spec(), during=during)
            found = CONTRACT.judge(reply, during)
            verdicts.returns(reply["report"], float, during, _(
                "Return a Python number: `.item()` turns a one-element tensor into one."))
            expected = (x.argmax(dim=1) == labels).float().mean().item()
            expect.close(found, expected, name="accuracy(logits, labels)",
                         hint=_("A fraction between 0 and 1: correct predictions over the "
                                "batch size."))
