"""Exercises of chapter 04b, Optimizers.

The update rules are checked against ``torch.optim`` itself, on parameters and gradients
the check draws, over several steps and shapes. An update written "from the formula" runs
in the probe ``from_formula``, with ``torch.optim``'s optimizers and functional updates
(and, for clipping, ``clip_grad_norm_``) made to raise for the duration of the call.
"""

from __future__ import annotations

import contextlib
import importlib
import math

import torch
from torch import nn

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.describe import describe, shape_text
from labkit.check.handle import is_handle
from labkit.check.host import NotCallable
from labkit.i18n import N_, _

SHAPES = ((5,), (3, 4), (1,))  # a vector, a matrix, a single number
STEPS = 4

# --- the probe: run learner code with torch.optim out of reach ------------------------

_OPTIM_MODULES = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adamax", "nadam", "radam",
                  "asgd", "adadelta", "rprop", "_adafactor", "_muon")
_CLIP_NAMES = ("clip_grad_norm_", "clip_grad_norm", "clip_grads_with_norm_", "get_total_norm")


def _forbidden(name: str, used: list):
    def refuse(*args, **kwargs):
        used.append(name)
        raise RuntimeError(f"`{name}` is switched off while this exercise is checked: "
                           "write the update from its formula.")
    return refuse


def _targets(clip: bool):
    """(owner, attribute, shown name) of everything the formula exercises may not call."""
    import torch.optim

    out = [(torch.optim.Optimizer, "__init__", "torch.optim")]
    for name in dir(torch.optim):
        value = getattr(torch.optim, name)
        if isinstance(value, type) and issubclass(value, torch.optim.Optimizer):
            out.append((torch.optim, name, f"torch.optim.{name}"))
    functional = torch.optim._functional
    for name in dir(functional):
        if not name.startswith("_") and callable(getattr(functional, name)):
            out.append((functional, name, f"torch.optim._functional.{name}"))
    for module_name in _OPTIM_MODULES:
        try:
            module = importlib.import_module(f"torch.optim.{module_name}")
        except ImportError:
            continue
        for name in dir(module):
            if name == module_name or name.startswith(("_single_tensor_", "_multi_tensor_",
                                                       "_fused_")):
                if callable(getattr(module, name)):
                    out.append((module, name, f"torch.optim.{module_name}.{name}"))
    if clip:
        import torch.nn.utils
        import torch.nn.utils.clip_grad

        for owner in (torch.nn.utils, torch.nn.utils.clip_grad):
            for name in _CLIP_NAMES:
                if hasattr(owner, name):
                    out.append((owner, name, f"torch.nn.utils.{name}"))
    return out


@contextlib.contextmanager
def _without_torch_optim(used: list, clip: bool):
    saved = []
    try:
        for owner, attribute, shown in _targets(clip):
            saved.append((owner, attribute, owner.__dict__.get(attribute, None),
                          attribute in owner.__dict__))
            setattr(owner, attribute, _forbidden(shown, used))
        yield
    finally:
        for owner, attribute, value, present in reversed(saved):
            if present:
                setattr(owner, attribute, value)
            else:
                delattr(owner, attribute)


def from_formula(fn, *args, clip: bool = False, **kwargs):
    """``fn(*args, **kwargs)`` with torch.optim's optimizer classes and functional updates
    (and with ``clip=True`` the clipping functions of ``torch.nn.utils``) made to raise.

    Returns ``{"used": name}`` when learner code reached one of them (even if it caught
    the error), else ``{"value": result}``. The check decides what that means.
    """
    if not callable(fn):
        raise NotCallable(type(fn).__name__)
    used: list[str] = []
    try:
        with _without_torch_optim(used, clip):
            value = fn(*args, **kwargs)
    except Exception:
        if used:
            return {"used": used[0]}
        raise
    if used:
        return {"used": used[0]}
    return {"value": value}


# --- shared by the checks ------------------------------------------------------------------

def _run_formula(exercise: Exercise, fn, name: str, args: tuple, kwargs: dict, *,
                 during: str, clip: bool = False):
    reply = exercise.probe(from_formula, fn, *args, clip=clip, during=during, **kwargs)
    expect.is_type(reply, dict, name="the probe's reply")
    if "used" in reply:
        forbidden = "`clip_grad_norm_`" if clip else "`torch.optim`"
        expect.that(False, checked=_("how `{name}` computes its result ({during})").format(
                        name=name, during=during),
                    expected=_("the formula written with tensor operations, without "
                               "{forbidden}").format(forbidden=forbidden),
                    found=_("a call to `{used}`").format(used=reply["used"]),
                    hint=_("The point is to write the formula yourself; the check compares "
                           "your result with torch's."))
    return reply["value"]


