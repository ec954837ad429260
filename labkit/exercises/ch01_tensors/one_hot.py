"""Exercise: one-hot encoding, built with indexing."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.i18n import N_, _


class OneHot(Exercise):
    name = "one_hot"
    title = N_("One-hot encoding")
    hints = (
        N_("Start from `torch.zeros(len(labels), num_classes)` and write a 1 in row i, "
           "column `labels[i]`: index with `torch.arange(len(labels))` and `labels` together."),
        N_("Or compare with broadcasting: `(labels[:, None] == torch.arange(num_classes))"
           ".float()` is (N, 1) against (C,) -> (N, C)."),
    )
    solution = '''\
def one_hot(labels, num_classes):
    out = torch.zeros(len(labels), num_classes)       # (N, C), float32
    out[torch.arange(len(labels)), labels] = 1.0      # row i, column labels[i]
    return out'''

    def check(self, one_hot):
        classes = int(self.randint(2, 13))
        inputs = [
            (torch.tensor([2, 0, 1]), 4),  # the last class never appears
            (self.randint(0, 10, 6), 10),
            (torch.tensor([4]), 5),
            (self.randint(0, classes, int(self.randint(2, 9))), classes),
        ]
        for labels, num_classes in inputs:
            during = _("`one_hot(labels, {num_classes})` with labels {labels}").format(
                num_classes=num_classes, labels=labels.tolist())
            found = self.call(one_hot, labels, num_classes, during=during)
            expected = torch.zeros(len(labels), num_classes)
            expected[torch.arange(len(labels)), labels] = 1.0
            expect.tensor(found, subject=during, shape=(len(labels), num_classes),
                          hint=_("One row per label and one column per class: "
                                 "use `num_classes`, not the largest label."))
            expect.tensor(found, subject=during, dtype=torch.float32,
                          hint=_("Convert with `.float()`: losses and matrix products "
                                 "expect floating point."))
            expect.close(found, expected, subject=during,
                         hint=_("Row i is all zeros except a 1 in column `labels[i]`."))
