"""Exercise: the accuracy of each class, from logits and labels (NaN for an absent class)."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


def reference(logits: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    hit = (logits.argmax(dim=1) == labels).float()  # (B,)
    seen = torch.bincount(labels, minlength=num_classes).float()  # (K,) examples per class
    right = torch.bincount(labels, weights=hit, minlength=num_classes).float()  # (K,)
    return right / seen  # 0 / 0 is NaN: a class with no example


class PerClassAccuracy(Exercise):
    name = "per_class_accuracy"
    title = N_("The accuracy of each class")
    hints = (
        N_("For class `k`, keep the rows whose label is `k` (`labels == k`) and take the "
           "accuracy of those rows alone."),
        N_("`torch.bincount(labels, minlength=num_classes)` counts the examples of each "
           "class; with `weights=` it adds up the hits instead. Divide, in float32: "
           "`0 / 0` gives the NaN an absent class needs."),
    )
    solution = '''\
def per_class_accuracy(logits, labels, num_classes):
    hit = (logits.argmax(dim=1) == labels).float()  # (B,) 1.0 where the prediction is right
    seen = torch.bincount(labels, minlength=num_classes).float()  # (K,) examples of each class
    right = torch.bincount(labels, weights=hit, minlength=num_classes).float()  # (K,) hits
    return right / seen  # (K,); 0 / 0 = NaN for a class with no example'''

    def check(self, per_class_accuracy):
        logits = torch.tensor([[2.0, 0.1, -1.0], [0.0, 3.0, 1.0], [0.5, 0.2, 0.9],
                               [1.0, 4.0, 2.0], [0.0, 0.5, 0.1]])  # predicts 0, 1, 2, 1, 1
        classes = int(self.randint(3, 11))
        batch = int(self.randint(20, 60))
        skewed = self.randint(0, 2, batch)  # two classes only: the others are absent
        cases = [
            # class 0: 1 of 1, class 1: 1 of 3, class 2: 1 of 1; overall 3 of 5
            (logits, torch.tensor([0, 1, 2, 2, 1]), 3),
            (logits, torch.tensor([0, 1, 2, 1, 1]), 4),  # class 3 has no example
            (self.randn(batch, classes), self.randint(0, classes, batch), classes),
            (self.randn(batch, classes) + 3 * torch.nn.functional.one_hot(skewed, classes),
             skewed, classes),
            (self.randn(1, classes), self.randint(0, classes, 1), classes),
            (self.randn(batch, classes, dtype=torch.float64), self.randint(0, classes, batch),
             classes),
        ]
        for x, labels, k in cases:
            during = _("`per_class_accuracy(logits, labels, {k})` for logits of shape "
                       "{logits_shape}").format(k=k, logits_shape=shape_text(x.shape))
            found = self.call(per_class_accuracy, x, labels, k, during=during)
            expect.close(found, reference(x, labels, k), check_dtype=False,
                         name=_("per_class_accuracy(logits, labels, {k})").format(k=k),
                         hint=_("Entry `k` is the hits among the examples of class `k` "
                                "divided by the number of those examples, NaN when there "
                                "are none; a float tensor of shape `(num_classes,)`."))
