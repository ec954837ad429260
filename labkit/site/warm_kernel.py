"""Kernels that start warm: forked from a process that has already imported PyTorch.

Importing torch and torchvision costs a kernel about 5 s of CPU on a small machine, and
a test run or a site build starts dozens of kernels. Here one process (the zygote)
imports them once, and each kernel is a fork of it: its own process, connection file,
environment, working folder and empty namespace, so a notebook still meets a fresh
kernel; only the module cache is inherited. Besides ipykernel's own modules, nothing
else is imported before the fork (no matplotlib; labkit's modules are dropped in the
fork), so their import-time choices are the kernel's own.

    with WarmKernels(root) as warm:      # root/kernels/<name>/kernel.json is written
        ...                               # kernels named warm.name start from the zygote

The kernel spec's command is this module: it hands the zygote its argv, environment,
folder and standard streams, then stands in for the kernel, passing signals on (an
interrupt is a SIGINT) and exiting when it ends. The kernel exits when that stand-in
dies, taking its own subprocesses with it. Without a zygote (it died, or its socket is
gone), or when a fork cannot become a kernel, the command starts an ordinary kernel.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# What the zygote imports before it forks: the slow imports every chapter makes, and the
# kernel's own (none of them makes a choice at import time that a kernel would make later).
PRELOAD = ("torch", "torchvision", "numpy", "PIL.Image", "ipykernel.kernelapp",
           "ipykernel.ipkernel", "ipykernel.zmqshell")
SOCKET_VARIABLE = "LABKIT_WARM_KERNEL_SOCKET"
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
              signal.SIGUSR1, signal.SIGUSR2)


class WarmKernels:
    """A zygote and the kernel spec that starts kernels from it (a context manager)."""

    def __init__(self, root: Path, name: str = "labkit-warm", env: dict | None = None):
        self.root, self.name, self.env = Path(root), name, env
        self.socket: Path | None = None
        self.proc: subprocess.Popen | None = None

    def start(self) -> WarmKernels:
        import tempfile

        from ipykernel.kernelspec import get_kernel_dict

        # A socket's path must be short (108 bytes on Linux): not under a deep folder.
        self.socket = Path(tempfile.mkdtemp(prefix="labkit-zygote-")) / "socket"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "labkit.site.warm_kernel", "--serve", str(self.socket)],
            stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.monotonic() + 60
        while not self.socket.exists():  # it binds before it imports: this is quick
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the warm-kernel zygote did not start; "
                                   f"run `{sys.executable} -m labkit.site.warm_kernel "
                                   f"--serve /tmp/z.sock` to see why")
            time.sleep(0.02)
        spec = self.root / "kernels" / self.name
        spec.mkdir(parents=True, exist_ok=True)
        kernel = get_kernel_dict()  # ipykernel's own spec, started by the stand-in
        kernel["argv"] = [sys.executable, "-m", "labkit.site.warm_kernel",
                          "-f", "{connection_file}"]
        kernel["env"] = {SOCKET_VARIABLE: str(self.socket)}
        (spec / "kernel.json").write_text(json.dumps(kernel, indent=1))
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.socket is not None:  # a second stop finds nothing left to do
            self.socket.unlink(missing_ok=True)
            self.socket.parent.rmdir()
            self.socket = None

    def __enter__(self) -> WarmKernels:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -- the zygote ------------------------------------------------------------------------
def serve(path: str) -> None:
    """Import PRELOAD, then fork a kernel for each request on the socket at ``path``."""
    import importlib

    from labkit.lifetime import die_with_parent

    die_with_parent(os.getppid(), signal.SIGTERM)  # die with the tests
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    for module in PRELOAD:
        importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernels are reaped by the system
    while True:
        conn, _ = listener.accept()
        try:
            message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
            request = json.loads(message)
        except (OSError, ValueError):
            conn.close()
            continue
        if os.fork() == 0:
            listener.close()
            _kernel(conn, request, fds)  # never returns
        for fd in fds:
            os.close(fd)
        conn.close()


def _kernel(conn: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked child: become the kernel the stand-in asked for."""
    import random
    import threading

    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own children
        os.setsid()  # its own group: ending it ends the subprocesses it started
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({k: v for k, v in request["env"].items() if k != SOCKET_VARIABLE})
        sys.path[:] = request["path"]
        sys.argv[:] = request["argv"]
        stand_in = os.pidfd_open(request["pid"])
        conn.sendall(str(os.getpid()).encode())
        conn.close()
    except BaseException:  # noqa: BLE001 - a child that cannot start must not return
        import traceback

        traceback.print_exc()  # the stand-in then starts an ordinary kernel
        os._exit(1)
    threading.Thread(target=_exit_with, args=(stand_in,), daemon=True).start()
    for name in [m for m in sys.modules if m == "labkit" or m.startswith("labkit.")]:
        del sys.modules[name]  # the zygote's own import: the kernel imports labkit afresh
    random.seed()  # a fresh process would have its own random state
    sys.modules["numpy"].random.seed()
    from ipykernel import kernelapp

    code = 0
    try:
        kernelapp.launch_new_instance()
    except SystemExit as end:
        code = end.code if isinstance(end.code, int) else 1
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        code = 1
    import atexit

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _exit_with(stand_in: int) -> None:
    """End this kernel and its group when the stand-in process ends (killed, usually)."""
    select.select([stand_in], [], [])
    os.killpg(0, signal.SIGKILL)


# -- the stand-in (the kernel spec's command) --------------------------------------------
def stand_in(argv: list[str]) -> int:
    path = os.environ.get(SOCKET_VARIABLE, "")
    link = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        link.connect(path)
    except OSError:  # no zygote: an ordinary kernel
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])
    request = {"argv": ["ipykernel_launcher", *argv], "env": dict(os.environ),
               "cwd": os.getcwd(), "path": sys.path, "pid": os.getpid()}
    socket.send_fds(link, [json.dumps(request).encode()], [0, 1, 2])
    reply = link.recv(64)
    if not reply:  # the fork failed to become a kernel (its reason is on stderr)
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])
    kernel = int(reply)
    for number in _FORWARDED:
        signal.signal(number, lambda signum, frame: _pass_on(kernel, signum))
    watch = os.pidfd_open(kernel)
    select.select([watch], [], [])  # retried after each forwarded signal (PEP 475)
    return 0


def _pass_on(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2])
    else:
        sys.exit(stand_in(sys.argv[1:]))
