"""How far a child is kept from everything but its own work: levels, and applying them.

Levels, strongest first (``auto`` takes the first this machine allows):

- ``namespaces``: a private root file system holding only what ``labkit.grade.view``
  lists, read-only; its own PID, network, IPC and mount namespaces; a memory-backed
  /tmp and /dev/shm of its own; plus the Landlock write fence. Needs root, or
  unprivileged user namespaces.
- ``landlock``: Landlock rules on the machine's own file system: read only what
  ``view`` lists, write only in the child's working folder; the network is the
  machine's. Needs Landlock, and a Python that ``nobody`` can read when the grader is
  root.
- ``bubblewrap`` (``--sandbox``): each child a fresh interpreter inside ``bwrap`` with
  the same view; slower (no fork server), another implementation to trust.
- ``none`` (``--unsafe``): no read protection at all; only limits and the write fence.
  The child drops to ``nobody`` when it can; where Python lives where ``nobody`` cannot
  read it (under /root), it stays root, and the run says so.

Every level runs the child as an unprivileged user (``labkit.grade.privileges``); a
child that cannot stop being root, or cannot apply its level in full, runs no student
code. The grader probes the level once per run and prints and stores the result.
"""

from __future__ import annotations

import os
import resource
import signal

LEVELS = ("namespaces", "landlock", "bubblewrap", "none")
REQUESTS = {"auto": ("namespaces", "landlock"), "sandbox": ("bubblewrap",),
            "unsafe": ("none",), **{level: (level,) for level in LEVELS}}


class Unprotected(RuntimeError):
    """No level that protects reads works here; the message says what would."""


def candidates(requested: str) -> tuple[str, ...]:
    if requested not in REQUESTS:
        raise ValueError(f"isolation {requested!r}: use one of {', '.join(REQUESTS)}")
    return REQUESTS[requested]


def precheck(level: str) -> str | None:
    """Why ``level`` cannot work on this machine, or None (a child still has to try)."""
    from labkit.grade import landlock

    if level == "landlock":
        if landlock.abi_version() < 1:
            return "this kernel has no Landlock"
        if not can_drop_root():
            return ("the grader runs as root and Python lives where `nobody` cannot read "
                    "it, so a child could only stay root")
    if level == "bubblewrap":
        import shutil

        if shutil.which("bwrap") is None:
            return ("--sandbox needs bubblewrap, which is not installed: install it "
                    "(Debian/Ubuntu: `sudo apt-get install bubblewrap`)")
    if level == "namespaces" and not os.path.exists("/proc/self/ns/mnt"):
        return "this kernel has no mount namespaces"
    return None


def can_drop_root() -> bool:
    """Whether ``nobody`` could run this Python and labkit (always, when not root)."""
    from labkit.grade import privileges, view

    return not privileges.real_root() or all(
        world_readable(p) for p in [*view.python_paths(), view.labkit_package()])


def world_readable(path) -> bool:
    from pathlib import Path

    path = Path(path).resolve()
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & 0o001 or (folder == path and not mode & 0o004):
            return False
    return True


