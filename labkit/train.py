"""Training helpers: a plain training loop you can read, evaluation, and a History.

Read `train_one_epoch` first: it is the loop you would write by hand (zero_grad,
forward, loss, backward, step). `fit` repeats it for each epoch and adds bookkeeping
(progress bar, validation, live plot, History). It uses the model, loss and optimizer
you give it as they are: it never re-initialises weights or creates an optimizer.
"""

from __future__ import annotations

import itertools
import time

import torch
from torch import nn

from labkit import settings
from labkit.history import History
from labkit.i18n import _
from labkit.models import eval_mode, model_device, predicted_classes, unpack_batch

# With LABKIT_FAST=1 (the test suite), each epoch stops after this many batches.
FAST_MAX_BATCHES = 20


def _count_correct(logits: torch.Tensor, targets: torch.Tensor) -> int | None:
    """Number of correct predictions, or None when targets are not class labels."""
    binary = logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1)
    targets = targets.reshape(-1) if binary else targets
    if targets.ndim != 1 or len(targets) != len(logits):
        return None  # e.g. regression targets with several columns
    if targets.is_floating_point():
        if not binary or not bool(((targets == 0) | (targets == 1)).all()):
            return None  # float targets are labels only for a 0/1 binary task
    return int((predicted_classes(logits) == targets.long()).sum())


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of correct predictions.

    logits:  (B, K) scores for K classes, or (B, 1) / (B,) for a binary task.
    targets: (B,) class indices; for a binary task 0/1 values (float is fine).
    """
    correct = _count_correct(logits, targets)
    if correct is None:
        raise ValueError(
            f"accuracy() needs class labels: got logits of shape {tuple(logits.shape)} and "
            f"targets of shape {tuple(targets.shape)} ({targets.dtype}). Expected targets of "
            "shape (B,) with class indices, or 0/1 values for a single logit column."
        )
    if len(logits) == 0:
        raise ValueError("accuracy() got an empty batch; pass at least one example.")
    return correct / len(logits)


def _match_binary_shape(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Targets (B,) next to a single output column (B, 1) become (B, 1).

    BCEWithLogitsLoss refuses the mismatch, and MSELoss would silently broadcast it
    to a (B, B) matrix, so we line the shapes up. Nothing else is changed.
    """
    if outputs.ndim == 2 and outputs.shape[1] == 1 and targets.ndim == 1:
        return targets.unsqueeze(1)  # (B,) -> (B, 1)
    return targets


def _cap_batches(loader, max_batches: int | None):
    if max_batches is None and settings.fast():
        max_batches = FAST_MAX_BATCHES  # test suite only: keep every loop short
    if max_batches is not None and (not isinstance(max_batches, int) or max_batches < 1):
        raise ValueError(f"max_batches must be a whole number >= 1 or None, got {max_batches!r}.")
    batches = loader if max_batches is None else itertools.islice(loader, max_batches)
    try:
        count = len(loader)
    except TypeError:  # an iterator or generator has no length
        count = None
    if max_batches is not None:
        count = max_batches if count is None else min(count, max_batches)
    return batches, count


def evaluate(model: nn.Module, loader, *, loss_fn=None, device=None, max_batches=None) -> dict:
    """Average loss and accuracy of `model` over `loader`, in eval mode without gradients.

    Returns ``{"loss": float | None, "accuracy": float | None, "examples": int}``;
    loss is None without `loss_fn`, accuracy is None when targets are not class labels.
    The model's train/eval mode is restored afterwards.
    """
    device = model_device(model, device)
    batches, _ = _cap_batches(loader, max_batches)
    total_loss, correct, seen = 0.0, 0, 0
    with eval_mode(model):
        for batch in batches:
            inputs, targets = unpack_batch(batch, "loader")
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)  # (B, K) logits, or (B, 1) for a binary task
            targets = _match_binary_shape(outputs, targets)
            if loss_fn is not None:
                # The loss is a mean over the batch; weight it by the batch size.
                total_loss += loss_fn(outputs, targets).item() * len(inputs)
            batch_correct = _count_correct(outputs, targets)
            correct = None if None in (correct, batch_correct) else correct + batch_correct
            seen += len(inputs)
    if seen == 0:
        raise ValueError("evaluate() got a loader that yielded no batches.")
    return {
        "loss": total_loss / seen if loss_fn is not None else None,
        "accuracy": correct / seen if correct is not None else None,
        "examples": seen,
    }


