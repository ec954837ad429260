"""``--sandbox``: run each learner process inside bubblewrap (``bwrap``).

The child is a fresh interpreter that sees the same read-only view as the
``namespaces`` level (``labkit.grade.view``: Python, labkit, the child's data, the
system's libraries, never the submissions, the output folder or a home), its working
folder as /tmp/work, a private /dev/shm, no network, and its own PID namespace.
bubblewrap keeps the capabilities to change user only, so the child can hand itself to
``nobody`` (``labkit.grade.privileges``) before any student code runs. It is a Debian
package (``apt-get install bubblewrap``); without it ``--sandbox`` stops with that
advice.
"""

from __future__ import annotations

import shutil
from pathlib import Path

STANDARD_DEVICES = ("null", "zero", "full", "random", "urandom")


class SandboxUnavailable(RuntimeError):
    pass


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "--sandbox needs bubblewrap, which is not installed. Install it "
            "(Debian/Ubuntu: `sudo apt-get install bubblewrap`) or grade without --sandbox.")
    return path


def bwrap_command(settings, workdir: str) -> list[str]:
    """The bwrap prefix for one child whose writable folder is ``workdir``."""
    from labkit.grade.privileges import real_root

    view = settings.view
    command = [bwrap_path(), "--die-with-parent", "--new-session", "--unshare-ipc",
               "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
               "--cap-drop", "ALL"]
    if real_root():  # no user namespace (in one, root would stay root of its files);
        # keep only what the child needs to become nobody
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        command += ["--unshare-user"]
    command += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
                "--perms", "1777", "--tmpfs", "/dev/shm"]  # nobody writes there
    # bubblewrap makes the folders above a bind private to root (0700): open them up,
    # or the child, once nobody, could not reach Python below /root or labkit below /work.
    parents = {parent for path in [*view["readable"], *view["masked"]]
               for parent in Path(path).parents if str(parent) not in ("/", "/tmp")}
    for parent in sorted(parents, key=lambda p: len(p.parts)):
        command += ["--perms", "0755", "--dir", str(parent)]
    for path, target in sorted(view["links"].items()):
        command += ["--symlink", target, path]
    for path in view["readable"]:
        command += ["--ro-bind", str(Path(path).resolve()), path]
    for path, copy in sorted(view["masked"].items()):
        command += ["--ro-bind", copy, path]
    for device in view["devices"]:  # a GPU's nodes; --dev made the common ones
        if Path(device).name not in STANDARD_DEVICES:
            command += ["--dev-bind", device, device]
    command += ["--bind", workdir, "/tmp/work", "--chdir", "/"]  # the child goes in as nobody
    return command
