"""How chapter 04's checks call a learner's model, and run the given buggy code.

The probes here run beside the learner's objects and call them only through
``probes.guarded_call``: inputs go to the model's device, and the model answers in the
mode it is in, or in eval mode with every layer's flag put back afterwards.
"""

from __future__ import annotations

import contextlib

from torch import nn

from labkit.check import probes
from labkit.check.describe import cut
from labkit.models import eval_mode, model_device


def forward(model, x, spec: dict, evaluation: bool = False) -> dict:
    """``model(x)``, guarded, with ``x`` on the model's device; in eval mode if
    ``evaluation``."""
    mode = contextlib.nullcontext()
    if isinstance(model, nn.Module):
        x = x.to(model_device(model))
        if evaluation:
            mode = eval_mode(model)
    with mode:
        return probes.guarded_call(model, (x,), {}, spec)


def error_of(fn, *args, **kwargs) -> BaseException | None:
    """The exception ``fn(*args)`` raises, or None: the given buggy code, run by the check."""
    try:
        fn(*args, **kwargs)
    except Exception as err:
        return err
    return None


def short(err: BaseException) -> str:
    return f"`{type(err).__name__}: {cut(str(err), 90)}`"