def train_one_epoch(model: nn.Module, batches, *, loss_fn, optimizer, device=None,
                    bar=None) -> dict:
    """One pass over `batches`: the training loop itself.

    Returns ``{"loss", "accuracy", "batch_losses"}``: the average loss over the epoch
    (measured while the weights were still changing), the accuracy (None when targets are
    not class labels) and the loss of every batch. `bar` is an optional tqdm bar.
    """
    device = model_device(model, device)
    total_loss, correct, seen, batch_losses = 0.0, 0, 0, []

    model.train()  # dropout and batch norm behave as in training
    for batch in batches:
        inputs, targets = unpack_batch(batch, "train_loader")
        inputs, targets = inputs.to(device), targets.to(device)  # (B, ...), (B,)

        optimizer.zero_grad()  # gradients add up across backward() calls otherwise
        outputs = model(inputs)  # (B, K) logits, or (B, 1) for a binary task
        targets = _match_binary_shape(outputs, targets)
        loss = loss_fn(outputs, targets)  # mean loss over the batch
        loss.backward()  # d(loss)/d(parameter) into each parameter's .grad
        optimizer.step()  # update the parameters using their .grad

        # Bookkeeping only: .item() and detach() keep the graph from being stored.
        batch_losses.append(loss.item())
        total_loss += loss.item() * len(inputs)
        batch_correct = _count_correct(outputs.detach(), targets)
        correct = None if None in (correct, batch_correct) else correct + batch_correct
        seen += len(inputs)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}")

    if seen == 0:
        raise ValueError("`train_loader` yielded no batches; is its dataset empty?")
    return {
        "loss": total_loss / seen,
        "accuracy": correct / seen if correct is not None else None,
        "batch_losses": batch_losses,
    }


def fit(model: nn.Module, train_loader, *, loss_fn, optimizer: torch.optim.Optimizer,
        epochs: int = 1, val_loader=None, device=None, live: bool | None = None,
        max_batches: int | None = None, progress: bool | None = None) -> History:
    """Train `model` for `epochs` passes over `train_loader` and return a History.

    train_loader: yields (inputs, targets) pairs; a DataLoader or a plain list [(x, y)].
    device:       defaults to where the model's parameters are.
    live:         a loss/accuracy plot, redrawn after each epoch (default: on). With
                  LABKIT_QUIET=1 it is drawn once, at the end.
    max_batches:  stop each epoch after this many batches. With LABKIT_FAST=1 (used by the
                  test suite only) it defaults to FAST_MAX_BATCHES.
    progress:     tqdm progress bar (default: on unless LABKIT_QUIET; quiet mode always wins).

    The model ends in train mode. The weights change only through `optimizer.step()`.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}.")
    device = model_device(model, device)
    quiet = settings.quiet()
    live = True if live is None else live  # LivePlot itself waits for the end when quiet
    plot = None
    if live:
        from labkit.plot.live import LivePlot

        plot = LivePlot()
    show_bar = progress is not False and not quiet
    if show_bar:
        from tqdm.auto import tqdm  # a notebook or a terminal bar, whichever fits
    else:
        from tqdm import tqdm  # a disabled bar: no need to load the notebook machinery
    _batches, per_epoch = _cap_batches(train_loader, max_batches)
    bar = tqdm(total=per_epoch * epochs if per_epoch is not None else None, unit=_("batch"),
               disable=not show_bar)

    history = History()
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            bar.set_description(_("epoch {epoch}/{epochs}").format(epoch=epoch, epochs=epochs))
            batches, _count = _cap_batches(train_loader, max_batches)
            train = train_one_epoch(model, batches, loss_fn=loss_fn, optimizer=optimizer,
                                    device=device, bar=bar)
            val = {"loss": None, "accuracy": None}
            if val_loader is not None:
                val = evaluate(model, val_loader, loss_fn=loss_fn, device=device,
                               max_batches=max_batches)
            history.batch_losses.extend(train["batch_losses"])
            history.add_epoch(epoch=epoch, train_loss=train["loss"],
                              train_acc=train["accuracy"], val_loss=val["loss"],
                              val_acc=val["accuracy"], seconds=time.perf_counter() - start)
            if plot is not None:
                plot.update(history)
    finally:
        bar.close()  # also when the learner's code raises, so no half bar is left behind
    if plot is not None:
        plot.close()
    return history
