"""The learner's side of grading: a child process that runs cells and answers probes.

Student code runs only here. The child starts from a fork server that has already
imported torch, IPython and labkit (or, with ``--sandbox``, as a fresh interpreter
inside bubblewrap). Before any student code runs, ``main``:

1. keeps no file descriptor but its own channel (the fork server's pipes and the
   grader's terminal are closed; stdio is /dev/null), asks to be killed when its parent
   dies, and starts its own session;
2. joins a pids cgroup of its own and sets its limits (no core files, file size, CPU
   time; the address space comes after the imports, in ``serve``);
3. isolates itself (``labkit.grade.isolation``): a private root and PID namespace, or a
   Landlock fence, or bubblewrap's; and stops being root;
4. says ``ready`` with the protections that took effect, or why it could not, and
   then runs no student code.

Then ``serve`` answers the grader: run a cell, answer a check request, stop.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

# The allocators' own words, at the start of their errors (torch's CPU allocator prefixes
# the place it failed).
OUT_OF_MEMORY = re.compile(r"(\[enforce fail at alloc_cpu\.cpp:\d+\] err == 0\. )?"
                           r"(DefaultCPUAllocator: can't allocate memory|CUDA out of memory)")


def main(sock, config: dict) -> None:
    """The child's whole life; ``sock`` is its end of the channel."""
    from labkit.grade.channel import ChildSide
    from labkit.lifetime import die_with_parent

    parent = os.getppid()
    _only_the_channel(sock.fileno())
    if not config.get("bubblewrap"):
        die_with_parent(parent)
    side = ChildSide(sock)
    try:
        os.setsid()
    except OSError:  # already a session leader (bubblewrap's --new-session)
        pass
    try:
        from labkit.grade import isolation

        applied = isolation.apply(config, sock)
    except Exception as err:  # noqa: BLE001 - any failure here means: run nothing
        side.reply(b"", json.dumps({"ready": False,
                                    "error": f"{type(err).__name__}: {err}"[:500]}).encode())
        os._exit(3)
    serve(side, config, applied)
    os._exit(0)


def _only_the_channel(keep: int) -> None:
    """Close every inherited descriptor but ``keep``; stdio becomes /dev/null."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != devnull:
            os.dup2(devnull, fd)
    limit = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 4096
    os.closerange(3, keep)
    os.closerange(keep + 1, max(limit, keep + 2))
    import multiprocessing.forkserver
    import multiprocessing.process
    import multiprocessing.resource_tracker

    # multiprocessing remembers the descriptors it inherited; they are closed now.
    multiprocessing.forkserver._forkserver._forkserver_alive_fd = None
    multiprocessing.forkserver._forkserver._inherited_fds = None
    multiprocessing.resource_tracker._resource_tracker._fd = None
    multiprocessing.resource_tracker._resource_tracker._pid = None
    multiprocessing.process._parent_process = None


class _CappedStream:
    """A text stream that keeps a count and drops everything past ``cap`` characters."""

    def __init__(self, cap: int):
        self.cap, self.written, self.dropped = cap, 0, 0
        self.encoding, self.errors = "utf-8", "replace"

    def write(self, text) -> int:
        text = str(text)
        room = self.cap - self.written
        kept = text[:max(room, 0)]
        self.written += len(kept)
        self.dropped += len(text) - len(kept)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("no file descriptor while grading")


def serve(side, config: dict, applied: dict) -> None:
    """The child's main loop: run cells and answer check requests until told to stop."""
    preload()  # done already in a fork server; a fresh interpreter (--sandbox) does it here
    from labkit.grade.withhold import forget_loaded

    forget_loaded()  # no `exercises_of(chapter)[k].solution` for a submission to copy
    _memory_cap(config.get("memory_mb"))
    out, err = _CappedStream(config["output_cap"]), _CappedStream(config["output_cap"])
    sys.stdout, sys.stderr, sys.stdin = out, err, open(os.devnull)
    import torch

    torch.set_num_threads(config.get("threads", 1))
    from IPython.core.interactiveshell import InteractiveShell

    from labkit.check.host import LearnerSide

    _install_probe_modules(config.get("probe_sources", {}))
    shell = InteractiveShell.instance()  # made by preload, before the fork
    # As in a notebook, __main__ is the learner's namespace; multiprocessing put the
    # grader's own main module there, which a process the learner starts (a process
    # group, chapter 05) would try to import from where the child cannot see it.
    sys.modules["__main__"] = shell.user_module
    learner = LearnerSide(shell.user_ns, allowed_modules=tuple(config["probe_modules"]))
    side.reply(b"", json.dumps({"ready": True, "protections": applied}).encode())
    me = os.getpid()
    while True:
        request = side.next_request()
        if request is None:
            return
        kind, nonce, body = request
        if kind == b"c":  # run a cell
            reply = json.dumps(_run_cell(shell, body.decode(), out, err)).encode()
        elif kind == b"r":  # a check request
            reply = _answer(learner, body)
        else:
            return
        if os.getpid() != me:  # a copy made by os.fork() in the cell: it must not reply
            os._exit(0)
        side.reply(nonce, reply)


def _answer(learner, body: bytes) -> bytes:
    from labkit.check import plain

    try:  # a value that cannot travel is answered by LearnerSide.handle itself
        return learner.handle(body)
    except Exception as err:  # noqa: BLE001 - reported as the check's failure
        return plain.encode(("probe_error", type(err).__name__, str(err)[:300]))


def _memory_cap(memory_mb: int | None) -> None:
    import resource

    if not memory_mb:
        return
    with open("/proc/self/status") as status:
        vm = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    cap = vm * 1024 + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _install_probe_modules(sources: dict[str, str]) -> None:
    """Hidden checks' probes arrive as source text, never as files on the child's path."""
    import types

    for name, source in sources.items():
        module = types.ModuleType(name)
        module.__file__ = f"<hidden checks: {name}>"
        exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
        sys.modules[name] = module


def _run_cell(shell, source: str, out, err) -> dict:
    start = time.perf_counter()
    try:
        result = shell.run_cell(source, store_history=False, silent=False)
        error = result.error_in_exec or result.error_before_exec
    except BaseException as exc:  # noqa: BLE001 - SystemExit and friends from a cell
        error = exc
    reply = {"seconds": time.perf_counter() - start, "error": None, "memory": False,
             "dropped": out.dropped + err.dropped}
    if error is not None:
        try:
            text = " ".join(str(error).split())[:300]
        except Exception:  # noqa: BLE001 - the learner's own __str__ failed
            text = "(the error's message could not be read)"
        reply["error"] = f"{type(error).__name__}: {text}"
        # Out of memory is told by the error's type or the allocator's own words, never by
        # a word anywhere in a message the learner's code may have written.
        reply["memory"] = isinstance(error, MemoryError) or (
            isinstance(error, RuntimeError) and OUT_OF_MEMORY.match(text) is not None)
    return reply


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
    from labkit.grade import course

    warm_up()  # a check's first guard imports torch._dynamo: once, here
    course.preload_exercises()
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if not InteractiveShell.initialized():
        settings = Config()
        settings.HistoryManager.enabled = False  # no history file, no thread
        shell = InteractiveShell.instance(config=settings, colors="NoColor")
        shell.showtraceback = lambda *a, **k: None  # errors come back in the reply
        shell.showsyntaxerror = lambda *a, **k: None
