"""Exercises: Adam from its formula, and AdamW's decoupled weight decay on top of it."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.check.handle import is_handle
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


def _adam(param, grad, m, v, t, lr, beta1, beta2, eps, *, correct=True, eps_inside=False):
    """One Adam step by the formula, or one of its common variants (for diagnosis)."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = (m / (1 - beta1**t), v / (1 - beta2**t)) if correct else (m, v)
    denom = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
    return param - lr * m_hat / denom


def _close(a, b) -> bool:
    return torch.allclose(a.detach().double(), b.double(), atol=1e-6, rtol=1e-5)


class AdamStep(Exercise):
    name = "adam_step"
    title = N_("Adam from its formula")
    hints = (
        N_("m = beta1 m + (1 - beta1) g and v = beta2 v + (1 - beta2) g**2; then divide m by "
           "(1 - beta1**t) and v by (1 - beta2**t), with t = 1 at the first step."),
        N_("`param - lr * m_hat / (v_hat.sqrt() + eps)`: eps goes outside the square root. "
           "Return `(param, m, v)` with the m and v before bias correction."),
    )
    solution = '''\
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad              # first moment
    v = beta2 * v + (1 - beta2) * grad**2           # second moment
    m_hat = m / (1 - beta1**t)                       # bias corrections, t >= 1
    v_hat = v / (1 - beta2**t)
    param = param - lr * m_hat / (v_hat.sqrt() + eps)
    return param, m, v'''

    optimizer_class = torch.optim.Adam

    def configs(self) -> list[tuple[dict, float]]:
        """(hyperparameters, gradient scale), drawn: the usual betas, small betas, and a
        large eps with tiny gradients, where eps inside the square root and eps outside
        give very different steps. Each has a learning rate of its own."""
        lrs = distinct(self, (0.005, 0.01, 0.03, 0.05, 0.1), 3)
        usual = self.pick(((0.9, 0.999), (0.85, 0.995)))
        small = (self.pick((0.5, 0.6)), self.pick((0.9, 0.95)))
        return [({"lr": lrs[0], "beta1": usual[0], "beta2": usual[1], "eps": 1e-8}, 1.0),
                ({"lr": lrs[1], "beta1": small[0], "beta2": small[1], "eps": 1e-6}, 3.0),
                ({"lr": lrs[2], "beta1": 0.8, "beta2": 0.99,
                  "eps": self.pick((0.01, 0.02))}, 0.01)]

    def torch_hyper(self, config: dict) -> dict:
        return {"lr": config["lr"], "betas": (config["beta1"], config["beta2"]),
                "eps": config["eps"], "amsgrad": False}

    def variants(self, param, grad, m, v, t, config) -> list:
        """(result, hint) for the common mistakes, computed on the same inputs."""
        c = {k: config[k] for k in ("lr", "beta1", "beta2", "eps")}
        return [
            (_adam(param, grad, m, v, t, **c, correct=False),
             _("This is Adam without bias correction: divide m by (1 - beta1**t) and v by "
               "(1 - beta2**t) before the step.")),
            (_adam(param, grad, m, v, t + 1, **c),
             _("This is the step for t = {next}: use the `t` you are given (1 at the "
               "first step) in the bias corrections.").format(next=t + 1)),
            (_adam(param, grad, m, v, t, **c, eps_inside=True),
             _("eps went inside the square root: the formula divides by sqrt(v_hat) + eps.")),
        ]

    def generic_hint(self, t: int) -> str:
        if t == 1:
            return _("At step t = 1 with m = v = 0, bias correction makes m_hat = grad and "
                     "v_hat = grad**2. Divide by `1 - beta1**t` and `1 - beta2**t` with the "
                     "`t` you are given, and add eps after the square root.")
        return _("Follow the formula in order: m, v, the bias corrections with this step's "
                 "t, then `param - lr * m_hat / (v_hat.sqrt() + eps)`.")

    def several_hint(self, matches: list[str]) -> str:
        """The hint when the answer equals several known mistakes at once."""
        return matches[0]

    def run(self, fn, name: str):
        for config, scale in self.configs():
            for shape, dtype in shapes(self):
                param, grads = params_and_grads(self, shape, dtype, STEPS, scale)
                reference = torch_run(self.optimizer_class, param, grads,
                                      **self.torch_hyper(config))
                m, v = torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=dtype)
                for t, (grad, (ref_param, state)) in enumerate(
                        zip(grads, reference, strict=True), start=1):
                    call = f"{name}(param, grad, m, v, t={t}, {config_text(config)})"
                    during = _("`{call}`, param of shape {shape}").format(
                        call=call, shape=shape_text(shape))
                    found = self.call(fn, param, grad, m, v, t, during=during, **NO_OPTIM,
                                      **config)
                    new_param, new_m, new_v = unpack(found, 3, name=call,
                                                     names="param, m, v")
                    expect.tensor(new_param, name=f"{call}[0]", shape=shape, dtype=dtype)
                    matches = [words for wrong, words in self.variants(param, grad, m, v, t,
                                                                       config)
                               if _close(new_param, wrong) and not _close(wrong, ref_param)]
                    hint = (self.generic_hint(t) if not matches else matches[0]
                            if len(matches) == 1 else self.several_hint(matches))
                    expect.close(new_param, ref_param, name=f"{call}[0]", hint=hint)
                    beta1, beta2 = config["beta1"], config["beta2"]
                    expect.close(new_m, state["exp_avg"], name=f"{call}[1]", hint=_state_hint(
                        new_m, state["exp_avg"] / (1 - beta1**t), "m",
                        "m = beta1 * m + (1 - beta1) * grad"))
                    expect.close(new_v, state["exp_avg_sq"], name=f"{call}[2]",
                                 hint=_state_hint(new_v, state["exp_avg_sq"] / (1 - beta2**t),
                                                  "v", "v = beta2 * v + (1 - beta2) * grad**2"))
                    param, m, v = new_param, new_m, new_v

    def check(self, adam_step):
        self.run(adam_step, "adam_step")


