"""Exercise: a batched matrix product, one expression and no loop."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


class BatchScores(Exercise):
    name = "batch_scores"
    title = N_("A batched matrix product")
    hints = (
        N_("Per batch element you want (T, D) @ (D, S): swap the last two axes of `keys` "
           "with `keys.transpose(1, 2)` (or `keys.mT`)."),
        N_("`queries @ keys.transpose(1, 2)`: (B, T, D) @ (B, D, S) -> (B, T, S)."),
    )
    solution = '''\
def batch_scores(queries, keys):
    return queries @ keys.transpose(1, 2)   # (B, T, D) @ (B, D, S) -> (B, T, S)'''

    def check(self, batch_scores):
        inputs = [
            (self.randn(2, 3, 4), self.randn(2, 5, 4)),
            (self.randn(1, 1, 3), self.randn(1, 2, 3)),
            (self.randn(3, 4, 2), self.randn(3, 4, 2)),
        ]
        for queries, keys in inputs:
            self._check_values(batch_scores, queries, keys)
        # Every dimension grows: a loop over the batch (or anything else) does more work.
        self.no_loop(batch_scores,
                     lambda n: (self.randn(n, n + 1, n + 2), self.randn(n, n + 3, n + 2)),
                     during="`batch_scores(queries, keys)`",
                     hint=_("One expression for the whole batch: `@` multiplies matching "
                            "batch elements by itself."))
        # float64 in, float64 out: last, so that a loop hears of its loop first
        self._check_values(batch_scores, self.randn(2, 2, 3, dtype=torch.float64),
                           self.randn(2, 4, 3, dtype=torch.float64))

    def _check_values(self, batch_scores, queries, keys):
        during = _("`batch_scores(queries, keys)` with queries of shape {queries_shape} "
                   "and keys of shape {keys_shape}").format(
            queries_shape=shape_text(queries.shape), keys_shape=shape_text(keys.shape))
        found = self.call(batch_scores, queries, keys, during=during)
        expected = torch.einsum("btd,bsd->bts", queries, keys)
        b, t, s = queries.shape[0], queries.shape[1], keys.shape[1]
        expect.tensor(found, subject=during, shape=(b, t, s),
                      hint=_("(B, T, S): one row per query, one column per key."))
        expect.close(found, expected, subject=during, atol=1e-4,
                     hint=_("Entry [b, t, s] is the dot product of queries[b, t] "
                            "and keys[b, s]."))
