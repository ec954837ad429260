"""Shared wiring for the interactive explorers: controls in, one figure out.

An explorer is a pure draw function ``draw(**values) -> Figure`` plus a dict of
control specs (`Choice`, `FloatSlider`, `Text`). `explore` then does one of two things:

(a) in a Jupyter kernel, unless LABKIT_QUIET=1: build ipywidgets controls, redraw the
    figure with ``ipywidgets.interactive_output`` whenever a control changes, display
    the controls and the figure, and return None (so nothing is shown twice);
(b) otherwise, the "no widget frontend" fallback (plain Python, a terminal, tests,
    quiet mode, ipywidgets missing): call ``draw`` once with the default values and
    return its Figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labkit import settings
from labkit.kernel import running_in_kernel


@dataclass(frozen=True)
class Choice:
    """A dropdown: one of `options`, starting at `value`."""

    options: tuple
    value: object
    description: str = ""

    def build(self, name: str):
        import ipywidgets

        return ipywidgets.Dropdown(options=list(self.options), value=self.value,
                                   description=self.description or name)


@dataclass(frozen=True)
class FloatSlider:
    """A slider for a number from `min` to `max` in steps of `step`, starting at `value`."""

    min: float
    max: float
    step: float
    value: float
    description: str = ""

    def build(self, name: str):
        import ipywidgets

        return ipywidgets.FloatSlider(min=self.min, max=self.max, step=self.step,
                                      value=self.value, description=self.description or name,
                                      continuous_update=False)  # redraw on release only


@dataclass(frozen=True)
class Text:
    """A text box, starting with `value`; redraws when Enter is pressed or focus leaves."""

    value: str
    description: str = ""

    def build(self, name: str):
        import ipywidgets

        return ipywidgets.Text(value=self.value, description=self.description or name,
                               continuous_update=False)


def defaults(controls: dict) -> dict:
    """The starting value of every control, by name."""
    return {name: spec.value for name, spec in controls.items()}


# Each control keeps this width: a label, a track long enough to aim at and a readout.
# In one plain row (an HBox) the browser shrinks every control to fit, and five sliders
# in a 1000-pixel notebook leave tracks of no width at all: a click there sets NaN.
CONTROL_WIDTH = "330px"
LABEL_WIDTH = "110px"  # "log10 lr ad." and the Chinese labels fit


def controls_box(widgets: list):
    """The controls in rows that wrap: as many per row as keep their full width."""
    import ipywidgets

    for widget in widgets:
        widget.layout.width = CONTROL_WIDTH
        widget.layout.min_width = CONTROL_WIDTH  # never squeezed below it
        widget.style.description_width = LABEL_WIDTH
    return ipywidgets.Box(widgets, layout=ipywidgets.Layout(
        display="flex", flex_flow="row wrap", align_items="center", width="100%"))


def build_widget(draw: Callable, controls: dict):
    """The ipywidgets box: controls on top, the figure below, redrawn on every change."""
    import ipywidgets
    from IPython.display import display

    built = {name: spec.build(name) for name, spec in controls.items()}

    def render(**values):
        display(draw(**values))  # the Output widget below catches this display

    output = ipywidgets.interactive_output(render, built)
    return ipywidgets.VBox([controls_box(list(built.values())), output])


def _widgets_available() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def explore(draw: Callable, controls: dict):
    """Show `draw` with live controls in a notebook, else return ``draw(**defaults)``.

    Returns None when the widgets were displayed (case (a) above), or the Figure drawn
    with the default values (case (b), the "no widget frontend" fallback).
    """
    if settings.quiet() or not running_in_kernel() or not _widgets_available():
        return draw(**defaults(controls))
    from IPython.display import display

    display(build_widget(draw, controls))
    return None
