"""Nothing survives a grader: a run folder named after its owner, swept when it is dead.

Every grading run keeps its scratch space in one folder, ``labkit-grade-run-<owner>-*``
in the system's temporary folder, where ``<owner>`` is the grader's process id and start
time. Its pids cgroups carry the same owner. A grader that ends normally removes both;
a grader killed with ``kill -9`` cannot, so every run starts by sweeping the folders and
groups whose owner is no longer running (the start time tells a reused process id
apart). Live graders of other runs, and anything not named this way, are left alone.

While a grader lives, its children die with it: each child process asks the kernel
for SIGKILL when its parent ends (the fork server's own parent is the grader), and a
child in its own PID namespace takes everything it started along.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

PREFIX = "labkit-grade-run-"
_OWNED = re.compile(r"(\d+)-(\d+)-")


def start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def owner_tag(pid: int | None = None) -> str:
    pid = pid or os.getpid()
    return f"{pid}-{start_time(pid) or 0}"


def is_stale(name: str) -> bool:
    """True for a name ``<pid>-<start>-...`` whose process is no longer running."""
    match = _OWNED.match(name)
    if match is None:
        return False
    pid, started = int(match.group(1)), int(match.group(2))
    return start_time(pid) != started


def new_run_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{owner_tag()}-"))
    os.chmod(folder, 0o755)  # children (another user) walk through it to their data
    return folder


def sweep() -> list[str]:
    """Remove run folders and cgroups of graders that are gone; return what was removed."""
    from labkit.grade import cgroup

    removed = cgroup.sweep_stale(is_stale)
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{PREFIX}*"):
        if folder.is_dir() and is_stale(folder.name.removeprefix(PREFIX)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    return removed
