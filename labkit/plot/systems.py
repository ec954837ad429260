"""Diagrams drawn with code, so that their words translate: how data parallelism moves
gradients between ranks, how the float formats spend their bits, and the road from a
model's weights to a runtime that does not need PyTorch.

Each ``plot_*`` function returns a Figure (or draws into ``ax``); ``float_layouts``
returns the numbers its picture shows, read from ``torch.finfo``.
"""

from __future__ import annotations

import math

import torch

from labkit.i18n import N_
from labkit.i18n.fonts import plot_text
from labkit.plot.figure import check_positive_int, new_figure

FORMATS = (torch.float32, torch.float16, torch.bfloat16)
_PART_COLORS = {"sign": "#d62728", "exponent": "#1f77b4", "mantissa": "#2ca02c"}
_PART_NAMES = {"sign": N_("sign"), "exponent": N_("exponent"), "mantissa": N_("mantissa")}


def _box(ax, x, y, width, height, text, *, color="#eef3fb", size=9):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), width, height, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=color, edgecolor="#4a5a70", linewidth=1))
    ax.text(x + width / 2, y + height / 2, text, ha="center", va="center", fontsize=size)


def _arrow(ax, start, end, text="", *, size=8, offset=(0.0, 0.12)):
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "->", "color": "#4a5a70", "linewidth": 1.2})
    if text:
        middle = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
        ax.text(*middle, text, ha="center", va="bottom", fontsize=size, color="#33415c")


def _canvas(ax, width, height, xlim, ylim):
    fig = None
    if ax is None:
        fig = new_figure(width, height)
        ax = fig.add_subplot()
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_axis_off()
    return fig, ax


# --- data parallelism ---------------------------------------------------------------------
def plot_all_reduce(world_size: int = 3, *, ax=None):
    """One training step of data parallelism on ``world_size`` ranks: each process has
    its device, a copy of the model and a shard of the batch; an all-reduce averages
    the gradients, so every rank takes the same step."""
    check_positive_int("world_size", world_size)
    if world_size > 8:
        raise ValueError(f"world_size must be at most 8 to fit the picture, got {world_size}")
    fig, ax = _canvas(ax, 1.0 + 2.3 * world_size, 4.6, (-0.2, 3 * world_size), (-0.3, 6.6))
    for rank in range(world_size):
        x = 3 * rank
        _box(ax, x, 4.7, 2.6, 1.6, plot_text(N_("process {rank} (rank {rank})\ndevice {rank}\n"
                                                "a full copy of the model")).format(rank=rank))
        _box(ax, x, 3.2, 2.6, 0.9, plot_text(N_("shard {rank} of the batch\n"
                                                "-> gradient g{rank}")).format(rank=rank),
             color="#fff4e0")
        _arrow(ax, (x + 1.3, 4.7), (x + 1.3, 4.1))
        _arrow(ax, (x + 1.3, 3.2), (x + 1.3, 2.6))  # g_r goes in
        _arrow(ax, (x + 1.3, 1.9), (x + 1.3, 1.1))  # the average comes out
        _box(ax, x, 0.0, 2.6, 1.1, plot_text(N_("the same average\nthe same optimizer step")),
             color="#e8f6ea")
    _box(ax, 0.0, 1.9, 3 * world_size - 0.4, 0.7,
         plot_text(N_("all-reduce: sum the gradients of all ranks, divide by W = {world}"))
         .format(world=world_size), color="#f1e6f8", size=10)
    return fig if fig is not None else ax


# --- float formats ------------------------------------------------------------------------
def float_layouts(dtypes=FORMATS) -> list[dict]:
    """For each floating dtype: its bits of sign, exponent and mantissa, its largest
    value, its smallest normal value and its eps (the gap after 1), from ``torch.finfo``."""
    rows = []
    for dtype in dtypes:
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise ValueError(f"dtypes must be floating torch dtypes such as torch.float16, "
                             f"got {dtype!r}")
        info = torch.finfo(dtype)
        mantissa = round(-math.log2(info.eps))
        rows.append({"name": str(dtype).removeprefix("torch."), "bits": info.bits, "sign": 1,
                     "exponent": info.bits - 1 - mantissa, "mantissa": mantissa,
                     "max": info.max, "smallest_normal": info.smallest_normal,
                     "eps": info.eps})
    return rows


