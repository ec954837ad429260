"""Expectations that checks are built from.

Each one either returns quietly or raises ``Incorrect`` with the fixed message form:
what was checked, what was expected, what was found, then at most one hint. Tensor
comparisons go step by step, stopping at the first problem:
type -> shape -> dtype -> device -> values.

What was checked is named by ``name=`` (code: ``"relu(x)"``, shown in backticks) or by
``subject=`` (words, already translated, with their own code spans: ``_("`w` after
training")``); the two are never guessed from the text.
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


def is_type(value, types, *, name: str | None = None, subject: str | None = None,
            hint: str | None = None) -> None:
    """``value`` is plain data of one of ``types``; a learner object (handle) never is."""
    types = types if isinstance(types, tuple) else (types,)
    if is_handle(value) or not isinstance(value, types):
        wanted = _(" or ").join(f"`{t.__name__}`" for t in types)
        raise Incorrect(_subject("type", name, subject), wanted, describe(value), hint)


def equal(actual, expected, *, name: str | None = None, subject: str | None = None,
          hint: str | None = None) -> None:
    """Exact equality for plain Python values (ints, strings, tuples, ...)."""
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        is_type(actual, (int, float), name=name, subject=subject, hint=hint)
    if is_handle(actual) or actual != expected:
        raise Incorrect(_label(name, subject), f"`{expected!r}`", describe(actual), hint)


def tensor(value, *, name: str | None = None, subject: str | None = None, shape=None,
           dtype=None, device=None, hint: str | None = None):
    """``value`` is a tensor with the given shape, dtype and device (each optional)."""
    if is_handle(value) or not isinstance(value, torch.Tensor):
        raise Incorrect(_subject("type", name, subject), _("a `Tensor`"), describe(value),
                        hint)
    if value.layout != torch.strided or value.is_quantized:
        raise Incorrect(_subject("type", name, subject), _("a dense tensor"),
                        _("a tensor with layout `{layout}`").format(
                            layout=str(value.layout).removeprefix("torch.")), hint)
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Incorrect(_subject("shape", name, subject), shape_text(shape),
                        shape_text(value.shape), hint)
    if dtype is not None and value.dtype != dtype:
        raise Incorrect(_subject("dtype", name, subject), _dtype(dtype), _dtype(value.dtype),
                        hint)
    if device is not None and value.device.type != torch.device(device).type:
        raise Incorrect(_subject("device", name, subject), str(device), str(value.device),
                        hint)


def close(actual, expected, *, name: str | None = None, subject: str | None = None,
          atol: float = 1e-5, rtol: float = 1e-4, hint: str | None = None,
          check_dtype: bool = True) -> None:
    """``actual`` matches the tensor (or number) ``expected`` within tolerance; a NaN or an
    infinity matches only the same NaN or infinity."""
    label = _label(name, subject)
    if not isinstance(expected, torch.Tensor):
        is_type(actual, (int, float, torch.Tensor), name=name, subject=subject, hint=hint)
        found = actual
        if isinstance(actual, torch.Tensor) and actual.numel() == 1:
            found = actual.item()
        if isinstance(found, torch.Tensor):
            raise Incorrect(label, _("a single number"), describe(actual), hint)
        found, wanted = float(found), float(expected)
        same = found == wanted or (math.isnan(found) and math.isnan(wanted)) or (
            math.isfinite(found) and math.isfinite(wanted)
            and math.isclose(found, wanted, abs_tol=atol, rel_tol=rtol))
        if not same:
            raise Incorrect(label, f"{wanted:.6g}", f"{found:.6g}", hint)
        return
    tensor(actual, name=name, subject=subject, shape=expected.shape,
           dtype=expected.dtype if check_dtype else None, device=expected.device, hint=hint)
    a = actual.detach().to(torch.float64)
    e = expected.detach().to(torch.float64)
    bad_nan = torch.isnan(a) & ~torch.isnan(e)
    if bad_nan.any():
        where = index_text(torch.nonzero(bad_nan)[0])
        raise Incorrect(_subject("values", name, subject), _("no NaN"),
                        _("NaN at index {index}").format(index=where), hint)
    special = ~torch.isfinite(a) | ~torch.isfinite(e)  # inf, -inf and NaN: only themselves
    mismatch = special & ~((a == e) | (torch.isnan(a) & torch.isnan(e)))
    if mismatch.any():
        index = torch.nonzero(mismatch)[0]
        raise Incorrect(
            _subject("values", name, subject),
            _("{expected:g} at index {index}").format(expected=float(e[tuple(index)]),
                                                      index=index_text(index)),
            f"{float(a[tuple(index)]):g}", hint)
    diff = (a - e).abs().nan_to_num(0.0, posinf=0.0, neginf=0.0)
    allowed = atol + rtol * e.abs().nan_to_num(0.0, posinf=0.0, neginf=0.0)
    if a.numel() and bool((diff > allowed).any()):
        flat = int(torch.argmax(diff - allowed))
        where = index_text(torch.unravel_index(torch.tensor(flat), a.shape)) if a.dim() else "()"
        raise Incorrect(
            _subject("values", name, subject),
            _("values within {atol:g} + {rtol:g} x |expected| of the reference").format(
                atol=atol, rtol=rtol),
            (_("a difference of {difference:.4g} at index {index} (expected {expected:.6g}, "
               "found {found:.6g})") if a.dim() else
             _("a difference of {difference:.4g} (expected {expected:.6g}, found {found:.6g})")
             ).format(difference=float(diff.flatten()[flat]), index=where,
                      expected=float(e.flatten()[flat]), found=float(a.flatten()[flat])),
            hint,
        )


def loss_decreases(losses, *, name: str | None = None, subject: str | None = None,
                   factor: float = 0.9, hint: str | None = None) -> None:
    """The last loss is below ``factor`` times the first."""
    values = [float(v) for v in losses]
    label = _label(name, subject)
    that(len(values) >= 2, checked=label, expected=_("at least two loss values"),
         found=f"{len(values)}", hint=hint)
    that(values[-1] < factor * values[0], checked=label,
         expected=_("the loss to fall below {factor:g} x its first value ({first:.4g})").format(
             factor=factor, first=values[0]),
         found=_("{first:.4g} at the start and {last:.4g} at the end").format(
             first=values[0], last=values[-1]), hint=hint)


def at_least(count: int, total: int, fraction: float, *, name: str | None = None,
             subject: str | None = None, hint: str | None = None) -> None:
    """``count`` of ``total`` (right predictions on held-out data) reach ``fraction``.

    Judged on whole counts, so a score exactly at the bar passes whatever float rounding
    would say. The message never gives the score: a learner who could read it could tune
    on the held-out data.
    """
    if total <= 0 or count * 10**6 < round(fraction * 10**6) * total:
        raise Incorrect(_label(name, subject),
                        _("at least {percent:g}% on held-out data").format(
                            percent=round(fraction * 100, 4)),
                        _("less than that (the score itself stays hidden: tune on your "
                          "validation data)"), hint)


# What a message says was checked: a name is code and goes in backticks; a subject is
# words, already translated, with their own code spans.
_SUBJECTS = {
    "type": (N_("the type of `{name}`"), N_("the type of {name}")),
    "shape": (N_("the shape of `{name}`"), N_("the shape of {name}")),
    "dtype": (N_("the dtype of `{name}`"), N_("the dtype of {name}")),
    "device": (N_("the device of `{name}`"), N_("the device of {name}")),
    "values": (N_("the values of `{name}`"), N_("the values of {name}")),
}


def _subject(kind: str, name: str | None, subject: str | None = None) -> str:
    as_code, as_words = _SUBJECTS[kind]
    if subject is not None:
        return _(as_words).format(name=subject)
    if name is None:
        raise TypeError("an expectation needs name= (code) or subject= (words)")
    return _(as_code).format(name=name)


def _label(name: str | None, subject: str | None) -> str:
    if subject is not None:
        return subject
    if name is None:
        raise TypeError("an expectation needs name= (code) or subject= (words)")
    return f"`{name}`"


def _dtype(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


__all__ = ["at_least", "close", "equal", "is_type", "loss_decreases", "tensor", "that",
           "type_name"]
