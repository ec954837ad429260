"""What convolution layers learn: their filters and the feature maps they produce."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from labkit.models import eval_mode
from labkit.plot.figure import check_positive_int, grid_axes, new_figure, to_numpy


def plot_filters(weight, *, ncols: int = 8, fig=None):
    """Show each filter of a conv layer, for its first input channel.

    weight: a tensor (C_out, C_in, kH, kW) or an nn.Conv2d. One shared colour scale,
    centred on 0, so filters can be compared (red positive, blue negative).
    Returns the Figure (`fig` when one is given to draw into).
    """
    if isinstance(weight, nn.Conv2d):
        weight = weight.weight
    check_positive_int("ncols", ncols)
    if not isinstance(weight, torch.Tensor) or weight.ndim != 4:
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ValueError(
            f"plot_filters() needs a conv weight of shape (C_out, C_in, kH, kW), got {shape}. "
            "Pass `layer.weight` of an nn.Conv2d, or the layer itself."
        )
    filters = to_numpy(weight[:, 0])  # (C_out, kH, kW): first input channel only
    scale = float(abs(filters).max()) or 1.0
    count = len(filters)
    if fig is None:
        ncols_used = min(ncols, count)
        fig = new_figure(1.1 * ncols_used, 1.2 * -(-count // ncols_used))
    for i, ax in enumerate(grid_axes(fig, count, ncols)):
        ax.imshow(filters[i], cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set_title(f"{i}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def feature_maps(model_or_layer: nn.Module, image: torch.Tensor) -> OrderedDict:
    """Run one image through the model; return name -> output (C, H, W) of each nn.Conv2d.

    image: (H, W), (C, H, W) or (1, C, H, W). Forward hooks record the outputs; they are
    removed afterwards, even when the forward pass fails.
    """
    convs = [(name or type(module).__name__, module)
             for name, module in model_or_layer.named_modules() if isinstance(module, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(model_or_layer).__name__} has no nn.Conv2d layer to look into.")
    if image.ndim == 2:
        image = image[None, None]  # (H, W) -> (1, 1, H, W)
    elif image.ndim == 3:
        image = image[None]  # (C, H, W) -> (1, C, H, W)
    if image.ndim != 4 or len(image) != 1:
        raise ValueError(f"feature_maps() needs one image, (C, H, W), got {tuple(image.shape)}.")

    maps: OrderedDict[str, torch.Tensor] = OrderedDict()

    def recorder(name):
        def hook(module, inputs, output):
            maps[name] = output.detach()[0].cpu()  # (C_out, H', W'), batch dim dropped
        return hook

    handles = [module.register_forward_hook(recorder(name)) for name, module in convs]
    param = next(model_or_layer.parameters(), None)
    if param is not None:
        image = image.to(param.device, param.dtype)
    try:
        with eval_mode(model_or_layer):
            model_or_layer(image)
    finally:
        for handle in handles:  # a hook left behind would keep firing on every forward
            handle.remove()
    return maps


def plot_feature_maps(maps, *, limit: int = 8, fig=None):
    """One row per layer, showing its first `limit` channels.

    maps: the dict from `feature_maps()` (or a single (C, H, W) tensor).
    Returns the Figure (`fig` when one is given to draw into).
    """
    check_positive_int("limit", limit)
    if isinstance(maps, torch.Tensor):
        maps = {"feature maps": maps}
    if not maps:
        raise ValueError("plot_feature_maps() got no feature maps.")
    ncols = min(limit, max(len(m) for m in maps.values()))
    if fig is None:
        fig = new_figure(1.2 * ncols + 0.5, 1.3 * len(maps))
    axes = fig.subplots(len(maps), ncols, squeeze=False)
    for row, (name, layer_maps) in zip(axes, maps.items(), strict=True):
        for channel, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            if channel >= min(limit, len(layer_maps)):
                ax.set_axis_off()
                continue
            ax.imshow(to_numpy(layer_maps[channel]), cmap="viridis")
            if channel == 0:
                ax.set_ylabel(name, fontsize=8)
            ax.set_title(f"{channel}", fontsize=8)
    return fig
