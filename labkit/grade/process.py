"""The grader's handle on one learner process: start it, talk to it, end it for good
(the check's side of it is ``labkit.grade.run.RemoteHost``).

Time is the submission's own: the clock runs only while the grader waits for this
child (a cell, a check request), never while the grader waits for its turn on the check
lock or judges a reply, so a slow classmate's check cannot use up someone else's
limit. Every wait has a deadline kept by the grader. Every reply is validated before
use: a cell's reply against its schema, a check's reply by ``plain.parse`` (outside the
check lock); anything else ends this child as ``crashed``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from labkit.check import plain
from labkit.grade import channel
from labkit.i18n import N_

_CONTEXT = None
START_SECONDS = 120.0  # to get a child from a busy fork server; not the student's time


class LearnerProcessLost(RuntimeError):
    """The learner's process ended or was stopped; ``status`` says why, ``text`` (an
    English template marked for translation, with its fields) in words."""

    learner_process_lost = True  # run_check lets this through (labkit.check.exercise)

    def __init__(self, status: str, template: str, **fields):
        from labkit.grade.text import Text

        self.status, self.text = status, Text(template, fields)
        self.detail = self.text.english()
        super().__init__(self.detail)


@dataclass(frozen=True)
class Settings:
    """What every child of one grading run shares."""

    isolation: str = "none"
    run_folder: str = ""
    view: dict = field(default_factory=dict)  # labkit.grade.view.View, as JSON-able lists
    data_dir: str | None = None
    timeout: float = 300.0
    memory_mb: int = 2048
    threads: int = 1
    output_cap: int = 64_000
    nproc: int = 64
    file_mb: int = 64
    nobody: tuple[int, int] | None = None  # the child's user, when the grader is root
    drop_root: bool = True  # False: --unsafe with a Python `nobody` cannot read


def fork_context():
    """A fork server with torch, IPython and labkit imported once for all children."""
    global _CONTEXT
    if _CONTEXT is None:
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["labkit.grade._preload"])
        _CONTEXT = ctx
    return _CONTEXT


def _nothing() -> None:
    pass


def warm_up() -> None:
    """Start the fork server (from this thread, which must outlive the batch: the fork
    server dies with it) and wait until it has imported everything."""
    proc = start_from_fork_server(_nothing)
    proc.join()


def start_from_fork_server(target, *args):
    """A started process from the fork server; a fork server that died (it may take a
    moment to be known dead) is started again."""
    tries = 3
    while True:
        try:
            proc = fork_context().Process(target=target, args=args, daemon=False)
            proc.start()
            return proc
        except (OSError, EOFError):
            tries -= 1
            if not tries:
                raise
            time.sleep(0.5)


class LearnerProcess:
    """One child process holding one submission's objects."""

    def __init__(self, settings: Settings, *, probe_modules=("labkit.",), probe_sources=None,
                 token: str | None = None):
        from labkit.grade.leftovers import owner_tag

        self.settings = settings
        self.left = settings.timeout  # the student's time, spent only while we wait
        self.token = token or f"{owner_tag()}-{os.urandom(6).hex()}"
        self.workdir = None
        self.proc = self.popen = None
        level = settings.isolation
        if level != "namespaces":
            self.workdir = os.path.join(settings.run_folder, f"work-{self.token}")
            os.mkdir(self.workdir, 0o700)
            if settings.nobody and (level != "none" or settings.drop_root):
                os.chown(self.workdir, *settings.nobody)
        config = {
            "isolation": level, "timeout": settings.timeout, "memory_mb": settings.memory_mb,
            "output_cap": settings.output_cap, "file_mb": settings.file_mb,
            "nproc": settings.nproc, "threads": settings.threads, "token": self.token,
            "wall_s": settings.timeout * 3 + START_SECONDS + 60, "view": settings.view,
            "data_dir": settings.data_dir, "probe_modules": list(probe_modules),
            "probe_sources": dict(probe_sources or {}),
            "root_dir": os.path.join(settings.run_folder, "root"),
            "workdir": "/tmp/work" if level == "bubblewrap" else self.workdir,
            "bubblewrap": level == "bubblewrap", "drop_root": settings.drop_root,
        }
        ours, theirs = socket.socketpair()
        try:
            if level == "bubblewrap":
                self._start_sandboxed(config, theirs)
            else:
                self._start_forked(config, theirs)
        finally:
            theirs.close()
        self.line = channel.GraderSide(ours)
        try:
            ready = self.line.receive(time.monotonic() + START_SECONDS)
        except channel.ChannelError as err:
            self.stop()
            raise LearnerProcessLost("grader_error", N_("the grading process did not start "
                                                        "({error})"), error=str(err)) from None
        self.protections = self._ready(ready)

    # --- starting -------------------------------------------------------------------
    def _start_forked(self, config: dict, theirs) -> None:
        from labkit.grade.child import main

        self.proc = start_from_fork_server(main, theirs, config)
        self.pid = self.proc.pid

    def _start_sandboxed(self, config: dict, theirs) -> None:
        from labkit.grade.sandbox import bwrap_command

        command = bwrap_command(self.settings, self.workdir)
        code = ("import json, socket, sys; from labkit.grade.child import main; "
                f"main(socket.socket(fileno={theirs.fileno()}), json.loads(sys.argv[1]))")
        self.popen = subprocess.Popen(
            [*command, sys.executable, "-c", code, json.dumps(config)],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.popen.pid

    def _ready(self, data: bytes) -> dict[str, str]:
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        if type(message) is not dict:
            self.stop()
            raise LearnerProcessLost("grader_error",
                                     N_("the grading process did not say it was ready"))
        if message.get("ready") is not True:
            self.stop()
            raise LearnerProcessLost("grader_error", N_("the grading process could not "
                                                        "isolate itself: {error}"),
                                     error=str(message.get("error"))[:300])
        protections = message.get("protections")
        if type(protections) is not dict or not all(
                type(k) is str and type(v) is str for k, v in protections.items()):
            self.stop()
            raise LearnerProcessLost("grader_error",
                                     N_("the grading process's first message was malformed"))
        return protections

    # --- talking ----------------------------------------------------------------------
    def run_cell(self, source: str) -> dict:
        reply = self._ask(b"c", source.encode("utf-8", "surrogatepass"))
        try:
            data = json.loads(reply)
        except ValueError:
            data = None
        if not _is_cell_reply(data):
            raise self._forged("a cell's reply is not in the expected form")
        return data

    def exchange(self, request: bytes) -> bytes:
        reply = self._ask(b"r", request)
        try:
            plain.parse(reply)  # the shape and limits, before anyone decodes it
        except plain.Forged as forged:
            raise self._forged(forged.reason) from None
        return reply

    def _ask(self, kind: bytes, body: bytes) -> bytes:
        start = time.monotonic()
        try:
            return self.line.ask(kind, body, start + max(self.left, 0.0))
        except channel.Timeout:
            self.stop()
            raise LearnerProcessLost(
                "timeout", N_("the notebook's process was stopped after the time limit of "
                              "{seconds:g} s"), seconds=self.settings.timeout) from None
        except channel.Garbled as err:
            raise self._forged(str(err)) from None
        except channel.Closed:
            raise self._lost() from None
        finally:
            self.left -= time.monotonic() - start

    def _forged(self, why: str) -> LearnerProcessLost:
        self.stop()
        # ``why`` (plain English, from the channel) is kept in the gradebook's fields.
        return LearnerProcessLost("crashed", N_("the notebook's process sent the grader "
                                                "bytes that are not a valid reply"), why=why)

    def _alive(self) -> bool:
        if self.proc is not None:
            return self.proc.is_alive()
        return self.popen is not None and self.popen.poll() is None

    def _exitcode(self):
        if self.proc is not None:
            self.proc.join(2)
            return self.proc.exitcode
        try:
            return self.popen.wait(2) if self.popen is not None else None
        except subprocess.TimeoutExpired:
            return None

    def _lost(self) -> LearnerProcessLost:
        code = self._exitcode()
        self.stop()
        if code is not None and code < 0:
            sig = -code
            if sig == signal.SIGXCPU:
                return LearnerProcessLost(
                    "timeout", N_("the notebook's process was stopped by the CPU-time limit"))
            if sig == signal.SIGKILL:
                return LearnerProcessLost(
                    "memory", N_("the notebook's process was killed by the system, most "
                                 "likely for using too much memory"))
            return LearnerProcessLost("crashed", N_("the notebook's process crashed ({signal})"),
                                      signal=signal.Signals(sig).name)
        return LearnerProcessLost("crashed", N_("the notebook ended its own process (exit "
                                                "code {code})"), code=code)

    # --- ending -----------------------------------------------------------------------
    def stop(self) -> None:
        """Kill the child, its process group, its cgroup, and anything carrying its token."""
        from labkit.grade import cgroup

        line = getattr(self, "line", None)
        cgroup.kill_all(self.token)
        for _ in range(3):
            for kill, target in ((os.killpg, self.pid), (os.kill, self.pid)):
                try:
                    kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError, AttributeError):
                    pass
            left = [] if self.settings.isolation == "namespaces" else _with_token(self.token)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if not left:
                break
            time.sleep(0.05)
        if line is not None:
            line.close()
        self._exitcode()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _is_cell_reply(data) -> bool:
    return (type(data) is dict and set(data) == {"seconds", "error", "memory", "dropped"}
            and type(data["seconds"]) in (int, float) and type(data["memory"]) is bool
            and type(data["dropped"]) is int
            and (data["error"] is None or (type(data["error"]) is str
                                           and len(data["error"]) <= 1000)))


def _with_token(token: str) -> list[int]:
    """Processes whose environment carries this child's token (escaped its group)."""
    needle = f"LABKIT_GRADE_TOKEN={token}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as handle:
                if needle in handle.read():
                    found.append(int(entry.name))
        except OSError:
            continue
    return found
