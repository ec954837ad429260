"""Exercise: one step of SGD with momentum, exactly as ``torch.optim.SGD`` takes it."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.exercises.ch04b_optimizers.reference import (
    NO_OPTIM,
    STEPS,
    config_text,
    distinct,
    params_and_grads,
    shapes,
    torch_run,
    unpack,
)
from labkit.i18n import N_, _


class MomentumStep(Exercise):
    name = "sgd_momentum_step"
    title = N_("SGD with momentum, as torch.optim.SGD does it")
    hints = (
        N_("At the first step (`buf is None`) the buffer is a copy of the gradient, with no "
           "dampening. Later: `buf = momentum * buf + (1 - dampening) * grad`."),
        N_("The direction is `buf`, or `grad + momentum * buf` (the new buf) with "
           "`nesterov=True`; then `param - lr * direction`. Return `(param, buf)`."),
    )
    solution = '''\
def sgd_momentum_step(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    if buf is None:
        buf = grad.clone()                                  # first step: no dampening
    else:
        buf = momentum * buf + (1 - dampening) * grad
    direction = grad + momentum * buf if nesterov else buf
    return param - lr * direction, buf'''

    def configs(self) -> list[dict]:
        """Plain momentum, dampened momentum and Nesterov, each with a learning rate and a
        momentum of its own, drawn (torch.optim refuses Nesterov with dampening)."""
        lrs = distinct(self, (0.01, 0.03, 0.05, 0.1, 0.2), 3)
        momenta = distinct(self, (0.5, 0.7, 0.8, 0.9, 0.95), 3)
        dampening = self.pick((0.1, 0.3, 0.5))
        return [{"lr": lr, "momentum": mu, "dampening": d, "nesterov": nesterov}
                for lr, mu, d, nesterov in zip(lrs, momenta, (0.0, dampening, 0.0),
                                               (False, False, True), strict=True)]

    def check(self, sgd_momentum_step):
        name = "sgd_momentum_step"
        for config in self.configs():
            for shape, dtype in shapes(self):
                param, grads = params_and_grads(self, shape, dtype, STEPS)
                reference = torch_run(torch.optim.SGD, param, grads, **config)
                buf = None
                for step, (grad, (ref_param, ref_state)) in enumerate(
                        zip(grads, reference, strict=True), start=1):
                    call = f"{name}(param, grad, buf, {config_text(config)})"
                    during = _("`{call}` at step {step}, param of shape {shape}").format(
                        call=call, step=step, shape=shape_text(shape))
                    found = self.call(sgd_momentum_step, param, grad, buf, during=during,
                                      **NO_OPTIM, **config)
                    param, buf = unpack(found, 2, name=call, names="param, buf")
                    hint = _momentum_hint(config, step)
                    expect.close(param, ref_param, hint=hint, subject=_(
                        "`{call}[0]`, the new `param`, at step {step}").format(
                            call=call, step=step))
                    expect.close(buf, ref_state["momentum_buffer"], hint=hint, subject=_(
                        "`{call}[1]`, the new `buf`, at step {step}").format(
                            call=call, step=step))


def _momentum_hint(config: dict, step: int) -> str:
    if step == 1:
        return _("At the first step `buf` is None: the buffer starts as a copy of the "
                 "gradient, with no dampening, and the step uses it as it is.")
    if config["nesterov"]:
        return _("With `nesterov=True` the step goes along `grad + momentum * buf`, the new "
                 "buf.")
    if config["dampening"]:
        return _("After the first step: `buf = momentum * buf + (1 - dampening) * grad`.")
    return _("`buf = momentum * buf + (1 - dampening) * grad`, then `param - lr * buf`.")
