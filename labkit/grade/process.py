"""The grader's handle on one learner process: start it, talk to it, end it for good."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from labkit.check.host import Host

_CONTEXT = None


class LearnerProcessLost(RuntimeError):
    """The learner's process ended or was stopped; ``status`` says why."""

    learner_process_lost = True

    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def fork_context():
    """A fork server with torch, IPython and labkit imported once for all children."""
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["labkit.grade._preload"])
        _CONTEXT = ctx
    return _CONTEXT


def _nothing() -> None:
    pass


def warm_up() -> None:
    """Start the fork server and wait until it has imported everything."""
    if sys.platform.startswith("linux"):
        proc = fork_context().Process(target=_nothing)
        proc.start()
        proc.join()


def nobody() -> tuple[int, int] | None:
    """The unprivileged user a root grader hands student code to.

    None when not root, or when that user could not even read Python's own files (an
    interpreter installed under /root, say): then the child stays root, and only
    ``--sandbox`` or a container keeps it from the grader's files.
    """
    if os.geteuid() != 0 or not all(_world_readable(Path(p)) for p in (
            sys.base_prefix, sys.prefix, Path(__file__).resolve().parents[1])):
        return None
    import pwd

    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


class LearnerProcess:
    """One child process holding one submission's objects."""

    def __init__(self, *, timeout: float, memory_mb: int, output_cap: int = 64_000,
                 extra_paths=(), probe_modules=("labkit.",), sandbox: bool = False,
                 data_dir: str | None = None, jobs: int = 1, hide=()):
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.workdir = tempfile.mkdtemp(prefix="labkit-grade-")
        self.token = os.urandom(8).hex()
        self.stopped_by_us = None
        config = {
            "timeout": timeout, "memory_mb": memory_mb, "output_cap": output_cap,
            "file_mb": 64, "workdir": self.workdir, "token": self.token,
            "drop_to": None if sandbox else nobody(), "nproc": 64,
            "extra_paths": [str(p) for p in extra_paths],
            "probe_modules": list(probe_modules), "data_dir": data_dir,
        }
        self.sandbox = sandbox
        if sandbox:
            self._start_sandboxed(config, data_dir, hide)
        else:
            self._start_forked(config)
        self.deadline = time.monotonic() + 120.0  # starting: the fork server may be busy
        ready = self._receive(120.0, starting=True)
        if not ready.startswith(b"ready"):
            raise LearnerProcessLost("crashed", "the grading process did not start")
        self.protections = json.loads(ready[5:] or b"{}")
        self.deadline = time.monotonic() + timeout  # the student's time starts now

    # --- starting -------------------------------------------------------------------
    def _start_forked(self, config: dict) -> None:
        from labkit.grade.child import serve

        ctx = fork_context()
        parent, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=serve, args=(child, config), daemon=False)
        self.proc.start()
        child.close()
        self.conn, self.pid = parent, self.proc.pid

    def _start_sandboxed(self, config: dict, data_dir: str | None, hide) -> None:
        from labkit.grade.sandbox import bwrap_command

        ours, theirs = socket.socketpair()
        command = bwrap_command(self.workdir, data_dir, config["extra_paths"], hide=hide)
        code = ("import json, sys; from multiprocessing.connection import Connection; "
                "from labkit.grade.child import serve; "
                f"serve(Connection({theirs.fileno()}), json.loads(sys.argv[1]))")
        config = {**config, "workdir": "/tmp/work"}
        self.popen = subprocess.Popen(
            [*command, sys.executable, "-c", code, json.dumps(config)],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self.conn, self.pid, self.proc = Connection(ours.detach()), self.popen.pid, None

    # --- talking ----------------------------------------------------------------------
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run_cell(self, source: str) -> dict:
        self._send(b"c" + source.encode())
        return json.loads(self._receive(self.remaining()))

    def exchange(self, request: bytes) -> bytes:
        self._send(b"r" + request)
        return self._receive(self.remaining())

    def _send(self, data: bytes) -> None:
        try:
            self.conn.send_bytes(data)
        except (BrokenPipeError, ConnectionError, OSError):
            raise self._lost() from None

    def _receive(self, seconds: float, starting: bool = False) -> bytes:
        if seconds <= 0 or not self._poll(seconds):
            if self._alive():
                self.stop()
                self.stopped_by_us = "timeout"
                raise LearnerProcessLost(
                    "timeout", "the notebook's process was stopped after the time limit of "
                    f"{self.timeout:g} s")
            raise self._lost()
        try:
            return self.conn.recv_bytes()
        except (EOFError, ConnectionError, OSError):
            raise self._lost() from None

    def _poll(self, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while True:
            try:
                if self.conn.poll(min(0.5, max(0.0, end - time.monotonic()))):
                    return True
            except (EOFError, OSError):
                return True  # recv will tell
            if not self._alive():
                return True  # recv() will find the end of the pipe and say why
            if time.monotonic() >= end:
                return False

    def _alive(self) -> bool:
        if self.proc is not None:
            return self.proc.is_alive()
        return self.popen.poll() is None

    def _exitcode(self):
        if self.proc is not None:
            self.proc.join(2)
            return self.proc.exitcode
        try:
            return self.popen.wait(2)
        except subprocess.TimeoutExpired:
            return None

    def _lost(self) -> LearnerProcessLost:
        code = self._exitcode()
        self.stop()
        if code is not None and code < 0:
            sig = -code
            if sig == signal.SIGXCPU:
                return LearnerProcessLost(
                    "timeout", "the notebook's process was stopped by the CPU-time limit")
            if sig == signal.SIGKILL:
                return LearnerProcessLost(
                    "memory", "the notebook's process was killed by the system, most likely "
                    "for using too much memory")
            return LearnerProcessLost(
                "crashed", f"the notebook's process crashed ({signal.Signals(sig).name})")
        return LearnerProcessLost(
            "crashed", f"the notebook ended its own process (exit code {code})")

    # --- ending -----------------------------------------------------------------------
    def stop(self) -> None:
        """Kill the child, its process group, its cgroup, and anything carrying its token."""
        from labkit.grade import cgroup

        if self._alive():  # a child that still listens ends itself cleanly first
            try:
                self.conn.send_bytes(b"q")
                if self.proc is not None:
                    self.proc.join(0.5)
            except (OSError, ValueError):
                pass
        cgroup.kill_all(self.token)
        for _ in range(3):
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            left = _processes_with_token(self.token)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if not left:
                break
            time.sleep(0.05)
        try:
            self.conn.close()
        except OSError:
            pass
        self._exitcode()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def host(self, lock=None) -> RemoteHost:
        return RemoteHost(self, lock)


def _world_readable(path: Path) -> bool:
    path = path.resolve()
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & 0o001 or (folder == path and not mode & 0o004):
            return False
    return True


def _processes_with_token(token: str) -> list[int]:
    """Processes whose environment carries this child's token (escaped its group)."""
    needle = f"LABKIT_GRADE_TOKEN={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


class RemoteHost(Host):
    """The check's side of the door when the learner's objects live in a child.

    Checks of several submissions run in threads of one grader process, and torch's
    random generator is global: each check holds ``lock`` while it computes, lets go of
    it while it waits for its child, and takes its own generator state along, so no
    check ever draws from another's sequence.
    """

    def __init__(self, process: LearnerProcess, lock=None):
        super().__init__()
        self.process = process
        self.lock = lock

    def exchange(self, request: bytes) -> bytes:
        if self.lock is None:
            return self.process.exchange(request)
        import torch

        state = torch.get_rng_state()
        self.lock.release()
        try:
            return self.process.exchange(request)
        finally:
            self.lock.acquire()
            torch.set_rng_state(state)
