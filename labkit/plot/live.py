"""A live training plot that redraws itself in place in a notebook.

It owns ONE display slot: the first update shows the figure with
``display(fig, display_id=True)`` and later updates replace that same output.
Nothing else in the cell is cleared, so printed text and progress bars stay.
"""

from __future__ import annotations

from labkit import settings
from labkit.kernel import running_in_kernel
from labkit.plot.curves import draw_history
from labkit.plot.figure import new_figure


class LivePlot:
    """Loss and accuracy curves, redrawn in one notebook output after each `update`.

    Outside a notebook, or with LABKIT_QUIET=1, `update` only remembers the history;
    `close` draws the final state once (and shows it when in a notebook).
    """

    def __init__(self) -> None:
        self.figure = None
        self._axes = None
        self._handle = None
        self._history = None

    def update(self, history) -> None:
        """Remember `history`; in a notebook (and not quiet), redraw the plot in place."""
        self._history = history
        if running_in_kernel() and not settings.quiet():
            self._redraw()
            self._show()

    def close(self):
        """Draw the final state once and return the Figure."""
        self._redraw()
        if running_in_kernel():
            self._show()
        return self.figure

    def _redraw(self) -> None:
        if self.figure is None:
            self.figure = new_figure(9, 3.5)
            self._axes = self.figure.subplots(1, 2)
        for ax in self._axes:
            ax.clear()
        if self._history is not None:
            draw_history(self._history, *self._axes)

    def _show(self) -> None:
        from IPython.display import display

        if self._handle is None:
            self._handle = display(self.figure, display_id=True)
        else:
            self._handle.update(self.figure)
