"""Questions about autograd_graph and plot_autograd_graph."""

from collections import Counter

import matplotlib
import pytest
import torch
from matplotlib.text import Annotation

from labkit.plot import autograd_graph, plot_autograd_graph

matplotlib.use("Agg")


def example():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    return x, out


def test_graph_of_the_example_has_the_expected_nodes_and_edges():
    """Does out = ((x + 2) ** 2 * 3).mean() give 5 nodes and 4 edges, y counted once?"""
    x, out = example()
    graph = autograd_graph(out)
    assert Counter(node.name for node in graph.nodes) == {
        "MeanBackward0": 1, "MulBackward0": 2, "AddBackward0": 1, "AccumulateGrad": 1}
    assert len(graph.edges) == 4
    assert graph.nodes[0].name == "MeanBackward0" and graph.nodes[0].depth == 0
    leaf = next(node for node in graph.nodes if node.name == "AccumulateGrad")
    assert leaf.label == "leaf (2, 2)"
    assert leaf.depth == max(node.depth for node in graph.nodes)


def test_graph_uses_leaf_names_and_dedupes_shared_leaves():
    """Is a leaf used twice drawn once, labelled with the name given for it?"""
    w = torch.ones(3, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    out = ((w * 2) * (w + 1) + b).sum()
    graph = autograd_graph(out, names={w: "w", b: "b"})
    leaves = sorted(node.label for node in graph.nodes if node.name == "AccumulateGrad")
    assert leaves == ["b (3,)", "w (3,)"]


def test_graph_explains_a_tensor_without_grad_fn():
    """Does a tensor without history get a message about requires_grad=True?"""
    with pytest.raises(ValueError, match="requires_grad=True"):
        autograd_graph(torch.ones(2))


def test_plot_autograd_graph_draws_a_box_per_node_and_an_arrow_per_edge():
    """Does the picture have 5 boxes and 4 arrows for the example?"""
    x, out = example()
    fig = plot_autograd_graph(out, names={x: "x"})
    ax = fig.axes[0]
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    boxes = [t for t in ax.texts if not isinstance(t, Annotation)]
    assert len(arrows) == 4
    assert len(boxes) == 5 and "x (2, 2)" in [t.get_text() for t in boxes]
    # The output is on top, the leaf at the bottom.
    heights = {t.get_text(): t.get_position()[1] for t in boxes}
    assert heights["MeanBackward0"] > heights["AddBackward0"] > heights["x (2, 2)"]
