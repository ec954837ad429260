"""Probes: small functions that run where the learner's objects live.

A check runs a probe with ``self.probe(probes.param_count, model, during=...)``. The
probe gets the learner's real objects and must return plain data (see
``labkit.check.plain``): numbers, strings, tensors, and lists, tuples and dicts of them.
What a probe reports about *how* something was built (layer types, source text) is
computed beside the learner's code and could be forged there; what a check computes
from outputs on its own fresh inputs cannot be forged without solving the exercise.

Add a probe here (or in an exercise module) as a module-level function.
"""

from __future__ import annotations

import inspect
import textwrap

import torch

from labkit.check.host import NotCallable, call_learner


def call(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``: the learner's function, class or model, called."""
    return call_learner(fn, *args, **kwargs)


def call_no_grad(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` under ``torch.no_grad()``."""
    with torch.no_grad():
        return call_learner(fn, *args, **kwargs)


def predict(model, inputs):
    """``model(inputs)`` in eval mode without gradients, inputs on the model's device;
    the model's mode is restored afterwards."""
    if not callable(model):
        raise NotCallable(type(model).__name__)
    was_training = getattr(model, "training", None)
    if isinstance(model, torch.nn.Module):
        param = next(model.parameters(), None)
        if param is not None:
            inputs = inputs.to(param.device)
        model.eval()
    try:
        with torch.no_grad():
            return call_learner(model, inputs)
    finally:
        if was_training is not None:
            model.train(was_training)


def kind(value) -> dict:
    """What sort of object ``value`` is: its type and the classes it derives from."""
    cls = value if isinstance(value, type) else type(value)
    return {
        "type": type(value).__name__,
        "is_class": isinstance(value, type),
        "callable": callable(value),
        "mro": [f"{c.__module__}.{c.__qualname__}" for c in inspect.getmro(cls)],
    }


def param_count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def is_training(module) -> bool:
    """True if the module or any of its submodules is in training mode."""
    return any(m.training for m in module.modules())


def layers(module) -> list[dict]:
    """Every submodule in registration order: name, type, and its constructor settings."""
    out = []
    for name, sub in module.named_modules():
        if name == "":
            continue
        out.append({"name": name, "type": type(sub).__name__,
                    "extra": sub.extra_repr(), "leaf": not any(True for _ in sub.children())})
    return out


def state(module) -> dict:
    """The module's parameters and buffers, by name (a copy)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def source(fn) -> str | None:
    """The source text of a function or class, or None when Python has none."""
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None


def forward_backward(fn, *inputs, grad_output=None, method: str | None = None):
    """``fn(*inputs)`` and the gradients of its output with respect to each input.

    ``method="apply"`` calls ``fn.apply`` instead (a custom ``autograd.Function``).
    Inputs that are floating-point tensors get ``requires_grad``; ``grad_output``
    defaults to ones (the gradient of ``output.sum()``). Gradients that autograd does
    not produce come back as None.
    """
    inputs = [x.detach().clone().requires_grad_(True)
              if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in inputs]
    if method is not None:
        if method not in ("apply", "forward"):
            raise ValueError(f"method must be 'apply' or 'forward', not {method!r}")
        fn = getattr(fn, method)
    with torch.enable_grad():
        out = call_learner(fn, *inputs)
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            return out, None
        if grad_output is None:
            grad_output = torch.ones_like(out)
        leaves = [x for x in inputs if isinstance(x, torch.Tensor) and x.requires_grad]
        grads = torch.autograd.grad(out, leaves, grad_output, allow_unused=True)
    return out, list(grads)
