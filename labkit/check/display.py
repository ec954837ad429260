"""Show a Result or a Note: rich display in a notebook, plain text anywhere else."""

from __future__ import annotations


def show(item) -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # labkit used without IPython installed
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        from IPython.display import display

        display(item)  # the front end picks HTML, Markdown or text from the item's reprs
    else:
        print(item.text())
