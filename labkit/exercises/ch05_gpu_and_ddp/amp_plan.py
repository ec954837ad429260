"""Exercise: which 16-bit type autocast should use, and whether it needs a GradScaler,
decided from the device type and the GPU's compute capability (no GPU needed)."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.i18n import N_, _

# (device type, compute capability): CPUs, then GPUs before and from Ampere (8.0).
SETTINGS = [("cpu", None), ("cuda", (6, 1)), ("cuda", (7, 0)), ("cuda", (7, 5)),
            ("cuda", (8, 0)), ("cuda", (8, 6)), ("cuda", (9, 0)), ("cuda", (12, 0))]


def reference_plan(device_type: str, capability) -> tuple[torch.dtype, bool]:
    if device_type == "cuda" and tuple(capability) < (8, 0):
        return torch.float16, True   # no native bfloat16: float16, which needs a scaler
    return torch.bfloat16, False


def _text(plan) -> str:
    dtype, scaler = plan
    return f"({str(dtype).removeprefix('torch.')}, {scaler})"


class AmpPlan(Exercise):
    name = "amp_plan"
    title = N_("Which 16-bit type, and does it need a scaler?")
    hints = (
        N_("bfloat16 where the hardware has it natively (a CPU, or a CUDA GPU of compute "
           "capability 8.0 or more), and then no scaler; float16 with a scaler on older "
           "CUDA GPUs. Compare the whole capability: `capability >= (8, 0)`."),
        N_("`if device_type == \"cuda\" and capability < (8, 0): return torch.float16, "
           "True`, else `return torch.bfloat16, False`."),
    )
    solution = '''\
def amp_plan(device_type, capability):
    if device_type == "cuda" and capability < (8, 0):   # before Ampere: no native bfloat16
        return torch.float16, True                       # float16 needs a GradScaler
    return torch.bfloat16, False'''

    def check(self, amp_plan):
        order = torch.randperm(len(SETTINGS), generator=self.rng).tolist()
        for device_type, capability in (SETTINGS[i] for i in order):
            call = f"amp_plan({device_type!r}, {capability!r})"
            found = self.call(amp_plan, device_type, capability, during=f"`{call}`")
            shaped = (isinstance(found, (tuple, list)) and len(found) == 2
                      and isinstance(found[0], torch.dtype) and isinstance(found[1], bool))
            expect.that(shaped, checked=_("what `{call}` returns").format(call=call),
                        expected=_("a pair (dtype, needs a scaler), such as "
                                   "`(torch.float16, True)`"),
                        found=repr(found)[:80], hint=self.hints[1])
            expected = reference_plan(device_type, capability)
            if tuple(found) == expected:
                continue
            hint = self.hints[0]
            if found[0] == torch.bfloat16 and found[1]:
                hint = _("bfloat16 has float32's range: its gradients do not underflow, so "
                         "it needs no scaler.")
            elif expected[0] == torch.float16 and found[0] == torch.bfloat16:
                hint = _("Before compute capability 8.0 (V100, T4) bfloat16 only runs "
                         "emulated, slowly: `torch.cuda.is_bf16_supported()` says True "
                         "there unless you pass `including_emulation=False`.")
            expect.that(False, checked=f"`{call}`", expected=_text(expected),
                        found=_text(found), hint=hint)
