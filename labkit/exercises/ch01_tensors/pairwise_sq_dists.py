"""Exercise: pairwise squared distances with broadcasting, no loops."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


class PairwiseSqDists(Exercise):
    name = "pairwise_sq_dists"
    title = N_("Pairwise squared distances, no loops")
    hints = (
        N_("Give `a` a new axis in the middle and `b` a new axis in front: (N, 1, D) minus "
           "(1, M, D) broadcasts to (N, M, D)."),
        N_("`((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1)`"),
    )
    solution = '''\
def pairwise_sq_dists(a, b):
    diff = a[:, None, :] - b[None, :, :]   # (N, 1, D) - (1, M, D) -> (N, M, D)
    return (diff ** 2).sum(dim=-1)          # (N, M)'''

    def check(self, pairwise_sq_dists):
        inputs = [
            (torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]),
             torch.tensor([[0.0, 0.0], [3.0, 4.0]])),
            (self.randn(5, 3), self.randn(4, 3)),
            (self.randn(1, 6), self.randn(3, 6)),
            (self.randn(4, 2), self.randn(1, 2)),
        ]
        for a, b in inputs:
            self._check_values(pairwise_sq_dists, a, b)
        self.no_loop(pairwise_sq_dists,
                     lambda n: (self.randn(n, n + 1), self.randn(n + 2, n + 1)),
                     during="`pairwise_sq_dists(a, b)`", hint=self.hints[0])
        # float64 in, float64 out: last, so that a loop hears of its loop first
        self._check_values(pairwise_sq_dists, self.randn(3, 4, dtype=torch.float64),
                           self.randn(2, 4, dtype=torch.float64))

    def _check_values(self, pairwise_sq_dists, a, b):
        during = _("`pairwise_sq_dists(a, b)` with a of shape {a_shape} and b of shape "
                   "{b_shape}").format(a_shape=shape_text(a.shape), b_shape=shape_text(b.shape))
        found = self.call(pairwise_sq_dists, a, b, during=during)
        expected = ((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1)
        expect.tensor(found, subject=during, shape=(len(a), len(b)),
                      hint=_("Row i, column j holds the squared distance between a[i] "
                             "and b[j]; sum over the last axis, D."))
        expect.close(found, expected, subject=during, atol=1e-4,
                     hint=_("Squared distances: no square root."))