def _state_hint(found, corrected: torch.Tensor, name: str, formula: str) -> str:
    """The hint for a wrong m or v: the bias-corrected value, or just a wrong update."""
    is_corrected = (not is_handle(found) and isinstance(found, torch.Tensor)
                    and found.shape == corrected.shape and _close(found, corrected))
    if is_corrected:
        return _("That is {name}_hat: return {name} itself, before bias correction; it is "
                 "the state the next step starts from.").format(name=name)
    return _("Return the new {name}: `{formula}`.").format(name=name, formula=formula)


class AdamWStep(AdamStep):
    name = "adamw_step"
    title = N_("AdamW: decoupled weight decay")
    hints = (
        N_("AdamW leaves the gradient alone: the Adam step uses `grad` as it is. The decay "
           "shrinks the parameter itself, scaled by the learning rate."),
        N_("`param = param * (1 - lr * weight_decay)` first, then the Adam step of exercise 3 "
           "on that parameter, with the same m, v and t."),
    )
    solution = '''\
def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=0.01):
    param = param * (1 - lr * weight_decay)         # decoupled: not through the gradient
    return adam_step(param, grad, m, v, t, lr, beta1, beta2, eps)'''

    optimizer_class = torch.optim.AdamW

    def configs(self) -> list[tuple[dict, float]]:
        # lr * lr * weight_decay stays above 1e-3: decay before and after the Adam step
        # differ by about that much.
        decays = distinct(self, (0.5, 1.0, 2.0), 2)
        lrs = distinct(self, (0.05, 0.1, 0.2), 2)
        return [({"lr": lrs[0], "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                  "weight_decay": decays[0]}, 1.0),
                ({"lr": lrs[1], "beta1": self.pick((0.7, 0.8)), "beta2": 0.99, "eps": 1e-6,
                  "weight_decay": decays[1]}, 0.1)]

    def torch_hyper(self, config: dict) -> dict:
        return {**super().torch_hyper(config), "weight_decay": config["weight_decay"]}

    def variants(self, param, grad, m, v, t, config) -> list:
        c = {k: config[k] for k in ("lr", "beta1", "beta2", "eps")}
        decay, lr = config["weight_decay"], config["lr"]
        return [
            (_adam(param, grad + decay * param, m, v, t, **c),
             _("This is Adam with an L2 penalty: `weight_decay * param` was added to the "
               "gradient. AdamW leaves the gradient alone and shrinks the parameter itself: "
               "`param * (1 - lr * weight_decay)`, then the Adam step.")),
            (_adam(param * (1 - decay), grad, m, v, t, **c),
             _("The decay must be scaled by the learning rate: `param * (1 - lr * "
               "weight_decay)`.")),
            (_adam(param, grad, m, v, t, **c),
             _("This is plain Adam: the weight decay is missing.")),
            (_adam(param, grad, m, v, t, **c) * (1 - lr * decay),
             _("The decay applies to the parameter before the Adam step, not after it.")),
        ]

    def generic_hint(self, t: int) -> str:
        return _("Decoupled decay: multiply the parameter by `1 - lr * weight_decay`, then "
                 "take the Adam step with the gradient as it is.")

    def several_hint(self, matches: list[str]) -> str:
        # At the first step Adam moves each entry by about lr * sign(gradient), so plain
        # Adam and Adam with an L2 term in the gradient can give the very same step.
        return _("This step equals plain Adam's (an L2 term added to the gradient can give "
                 "the same first step, since Adam rescales it away). AdamW leaves the "
                 "gradient alone and multiplies the parameter by `1 - lr * weight_decay` "
                 "before the Adam step.")

    def check(self, adamw_step):
        self.run(adamw_step, "adamw_step")
