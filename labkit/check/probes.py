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

import contextlib
import inspect
import textwrap

import torch

from labkit.check import facts, fingerprint
from labkit.check.describe import cut
from labkit.check.guard import Guard
from labkit.check.host import NotCallable, call_learner
from labkit.check.origin import learner_line
from labkit.check.signals import LearnerError
from labkit.i18n import _
from labkit.models import eval_mode, model_device


def call(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``: the learner's function, class or model, called."""
    return call_learner(fn, *args, **kwargs)


def guarded_call(fn, args, kwargs, spec: dict) -> dict:
    """``fn(*args, **kwargs)`` inside a ``Guard``, its arguments fingerprinted.

    ``spec`` is ``Contract.spec()`` (``labkit.check.contract``): ``rule_out`` (tool
    groups), ``count`` (count the work), ``capture`` (keep what it prints), ``no_grad``,
    ``writes`` and ``restored`` (positions or keywords of arguments the call may change,
    for good or if it puts them back), ``grad`` (floating-point tensor arguments handed
    over as leaves that require gradients).

    Returns ``{"value": ..., "report": ...}``; the report lists the tools used, the
    arguments changed (``[(path, what)]``), facts about the value and, if asked, the work
    and the printed text. When the call raised after using a ruled-out tool, the report
    comes back without a value: the tool explains the error.
    """
    return guarded(fn, args, kwargs, spec)[0]


def guarded(fn, args, kwargs, spec: dict):
    """``guarded_call``, also giving back the arguments as handed over and the value."""
    args, kwargs = list(args), dict(kwargs)
    names = argument_names(fn, len(args), kwargs)
    for key in spec.get("grad", ()):
        _set_leaf(args, kwargs, key)
    named = {names[i]: a for i, a in enumerate(args)} | {names[k]: v for k, v in kwargs.items()}
    writes = {names[k] for k in spec.get("writes", ()) if k in names}
    restored = {names[k] for k in spec.get("restored", ()) if k in names}
    watched = {k: v for k, v in named.items() if k not in writes}
    before = fingerprint.take(watched)
    guard = Guard(rule_out=tuple(spec.get("rule_out", ())), count=spec.get("count", False),
                  capture=spec.get("capture", False))
    no_grad = torch.no_grad() if spec.get("no_grad") else contextlib.nullcontext()
    try:
        with guard, no_grad:
            value = call_learner(fn, *args, **kwargs)
    except Exception:
        if guard.used:
            return {"report": guard.report()}, args, None
        raise
    report = guard.report()
    report["changed"] = fingerprint.changes(before, loose=restored, now=watched)
    grads = {k: v for k, v in named.items() if isinstance(v, torch.Tensor) and v.requires_grad}
    report["facts"] = facts.of(value, grads)
    report["names"] = {str(k): v for k, v in names.items()}
    return {"value": value, "report": report}, args, value


def argument_names(fn, count: int, kwargs: dict) -> dict:
    """Position or keyword -> the learner's parameter name (or `argument N`)."""
    names: dict = {i: f"argument {i + 1}" for i in range(count)}
    names.update({k: k for k in kwargs})
    # A module is called through `__call__(*args, **kwargs)`; its names are forward's.
    target = fn.forward if isinstance(fn, torch.nn.Module) else fn
    try:
        parameters = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        return names
    for i, parameter in enumerate(parameters[:count]):
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            names[i] = parameter.name
    return names


def _set_leaf(args: list, kwargs: dict, key) -> None:
    holder, index = (args, key) if isinstance(key, int) else (kwargs, key)
    if isinstance(key, int) and key >= len(args) or isinstance(key, str) and key not in kwargs:
        return
    value = holder[index]
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        holder[index] = value.detach().clone().requires_grad_(True)


def call_no_grad(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` under ``torch.no_grad()``."""
    with torch.no_grad():
        return call_learner(fn, *args, **kwargs)


def predict(model, inputs):
    """``model(inputs)`` in eval mode without gradients, inputs on the model's device;
    the model's mode is restored afterwards."""
    if not callable(model):
        raise NotCallable(type(model).__name__)
    if not isinstance(model, torch.nn.Module):
        with torch.no_grad():
            return call_learner(model, inputs)
    with eval_mode(model):  # every layer's own flag comes back afterwards
        return call_learner(model, inputs.to(model_device(model)))


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


def layers_in_use(model, inputs) -> list[dict]:
    """Each layer that holds parameters, and whether nudging them changes ``model(inputs)``.

    Structure judged by behaviour: a layer that is built but never used (an ``nn.Conv2d``
    beside an MLP) does not change the output. The model's mode and weights come back.
    """
    if not isinstance(model, torch.nn.Module):
        raise NotCallable(type(model).__name__)
    out = []
    with eval_mode(model), torch.no_grad():
        inputs = inputs.to(model_device(model))
        base = call_learner(model, inputs)
        for name, sub in model.named_modules():
            params = [p for p in sub.parameters(recurse=False) if p.is_floating_point()]
            if not params:
                continue
            saved = [p.detach().clone() for p in params]
            for p in params:
                p.add_(torch.randn_like(p) * (p.abs().mean() + 0.1))
            moved = call_learner(model, inputs)
            for p, old in zip(params, saved, strict=True):
                p.copy_(old)
            used = not (isinstance(moved, torch.Tensor) and isinstance(base, torch.Tensor)
                        and moved.shape == base.shape and torch.equal(moved, base))
            out.append({"name": name, "type": type(sub).__name__, "used": used})
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


def forward_backward(fn, inputs, spec: dict | None = None, *, grad_output=None,
                     method: str | None = None) -> dict:
    """``fn(*inputs)`` through ``guarded_call``, every floating-point tensor input handed
    over as a leaf; then the gradient each of them gets from a backward pass with
    ``grad_output`` (ones by default: the gradient of ``output.sum()``).

    ``method="apply"`` calls ``fn.apply`` (a custom ``autograd.Function``). Returns the
    ``guarded_call`` reply with ``"grads"`` added: None when the value holds no graph,
    else one gradient (or None) per leaf input.
    """
    if method is not None:
        if method not in ("apply", "forward"):
            raise ValueError(f"method must be 'apply' or 'forward', not {method!r}")
        if not hasattr(fn, method):
            raise NotCallable(type(fn).__name__)
        fn = getattr(fn, method)
    floating = [i for i, x in enumerate(inputs)
                if isinstance(x, torch.Tensor) and x.is_floating_point()]
    spec = dict(spec or {})
    spec["grad"] = tuple(dict.fromkeys((*spec.get("grad", ()), *floating)))
    with torch.enable_grad():
        reply, args, out = guarded(fn, inputs, {}, spec)
        if "value" not in reply or not isinstance(out, torch.Tensor) or not out.requires_grad:
            reply["grads"] = None
            return reply
        if grad_output is None:
            grad_output = torch.ones_like(out)
        leaves = [args[i] for i in floating]
        reply["grads"] = list(backward_of(out, leaves, grad_output, getattr(fn, "__name__",
                                                                             "")))
    return reply


def backward_of(out, leaves, grad_output, name: str):
    """``torch.autograd.grad`` through a graph the learner's code built: errors are the
    learner's (autograd checks what a custom ``backward`` returns after it has returned,
    so such an error has no learner line)."""
    try:
        return torch.autograd.grad(out, leaves, grad_output, allow_unused=True)
    except RuntimeError as err:
        if learner_line(err) is not None:
            raise
        raise LearnerError(type(err).__name__, cut(str(err), 300),
                           _("in the backward pass through `{name}`").format(name=name or "?"),
                           _("the backward pass")) from None
