"""Processes that must not outlive the one that started them (Linux).

The grader's fork server and children, and the warm-kernel zygote, each ask the kernel
to signal them when their parent dies, so that a parent ended by ``kill -9`` leaves
nothing running behind it.
"""

from __future__ import annotations

import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, signum: int = signal.SIGKILL, code: int = 1) -> None:
    """Have Linux send ``signum`` to this process when its parent dies; exit with
    ``code`` at once if the parent (``parent``: its pid, read before asking) already has."""
    import ctypes

    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(code)
