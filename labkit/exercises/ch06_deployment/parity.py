"""Exercise: a parity report between a reference output and a candidate, with
tolerances as `torch.allclose` uses them."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import describe
from labkit.i18n import N_, _


class Parity(Exercise):
    name = "compare_outputs"
    title = N_("Parity with a tolerance")
    hints = (
        N_("An element passes when `|candidate - reference| <= atol + rtol * |reference|`, as "
           "in `torch.allclose`. The worst element is the one that goes furthest past its own "
           "allowance: the largest `|candidate - reference| - (atol + rtol * |reference|)`."),
        N_("`diff = (candidate - reference).abs()`, `excess = diff - (atol + rtol * "
           "reference.abs())`, `ok = bool((excess <= 0).all())`, `worst = tuple(int(i) for i in "
           "torch.unravel_index(excess.argmax(), excess.shape))`, "
           "`return ok, diff.max().item(), worst`."),
    )
    solution = '''\
def compare_outputs(reference, candidate, atol=1e-5, rtol=1e-4):
    diff = (candidate - reference).abs()                  # same shape as the inputs
    excess = diff - (atol + rtol * reference.abs())       # > 0 where an element fails
    ok = bool((excess <= 0).all())
    worst = torch.unravel_index(excess.argmax(), excess.shape)
    return ok, diff.max().item(), tuple(int(i) for i in worst)'''

    def _cases(self):
        cases = []
        # Large values that differ by a tiny relative amount: they pass thanks to rtol.
        ref = self.randn(3, 4) * 1000
        cases.append((ref, ref * (1 + 2e-5), 1e-5, 1e-4))
        # Where the reference is 0, only atol allows a difference.
        ref = self.randn(2, 3, 4)
        ref[1, 2, 3] = 0.0
        cand = ref.clone()
        cand[1, 2, 3] = 5e-6
        cases.append((ref, cand, 1e-5, 1e-4))
        # The largest difference sits on a large element and is allowed; a small element
        # with a smaller difference fails and is the worst.
        ref = self.randn(5, 6) * 0.01
        cand = ref + 1e-7
        i, j = int(self.randint(0, 5)), int(self.randint(0, 6))
        k = (i + 1) % 5
        ref[i, j], cand[i, j] = 500.0, 500.03
        cand[k, j] = ref[k, j] + 0.004
        cases.append((ref, cand, 1e-3, 1e-4))
        # One sample, ten classes, a few elements off.
        ref = self.randn(1, 10)
        cand = ref + self.randn(1, 10) * 1e-3
        cases.append((ref, cand, 1e-4, 1e-3))
        # One element exactly at its allowance (a reference of 0 and a difference of
        # exactly atol, both powers of two): it passes, as with `torch.isclose`.
        ref = self.randn(3, 5) * 0.25
        i, j = int(self.randint(0, 3)), int(self.randint(0, 5))
        ref[i, j] = 0.0
        cand = ref.clone()
        cand[i, j] = 2.0**-10
        cases.append((ref, cand, 2.0**-10, 2.0**-12))
        # A NaN, then an infinity, where the reference is finite: a model that breaks
        # down must never be reported as close.
        for bad in (float("nan"), float("inf")):
            ref = self.randn(4, 3)
            cand = ref + 1e-7
            cand[int(self.randint(0, 4)), int(self.randint(0, 3))] = bad
            cases.append((ref, cand, 1e-5, 1e-4))
        return cases

    def check(self, compare_outputs):
        for ref, cand, atol, rtol in self._cases():
            call = f"compare_outputs(reference, candidate, atol={atol:g}, rtol={rtol:g})"
            shape = tuple(ref.shape)
            checked = _("`{call}` for tensors of shape {shape}").format(call=call, shape=shape)
            found = self.call(compare_outputs, ref, cand, atol=atol, rtol=rtol, during=checked)
            expect.that(type(found) in (tuple, list) and len(found) == 3,
                        checked=_("what {checked} returns").format(checked=checked),
                        expected=_("three values: `(ok, max_abs_diff, worst_index)`"),
                        found=describe(found))
            ok, max_diff, worst = found
            diff = (cand - ref).abs()
            excess = diff - (atol + rtol * ref.abs())  # NaN where the candidate is NaN
            want_ok = bool((excess <= 0).all())
            if isinstance(ok, torch.Tensor) and ok.numel() == 1:
                ok = bool(ok)
            nonfinite = not bool(torch.isfinite(cand).all())
            expect.that(type(ok) is bool and ok == want_ok,
                        checked=_("`ok` of {checked}").format(checked=checked),
                        expected=f"`{want_ok}`", found=describe(ok),
                        hint=_("A NaN or an infinity in the candidate is never close: compare "
                               "so that NaN fails, e.g. `(excess <= 0).all()`, not "
                               "`not (excess > 0).any()`.") if nonfinite else
                        _("Each element gets its own allowance, `atol + rtol * |reference|`: "
                          "a relative tolerance lets large values differ more, an absolute "
                          "one keeps values near 0 in check."))
            expect.close(max_diff, diff.max().item(),
                         subject=_("`max_abs_diff` of {checked}").format(checked=checked),
                         atol=1e-9, rtol=1e-6,
                         hint=_("The largest `|candidate - reference|`, an absolute "
                                "difference (NaN if a difference is NaN)."))
            if isinstance(worst, torch.Tensor):
                worst = worst.tolist()
            # torch.argmax, like NumPy's, takes a NaN for the largest value.
            want = tuple(int(i) for i in torch.unravel_index(excess.argmax(), excess.shape))
            is_index = (type(worst) in (tuple, list)
                        and all(type(i) is int for i in worst))
            expect.that(is_index and len(worst) == ref.dim(),
                        checked=_("`worst_index` of {checked}").format(checked=checked),
                        expected=_("a tuple with one index per dimension, like "
                                   "`{want}`").format(want=want),
                        found=describe(worst),
                        hint=_("`torch.unravel_index(flat_index, shape)` turns a flat index "
                               "into one index per dimension."))
            expect.that(tuple(worst) == want,
                        checked=_("`worst_index` of {checked}").format(checked=checked),
                        expected=_("`{want}`, the element furthest past its "
                                   "allowance").format(want=want),
                        found=f"`{tuple(worst)}`", hint=_(self.hints[0]))
