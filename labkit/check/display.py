"""Show a Result or a Note: rich display in a notebook, plain text anywhere else."""

from __future__ import annotations

from labkit.kernel import running_in_kernel


def show(item) -> None:
    if running_in_kernel():
        from IPython.display import display

        display(item)  # the front end picks HTML, Markdown or text from the item's reprs
    else:
        print(item.text())
