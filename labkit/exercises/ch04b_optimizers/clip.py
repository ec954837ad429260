"""Exercise: clip a list of gradients by their global norm, into new tensors."""

from __future__ import annotations

import torch
from torch import nn

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.exercises.ch04b_optimizers.reference import unpack
from labkit.i18n import N_, _

# From the formula. The text asks for new tensors, so the gradients handed over must come
# back as they were, which every call checks.
NO_CLIP_GRAD = {"rule_out": ("clip_grad",),
                "rule_text": N_("the clipping written with tensor operations, without "
                                "`torch.nn.utils.clip_grad_norm_`")}


class ClipGlobalNorm(Exercise):
    name = "clip_by_global_norm"
    title = N_("Clip gradients by their global norm")
    hints = (
        N_("The global norm is the norm of all gradients laid end to end: "
           "`sqrt(sum of g.pow(2).sum() over the list)`. It is computed once, for the whole "
           "list."),
        N_("If total > max_norm, multiply *every* gradient by `max_norm / (total + 1e-6)`; "
           "else leave them. Return `(clipped_list, total)` with the norm before clipping."),
    )
    solution = '''\
def clip_by_global_norm(grads, max_norm):
    total = torch.sqrt(sum((g**2).sum() for g in grads))   # one norm for the whole list
    scale = min(1.0, max_norm / (float(total) + 1e-6))
    return [g * scale for g in grads], total'''

    def _grads(self, scale: float, count: int):
        shapes = [(int(self.randint(2, 6)), int(self.randint(2, 5))),
                  (int(self.randint(2, 9)),), (2, 2, 2), (1,)][:count]
        return [scale * self.randn(*shape) for shape in shapes]

    def check(self, clip_by_global_norm):
        name = "clip_by_global_norm"
        # Far above the limit, just above it, below it (nothing must change), and one
        # gradient alone (its global norm is its own norm).
        for scale, factor, count in ((3.0, 0.2, 4), (1.0, 0.9, 4), (0.5, 2.0, 4),
                                     (2.0, 0.5, 1)):
            grads = self._grads(scale, count)
            total = float(torch.sqrt(sum((g**2).sum() for g in grads)))
            max_norm = round(factor * total, 3)
            params = [nn.Parameter(torch.zeros_like(g)) for g in grads]
            for p, g in zip(params, grads, strict=True):
                p.grad = g.clone()
            ref_total = torch.nn.utils.clip_grad_norm_(params, max_norm)
            shapes = ", ".join(shape_text(g.shape) for g in grads)
            call = f"{name}(grads, max_norm={max_norm})"
            during = _("`{call}` for gradients of shapes {shapes}").format(call=call,
                                                                           shapes=shapes)
            found = self.call(clip_by_global_norm, grads, max_norm, during=during,
                              **NO_CLIP_GRAD)
            clipped, found_total = unpack(found, 2, name=call, names="clipped, total")
            expect.close(found_total, float(ref_total), name=f"{call}[1]",
                         hint=_("Return the global norm of the gradients *before* clipping: "
                                "the square root of the sum of every squared entry."))
            expect.is_type(clipped, (list, tuple), name=f"{call}[0]",
                           hint=_("Return the clipped gradients as a list, in order."))
            expect.equal(len(clipped), len(grads), name=f"len({call}[0])")
            for index, (g, p) in enumerate(zip(clipped, params, strict=True)):
                expect.close(g, p.grad, name=f"{call}[0][{index}]", hint=_clip_hint(factor))


def _clip_hint(factor: float) -> str:
    if factor >= 1:
        return _("The norm is below max_norm here: the gradients must come back unchanged.")
    return _("Scale every gradient by the same factor, max_norm / total, where total is the "
             "norm of all gradients together (not each tensor's own norm).")
