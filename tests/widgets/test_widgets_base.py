"""Questions about the shared widget wiring: live controls, or one figure as a fallback."""

import matplotlib
import pytest

import labkit.widgets._base as base
from labkit.widgets import Choice, FloatSlider, Text, explore

matplotlib.use("Agg")

CONTROLS = {
    "kind": Choice(("a", "b"), "b"),
    "size": FloatSlider(0.0, 2.0, 0.5, 1.5),
    "label": Text("hello"),
}


class Recorder:
    """A draw function that remembers its calls and returns a small figure."""

    def __init__(self):
        self.calls = []

    def __call__(self, **values):
        from matplotlib.figure import Figure

        self.calls.append(values)
        return Figure()


def test_quiet_mode_returns_the_default_figure(monkeypatch):
    """With LABKIT_QUIET=1, even in a notebook, is draw called once with the defaults?"""
    monkeypatch.setenv("LABKIT_QUIET", "1")
    monkeypatch.setattr(base, "running_in_kernel", lambda: True)
    draw = Recorder()
    fig = explore(draw, CONTROLS)
    assert fig is not None and type(fig).__name__ == "Figure"
    assert draw.calls == [{"kind": "b", "size": 1.5, "label": "hello"}]


def test_outside_a_kernel_returns_the_default_figure(monkeypatch):
    """Outside a notebook (no widget frontend), is the default figure returned?"""
    monkeypatch.setenv("LABKIT_QUIET", "0")
    draw = Recorder()
    assert type(explore(draw, CONTROLS)).__name__ == "Figure"
    assert len(draw.calls) == 1


def test_in_a_kernel_it_displays_controls_and_returns_none(monkeypatch):
    """In a notebook, does explore() display one widget box and return None?"""
    import IPython.display

    pytest.importorskip("ipywidgets")
    shown = []
    monkeypatch.setenv("LABKIT_QUIET", "0")
    monkeypatch.setattr(base, "running_in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", shown.append)
    assert explore(Recorder(), CONTROLS) is None
    # The first drawing is made at once; in a real kernel the Output widget catches it.
    assert [type(obj).__name__ for obj in shown] == ["Figure", "VBox"]


def test_widget_redraws_when_a_control_changes(monkeypatch):
    """Does changing a control call draw again with the new value?"""
    import IPython.display

    pytest.importorskip("ipywidgets")
    monkeypatch.setattr(IPython.display, "display", lambda obj: None)
    draw = Recorder()
    box = base.build_widget(draw, CONTROLS)
    dropdown = box.children[0].children[0]
    assert [type(w).__name__ for w in box.children[0].children] == [
        "Dropdown", "FloatSlider", "Text"]
    dropdown.value = "a"
    assert draw.calls[-1] == {"kind": "a", "size": 1.5, "label": "hello"}


def test_controls_wrap_and_keep_a_usable_width(monkeypatch):
    """Are the controls laid out in rows that wrap, each at a fixed width, so that none
    is squeezed to nothing in a narrow notebook (five sliders in one row were)?"""
    import IPython.display

    pytest.importorskip("ipywidgets")
    monkeypatch.setattr(IPython.display, "display", lambda obj: None)
    many = {f"s{k}": FloatSlider(0.0, 1.0, 0.1, 0.5) for k in range(6)}
    row = base.build_widget(Recorder(), many).children[0]
    assert type(row).__name__ == "Box"
    assert row.layout.flex_flow == "row wrap" and row.layout.display == "flex"
    for control in row.children:
        assert control.layout.width == control.layout.min_width == base.CONTROL_WIDTH
        assert int(base.CONTROL_WIDTH.removesuffix("px")) >= 300
