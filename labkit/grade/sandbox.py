"""``--sandbox``: run each learner process inside bubblewrap (``bwrap``).

The child sees the system read-only, a private writable /tmp, no network, and not the
grader's output folder (it is simply not mounted). bubblewrap is a Debian package
(``apt-get install bubblewrap``); without it ``--sandbox`` stops with that advice.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


class SandboxUnavailable(RuntimeError):
    pass


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "--sandbox needs bubblewrap, which is not installed. Install it "
            "(Debian/Ubuntu: `sudo apt-get install bubblewrap`) or grade without --sandbox "
            "inside a container.")
    return path


def bwrap_command(workdir: str, data_dir: str | None, extra_paths, *, hide=()) -> list[str]:
    """The bwrap prefix for one child; ``workdir`` becomes its writable /tmp/work and
    every folder in ``hide`` (the grader's output) is covered by an empty one."""
    command = [bwrap_path(), "--die-with-parent", "--new-session", "--unshare-all",
               "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for folder in ("/usr", "/etc", "/opt", "/lib", "/lib64", "/bin", "/sbin", "/root",
                   "/home", "/work", sys.prefix, sys.base_prefix):
        if Path(folder).exists():
            command += ["--ro-bind", folder, folder]
    for path in {str(Path(__file__).resolve().parents[2]), *extra_paths}:
        command += ["--ro-bind", path, path]
    if data_dir:
        command += ["--ro-bind", data_dir, data_dir]
    for folder in hide:
        command += ["--tmpfs", str(Path(folder).resolve())]
    command += ["--bind", workdir, "/tmp/work", "--chdir", "/tmp/work"]
    return command
