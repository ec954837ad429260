"""Exercise: a batched bilinear score x^T W y, one expression (einsum) and no loop."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


class Bilinear(Exercise):
    name = "bilinear"
    title = N_("A bilinear score with einsum")
    hints = (
        N_("Name the axes: `x` is (b, i), `W` is (i, j), `y` is (b, j). Which letters are "
           "summed away, and which one is kept?"),
        N_("`torch.einsum(\"bi,ij,bj->b\", x, W, y)`; without einsum, "
           "`((x @ W) * y).sum(dim=1)`."),
    )
    solution = '''\
def bilinear(x, W, y):
    return torch.einsum("bi,ij,bj->b", x, W, y)   # sum over i and j, keep b: (B,)'''

    def check(self, bilinear):
        inputs = [
            # Everything square first: W used transposed gives wrong numbers, not an error.
            (self.randn(3, 3), self.randn(3, 3), self.randn(3, 3)),
            (self.randn(4, 3), self.randn(3, 5), self.randn(4, 5)),
            (self.randn(1, 2), self.randn(2, 2), self.randn(1, 2)),   # B = 1
            (self.randn(2, 1), self.randn(1, 4), self.randn(2, 4)),
        ]
        for x, W, y in inputs:
            self._check_values(bilinear, x, W, y)
        self.no_loop(bilinear,
                     lambda n: (self.randn(n, n + 1), self.randn(n + 1, n + 2),
                                self.randn(n, n + 2)),
                     during="`bilinear(x, W, y)`",
                     hint=_("One expression for the whole batch: `einsum` or `@` with a "
                            "sum."))
        self._check_values(bilinear, self.randn(2, 3, dtype=torch.float64),
                           self.randn(3, 4, dtype=torch.float64),
                           self.randn(2, 4, dtype=torch.float64))

    def _check_values(self, bilinear, x, W, y):
        during = _("`bilinear(x, W, y)` with x of shape {x_shape}, W of shape {w_shape} "
                   "and y of shape {y_shape}").format(
            x_shape=shape_text(x.shape), w_shape=shape_text(W.shape),
            y_shape=shape_text(y.shape))
        found = self.call(bilinear, x, W, y, during=during)
        expected = ((x @ W) * y).sum(dim=1)
        expect.tensor(found, subject=during, shape=(x.shape[0],), dtype=x.dtype,
                      hint=_("(B,): one score per row of the batch; only `b` stays in the "
                             "output."))
        expect.close(found, expected, subject=during, atol=1e-4,
                     hint=_("Entry b is the sum over i and j of x[b, i] * W[i, j] * "
                            "y[b, j]: `i` pairs `x` with the rows of `W`."))
