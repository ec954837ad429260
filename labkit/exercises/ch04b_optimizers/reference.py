"""What the chapter's update-rule checks share: drawn parameters and gradients, the
trace of a real ``torch.optim`` optimizer to compare with, and the tuple a step returns."""

from __future__ import annotations

import torch
from torch import nn

from labkit.check import Exercise, expect
from labkit.i18n import N_, _

STEPS = 4
# The update rules are one function of tensors; torch.optim rules out the shortcut.
NO_OPTIM = {"rule_out": ("optimizers",),
            "rule_text": N_("the update written with tensor operations, without "
                            "`torch.optim`")}


def shapes(exercise: Exercise) -> list[tuple[tuple[int, ...], torch.dtype]]:
    """A vector, a matrix and a single number, drawn; the matrix in float64 (a step
    keeps the parameter's dtype, as torch.optim does)."""
    n, rows, cols = (int(exercise.randint(2, 8)), int(exercise.randint(2, 5)),
                     int(exercise.randint(2, 5)))
    return [((n,), torch.float32), ((rows, cols), torch.float64), ((1,), torch.float32)]


def params_and_grads(exercise: Exercise, shape, dtype, steps: int, grad_scale: float = 1.0):
    param = exercise.randn(*shape, dtype=dtype)
    grads = [grad_scale * exercise.randn(*shape, dtype=dtype) for _step in range(steps)]
    return param, grads


def distinct(exercise: Exercise, options, count: int) -> list:
    """``count`` different options in an order drawn from the seed, so that a value
    written into an answer matches at most one of the configurations."""
    options = list(options)
    order = torch.randperm(len(options), generator=exercise.rng)[:count]
    return [options[int(i)] for i in order]


def torch_run(optimizer_class, param: torch.Tensor, grads, **hyper):
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


def unpack(found, count: int, *, name: str, names: str):
    """The ``count`` values of a returned tuple."""
    expect.is_type(found, (tuple, list), name=name,
                   hint=_("Return the tuple `({names})`.").format(names=names))
    expect.equal(len(found), count, name=f"len({name})",
                 hint=_("Return the tuple `({names})`.").format(names=names))
    return found


def config_text(config: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items())
