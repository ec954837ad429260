"""Small helpers about models and batches, shared by training, plots and checks.

This module imports only torch, so that any part of labkit can use it without
pulling in another (`labkit.train` and `labkit.plot` both do).
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def eval_mode(model: nn.Module):
    """Run a block in eval mode without gradients, then put every layer back as it was."""
    # Remember each layer's own flag: a learner may have frozen some layers in eval mode.
    was_training = {module: module.training for module in model.modules()}
    model.eval()  # dropout off, batch norm uses its running statistics
    try:
        with torch.no_grad():  # no graph is recorded: faster and uses less memory
            yield model
    finally:
        for module, flag in was_training.items():
            module.training = flag


def predicted_classes(logits: torch.Tensor) -> torch.Tensor:
    """Class predictions: argmax over classes, or ``logit > 0`` for one output column."""
    if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
        # One logit per example: sigmoid(logit) > 0.5 exactly when logit > 0.
        return (logits.reshape(-1) > 0).long()  # (B,)
    return logits.argmax(dim=1)  # (B, K) -> (B,)


def model_device(model, device=None) -> torch.device:
    """Where inputs for `model` go: the device of its parameters (CPU when it has none).

    With `device` given, it is returned, after checking that the parameters live on a
    device of the same type.
    """
    param = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    if device is None:
        return param.device if param is not None else torch.device("cpu")
    device = torch.device(device)
    if param is not None and param.device.type != device.type:
        raise ValueError(
            f"device={str(device)!r} but the model's parameters are on {param.device}. "
            "Move the model first with `model.to(device)`, then create the optimizer, "
            "and call fit() without device= (it follows the model)."
        )
    return device


def unpack_batch(batch, loader_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Check that a batch is an (inputs, targets) pair of tensors and return it."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        inputs, targets = batch
        if isinstance(inputs, torch.Tensor) and isinstance(targets, torch.Tensor):
            return inputs, targets
        found = f"a pair of ({type(inputs).__name__}, {type(targets).__name__})"
    elif isinstance(batch, torch.Tensor):
        found = f"a single Tensor of shape {tuple(batch.shape)}"
    elif isinstance(batch, (tuple, list)):
        found = f"a {type(batch).__name__} of {len(batch)} items"
    else:
        found = f"a {type(batch).__name__}"
    raise TypeError(
        f"`{loader_name}` must yield (inputs, targets) pairs of tensors, but it yielded {found}. "
        "Fix: build it from `TensorDataset(inputs, targets)` or a dataset whose items are "
        "(image, label) pairs, or pass a list like [(inputs, targets)]."
    )