def _unpack(found, count: int, *, name: str, names: str):
    expect.is_type(found, (tuple, list), name=name,
                   hint=_("Return the tuple `({names})`.").format(names=names))
    expect.equal(len(found), count, name=f"len({name})",
                 hint=_("Return the tuple `({names})`.").format(names=names))
    return found


def _params_and_grads(exercise: Exercise, shape, steps: int, grad_scale: float = 1.0):
    param = exercise.randn(*shape)
    grads = [grad_scale * exercise.randn(*shape) for _ in range(steps)]
    return param, grads


def _torch_run(optimizer_class, param: torch.Tensor, grads, **hyper):
    """The parameter (and state) after each step of a real torch.optim optimizer."""
    p = nn.Parameter(param.clone())
    optimizer = optimizer_class([p], **hyper)
    trace = []
    for grad in grads:
        p.grad = grad.clone()
        optimizer.step()
        state = {k: v.clone() if isinstance(v, torch.Tensor) else v
                 for k, v in optimizer.state[p].items()}
        trace.append((p.detach().clone(), state))
    return trace


def _config_text(config: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items())


# --- exercise: momentum ------------------------------------------------------------------

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

    CONFIGS = (
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": False},
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.5, "nesterov": False},
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": True},
    )

    def check(self, sgd_momentum_step):
        name = "sgd_momentum_step"
        for config in self.CONFIGS:
            for shape in SHAPES:
                param, grads = _params_and_grads(self, shape, STEPS)
                reference = _torch_run(torch.optim.SGD, param, grads, **config)
                buf = None
                for step, (grad, (ref_param, ref_state)) in enumerate(
                        zip(grads, reference, strict=True), start=1):
                    call = f"{name}(param, grad, buf, {_config_text(config)})"
                    during = _("`{call}` at step {step}, param of shape {shape}").format(
                        call=call, step=step, shape=shape_text(shape))
                    found = _run_formula(self, sgd_momentum_step, name,
                                         (param, grad, buf), dict(config), during=during)
                    param, buf = _unpack(found, 2, name=call, names="param, buf")
                    hint = _momentum_hint(config, step)
                    at_step = _("at step {step},").format(step=step)
                    expect.close(param, ref_param, name=f"{call}[0]` {at_step} `param",
                                 hint=hint)
                    expect.close(buf, ref_state["momentum_buffer"],
                                 name=f"{call}[1]` {at_step} `buf", hint=hint)


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


# --- exercise: Adam ---------------------------------------------------------------------

