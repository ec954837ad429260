"""Questions about the diagrams: the all-reduce, the float formats and the export path."""

import matplotlib
import pytest
import torch

from labkit.plot import float_layouts, plot_all_reduce, plot_export_path, plot_float_layouts

matplotlib.use("Agg")


def texts(ax) -> str:
    return "\n".join(t.get_text() for t in ax.texts)


def test_float_layouts_match_the_formats():
    """Are the bits of float32, float16 and bfloat16 split as IEEE and Google define them?"""
    rows = {row["name"]: row for row in float_layouts()}
    assert [(r["sign"], r["exponent"], r["mantissa"]) for r in rows.values()] == [
        (1, 8, 23), (1, 5, 10), (1, 8, 7)]
    assert all(r["sign"] + r["exponent"] + r["mantissa"] == r["bits"] for r in rows.values())
    assert rows["float16"]["max"] == 65504.0 and rows["bfloat16"]["eps"] == 2.0**-7


def test_float_layouts_figure_draws_one_box_per_bit():
    """Does the figure draw 64 bit boxes for the three formats, with their ranges?"""
    fig = plot_float_layouts()
    ax = fig.axes[0]
    assert len(ax.patches) == 32 + 16 + 16
    assert "65504" in texts(ax) or "6.55e+04" in texts(ax)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sign", "exponent",
                                                                    "mantissa"]


def test_float_layouts_rejects_integer_dtypes():
    """Does an integer dtype get a message that says what to pass?"""
    with pytest.raises(ValueError, match="floating torch dtypes"):
        float_layouts([torch.int8])
    with pytest.raises(ValueError, match="at least one"):
        plot_float_layouts([])


@pytest.mark.parametrize("world", [1, 2, 4])
def test_all_reduce_draws_every_rank(world):
    """Does each rank get its process, shard and step boxes, and the all-reduce one box?"""
    ax = plot_all_reduce(world).axes[0]
    assert len(ax.patches) == 3 * world + 1
    assert f"divide by W = {world}" in texts(ax)
    assert all(f"rank {r}" in texts(ax) for r in range(world))


def test_all_reduce_checks_the_world_size_and_draws_into_ax():
    """Is a bad world size refused, and is a given ax drawn into and returned?"""
    for bad in (0, 2.0, 9):
        with pytest.raises(ValueError, match="world_size"):
            plot_all_reduce(bad)
    from labkit.plot.figure import new_figure

    ax = new_figure(4, 3).add_subplot()
    assert plot_all_reduce(2, ax=ax) is ax and len(ax.patches) == 7


def test_export_path_names_each_form_and_call():
    """Are the four forms and the three calls between them in the picture?"""
    ax = plot_export_path().axes[0]
    words = texts(ax)
    for needed in ("state_dict", "ExportedProgram", "ONNX file", "runtime",
                   "torch.export.export", "torch.onnx.export", "InferenceSession",
                   "needs: torch only"):
        assert needed in words
    assert len(ax.patches) == 4
