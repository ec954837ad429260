"""The learner's side of grading: a child process that runs cells and answers probes.

Student code runs only here. The grader talks to the child over a pipe: it sends
cells to run and check requests (see ``labkit.check.host``), and gets back bytes that it
decodes with a loader that cannot run code. The child starts from a fork server that
has already imported torch, IPython and labkit, so a submission costs no interpreter
start and no torch import; limits are applied in the child before any student code runs:

- its own session and process group, so everything it starts can be killed at once;
- an address-space cap (``--memory``), a CPU-time cap, no core files, a file-size cap;
- when the grader runs as root, the child drops to an unprivileged user (``nobody``),
  so it cannot read or write the gradebook and a fork bomb meets a process limit;
- output beyond a cap is dropped, not kept in memory;
- a private working folder as its current directory, HOME and TMPDIR.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import time

MEMORY_WORDS = ("can't allocate memory", "out of memory", "not enough memory",
                "cannot allocate memory")


class _CappedStream:
    """A text stream that keeps a count and drops everything past ``cap`` characters."""

    def __init__(self, cap: int):
        self.cap, self.written, self.dropped = cap, 0, 0
        self.encoding, self.errors = "utf-8", "replace"

    def write(self, text) -> int:
        text = str(text)
        room = self.cap - self.written
        if room > 0:
            kept = text[:room]
            self.written += len(kept)
            self.dropped += len(text) - len(kept)
        else:
            self.dropped += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("no file descriptor while grading")


_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "PYTHONHASHSEED",
             "VIRTUAL_ENV", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "LABKIT_FAST",
             "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def apply_limits(config: dict) -> dict:
    """Limits for this process and everything it starts (called first thing in the child).

    Returns which protections took effect, for the grader's report.
    """
    from labkit.grade import cgroup, landlock

    try:
        os.setsid()
    except OSError:  # already a session leader (bubblewrap's --new-session)
        pass
    applied = {"pids_cap": cgroup.join(config["token"], config["nproc"])}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    file_cap = config["file_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_cap, file_cap))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too large a file: an error, not death
    cpu = int(config["timeout"] * 2 + 30)  # a loop left behind cannot spin for ever
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    workdir = config["workdir"]
    applied["user"] = "same as the grader"
    if os.geteuid() == 0 and config.get("drop_to") is not None:
        uid, gid = config["drop_to"]
        os.chown(workdir, uid, gid)
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        nproc = config["nproc"]
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        applied["user"] = "nobody"
    import glob

    devices = glob.glob("/dev/nvidia*") + glob.glob("/dev/dri")  # a GPU opens these read-write
    applied["writes_only_in_workdir"] = landlock.restrict_writes(
        [workdir, "/dev/null", "/dev/shm", *devices])
    if config.get("memory_mb"):
        with open("/proc/self/status") as status:
            vm = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        cap = vm * 1024 + config["memory_mb"] * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    os.chdir(workdir)
    kept = {k: v for k, v in os.environ.items() if k in _KEEP_ENV or k.startswith("LC_")}
    os.environ.clear()
    os.environ.update(kept)
    os.environ.update({"HOME": workdir, "TMPDIR": workdir, "MPLBACKEND": "Agg",
                       "LABKIT_OFFLINE": "1", "LABKIT_QUIET": "1",
                       "LABKIT_GRADE_TOKEN": config["token"], "PYTHONNOUSERSITE": "1",
                       "OMP_NUM_THREADS": str(config.get("threads", 1))})
    if config.get("data_dir"):
        os.environ["LABKIT_DATA"] = config["data_dir"]
    import tempfile

    tempfile.tempdir = workdir  # the fork server may have cached /tmp before TMPDIR changed
    import multiprocessing

    # ...and multiprocessing its own temporary folder (for sockets of a process pool the
    # learner's code starts), which the write fence would now refuse.
    multiprocessing.current_process()._config.pop("tempdir", None)
    return applied


def _quiet_stdio(cap: int) -> tuple[_CappedStream, _CappedStream]:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    out, err = _CappedStream(cap), _CappedStream(cap)
    sys.stdout, sys.stderr, sys.stdin = out, err, open(os.devnull)
    return out, err


def serve(conn, config: dict) -> None:
    """The child's main loop: run cells and answer check requests until told to stop."""
    preload()  # done already in a fork server; a fresh interpreter (--sandbox) does it here,
    # before the memory cap, which counts the address space of what is loaded
    applied = apply_limits(config)
    out, err = _quiet_stdio(config["output_cap"])
    import torch

    torch.set_num_threads(config.get("threads", 1))
    from IPython.core.interactiveshell import InteractiveShell

    from labkit.check.host import LearnerSide

    for path in config.get("extra_paths", ()):
        sys.path.insert(0, path)
    shell = InteractiveShell.instance(colors="NoColor")
    shell.showtraceback = lambda *a, **k: None  # errors come back in the reply instead
    shell.showsyntaxerror = lambda *a, **k: None
    side = LearnerSide(shell.user_ns, allowed_modules=tuple(config["probe_modules"]))
    import json

    conn.send_bytes(b"ready" + json.dumps(applied).encode())
    me = os.getpid()
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        kind, payload = message[:1], message[1:]
        if kind == b"c":  # run a cell
            reply = _run_cell(shell, payload.decode(), out, err)
            if os.getpid() != me:  # a copy made by os.fork() in the cell: it must not reply
                os._exit(0)
            conn.send_bytes(_pack(reply))
        elif kind == b"r":  # a check request
            reply = side.handle(payload)
            if os.getpid() != me:
                os._exit(0)
            conn.send_bytes(reply)
        else:
            return


def _run_cell(shell, source: str, out, err) -> dict:
    start = time.perf_counter()
    try:
        result = shell.run_cell(source, store_history=False, silent=False)
        error = result.error_in_exec or result.error_before_exec
    except BaseException as exc:  # noqa: BLE001 - SystemExit and friends from a cell
        error = exc
    reply = {"seconds": time.perf_counter() - start, "error": None,
             "dropped": out.dropped + err.dropped}
    if error is not None:
        text = f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"
        memory = isinstance(error, MemoryError) or any(
            w in str(error).lower() for w in MEMORY_WORDS)
        reply["error"] = text
        reply["memory"] = memory
    return reply


def _pack(reply: dict) -> bytes:
    import json

    return json.dumps(reply).encode()


def preload() -> None:
    """Imported once by the fork server, so every child starts with these ready."""
    import IPython.core.interactiveshell  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import torch  # noqa: F401
    import torchvision  # noqa: F401

    import labkit.check  # noqa: F401
    import labkit.check.probes  # noqa: F401
    import labkit.train  # noqa: F401
    from labkit.check.guard import warm_up
    from labkit.exercises import CHAPTERS, exercises_of
    from labkit.notebook.build import chapters  # noqa: F401

    warm_up()  # a check's first guard imports torch._dynamo: once, here
    for chapter in CHAPTERS:
        try:
            exercises_of(chapter)
        except Exception:  # noqa: BLE001 - a broken module shows up when it is used
            pass
