"""Exercise: standardise each row with reductions and broadcasting."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _


class StandardizeRows(Exercise):
    name = "standardize_rows"
    title = N_("Standardise each row")
    hints = (
        N_("Compute one mean and one standard deviation per row: reduce along `dim=1` with "
           "`keepdim=True`, so the (N, 1) results broadcast against the (N, D) input."),
        N_("`(x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True, correction=0)`"),
    )
    solution = '''\
def standardize_rows(x):
    mean = x.mean(dim=1, keepdim=True)               # (N, 1)
    std = x.std(dim=1, keepdim=True, correction=0)   # (N, 1)
    return (x - mean) / std                          # (N, D)'''

    def check(self, standardize_rows):
        inputs = [
            torch.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 60.0]]),
            self.randn(4, 7) * 3 + 5,
            self.randn(5, 5) * 2 - 1,  # square: a missing keepdim broadcasts silently
            self.randn(1, 6) * 4 + 2,  # one row
        ]
        for x in inputs:
            self._check_values(standardize_rows, x)
        self.no_loop(standardize_rows, lambda n: (self.randn(n, n + 1) * 3 + 1,),
                     during="`standardize_rows(x)`",
                     hint=_("Reduce every row at once along `dim=1`, then broadcast: no "
                            "loop over the rows."))
        # float64 in, float64 out: last, so that a loop hears of its loop first
        self._check_values(standardize_rows, self.randn(3, 4, dtype=torch.float64) * 5 - 3)

    def _check_values(self, standardize_rows, x):
        during = _("`standardize_rows(x)` with x of shape {shape}").format(
            shape=shape_text(x.shape))
        found = self.call(standardize_rows, x, during=during)
        mean = x.mean(dim=1, keepdim=True)
        expected = (x - mean) / x.std(dim=1, keepdim=True, correction=0)
        expect.tensor(found, subject=during, shape=x.shape, hint=self.hints[0])
        unbiased = (x - mean) / x.std(dim=1, keepdim=True)
        expect.that(not torch.allclose(found.detach().to(x.dtype), unbiased, atol=1e-5),
                    checked=_("the values of {name}").format(name=during),
                    expected=_("rows with variance 1, the average squared deviation "
                               "dividing by D"),
                    found=_("a standard deviation computed dividing by D - 1 "
                            "(the default of `std`)"),
                    hint=_("Pass `correction=0` to `std`."))
        expect.close(found, expected, subject=during,
                     hint=_("Each row uses its own mean and standard deviation, "
                            "computed along `dim=1`."))
