"""Exercise: pick one score per row, without a loop."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


class PickScores(Exercise):
    name = "pick_scores"
    title = N_("Pick one score per row")
    hints = (
        N_("`scores[:, labels]` takes every chosen column for every row: (N, N). Pair row i "
           "with its own label: `scores[torch.arange(N), labels]`."),
        N_("With `gather`: `scores.gather(1, labels[:, None]).squeeze(1)`; the index must "
           "have as many dimensions as `scores`."),
    )
    solution = '''\
def pick_scores(scores, labels):
    index = labels[:, None]                    # (N, 1)
    return scores.gather(1, index).squeeze(1)  # (N, 1) -> (N,)'''

    def check(self, pick_scores):
        inputs = [
            (torch.arange(12.0).view(3, 4), torch.tensor([3, 0, 2])),
            (self.randn(5, 7), self.randint(0, 7, 5)),
            (self.randn(1, 3), torch.tensor([2])),
        ]
        for scores, labels in inputs:
            self._check_values(pick_scores, scores, labels)
        # The same work for 4 rows as for 16: no loop over the rows, whatever its syntax.
        self.no_loop(pick_scores,
                     lambda n: (self.randn(n, n + 2), self.randint(0, n + 2, n)),
                     during="`pick_scores(scores, labels)`",
                     hint=_("Index with two tensors at once, "
                            "`scores[torch.arange(N), labels]`: row i is paired with "
                            "`labels[i]`."))
        # float64 in, float64 out: last, so that a loop hears of its loop first
        self._check_values(pick_scores, self.randn(4, 2, dtype=torch.float64),
                           self.randint(0, 2, 4))

    def _check_values(self, pick_scores, scores, labels):
        during = _("`pick_scores(scores, labels)` with scores of shape {shape} and "
                   "labels {labels}").format(shape=shape_text(scores.shape),
                                             labels=labels.tolist())
        found = self.call(pick_scores, scores, labels, during=during)
        expected = scores[torch.arange(len(labels)), labels]
        expect.tensor(found, subject=during, shape=expected.shape, hint=self.hints[0])
        expect.close(found, expected, subject=during,
                     hint=_("Element i is `scores[i, labels[i]]`."))
