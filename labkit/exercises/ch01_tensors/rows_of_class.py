"""Exercise: select the rows of one class with a boolean mask."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.i18n import N_, _


class RowsOfClass(Exercise):
    name = "rows_of_class"
    title = N_("Select rows with a mask")
    hints = (
        N_("`labels == k` is a boolean mask of shape (N,); indexing `x` with it keeps the "
           "rows where the mask is True."),
        N_("`x[labels == k]`"),
    )
    solution = '''\
def rows_of_class(x, labels, k):
    return x[labels == k]   # (N, D) with an (N,) mask -> (K, D)'''

    def check(self, rows_of_class):
        labels = self.randint(0, 3, 8)
        single = torch.cat([torch.tensor([3]), self.randint(0, 3, 5)])[torch.randperm(
            6, generator=self.rng)]  # class 3 on exactly one row, at a random place
        inputs = [
            (torch.arange(12.0).view(4, 3), torch.tensor([1, 0, 1, 2]), 1),
            (self.randn(8, 3), labels, int(labels[0])),
            (self.randn(6, 4), single, 3),  # exactly one row: shape (1, D), not (D,)
            (self.randn(8, 2), labels, 5),  # a class with no rows: shape (0, D)
            (self.randn(5, 3, dtype=torch.float64), self.randint(0, 2, 5), 1),  # kept float64
        ]
        for x, labels, k in inputs:
            during = _("`rows_of_class(x, labels, {k})` with labels {labels}").format(
                k=k, labels=labels.tolist())
            found = self.call(rows_of_class, x, labels, k, during=during)
            expected = x[labels == k]
            expect.tensor(found, subject=during, shape=expected.shape,
                          hint=_("Keep only the rows whose label is k, each whole: "
                                 "(K, D), where K may be 0."))
            expect.close(found, expected, subject=during,
                         hint=_("The rows, unchanged and in their original order."))
