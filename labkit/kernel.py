"""Are we inside a Jupyter kernel? One answer for the whole package."""

from __future__ import annotations

import sys


def kernel_shell():
    """The running Jupyter kernel's IPython shell, or None (plain Python, a terminal).

    Looks only at modules already loaded: a kernel always has IPython imported, so
    asking costs nothing elsewhere.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


def running_in_kernel() -> bool:
    return kernel_shell() is not None
