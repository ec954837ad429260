"""Plots for the course. Every function returns a matplotlib Figure (or the Axes it was
given) and never calls ``plt.show()``: a figure shows when it is the last value of a cell.
"""

from labkit.plot.activations import activation_table, plot_activations
from labkit.plot.boundary import decision_grid, plot_decision_boundary
from labkit.plot.confusion import confusion_matrix, most_confused, plot_confusion_matrix
from labkit.plot.conv import feature_maps, plot_feature_maps, plot_filters
from labkit.plot.curves import plot_history
from labkit.plot.diagrams import mlp_layout, plot_mlp, plot_neuron
from labkit.plot.graph import autograd_graph, plot_autograd_graph
from labkit.plot.images import image_grid, mistakes
from labkit.plot.live import LivePlot
from labkit.plot.systems import (
    float_layouts,
    plot_all_reduce,
    plot_export_path,
    plot_float_layouts,
)

__all__ = [
    "LivePlot",
    "activation_table",
    "autograd_graph",
    "confusion_matrix",
    "decision_grid",
    "feature_maps",
    "float_layouts",
    "image_grid",
    "mistakes",
    "mlp_layout",
    "most_confused",
    "plot_activations",
    "plot_all_reduce",
    "plot_autograd_graph",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_export_path",
    "plot_feature_maps",
    "plot_filters",
    "plot_float_layouts",
    "plot_history",
    "plot_mlp",
    "plot_neuron",
]