def plot_float_layouts(dtypes=FORMATS, *, ax=None):
    """The bits of each format, one box per bit (sign, exponent, mantissa), with the
    range and precision those bits give."""
    from matplotlib.patches import Patch, Rectangle

    rows = float_layouts(dtypes)
    if not rows:
        raise ValueError("dtypes must name at least one floating dtype")
    widest = max(row["bits"] for row in rows)
    fig, ax = _canvas(ax, 9.0, 0.8 + 0.85 * len(rows), (-6.5, widest + 0.5),
                      (-0.6, 1.1 * len(rows) + 0.2))
    for i, row in enumerate(rows):
        y = 1.1 * (len(rows) - 1 - i) + 0.35
        x = 0
        for part in ("sign", "exponent", "mantissa"):
            for _bit in range(row[part]):
                ax.add_patch(Rectangle((x, y), 1, 0.45, facecolor=_PART_COLORS[part],
                                       edgecolor="white", linewidth=1))
                x += 1
        ax.text(-0.4, y + 0.22, f"{row['name']} ({row['bits']})", ha="right", va="center",
                fontsize=10)
        ax.text(0, y - 0.05, plot_text(N_("largest {largest:.3g}, smallest normal {normal:.3g}, "
                                          "eps {eps:.3g}")).format(
            largest=row["max"], normal=row["smallest_normal"], eps=row["eps"]),
            ha="left", va="top", fontsize=8, color="#33415c")
    ax.legend(handles=[Patch(color=_PART_COLORS[p], label=plot_text(_PART_NAMES[p]))
                       for p in _PART_COLORS], loc="lower right", ncols=3, fontsize=8,
              frameon=False, bbox_to_anchor=(1.0, -0.12))
    return fig if fig is not None else ax


# --- from weights to a runtime ------------------------------------------------------------
_STAGES = (
    (N_("state_dict\n(.pt: weights only)"), N_("torch and the\nmodel's class")),
    (N_("ExportedProgram\n(.pt2: graph + weights)"), N_("torch only")),
    (N_("ONNX file\n(.onnx: graph + weights)"), N_("an ONNX runtime,\nno torch")),
    (N_("runtime\n(ONNX Runtime, TensorRT,\nbrowsers, phones)"), None),
)
_STEPS = (N_("torch.export.export\n(model with the weights)"),
          N_("torch.onnx.export\n(dynamo=True)"), N_("InferenceSession\n(.run)"))


def plot_export_path(*, ax=None):
    """The road a trained model takes to deployment: its ``state_dict``, an
    ``ExportedProgram``, an ONNX file, and a runtime, with the call that makes each
    step and what each form needs at run time."""
    fig, ax = _canvas(ax, 10.0, 2.6, (-0.2, 15.0), (-1.0, 2.4))
    for i, (stage, needs) in enumerate(_STAGES):
        x = 4.0 * i
        color = "#e8f6ea" if i == len(_STAGES) - 1 else "#eef3fb"
        _box(ax, x, 0.2, 2.8, 1.3, plot_text(stage), color=color)
        if needs is not None:
            ax.text(x + 1.4, 0.0, plot_text(N_("needs: {what}")).format(what=plot_text(needs)),
                    ha="center", va="top", fontsize=8, color="#33415c")
        if i < len(_STEPS):  # the call that makes the next form, written above the arrow
            _arrow(ax, (x + 2.8, 0.85), (x + 4.0, 0.85), plot_text(_STEPS[i]), size=7,
                   offset=(0.0, 0.8))
    return fig if fig is not None else ax
