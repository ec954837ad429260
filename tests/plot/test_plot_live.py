"""Questions about plot_history and LivePlot (one display slot, updated in place)."""

import matplotlib
import pytest
import torch
from torch import nn

import labkit.plot.live as live
from labkit.plot import LivePlot, plot_history
from labkit.train import History, fit

matplotlib.use("Agg")


def sample_history(with_validation=True):
    history = History()
    for epoch in (1, 2, 3):
        history.add_epoch(epoch=epoch, train_loss=1.0 / epoch, train_acc=0.5 + 0.1 * epoch,
                          val_loss=1.2 / epoch if with_validation else None,
                          val_acc=0.4 + 0.1 * epoch if with_validation else None, seconds=0.1)
    history.batch_losses = [1.0, 0.9, 0.6, 0.5, 0.35, 0.3]
    return history


class FakeDisplay:
    """Stands in for IPython.display.display and the handle it returns."""

    def __init__(self):
        self.shown = []
        self.updates = []

    def __call__(self, obj, display_id=False):
        assert display_id is True, "LivePlot must ask for a display slot"
        self.shown.append(obj)
        return self

    def update(self, obj):
        self.updates.append(obj)


@pytest.fixture
def fake_notebook(monkeypatch):
    import IPython.display

    fake = FakeDisplay()
    monkeypatch.setattr(live, "running_in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake)

    def no_clear_output(*args, **kwargs):
        raise AssertionError("LivePlot must never clear the whole cell output")

    monkeypatch.setattr(IPython.display, "clear_output", no_clear_output)
    return fake


def test_plot_history_draws_train_and_validation_curves():
    """Does plot_history() draw loss (batch, train, val) and accuracy (train, val)?"""
    fig = plot_history(sample_history())
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train (each batch)", "train",
                                                            "validation"]
    assert [line.get_label() for line in acc_ax.lines] == ["train", "validation"]
    assert list(loss_ax.lines[1].get_xdata()) == [1, 2, 3]


def test_plot_history_skips_missing_validation():
    """Does plot_history() leave out validation curves when there was no val_loader?"""
    fig = plot_history(sample_history(with_validation=False).as_dict())
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 1


def test_plot_history_draws_into_given_axes():
    """Does plot_history(ax=...) draw into the learner's axes and return them?"""
    from matplotlib.figure import Figure

    axes = Figure().subplots(1, 2)
    assert plot_history(sample_history(), ax=axes) is axes
    assert len(axes[0].lines) == 3


def test_plot_history_still_takes_axes_with_a_warning():
    """Does the old keyword axes= still work for a release, with a DeprecationWarning?"""
    from matplotlib.figure import Figure

    axes = Figure().subplots(1, 2)
    with pytest.warns(DeprecationWarning, match="ax="):
        assert plot_history(sample_history(), axes=axes) is axes
    assert len(axes[0].lines) == 3


def test_live_plot_outside_notebook_shows_nothing_until_close():
    """Outside a notebook, does LivePlot stay silent and return the figure from close()?"""
    plot = LivePlot()
    plot.update(sample_history())
    assert plot.figure is None
    fig = plot.close()
    assert fig is not None and len(fig.axes[0].lines) == 3


def test_live_plot_uses_one_display_slot(fake_notebook, monkeypatch):
    """In a notebook, is the figure displayed once and then updated in place?"""
    monkeypatch.setenv("LABKIT_QUIET", "0")
    plot = LivePlot()
    for _ in range(3):
        plot.update(sample_history())
    fig = plot.close()
    assert fake_notebook.shown == [fig]
    assert len(fake_notebook.updates) == 3  # two more updates, then the final state
    assert len(fig.axes[0].lines) == 3  # redrawn, not piled up


def test_live_plot_quiet_mode_draws_once_at_close(fake_notebook, monkeypatch):
    """With LABKIT_QUIET=1, does LivePlot skip live updates and draw once at the end?"""
    monkeypatch.setenv("LABKIT_QUIET", "1")
    plot = LivePlot()
    plot.update(sample_history())
    plot.update(sample_history())
    assert fake_notebook.shown == []
    plot.close()
    assert len(fake_notebook.shown) == 1 and fake_notebook.updates == []


def test_fit_updates_the_live_plot_each_epoch(fake_notebook, monkeypatch):
    """Does fit(live=True) show one live plot and update it after each epoch?"""
    monkeypatch.setenv("LABKIT_QUIET", "0")
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    batch = (torch.randn(8, 2), torch.randint(0, 2, (8,)))
    fit(model, [batch], loss_fn=nn.CrossEntropyLoss(), live=True, progress=False,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=3)
    assert len(fake_notebook.shown) == 1
    assert len(fake_notebook.updates) == 3  # epochs 2 and 3, then close()
