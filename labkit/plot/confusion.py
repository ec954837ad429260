"""Confusion matrices: which classes the model mixes up."""

from __future__ import annotations

import torch

from labkit.i18n.fonts import plot_text
from labkit.plot.figure import check_positive_int, new_figure, to_numpy


def _as_labels(name: str, values, num_classes: int) -> torch.Tensor:
    values = torch.as_tensor(values)
    if values.ndim != 1:
        raise ValueError(
            f"`{name}` must be class indices of shape (N,), got shape {tuple(values.shape)}. "
            "For logits of shape (N, K), pass `logits.argmax(dim=1)`."
        )
    if values.is_floating_point() and not bool((values == values.round()).all()):
        raise ValueError(f"`{name}` must hold whole class numbers, got fractional values.")
    values = values.long()
    if len(values) and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(
            f"`{name}` holds values from {int(values.min())} to {int(values.max())}, but "
            f"num_classes={num_classes} allows 0 to {num_classes - 1}."
        )
    return values


def confusion_matrix(predictions, targets, num_classes: int) -> torch.Tensor:
    """Counts (K, K), int64: entry [t, p] = how many examples of true class t got predicted p.

    Rows are true classes, columns predicted classes; the diagonal holds correct answers.
    """
    check_positive_int("num_classes", num_classes)
    predictions = _as_labels("predictions", predictions, num_classes).cpu()
    targets = _as_labels("targets", targets, num_classes).cpu()
    if len(predictions) != len(targets):
        raise ValueError(
            f"Got {len(predictions)} predictions but {len(targets)} targets; "
            "they must be the same examples, one prediction per target."
        )
    # Pair (t, p) -> single index t * K + p, count each index, fold back into K rows.
    index = targets * num_classes + predictions  # (N,)
    counts = torch.bincount(index, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).to(torch.int64)


def most_confused(matrix, k: int = 5) -> list[tuple[int, int, int]]:
    """The `k` largest mistakes as (true class, predicted class, count), largest first.

    Only off-diagonal cells with a count above 0; ties go to the smaller class numbers.
    """
    check_positive_int("k", k)
    matrix = torch.as_tensor(matrix)
    cells = [
        (int(t), int(p), int(matrix[t, p]))
        for t in range(matrix.shape[0])
        for p in range(matrix.shape[1])
        if t != p and matrix[t, p] > 0
    ]
    cells.sort(key=lambda cell: (-cell[2], cell[0], cell[1]))
    return cells[:k]


def plot_confusion_matrix(matrix, *, class_names=None, ax=None):
    """Draw the matrix as a heat map with the count written in every cell.

    Returns the Figure, or `ax` when given.
    """
    counts = to_numpy(matrix)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"A confusion matrix must be square (K, K), got {counts.shape}.")
    k = counts.shape[0]
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in
                                                                            range(k)]
    if len(names) != k:
        raise ValueError(f"Got {len(names)} class_names for a {k} x {k} matrix.")

    result = ax
    if ax is None:
        size = max(3.5, 0.5 * k + 1.5)
        result = new_figure(size, size)
        ax = result.subplots()
    ax.imshow(counts, cmap="Blues")
    threshold = counts.max() / 2 if counts.size else 0
    for t in range(k):
        for p in range(k):
            # White text on dark cells, black on light ones, so every count is readable.
            ax.text(p, t, f"{int(counts[t, p])}", ha="center", va="center", fontsize=8,
                    color="white" if counts[t, p] > threshold else "black")
    ax.set_xticks(range(k), names, rotation=45 if k > 5 else 0)
    ax.set_yticks(range(k), names)
    ax.set_xlabel(plot_text("predicted class"))
    ax.set_ylabel(plot_text("true class"))
    ax.set_title(plot_text("confusion matrix"))
    return result