def _adam(param, grad, m, v, t, lr, beta1, beta2, eps, *, correct=True, eps_inside=False):
    """One Adam step by the formula, or one of its common variants (for diagnosis)."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = (m / (1 - beta1**t), v / (1 - beta2**t)) if correct else (m, v)
    denom = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
    return param - lr * m_hat / denom


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

    # The last config has a large eps and tiny gradients, where eps inside the square
    # root and eps outside give very different steps.
    CONFIGS = (
        ({"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, 1.0),
        ({"lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6}, 3.0),
        ({"lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 0.01}, 0.01),
    )
    optimizer_class = torch.optim.Adam

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
        for config, scale in self.CONFIGS:
            for shape in SHAPES:
                param, grads = _params_and_grads(self, shape, STEPS, scale)
                reference = _torch_run(self.optimizer_class, param, grads,
                                       **self.torch_hyper(config))
                m, v = torch.zeros(shape), torch.zeros(shape)
                for t, (grad, (ref_param, state)) in enumerate(
                        zip(grads, reference, strict=True), start=1):
                    call = f"{name}(param, grad, m, v, t={t}, {_config_text(config)})"
                    during = _("`{call}`, param of shape {shape}").format(
                        call=call, shape=shape_text(shape))
                    found = _run_formula(self, fn, name, (param, grad, m, v, t),
                                         dict(config), during=during)
                    mistakes = self.variants(param, grad, m, v, t, config)
                    new_param, new_m, new_v = _unpack(found, 3, name=call,
                                                      names="param, m, v")
                    expect.tensor(new_param, name=f"{call}[0]", shape=shape,
                                  dtype=param.dtype)
                    matches = [words for wrong, words in mistakes
                               if torch.allclose(new_param.detach().float(), wrong, atol=1e-6,
                                                 rtol=1e-5)
                               and not torch.allclose(wrong, ref_param, atol=1e-5, rtol=1e-4)]
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
                    and found.shape == corrected.shape
                    and torch.allclose(found.detach().float(), corrected, atol=1e-6, rtol=1e-5))
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

    CONFIGS = (
        ({"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.5}, 1.0),
        ({"lr": 0.1, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 2.0}, 0.1),
    )
    optimizer_class = torch.optim.AdamW

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


# --- exercise: clipping -----------------------------------------------------------------

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

    def _grads(self, scale: float):
        return [scale * self.randn(*shape) for shape in ((4, 3), (3,), (2, 2, 2), (1,))]

    def check(self, clip_by_global_norm):
        name = "clip_by_global_norm"
        # Far above the limit, just above it, and below it (nothing must change).
        for scale, factor in ((3.0, 0.2), (1.0, 0.9), (0.5, 2.0)):
            grads = self._grads(scale)
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
            found = _run_formula(self, clip_by_global_norm, name, (grads, max_norm), {},
                                 during=during, clip=True)
            clipped, found_total = _unpack(found, 2, name=call, names="clipped, total")
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


# --- exercise: warm-up then cosine --------------------------------------------------------

def reference_schedule(warmup_steps: int, total_steps: int, base_lr: float, min_lr: float):
    """The learning rate at steps 0..total_steps from real torch schedulers."""
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

    p = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=base_lr)
    warmup = LinearLR(optimizer, start_factor=1 / warmup_steps, end_factor=1.0,
                      total_iters=warmup_steps - 1)
    cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=min_lr)
    scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])
    rates = []
    for _step in range(total_steps + 1):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


class WarmupCosine(Exercise):
    name = "warmup_cosine"
    title = N_("A warm-up + cosine schedule")
    hints = (
        N_("Warm-up: `base_lr * (step + 1) / warmup_steps` for step < warmup_steps. After it, "
           "progress p = (step - warmup_steps) / (total_steps - warmup_steps) goes from 0 "
           "to 1."),
        N_("`min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * p)) / 2` for the cosine "
           "part."),
    )
    solution = '''\
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    p = (step - warmup_steps) / (total_steps - warmup_steps)   # 0 -> 1
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * p)) / 2'''

    def check(self, warmup_cosine):
        name = "warmup_cosine"
        configs = [(5, 20, 0.1, 0.0), (int(self.randint(2, 9)), int(self.randint(30, 80)),
                                       0.5, 0.01)]
        for warmup, total, base, low in configs:
            rates = reference_schedule(warmup, total, base, low)
            steps = sorted({0, 1, warmup - 1, warmup, warmup + 1, total - 1, total,
                            *(int(s) for s in self.randint(0, total + 1, 5))})
            for step in steps:
                call = f"{name}({step}, {warmup}, {total}, base_lr={base}, min_lr={low})"
                found = self.call(warmup_cosine, step, warmup, total, base, min_lr=low,
                                  during=f"`{call}`")
                expect.close(found, rates[step], name=call, atol=1e-7, rtol=1e-5,
                             hint=_schedule_hint(step, warmup, total))


def _schedule_hint(step: int, warmup: int, total: int) -> str:
    if step < warmup:
        return _("Step {step} is warm-up step number {number} of {warmup}: the rate is "
                 "base_lr * {number} / {warmup}, which reaches base_lr at the last "
                 "warm-up step.").format(step=step, number=step + 1, warmup=warmup)
    return _("Step {step} is in the cosine part: progress p = ({step} - {warmup}) / "
             "({total} - {warmup}), from 0 at the end of the warm-up to 1 at step {total}, "
             "where the rate reaches min_lr.").format(step=step, warmup=warmup, total=total)


# --- exercise: pick a learning rate --------------------------------------------------------

QUADRATIC_H = torch.tensor([[13.0, 12.0], [12.0, 13.0]], dtype=torch.float64)
QUADRATIC_START = torch.tensor([2.0, 0.0], dtype=torch.float64)
QUADRATIC_STEPS = 100
QUADRATIC_TARGET = 1e-3


def quadratic_loss(theta: torch.Tensor) -> torch.Tensor:
    """f(theta) = 1/2 theta^T H theta, the bowl of the learning-rate exercise."""
    return 0.5 * theta @ QUADRATIC_H.to(theta.dtype) @ theta


def run_gd(lr: float, steps: int = QUADRATIC_STEPS) -> list[float]:
    """The loss at each step of plain gradient descent on `quadratic_loss` (gradient H theta)."""
    theta = QUADRATIC_START.clone()
    losses = [float(quadratic_loss(theta))]
    for _step in range(steps):
        theta = theta - lr * (QUADRATIC_H @ theta)
        losses.append(float(quadratic_loss(theta)))
    return losses


class PickLearningRate(Exercise):
    name = "pick_lr"
    title = N_("Pick a learning rate from the curvature")
    hints = (
        N_("The eigenvalues of H are the curvatures: `torch.linalg.eigvalsh(H)`. Gradient "
           "descent is stable only for lr < 2 / (largest eigenvalue)."),
        N_("The slowest direction shrinks by (1 - lr * smallest eigenvalue) each step; "
           "lr = 2 / (smallest + largest) balances both directions."),
    )
    solution = "pick_lr = 2 / (1.0 + 25.0)   # 2 / (lambda_min + lambda_max)"

    def check(self, pick_lr):
        expect.is_type(pick_lr, (int, float, torch.Tensor), name="pick_lr",
                       hint=_("A single number, like 0.01."))
        if isinstance(pick_lr, torch.Tensor):  # e.g. computed from torch.linalg.eigvalsh
            expect.that(pick_lr.numel() == 1 and pick_lr.is_floating_point(),
                        checked="`pick_lr`", expected=_("a single number"),
                        found=describe(pick_lr), hint=_("Use `float(...)` on your result."))
        lr = float(pick_lr)
        expect.that(math.isfinite(lr) and lr > 0, checked="`pick_lr`",
                    expected=_("a positive learning rate"), found=describe(pick_lr))
        losses = run_gd(lr)
        final = losses[-1]
        limit = 2 / float(torch.linalg.eigvalsh(QUADRATIC_H).max())
        if not math.isfinite(final) or final > losses[0]:
            expect.that(False, checked=_("gradient descent with lr={lr:g} for {steps} "
                                         "steps").format(lr=lr, steps=QUADRATIC_STEPS),
                        expected=_("a loss below {target:g}").format(target=QUADRATIC_TARGET),
                        found=_("a loss that grew from {first:.4g} to {final:.4g}").format(
                            first=losses[0], final=final),
                        hint=_("Too large: above 2 / lambda_max = {limit:.4g} the steep "
                               "direction overshoots more at each step.").format(limit=limit))
        low, high = (float(x) for x in torch.linalg.eigvalsh(QUADRATIC_H))
        if abs(1 - lr * high) >= abs(1 - lr * low):
            hint = _("Too close to the limit 2 / lambda_max = {limit:.4g}: each step "
                     "multiplies the steep direction by 1 - lr * {high:g} = {factor:.3g}, so it "
                     "swings from side to side and barely shrinks. Take a smaller "
                     "rate.").format(limit=limit, high=high, factor=1 - lr * high)
        else:
            hint = _("Too slow: each step multiplies the flat direction only by 1 - lr * "
                     "{low:g} = {factor:.3g}. Take a larger rate, below "
                     "2 / lambda_max = {limit:.4g}.").format(low=low, factor=1 - lr * low,
                                                             limit=limit)
        expect.that(final < QUADRATIC_TARGET, checked=_(
                        "gradient descent with lr={lr:g} for {steps} steps").format(
                            lr=lr, steps=QUADRATIC_STEPS),
                    expected=_("a loss below {target:g}").format(target=QUADRATIC_TARGET),
                    found=f"{final:.4g}", hint=hint)


# --- exercise: spot the bug -----------------------------------------------------------------

def given_train(model, batches, epochs, lr=0.1):
    """The notebook's given training loop, both bugs included."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.MSELoss()
    for _epoch in range(epochs):
        for x, y in batches:
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()  # halve the learning rate every epoch
    return model


