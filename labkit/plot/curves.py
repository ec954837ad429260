"""Training curves: loss and accuracy per epoch, train against validation."""

from __future__ import annotations

from labkit.history import History
from labkit.i18n.fonts import plot_text
from labkit.plot.figure import new_figure, renamed_axes


def _measured(epochs, values):
    """Only the epochs where a value was measured (None means not measured)."""
    pairs = [(e, v) for e, v in zip(epochs, values, strict=True) if v is not None]
    return [e for e, _ in pairs], [v for _, v in pairs]


def draw_history(history, loss_ax, acc_ax) -> None:
    """Draw `history` into two existing axes: loss on `loss_ax`, accuracy on `acc_ax`."""
    epochs = history.epoch
    marker = "o" if len(epochs) <= 30 else None  # dots help for few epochs, clutter many
    if history.batch_losses and epochs:
        # Batch k of n (over all epochs) sits at x = k * epochs / n, so the faint
        # per-batch curve lines up with the per-epoch points (epoch e ends at x = e).
        n = len(history.batch_losses)
        xs = [(k + 1) * len(epochs) / n for k in range(n)]
        loss_ax.plot(xs, history.batch_losses, color="tab:blue", alpha=0.25, linewidth=1,
                     label=plot_text("train (each batch)"))
    for values, label, color in (
        (history.train_loss, plot_text("train"), "tab:blue"),
        (history.val_loss, plot_text("validation"), "tab:orange"),
    ):
        xs, ys = _measured(epochs, values)
        if ys:
            loss_ax.plot(xs, ys, marker=marker, color=color, label=label)
    loss_ax.set_title(plot_text("loss"))
    loss_ax.set_xlabel(plot_text("epoch"))

    any_accuracy = False
    for values, label, color in (
        (history.train_acc, plot_text("train"), "tab:blue"),
        (history.val_acc, plot_text("validation"), "tab:orange"),
    ):
        xs, ys = _measured(epochs, values)
        if ys:
            acc_ax.plot(xs, ys, marker=marker, color=color, label=label)
            any_accuracy = True
    acc_ax.set_title(plot_text("accuracy"))
    acc_ax.set_xlabel(plot_text("epoch"))
    acc_ax.set_ylim(0, 1.02)
    if not any_accuracy:
        acc_ax.text(0.5, 0.5, plot_text("no accuracy\n(targets are not class labels)"),
                    ha="center", va="center", transform=acc_ax.transAxes, color="gray")
    for ax in (loss_ax, acc_ax):
        if ax.lines:
            ax.legend(loc="best")


def plot_history(history, *, ax=None, axes=None):
    """Loss and accuracy curves of a `History` (or its ``as_dict()``), train vs validation.

    ax: two Axes to draw into (loss, accuracy); by default a new figure is made.
    Returns the new Figure, or `ax` when they were given.
    """
    ax = renamed_axes(ax, axes, "plot_history")
    if isinstance(history, dict):
        history = History(**history)
    if ax is None:
        fig = new_figure(9, 3.5)
        loss_ax, acc_ax = fig.subplots(1, 2)
        draw_history(history, loss_ax, acc_ax)
        return fig
    try:
        loss_ax, acc_ax = ax
    except (TypeError, ValueError):
        raise ValueError(
            "plot_history(ax=...) needs two Axes (loss, accuracy), e.g. "
            "`fig, axes = plt.subplots(1, 2)`."
        ) from None
    draw_history(history, loss_ax, acc_ax)
    return ax