# --- in the child ---------------------------------------------------------------------------
def apply(config: dict, sock) -> dict[str, str]:
    """Isolate this process (the child) at ``config["isolation"]``; what took effect.

    For ``namespaces`` this process forks: the parent stays outside as the child's
    watchdog and never returns; the function returns in PID 1 of the new namespace."""
    from labkit.grade import cgroup, landlock, namespaces, privileges, view

    level = config["isolation"]
    limits(config)
    applied = {"level": level}
    applied["processes"] = (f"at most {config['nproc']} (pids cgroup)"
                            if cgroup.join(config["token"], config["nproc"])
                            else "no pids cgroup on this machine")
    seen = view.View.from_config(config["view"])
    real_root = privileges.real_root()
    devices = [str(d) for d in seen.devices]
    if level == "namespaces":
        namespaces.enter(as_user=not real_root)
        pid = os.fork()
        if pid:
            sock.close()
            watch(pid, config["wall_s"])
        # PID 1 of its namespace now: the watchdog outside (``watch``) ends it.
        owner = privileges.nobody_ids() if real_root else None
        namespaces.build_root(config["root_dir"], seen, owner=owner)
        namespaces.loopback_up()  # process groups (chapter 05) talk over 127.0.0.1
        fence = landlock.restrict(writable=["/tmp", "/dev/shm", *devices])
        applied["reads"] = "a private root: Python, labkit and the child's data, read-only"
        applied["writes"] = "its own /tmp and /dev/shm (in memory, gone with the child)"
        applied["network"] = "none but its own loopback (a network namespace of its own)"
        applied["processes"] += "; a PID namespace of its own (all end with the child)"
    else:
        work = config["workdir"]  # made by the grader, owned by the child's user
        readable = None
        # torch passes tensors between processes through /dev/shm (chapter 05's process
        # groups); bubblewrap's is the child's own, with Landlock alone it is the machine's.
        shm = ["/dev/shm"] if level in ("bubblewrap", "landlock") else []
        if level == "landlock":
            readable = [*map(str, seen.readable), work, "/proc/self", *shm]
        fence = landlock.restrict(writable=[work, *devices, *shm], readable=readable,
                                  masked=[str(m) for m in seen.masked])
        if level == "landlock" and not fence.get("reads"):
            raise OSError("the Landlock read rules did not take effect")
        applied["reads"] = {"landlock": "only the view (Landlock rules)",
                            "bubblewrap": "a private root (bubblewrap)"}.get(
            level, "not protected (--unsafe)")
        applied["writes"] = ("its own working folder" + (" and /dev/shm" if shm else "")
                             + (" (Landlock)" if fence else ""))
        applied["network"] = ("none but its own loopback (bubblewrap)"
                              if level == "bubblewrap" else "the machine's")
    applied["signals"] = ("only to its own processes (Landlock)" if fence.get("scoped")
                          else "limited by its user id")
    if level == "none" and not config["drop_root"]:
        applied["user"] = "root (--unsafe, and Python is not readable by `nobody`)"
    else:
        applied["user"] = privileges.drop()
    _environment(config, namespaces.WORKDIR if level == "namespaces" else config["workdir"])
    return applied


def limits(config: dict) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    file_cap = config["file_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_cap, file_cap))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too large a file: an error, not death
    cpu = int(config["timeout"] * 2 + 30)  # a loop left behind cannot spin for ever
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    nproc = config["nproc"] * 4  # counts every process of the user, machine-wide
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def watch(pid: int, seconds: float) -> None:
    """Wait for the child's namespace init ``pid``; kill it after ``seconds`` of wall
    clock, or as soon as this process's parent (the fork server) dies; then end the
    way it ended, so the grader reads its real exit status.

    The kernel will not deliver a parent-death signal to a namespace's init, so this
    process, outside the namespace, asks for one (a catchable one) and passes it on
    as SIGKILL, which the init of a namespace does receive from outside it."""
    import ctypes

    def kill(*_):
        os.kill(pid, signal.SIGKILL)
        os._exit(1)

    parent = os.getppid()
    signal.signal(signal.SIGTERM, kill)
    signal.signal(signal.SIGALRM, kill)
    ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        kill()
    signal.alarm(max(int(seconds), 1))
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONHASHSEED", "VIRTUAL_ENV",
             "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "LABKIT_FAST", "OPENBLAS_CORETYPE",
             "OPENBLAS_L2_SIZE")


def _environment(config: dict, workdir: str) -> None:
    """A clean environment: no secret of the grader's, HOME and TMPDIR in the workdir."""
    kept = {k: v for k, v in os.environ.items() if k in _KEEP_ENV or k.startswith("LC_")}
    os.environ.clear()
    os.environ.update(kept)
    os.environ.update({"HOME": workdir, "TMPDIR": workdir, "MPLBACKEND": "Agg",
                       "MPLCONFIGDIR": workdir, "LABKIT_OFFLINE": "1", "LABKIT_QUIET": "1",
                       "PYTHONNOUSERSITE": "1", "LABKIT_GRADE_TOKEN": config["token"],
                       "OMP_NUM_THREADS": str(config.get("threads", 1))})
    if config.get("data_dir"):
        os.environ["LABKIT_DATA"] = config["data_dir"]
    import multiprocessing
    import tempfile

    tempfile.tempdir = workdir  # the fork server may have cached /tmp before TMPDIR changed
    # ...and multiprocessing its own temporary folder (for the sockets of a process pool
    # the learner's code starts), which the write fence would now refuse.
    multiprocessing.current_process()._config.pop("tempdir", None)
    os.chdir(workdir)
