"""Grids of images with their labels, and the examples a model gets wrong."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader

from labkit.i18n.fonts import plot_text
from labkit.models import eval_mode, model_device, predicted_classes, unpack_batch
from labkit.plot.figure import check_positive_int, grid_axes, new_figure, to_numpy

MISTAKE_COLOR = "red"


def _as_image(image) -> np.ndarray:
    """One image as (H, W) grey values or (H, W, 3) colours in [0, 1], ready for imshow."""
    array = to_numpy(image).astype(np.float32)
    if array.ndim == 3 and array.shape[0] in (1, 3):  # (C, H, W), as PyTorch stores images
        array = array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)
    elif array.ndim == 3 and array.shape[2] == 1:  # (H, W, 1)
        array = array[:, :, 0]
    if array.ndim == 2:
        return array  # imshow scales grey images itself
    if array.ndim == 3 and array.shape[2] == 3:
        # Normalised colour images have values outside [0, 1]: rescale for display.
        low, high = array.min(), array.max()
        return (array - low) / (high - low) if high > low else np.zeros_like(array)
    raise ValueError(
        f"Cannot show an image of shape {tuple(array.shape)}: expected (H, W), (1, H, W), "
        "(3, H, W) or (H, W, 3)."
    )


def _collect(images, labels, indices, limit):
    """Images (a list of arrays) and labels (a list or None) from tensors or a dataset."""
    if isinstance(images, (torch.Tensor, np.ndarray)):
        if images.ndim == 2:  # a single (H, W) image
            images = images[None]
        if images.ndim not in (3, 4):
            raise ValueError(
                f"image_grid() got images of shape {tuple(images.shape)}; expected "
                "(N, H, W), (N, 1, H, W) or (N, 3, H, W)."
            )
        chosen = list(range(len(images))) if indices is None else list(indices)
        chosen = chosen[:limit]
        picked = [images[i] for i in chosen]
        if labels is not None:
            labels = to_numpy(labels).reshape(-1).tolist()
            labels = [labels[i] for i in chosen]
        return [_as_image(image) for image in picked], labels
    if hasattr(images, "__getitem__") and hasattr(images, "__len__"):
        # A dataset: each item is (image, label).
        chosen = list(range(min(len(images), 16))) if indices is None else list(indices)
        items = [images[i] for i in chosen[:limit]]
        pictures = [_as_image(item[0]) for item in items]
        if labels is None:
            labels = [int(item[1]) for item in items]
        return pictures, labels
    raise TypeError(
        f"image_grid() got images of type {type(images).__name__}; pass a tensor of shape "
        "(N, H, W) or (N, 1, H, W), or a dataset together with indices=[...]."
    )


def image_grid(images, labels=None, *, predictions=None, indices=None, class_names=None,
               ncols: int = 8, limit: int = 64, fig=None):
    """Show images in a grid, titled with their labels.

    images:      tensor (N, H, W) / (N, 1, H, W) / (N, 3, H, W), or a dataset of
                 (image, label) pairs together with `indices` (default: the first 16).
    predictions: class predictions; the title then shows them, and mistakes are red.
    class_names: names to show instead of class numbers.
    limit:       at most this many images are drawn.
    Returns the Figure (`fig` when one is given to draw into).
    """
    check_positive_int("ncols", ncols)
    pictures, labels = _collect(images, labels, indices, check_positive_int("limit", limit))
    if predictions is not None:
        predictions = to_numpy(predictions).reshape(-1).tolist()[: len(pictures)]
    if not pictures:
        raise ValueError("image_grid() got no images to show.")

    def name(value) -> str:
        value = int(value)
        return str(class_names[value]) if class_names is not None else str(value)

    ncols = min(ncols, len(pictures))
    if fig is None:
        fig = new_figure(1.3 * ncols, 1.5 * -(-len(pictures) // ncols))
    axes = grid_axes(fig, len(pictures), ncols)
    for i, (ax, picture) in enumerate(zip(axes, pictures, strict=True)):
        ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None)
        ax.set_xticks([])
        ax.set_yticks([])
        label = labels[i] if labels is not None else None
        if predictions is None:
            if label is not None:
                ax.set_title(name(label), fontsize=9)
            continue
        wrong = label is not None and int(predictions[i]) != int(label)
        title = plot_text("pred {label}").format(label=name(predictions[i]))
        if wrong:
            title += "\n" + plot_text("true {label}").format(label=name(label))
        ax.set_title(title, fontsize=9, color=MISTAKE_COLOR if wrong else "black")
    return fig


class Mistakes(NamedTuple):
    images: torch.Tensor  # (M, ...) the inputs the model got wrong
    labels: torch.Tensor  # (M,) true classes
    predictions: torch.Tensor  # (M,) predicted classes


def mistakes(model, dataset_or_loader, *, limit: int = 16, batch_size: int = 256) -> Mistakes:
    """The first `limit` misclassified examples, with their labels and the model's predictions.

    Show them with ``m = mistakes(model, test_set)`` then
    ``image_grid(m.images, m.labels, predictions=m.predictions)``.
    """
    check_positive_int("limit", limit)
    loader = dataset_or_loader
    if not isinstance(loader, DataLoader):
        loader = DataLoader(dataset_or_loader, batch_size=batch_size)  # in order, no shuffle
    device = model_device(model)
    found_images, found_labels, found_predictions = [], [], []
    count = 0
    with eval_mode(model):
        for batch in loader:
            inputs, targets = unpack_batch(batch, "dataset_or_loader")
            predictions = predicted_classes(model(inputs.to(device))).cpu()  # (B,)
            targets = targets.reshape(-1).long()  # (B,); 0/1 floats for binary tasks
            wrong = predictions != targets
            found_images.append(inputs[wrong])
            found_labels.append(targets[wrong])
            found_predictions.append(predictions[wrong])
            count += int(wrong.sum())
            if count >= limit:
                break
    if not found_images:
        raise ValueError("mistakes() got an empty dataset.")
    return Mistakes(
        torch.cat(found_images)[:limit],
        torch.cat(found_labels)[:limit],
        torch.cat(found_predictions)[:limit],
    )
