"""Exercise: a mixed-precision training step with autocast, GradScaler and clipping."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.contract import Contract
from labkit.exercises.ch05_gpu_and_ddp.amp_setting import (
    WRITES,
    amp_model,
    amp_optimizer,
    amp_step_probe,
    fake_gpu_forwards,
    reference_step,
    stale_grads,
)
from labkit.i18n import N_, _

# "Return the (unscaled) loss as a number"; the model, optimizer and scaler are updated.
CONTRACT = Contract(writes=WRITES, returns=float)

MISTAKES = {
    "clip-first": N_("gradients clipped before `scaler.unscale_(optimizer)`"),
    "no-clip": N_("gradients not clipped"),
    "stale": N_("old gradients added to the new ones (no `optimizer.zero_grad()`)"),
    "two-steps": N_("two optimizer steps (`scaler.step(optimizer)` already calls "
                    "`optimizer.step()`)"),
}


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


class AmpStep(Exercise):
    name = "amp_step"
    title = N_("A mixed-precision training step with GradScaler")
    hints = (
        N_("The order: `optimizer.zero_grad()`; forward and loss under `torch.autocast`; "
           "`scaler.scale(loss).backward()`; `scaler.unscale_(optimizer)`; clip; "
           "`scaler.step(optimizer)`; `scaler.update()`."),
        N_("Clip after `scaler.unscale_(optimizer)`, or `max_norm` applies to gradients that "
           "are still multiplied by the scale."),
    )
    solution = '''\
def amp_step(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype):
        loss = F.cross_entropy(model(x), y)        # forward in low precision
    scaler.scale(loss).backward()                  # gradients of loss * scale
    scaler.unscale_(optimizer)                     # divide them by the scale, in place
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)                         # skipped if a gradient is inf or NaN
    scaler.update()                                # grow or shrink the scale
    return loss.item()'''

    def _run_reference(self, state, x, y, setup, variant="right"):
        model = amp_model()
        model.load_state_dict(state)
        optimizer, scaler = amp_optimizer(model, setup)
        stale_grads(model)
        loss = reference_step(model, x, y, optimizer, scaler, amp_dtype=setup["dtype"],
                              max_norm=setup["max_norm"], variant=variant)
        return {"weights": {k: v.detach().clone() for k, v in model.state_dict().items()},
                "scale": scaler.get_scale(), "loss": loss}

    def setups(self) -> list[tuple[dict, bool]]:
        """(setup, overflow): an ordinary batch in bfloat16 and in float16 (in an order
        drawn), then a batch whose scaled gradients overflow. Clipping norm and initial
        scale are drawn; so are two different learning rates, so that a step that ignores
        the given optimizer (its own, with a rate written in) matches neither."""
        dtypes = [(torch.bfloat16, torch.float16)[int(i)]
                  for i in torch.randperm(2, generator=self.rng)]
        lrs = [(0.1, 0.2, 0.3, 0.5)[int(i)] for i in torch.randperm(4, generator=self.rng)]
        max_norm, scale = self.pick((0.02, 0.05)), 2.0 ** int(self.randint(10, 15))
        ordinary = [({"dtype": dtype, "lr": lr, "max_norm": max_norm, "init_scale": scale},
                     False) for dtype, lr in zip(dtypes, lrs, strict=False)]
        return [*ordinary, ({**ordinary[0][0], "init_scale": 2.0 ** 120}, True)]

    def check(self, amp_step):
        torch.manual_seed(self.seed)
        state = {k: v.detach().clone() for k, v in amp_model().state_dict().items()}
        x, y = self.randn(6, 8) * 2, self.randint(0, 4, 6)
        for setup, overflow in self.setups():
            inputs = x * 1e6 if overflow else x
            dtype = _dtype_name(setup["dtype"])
            call = (f"amp_step(model, x, y, optimizer, scaler, amp_dtype=torch.{dtype}, "
                    f"max_norm={setup['max_norm']})")
            checked = (_("`{call}` on a batch whose scaled gradients overflow to inf")
                       if overflow else _("`{call}` on an ordinary batch")).format(call=call)
            reply = self.probe(amp_step_probe, amp_step, state, inputs, y, setup,
                               CONTRACT.spec(), during=checked)
            loss = CONTRACT.judge(reply, checked)
            self._check_forwards(reply["forwards"], dtype, checked)
            expected = self._run_reference(state, inputs, y, setup)
            if overflow:
                self._check_skipped(reply["weights"], state, checked)
            expect.that(reply["scale"] == expected["scale"],
                        checked=_("`scaler.get_scale()` after {checked} (initial scale "
                                  "{init_scale:g})").format(checked=checked,
                                                            init_scale=setup["init_scale"]),
                        expected=f"{expected['scale']:g}", found=f"{reply['scale']:g}",
                        hint=_("`scaler.update()` once per step, after "
                               "`scaler.step(optimizer)`, halves the scale after an overflow "
                               "and doubles it after enough good steps."))
            if not overflow:
                self._compare_weights(reply["weights"], expected, state, inputs, y, setup,
                                      checked)
                expect.close(loss, expected["loss"], atol=1e-4, rtol=1e-3,
                             subject=_("the value returned by `{call}`").format(call=call),
                             hint=_("Return the loss itself, `loss.item()`, not the scaled "
                                    "loss."))
        self._check_device_type(amp_step, setup)

    def _check_forwards(self, forwards, dtype: str, checked: str) -> None:
        """Every forward pass ran under CPU autocast with the given dtype."""
        on = [f["cpu"] for f in forwards]
        found = (_("the model never called") if not on else
                 _("the model called in full precision") if not all(e for e, _d in on) else
                 None)
        wrong_dtype = next((d for e, d in on if d != dtype), None)
        if found is None and wrong_dtype is not None:
            found = _("autocast with dtype `{found}`").format(found=wrong_dtype)
        expect.that(found is None,
                    checked=_("the forward pass in {checked}").format(checked=checked),
                    expected=_("the model called inside `torch.autocast(...)` with dtype "
                               "`{dtype}`, the `amp_dtype` given").format(dtype=dtype),
                    found=found or "", hint=_(
                        "`torch.autocast(device_type=x.device.type, dtype=amp_dtype)`: the "
                        "device type and the dtype come from the arguments, never written "
                        "in.") if wrong_dtype else self.hints[0])

    def _check_skipped(self, weights, state, checked: str) -> None:
        finite = all(bool(torch.isfinite(w).all()) for w in weights.values())
        unchanged = finite and all(torch.equal(weights[k], v) for k, v in state.items())
        expect.that(unchanged, checked=_("the weights after {checked}").format(checked=checked),
                    expected=_("the step skipped, weights unchanged"),
                    found=_("weights that changed") if finite
                    else _("weights that changed to inf or NaN"),
                    hint=_("`scaler.step(optimizer)` skips the step when a gradient is inf or "
                           "NaN; `optimizer.step()` does not."))

    def _check_device_type(self, amp_step, setup: dict) -> None:
        """On a simulated GPU (fake tensors on 'cuda'), no autocast may be on for 'cpu':
        the device type comes from `x`, so the same code runs on a GPU."""
        during = _("`amp_step(...)` with the model and `x` on a simulated `cuda` device")
        found = self.probe(fake_gpu_forwards, amp_step, setup, during=during)
        if found is None:
            return  # this torch cannot simulate a GPU
        hint = _("`torch.autocast(device_type=x.device.type, dtype=amp_dtype)`: the device "
                 "type and the dtype come from the arguments, never written in.")
        checked = _("the forward pass of {during}").format(during=during)
        expected = _("autocast for `x.device.type`, here `cuda`")
        if any(f["cpu"][0] for f in found["forwards"]):
            expect.that(False, checked=checked, expected=expected,
                        found=_("autocast for `cpu`, written in"), hint=hint)
        if not found["forwards"] and found["error"]:
            # Code that runs on the CPU only: `x.to("cpu")`, `str(x.device)` ("cuda:0")
            # as a device type, ...
            expect.that(False, checked=checked, expected=expected,
                        found=_("an error before the model ran: `{error}`").format(
                            error=found["error"]),
                        hint=_("The same code must run on a GPU: leave `x` where it is and "
                               "pass `device_type=x.device.type` to `torch.autocast`."))

    def _compare_weights(self, weights, expected, state, x, y, setup, checked):
        def same(result):
            return all(torch.allclose(weights[k].float(), v.float(), atol=1e-6, rtol=1e-4)
                       for k, v in result["weights"].items())

        if same(expected):
            return
        named = next((variant for variant in MISTAKES
                      if same(self._run_reference(state, x, y, setup, variant))), None)
        expect.that(False, checked=_("the weights after {checked}").format(checked=checked),
                    expected=_("the weights of one correct step (zero_grad, scale, backward, "
                               "unscale_, clip, step, update)"),
                    found=_(MISTAKES[named]) if named else _("other weights"),
                    hint=self.hints[1] if named == "clip-first" else self.hints[0])
