"""Questions about broadcast_result, parse_shape and the broadcast picture."""

import random

import matplotlib
import pytest
import torch

from labkit.widgets import broadcast_explorer, broadcast_result, parse_shape
from labkit.widgets.broadcast import draw_broadcast

matplotlib.use("Agg")


def random_shape(rng):
    return tuple(rng.choice([0, 1, 1, 2, 3, 4]) for _ in range(rng.randint(0, 4)))


def test_broadcast_result_agrees_with_torch_on_random_shapes():
    """On 500 random pairs, does broadcast_result agree with torch.broadcast_shapes?"""
    rng = random.Random(0)
    failures = 0
    for _ in range(500):
        a, b = random_shape(rng), random_shape(rng)
        ours = broadcast_result(a, b)
        try:
            expected = tuple(torch.broadcast_shapes(a, b))
        except RuntimeError:
            assert isinstance(ours, str), (a, b, ours)
            failures += 1
        else:
            assert ours == expected, (a, b)
    assert 50 < failures < 450  # both outcomes were exercised


def test_broadcast_result_gives_the_exact_reason():
    """Does a clash name the dimension, counting from the right, and both sizes?"""
    assert broadcast_result((2, 3), (2, 4)) == (
        "dimension 1 (counting from the right): 3 vs 4, and neither is 1")
    assert broadcast_result((5, 1, 3), (4, 3)) == (5, 4, 3)
    assert broadcast_result((2, 4, 5), (3, 5)) == (
        "dimension 2 (counting from the right): 4 vs 3, and neither is 1")


def test_parse_shape_reads_common_spellings():
    """Are "3, 1", "(3,1)", "[3 1]" and "" read as shapes?"""
    assert parse_shape("3, 1") == (3, 1)
    assert parse_shape("(3,1)") == (3, 1)
    assert parse_shape("[3 1]") == (3, 1)
    assert parse_shape("") == ()
    with pytest.raises(ValueError, match="'x' is not a whole number"):
        parse_shape("3, x")


def boxes(fig, gid):
    return [p for p in fig.axes[0].patches if p.get_gid() == gid]


def test_draw_broadcast_shows_right_aligned_boxes():
    """Does (3, 1) with (4,) draw 2 + 1 real boxes, one faint missing box, and 2 result boxes?"""
    fig = draw_broadcast((3, 1), (4,))
    assert len(boxes(fig, "dim")) == 2 + 1 + 2
    assert len(boxes(fig, "missing")) == 1


def test_draw_broadcast_marks_the_clash_in_red():
    """Does a clash draw its column in red and write the reason?"""
    fig = draw_broadcast((2, 3), (2, 4))
    red = matplotlib.colors.to_rgba("red")
    assert sum(p.get_edgecolor() == red for p in fig.axes[0].patches) == 2
    assert any("neither is 1" in t.get_text() for t in fig.axes[0].texts)


def test_explorer_falls_back_to_a_figure_and_explains_bad_text():
    """In quiet mode, does broadcast_explorer return a figure, with the message for bad text?"""
    assert len(boxes(broadcast_explorer("3,1", "1,4"), "dim")) == 6
    fig = broadcast_explorer("3,1", "four")
    assert any("not a whole number" in t.get_text() for t in fig.axes[0].texts)
