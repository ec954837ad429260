"""Expectations that checks are built from.

Each one either returns quietly or raises ``Incorrect`` with the fixed message form:
what was checked, what was expected, what was found, then at most one hint. Tensor
comparisons go step by step, stopping at the first problem:
type -> shape -> dtype -> device -> values.
"""

from __future__ import annotations

import math

import torch

from labkit.check.describe import describe, index_text, shape_text, type_name
from labkit.check.handle import is_handle
from labkit.check.signals import Incorrect
from labkit.i18n import N_, _


def that(condition: bool, *, checked: str, expected: str, found: str, hint: str | None = None):
    """The general form: fail with the given words unless ``condition`` holds."""
    if not condition:
        raise Incorrect(checked, expected, found, hint)


def is_type(value, types, *, name: str, hint: str | None = None) -> None:
    """``value`` is plain data of one of ``types``; a learner object (handle) never is."""
    types = types if isinstance(types, tuple) else (types,)
    if is_handle(value) or not isinstance(value, types):
        wanted = _(" or ").join(f"`{t.__name__}`" for t in types)
        raise Incorrect(_subject("type", name), wanted, describe(value),
                        hint)


def equal(actual, expected, *, name: str, hint: str | None = None) -> None:
    """Exact equality for plain Python values (ints, strings, tuples, ...)."""
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        is_type(actual, (int, float), name=name, hint=hint)
    if is_handle(actual) or actual != expected:
        raise Incorrect(_code(name), f"`{expected!r}`", describe(actual), hint)


def tensor(value, *, name: str, shape=None, dtype=None, device=None, hint: str | None = None):
    """``value`` is a tensor with the given shape, dtype and device (each optional)."""
    if is_handle(value) or not isinstance(value, torch.Tensor):
        raise Incorrect(_subject("type", name), _("a `Tensor`"),
                        describe(value), hint)
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Incorrect(
            _subject("shape", name), shape_text(shape),
            shape_text(value.shape), hint
        )
    if dtype is not None and value.dtype != dtype:
        raise Incorrect(
            _subject("dtype", name), _dtype(dtype), _dtype(value.dtype),
            hint
        )
    if device is not None and value.device.type != torch.device(device).type:
        raise Incorrect(_subject("device", name), str(device),
                        str(value.device), hint)


def close(actual, expected, *, name: str, atol: float = 1e-5, rtol: float = 1e-4,
          hint: str | None = None, check_dtype: bool = True) -> None:
    """``actual`` matches the tensor (or number) ``expected`` within tolerance."""
    if not isinstance(expected, torch.Tensor):
        is_type(actual, (int, float, torch.Tensor), name=name, hint=hint)
        found = actual
        if isinstance(actual, torch.Tensor) and actual.numel() == 1:
            found = actual.item()
        if isinstance(found, torch.Tensor):
            raise Incorrect(_code(name), _("a single number"), describe(actual), hint)
        if not math.isclose(float(found), float(expected), abs_tol=atol, rel_tol=rtol):
            raise Incorrect(_code(name), f"{float(expected):.6g}", f"{float(found):.6g}", hint)
        return
    tensor(actual, name=name, shape=expected.shape,
           dtype=expected.dtype if check_dtype else None, device=expected.device, hint=hint)
    a = actual.detach().to(torch.float64)
    e = expected.detach().to(torch.float64)
    bad_nan = torch.isnan(a) & ~torch.isnan(e)
    if bad_nan.any():
        where = index_text(torch.nonzero(bad_nan)[0])
        raise Incorrect(_subject("values", name), _("no NaN"),
                        _("NaN at index {index}").format(index=where), hint)
    diff = (a - e).abs().nan_to_num(0.0)
    allowed = atol + rtol * e.abs().nan_to_num(0.0)
    if a.numel() and bool((diff > allowed).any()):
        flat = int(torch.argmax(diff - allowed))
        where = index_text(torch.unravel_index(torch.tensor(flat), a.shape)) if a.dim() else "()"
        raise Incorrect(
            _subject("values", name),
            _("values within {atol:g} + {rtol:g} x |expected| of the reference").format(
                atol=atol, rtol=rtol),
            (_("a difference of {difference:.4g} at index {index} (expected {expected:.6g}, "
               "found {found:.6g})") if a.dim() else
             _("a difference of {difference:.4g} (expected {expected:.6g}, found {found:.6g})")
             ).format(difference=float(diff.flatten()[flat]), index=where,
                      expected=float(e.flatten()[flat]), found=float(a.flatten()[flat])),
            hint,
        )


def loss_decreases(losses, *, name: str, factor: float = 0.9, hint: str | None = None) -> None:
    """The last loss is below ``factor`` times the first."""
    values = [float(v) for v in losses]
    that(len(values) >= 2, checked=_code(name), expected=_("at least two loss values"),
         found=f"{len(values)}", hint=hint)
    that(values[-1] < factor * values[0], checked=_code(name),
         expected=_("the loss to fall below {factor:g} x its first value ({first:.4g})").format(
             factor=factor, first=values[0]),
         found=_("{first:.4g} at the start and {last:.4g} at the end").format(
             first=values[0], last=values[-1]), hint=hint)


# What a message says was checked. A plain name is code and goes in backticks; a name that
# already begins and ends with marked code ("`x.grad` on rank 0 after `step()`") is used as
# it is. (A name that only closes and reopens backticks inside, "f(x)` for `x", relies on
# the outer pair: translations use that to put words between two pieces of code.)
_SUBJECTS = {
    "type": (N_("the type of `{name}`"), N_("the type of {name}")),
    "shape": (N_("the shape of `{name}`"), N_("the shape of {name}")),
    "dtype": (N_("the dtype of `{name}`"), N_("the dtype of {name}")),
    "device": (N_("the device of `{name}`"), N_("the device of {name}")),
    "values": (N_("the values of `{name}`"), N_("the values of {name}")),
}


def _subject(kind: str, name: str) -> str:
    as_code, as_it_is = _SUBJECTS[kind]
    template = as_it_is if _marked(name) else as_code
    return _(template).format(name=name)


def _code(name: str) -> str:
    return name if _marked(name) else f"`{name}`"


def _marked(name: str) -> bool:
    return len(name) > 1 and name.startswith("`") and name.endswith("`")


def _dtype(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


__all__ = ["close", "equal", "is_type", "loss_decreases", "tensor", "that",
           "type_name"]
