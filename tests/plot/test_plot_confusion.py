"""Questions about confusion_matrix, most_confused and plot_confusion_matrix."""

import matplotlib
import pytest
import torch

from labkit.plot import confusion_matrix, most_confused, plot_confusion_matrix

matplotlib.use("Agg")

PREDICTIONS = torch.tensor([0, 1, 1, 2, 2, 2, 0, 1, 1])
TARGETS = torch.tensor([0, 1, 2, 2, 2, 0, 0, 2, 0])
EXPECTED = [[2, 1, 1],
            [0, 1, 0],
            [0, 2, 2]]


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    """Does entry [t, p] count examples of true class t predicted as p, as int64?"""
    matrix = confusion_matrix(PREDICTIONS, TARGETS, 3)
    assert matrix.dtype == torch.int64
    assert matrix.tolist() == EXPECTED


def test_most_confused_sorts_by_count_then_class():
    """Does most_confused() list off-diagonal cells by count, ties by class number?"""
    matrix = torch.tensor(EXPECTED)
    assert most_confused(matrix) == [(2, 1, 2), (0, 1, 1), (0, 2, 1)]
    assert most_confused(matrix, k=1) == [(2, 1, 2)]


def test_confusion_matrix_explains_bad_inputs():
    """Do logits and out-of-range labels get messages that name the fix?"""
    with pytest.raises(ValueError, match=r"argmax\(dim=1\)"):
        confusion_matrix(torch.randn(4, 3), torch.zeros(4), 3)
    with pytest.raises(ValueError, match="num_classes=3 allows 0 to 2"):
        confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), 3)
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 1, 1]), 3)


def test_plot_confusion_matrix_writes_every_count():
    """Does the plot write all K x K counts, row by row?"""
    fig = plot_confusion_matrix(torch.tensor(EXPECTED), class_names=["a", "b", "c"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == [str(v) for row in EXPECTED for v in row]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
