"""Broadcasting, explained: which shapes combine, into what, and why not.

Rules (the same as NumPy and PyTorch): line the shapes up on the right; a missing
dimension counts as 1; two sizes fit when they are equal or one of them is 1, and the
result takes the other size.
"""

from __future__ import annotations

from labkit.i18n import N_, _
from labkit.i18n.fonts import plot_text
from labkit.plot.figure import new_figure
from labkit.widgets._base import Text, explore

FAIL_COLOR = "red"


def parse_shape(text: str) -> tuple[int, ...]:
    """Read "3, 1", "(3, 1)", "[3 1]" or "" (a scalar) as a shape tuple."""
    cleaned = str(text).strip().strip("()[]").replace(",", " ")
    shape = []
    for piece in cleaned.split():
        if not piece.isdigit():
            raise ValueError(_(
                "Could not read {text} as a shape: {piece} is not a whole number >= 0. "
                "Write sizes separated by commas, e.g. 3, 1").format(text=repr(text),
                                                                     piece=repr(piece)))
        shape.append(int(piece))
    return tuple(shape)


def _check_shape(name: str, shape) -> tuple[int, ...]:
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"{name} must be a tuple of sizes, got {shape!r}.") from None
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"{name}={shape!r}: every size must be a whole number >= 0.")
    return shape


def _first_mismatch(shape_a, shape_b):
    """(i, size_a, size_b) for the first clash counting from the right (i = 1, 2, ...)."""
    for i in range(1, max(len(shape_a), len(shape_b)) + 1):
        a = shape_a[-i] if i <= len(shape_a) else 1  # a missing dimension counts as 1
        b = shape_b[-i] if i <= len(shape_b) else 1
        if a != b and a != 1 and b != 1:
            return i, a, b
    return None


def broadcast_result(shape_a, shape_b) -> tuple[int, ...] | str:
    """The broadcast shape of `shape_a` and `shape_b`, or the reason they do not broadcast.

    >>> broadcast_result((3, 1), (1, 4))
    (3, 4)
    >>> broadcast_result((2, 3), (2, 4))
    'dimension 1 (counting from the right): 3 vs 4, and neither is 1'
    """
    shape_a, shape_b = _check_shape("shape_a", shape_a), _check_shape("shape_b", shape_b)
    mismatch = _first_mismatch(shape_a, shape_b)
    if mismatch is not None:
        return _clash(mismatch, _)
    result = []
    for i in range(max(len(shape_a), len(shape_b)), 0, -1):
        a = shape_a[-i] if i <= len(shape_a) else 1
        b = shape_b[-i] if i <= len(shape_b) else 1
        result.append(b if a == 1 else a)  # equal, or the size that is not 1
    return tuple(result)


CLASH = N_("dimension {i} (counting from the right): {a} vs {b}, and neither is 1")


def _clash(mismatch: tuple[int, int, int], translate) -> str:
    i, a, b = mismatch
    return translate(CLASH).format(i=i, a=a, b=b)


def draw_broadcast(shape_a, shape_b):
    """Three rows of boxes, right-aligned: shape a, shape b, and the result (or why not).

    Dimensions that are missing (and so count as 1) are drawn faint and dashed;
    the clashing column is red. Each drawn box is a Rectangle with gid "dim" or "missing".
    """
    from matplotlib.patches import Rectangle

    shape_a, shape_b = _check_shape("shape_a", shape_a), _check_shape("shape_b", shape_b)
    result = broadcast_result(shape_a, shape_b)
    mismatch = _first_mismatch(shape_a, shape_b)
    width = max(len(shape_a), len(shape_b), 1)
    bad_column = width - mismatch[0] if mismatch else None

    # Boxes are placed in data units on one Axes that fills the figure (no auto layout).
    fig = new_figure(max(6.5, 0.9 * width + 3.5), 2.6, layout=None)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.86))
    rows = [("a", shape_a), ("b", shape_b)]
    if isinstance(result, tuple):
        rows.append((plot_text("result"), result))
    for row, (name, shape) in enumerate(rows):
        y = -row
        ax.text(-0.3, y + 0.4, f"{name}  {shape}", ha="right", va="center", fontsize=10)
        for column in range(width):
            i = width - column  # position counting from the right, 1-based
            missing = i > len(shape)
            size = 1 if missing else shape[-i]
            color = FAIL_COLOR if column == bad_column and row < 2 else "black"
            ax.add_patch(Rectangle((column, y), 0.9, 0.8, fill=False, edgecolor=color,
                                   linestyle="--" if missing else "-",
                                   alpha=0.35 if missing else 1.0,
                                   gid="missing" if missing else "dim"))
            ax.text(column + 0.45, y + 0.4, f"({size})" if missing else str(size),
                    ha="center", va="center", color=color, alpha=0.5 if missing else 1.0)
    if isinstance(result, str):
        why = _clash(mismatch, plot_text)  # English when no font can draw Chinese
        ax.text(-3.0, -2 + 0.4, plot_text("does not broadcast: {why}").format(why=why),
                va="center", fontsize=9, color=FAIL_COLOR)
    ax.set_xlim(-3.2, width + 0.2)
    ax.set_ylim(-2.2, 1.0)
    ax.set_axis_off()
    ax.set_title(plot_text("align on the right; sizes must be equal or 1"), fontsize=10)
    return fig


def _draw_from_text(shape_a: str, shape_b: str):
    """Parse the text boxes and draw; bad text draws the message instead of failing."""
    try:
        return draw_broadcast(parse_shape(shape_a), parse_shape(shape_b))
    except ValueError as error:
        fig = new_figure(6, 1.5)
        ax = fig.subplots()
        ax.text(0.5, 0.5, str(error), ha="center", va="center", color=FAIL_COLOR, wrap=True,
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig


def broadcast_explorer(shape_a: str = "3,1", shape_b: str = "1,4"):
    """Type two shapes, see whether and how they broadcast.

    In a notebook: two text boxes and a live picture (returns None). Elsewhere or with
    LABKIT_QUIET=1: returns the picture for the given shapes.
    """
    controls = {"shape_a": Text(str(shape_a), _("shape a")),
                "shape_b": Text(str(shape_b), _("shape b"))}
    return explore(_draw_from_text, controls)
