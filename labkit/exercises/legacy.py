"""What chapters shared before the check kit: kept only until each chapter is moved
onto ``labkit.check`` (``Exercise.call`` and its guard). Nothing new may use it."""

from __future__ import annotations

import contextlib

import torch

from labkit.check import Exercise, Incorrect, NotAttempted
from labkit.check.describe import cut
from labkit.check.host import NotCallable, learner_line
from labkit.check.signals import LearnerError, is_stub_error
from labkit.i18n import _


class _Forbidden(Exception):
    """Raised by a stand-in for a function an exercise rules out."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _stand_in(what: str):
    def forbidden(*args, **kwargs):
        raise _Forbidden(what)
    return forbidden


def _autograd_entries() -> list[tuple[object, str, str]]:
    return [
        (torch.Tensor, "backward", "`.backward()`"),
        (torch.autograd, "grad", "`torch.autograd.grad`"),
        (torch.autograd, "backward", "`torch.autograd.backward`"),
        (torch.autograd.functional, "jacobian", "`torch.autograd.functional.jacobian`"),
        (torch.autograd.functional, "vjp", "`torch.autograd.functional.vjp`"),
        (torch.func, "grad", "`torch.func.grad`"),
        (torch.func, "grad_and_value", "`torch.func.grad_and_value`"),
        (torch.func, "vjp", "`torch.func.vjp`"),
        (torch.func, "jacrev", "`torch.func.jacrev`"),
        (torch.func, "jacfwd", "`torch.func.jacfwd`"),
    ]


def _optim_entries() -> list[tuple[object, str, str]]:
    return [(torch.optim, name, f"`torch.optim.{name}`") for name in dir(torch.optim)
            if isinstance(getattr(torch.optim, name), type)
            and issubclass(getattr(torch.optim, name), torch.optim.Optimizer)]


def _conv_entries() -> list[tuple[object, str, str]]:
    functional = torch.nn.functional
    return [(functional, "conv2d", "`F.conv2d`"), (torch, "conv2d", "`torch.conv2d`"),
            (functional, "unfold", "`F.unfold`"), (torch.Tensor, "unfold", "`Tensor.unfold`")]


_RULED_OUT = {"autograd": _autograd_entries, "optim": _optim_entries, "conv": _conv_entries}


def invoke(fn, args, kwargs, what: str):
    """``fn(*args, **kwargs)``; whatever it raises is the learner's error.

    An error raised inside library code that the learner's object called (an
    ``nn.Sequential`` of built-in layers, say) has no learner line in its traceback;
    it is still the learner's error, not the check's.
    """
    if not callable(fn):
        raise NotCallable(type(fn).__name__)
    try:
        return fn(*args, **kwargs)
    except (_Forbidden, LearnerError, NotAttempted, Incorrect):
        raise
    except Exception as err:
        if is_stub_error(err) or learner_line(err) is not None:
            raise
        raise LearnerError(type(err).__name__, cut(str(err), 300), "", what) from None


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Unchanged, up to rounding (a value moved by +h and back by -h in place)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if not (a.is_floating_point() or a.is_complex()):
        return torch.equal(a, b)
    return torch.allclose(a, b, rtol=1e-5, atol=1e-7, equal_nan=True)


def guarded_call(fn, args=(), kwargs=None, *, what: str, no_grad: bool = False,
                 rule_out: tuple[str, ...] = (), keep_inputs: bool = True) -> dict:
    """``fn(*args, **kwargs)`` with the tools an exercise rules out replaced by stand-ins
    that raise, under ``torch.no_grad()`` if asked.

    Returns ``{"value": result, "changed": [...]}`` (the positions of the tensor
    arguments the call changed in place, when ``keep_inputs``), or
    ``{"ruled_out": "`torch.optim.SGD`"}`` when the function reached for a ruled-out tool.
    """
    before = [a.detach().clone() if keep_inputs and isinstance(a, torch.Tensor) else None
              for a in args]
    reply = _guarded(fn, args, kwargs, what, no_grad, rule_out)
    if "value" in reply:
        reply["changed"] = [i for i, (a, b) in enumerate(zip(args, before, strict=True))
                            if b is not None and not _same(a.detach(), b)]
    return reply


def _guarded(fn, args, kwargs, what, no_grad, rule_out) -> dict:
    saved = []
    for group in rule_out:
        for owner, name, words in _RULED_OUT[group]():
            saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, _stand_in(words))
    try:
        with torch.no_grad() if no_grad else contextlib.nullcontext():
            return {"value": invoke(fn, tuple(args), dict(kwargs or {}), what)}
    except _Forbidden as err:
        return {"ruled_out": err.what}
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def run(exercise: Exercise, fn, *args, during: str, no_grad: bool = False,
        rule_out: tuple[str, ...] = (), rule_text: str = "", **kwargs):
    """Call the learner's ``fn`` through ``guarded_call``. A ruled-out tool, or a tensor
    argument changed in place, is incorrect."""
    reply = exercise.probe(guarded_call, fn, args, kwargs, what=during, no_grad=no_grad,
                           rule_out=rule_out, during=during)
    if "ruled_out" in reply:
        raise Incorrect(_("how {during} computes its result").format(during=during), rule_text,
                        _("a call to {tool}").format(tool=reply["ruled_out"]),
                        _("Write the computation out yourself, as the exercise asks."))
    if reply["changed"]:
        which = _(", ").join(_("argument {n}").format(n=i + 1) for i in reply["changed"])
        raise Incorrect(_("the arguments after {during}").format(during=during),
                        _("the arguments left unchanged"),
                        _("{which} changed in place").format(which=which),
                        _("Compute into new tensors: in-place operations (names ending in `_`, "
                          "`x[...] = ...`, `+=`) change the caller's tensor."))
    return reply["value"]