def _train(model, batches, epochs, lr, *, zero_grad: bool, per_epoch: bool):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.MSELoss()
    for _epoch in range(epochs):
        for x, y in batches:
            if zero_grad:
                optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            if not per_epoch:
                scheduler.step()
        if per_epoch:
            scheduler.step()
    return model


def _linear_model(seed_state: dict) -> nn.Linear:
    model = nn.Linear(3, 2)
    model.load_state_dict(seed_state)
    return model


def _same_state(a: dict, b: dict) -> bool:
    try:
        return set(a) == set(b) and all(
            torch.allclose(torch.as_tensor(a[k]).double(), b[k].double(), atol=1e-6)
            for k in b)
    except (TypeError, RuntimeError):
        return False


class FixTrainLoop(Exercise):
    name = "train"
    title = N_("Spot the bugs: a loop with an optimizer and a scheduler")
    hints = (
        N_("Two bugs. What does `backward()` do to `.grad` when nobody resets it? And how "
           "often does `scheduler.step()` run, compared with what its comment promises?"),
        N_("Call `optimizer.zero_grad()` before each `backward()`, and move "
           "`scheduler.step()` out of the batch loop, to the end of each epoch."),
    )
    solution = '''\
def train(model, batches, epochs, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.MSELoss()
    for _epoch in range(epochs):
        for x, y in batches:
            optimizer.zero_grad()                 # bug 1: reset the gradients
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()                          # bug 2: once per epoch, not per batch
    return model'''

    def check(self, train):
        # Drawn from the check's generator, not by nn.Linear's own initialisation: a
        # `train` that trains a fresh nn.Linear(3, 2) instead of `model` must not start
        # from the same weights by chance (the learner's side is seeded too).
        start = {"weight": 0.5 * self.randn(2, 3), "bias": 0.5 * self.randn(2)}
        batches = [(self.randn(8, 3), self.randn(8, 2)) for _ in range(3)]
        epochs, lr = 3, 0.05
        call = f"train(model, batches, epochs={epochs}, lr={lr})"
        model = self.call(train, _linear_model(start), batches, epochs, lr=lr, writes=(0,),
                          during=_("`{call}` on an `nn.Linear(3, 2)` and 3 batches").format(
                              call=call))
        expect.that(self.is_instance(model, nn.Linear),
                    checked=_("what `{call}` returns").format(call=call),
                    expected=_("the trained model"), found=describe(model),
                    hint=_("Return `model` at the end, as the given code does."))
        found = self.probe(probes.state, model,
                           during=_("reading the weights after `{call}`").format(call=call))

        def weights(**bugs):
            return _train(_linear_model(start), batches, epochs, lr, **bugs).state_dict()

        if _same_state(found, weights(zero_grad=False, per_epoch=False)):
            raise NotAttempted(_("`train` still gives the same weights as the given code. "
                                 "Find the two bugs, fix them, run the cell, then check "
                                 "again."))
        checked = _("the weights after `{call}`").format(call=call)
        expect.that(not _same_state(found, start), checked=checked,
                    expected=_("weights that moved during training"),
                    found=_("the starting weights, unchanged"),
                    hint=_("Nothing was learned: is `optimizer.zero_grad()` between "
                           "`backward()` and `step()`? It must come before `backward()`."))
        expect.that(not _same_state(found, weights(zero_grad=True, per_epoch=False)),
                    checked=checked, expected=_("a learning rate halved once per epoch"),
                    found=_("weights trained with the rate halved after every batch"),
                    hint=_("`scheduler.step()` belongs after the batch loop, once per epoch."))
        expect.that(not _same_state(found, weights(zero_grad=False, per_epoch=True)),
                    checked=checked, expected=_("a fresh gradient at every step"),
                    found=_("weights trained with gradients that add up from step to step"),
                    hint=_("Call `optimizer.zero_grad()` before each `backward()`."))
        reference = weights(zero_grad=True, per_epoch=True)
        for key, value in reference.items():
            expect.close(found.get(key), value,
                         name=_("{key} after {call}").format(key=key, call=call), hint=_(
                "Train and return the `model` you are given, not a new one; keep the given "
                "optimizer, scheduler and loss, and change only the two bugs."))


EXERCISES = [PickLearningRate, MomentumStep, AdamStep, AdamWStep, ClipGlobalNorm, WarmupCosine,
             FixTrainLoop]
