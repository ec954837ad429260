"""A process-count cap for one child and everything it starts (a pids cgroup).

A fork bomb in a submission must meet a wall even when the grader runs as root (for
root, the kernel ignores RLIMIT_NPROC). Where the machine offers a writable pids
cgroup (cgroup v1's ``pids`` hierarchy, or v2 with the pids controller), the child puts
itself in a group of its own with ``pids.max``; the grader kills whatever is left in
the group at the end and removes it. Groups are named ``labkit-grade-<owner>-<token>``
(``labkit.grade.leftovers``), so the next run can remove those of a killed grader.
Elsewhere this does nothing and says so.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
PREFIX = "labkit-grade-"


def _root() -> Path | None:
    for root in _ROOTS:
        if not (root / "cgroup.procs").exists() or not os.access(root, os.W_OK):
            continue
        if root.name == "pids":
            return root
        controls = root / "cgroup.subtree_control"
        if controls.exists() and "pids" in controls.read_text().split():
            return root
    return None


def group_path(token: str) -> Path | None:
    root = _root()
    return None if root is None else root / f"{PREFIX}{token}"


def join(token: str, max_pids: int) -> bool:
    """Put this process in a new group with at most ``max_pids`` processes."""
    path = group_path(token)
    if path is None:
        return False
    try:
        path.mkdir(exist_ok=True)
        (path / "pids.max").write_text(str(max_pids))
        (path / "cgroup.procs").write_text("0")
        return True
    except OSError:
        return False


def kill_all(token: str) -> None:
    """Kill every process in the group, then remove it."""
    path = group_path(token)
    if path is not None and path.exists():
        _empty_and_remove(path)


def _empty_and_remove(path: Path) -> None:
    for _ in range(50):
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.02)
    try:
        path.rmdir()
    except OSError:
        pass


def sweep_stale(is_stale) -> list[str]:
    """Empty and remove the groups of graders that are no longer running
    (``is_stale(tag)`` says which; it lives with the other leftovers)."""
    root = _root()
    removed = []
    if root is None:
        return removed
    for path in root.glob(f"{PREFIX}*"):
        if path.is_dir() and is_stale(path.name.removeprefix(PREFIX)):
            _empty_and_remove(path)
            removed.append(str(path))
    return removed
