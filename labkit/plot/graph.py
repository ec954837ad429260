"""The autograd graph behind a tensor, drawn with plain matplotlib (no graphviz).

Every tensor computed from tensors that require gradients has a `grad_fn`: the node
that will send gradients back to its inputs. `grad_fn.next_functions` lists the nodes
one step further back; leaf tensors end in an `AccumulateGrad` node that adds the
gradient into `leaf.grad`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from labkit.i18n.fonts import plot_text
from labkit.plot.figure import new_figure


@dataclass
class Node:
    id: int  # position in `Graph.nodes`
    name: str  # type(grad_fn).__name__, e.g. "MulBackward0" or "AccumulateGrad"
    label: str  # text drawn in the box
    depth: int  # 0 for the output; leaves are deepest


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[tuple[int, int]]  # (a, b): the gradient flows from node a to node b


def autograd_graph(tensor: torch.Tensor, *, names: dict | None = None) -> Graph:
    """Walk `tensor.grad_fn` back to the leaves and return the nodes and edges.

    names: {leaf tensor: "x"} to label leaves by name instead of "leaf".
    A node used twice (like y in y * y) appears once; so does an edge.
    """
    if not isinstance(tensor, torch.Tensor) or tensor.grad_fn is None:
        raise ValueError(
            "autograd_graph() needs a tensor computed from a tensor with requires_grad=True "
            "(it has a grad_fn). Fix: create the input with requires_grad=True and compute "
            "outside `torch.no_grad()`."
        )
    leaf_names = {id(leaf): name for leaf, name in (names or {}).items()}
    index: dict[int, int] = {}  # id(grad_fn) -> node id
    functions = []  # keeps each grad_fn alive so its id() stays unique
    edges: list[tuple[int, int]] = []

    def node_id(fn) -> int:
        if id(fn) not in index:
            index[id(fn)] = len(functions)
            functions.append(fn)
        return index[id(fn)]

    # Depth-first walk from the output; a node's inputs are its next_functions.
    stack = [tensor.grad_fn]
    node_id(tensor.grad_fn)
    seen = set()
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for next_fn, _ in fn.next_functions:
            if next_fn is None:  # an input that needs no gradient, e.g. the constant 2
                continue
            edge = (node_id(fn), node_id(next_fn))
            if edge not in edges:
                edges.append(edge)
            stack.append(next_fn)

    # Depth = longest path from the output, so every node sits below all its users.
    depth = [0] * len(functions)
    for _ in range(len(functions)):
        changed = False
        for a, b in edges:
            if depth[b] < depth[a] + 1:
                depth[b] = depth[a] + 1
                changed = True
        if not changed:
            break

    # Leaves (AccumulateGrad) all go on the bottom row, however early they are used.
    bottom = max(depth)
    for i, fn in enumerate(functions):
        if type(fn).__name__ == "AccumulateGrad":
            depth[i] = bottom

    nodes = []
    for i, fn in enumerate(functions):
        name = type(fn).__name__
        label = name
        leaf = getattr(fn, "variable", None)
        if leaf is not None:
            label = f"{leaf_names.get(id(leaf), 'leaf')} {tuple(leaf.shape)}"
        nodes.append(Node(i, name, label, depth[i]))
    return Graph(nodes, edges)


def layout(graph: Graph) -> dict[int, tuple[float, float]]:
    """Node id -> (x, y): one row per depth, output on top, nodes spread evenly in a row."""
    rows: dict[int, list[int]] = {}
    for node in graph.nodes:
        rows.setdefault(node.depth, []).append(node.id)
    width = max(len(row) for row in rows.values())
    positions = {}
    for depth, row in rows.items():
        for i, node_id in enumerate(row):
            positions[node_id] = ((i + 0.5) * width / len(row), -float(depth))
    return positions


def plot_autograd_graph(tensor: torch.Tensor, *, names: dict | None = None, ax=None):
    """Draw the autograd graph of `tensor`: output on top, leaves at the bottom.

    Arrows follow the gradient, from the output back to the leaves.
    Returns the Figure, or `ax` when given.
    """
    graph = autograd_graph(tensor, names=names)
    positions = layout(graph)
    width = max(x for x, _ in positions.values()) + 0.5
    levels = max(node.depth for node in graph.nodes) + 1

    result = ax
    if ax is None:
        result = new_figure(max(4.0, 2.6 * width), 1.1 * levels + 0.6)
        ax = result.subplots()
    for a, b in graph.edges:
        ax.annotate("", xy=positions[b], xytext=positions[a],
                    arrowprops=dict(arrowstyle="->", color="gray", shrinkA=12, shrinkB=12))
    for node in graph.nodes:
        leaf = node.name == "AccumulateGrad"
        ax.text(*positions[node.id], node.label, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.4", edgecolor="black",
                          facecolor="lightyellow" if leaf else "lightblue"))
    ax.set_xlim(0, width)
    ax.set_ylim(-levels + 0.5, 0.5)
    ax.set_axis_off()
    ax.set_title(plot_text("autograd graph (gradients flow down)"))
    return result
