"""Kernels forked from a warm zygote behave as fresh kernels: their own process, folder,
environment and namespace; an interrupt reaches them; killing one (its stand-in) ends it
and what it started; without a zygote the spec still starts an ordinary kernel."""

from __future__ import annotations

import os
import signal
import time

import pytest
from jupyter_client import KernelManager

from labkit.site.warm_kernel import SOCKET_VARIABLE, WarmKernels

pytestmark = pytest.mark.xdist_group("warm_kernel")


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    root = tmp_path_factory.mktemp("warm")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root), prepend=os.pathsep)
        with WarmKernels(root, name="labkit-warm-test") as kernels:
            yield kernels


def _run(client, code: str, timeout: float = 60) -> dict:
    """Execute `code`; its stdout text and the error name (if any)."""
    msg_id = client.execute(code)
    out, error = "", None
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out += content["text"]
        elif kind == "error":
            error = content["ename"]
        elif kind == "status" and content["execution_state"] == "idle":
            return {"out": out, "error": error}


def _start(warm, folder, socket_path=None, **env):
    """A kernel of the warm spec in ``folder``; ``socket_path`` replaces its zygote's."""
    manager = KernelManager(kernel_name=warm.name)
    if socket_path is not None:
        manager.kernel_spec.env[SOCKET_VARIABLE] = str(socket_path)
    manager.start_kernel(cwd=str(folder), env={**os.environ, **env})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=90)
    return manager, client


def _ask(warm, folder, code: str, socket_path=None, **env) -> dict:
    """Start a kernel, run ``code`` in it, shut it down; what `_run` saw."""
    manager, client = _start(warm, folder, socket_path, **env)
    try:
        return _run(client, code)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (dead, not yet reaped) counts as gone
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_each_kernel_is_its_own_fresh_process(warm, tmp_path):
    pids = []
    for n in range(2):
        folder = tmp_path / f"k{n}"
        folder.mkdir()
        seen = _ask(warm, folder, "import os, sys\nprint(os.getpid(), os.getcwd(), "
                                  "os.environ.get('CHOSEN'), 'torch' in sys.modules, "
                                  "'matplotlib' in sys.modules, 'labkit' in sys.modules, "
                                  f"{SOCKET_VARIABLE!r} in os.environ)\n"
                                  "print('leftover' in globals())\nleftover = 1",
                    CHOSEN=f"value-{n}")
        assert seen["error"] is None, seen
        first, second = seen["out"].splitlines()
        pid, cwd, chosen, torch_loaded, mpl_loaded, labkit_loaded, socket_seen = first.split()
        pids.append(int(pid))
        assert cwd == str(folder)
        assert chosen == f"value-{n}"
        assert torch_loaded == "True"  # the point: torch comes preloaded
        assert mpl_loaded == "False" and labkit_loaded == "False"  # their choices stay the kernel's
        assert socket_seen == "False"
        assert second == "False"  # no namespace carried over from the previous kernel
    assert pids[0] != pids[1]


def test_an_interrupt_reaches_the_kernel(warm, tmp_path):
    manager, client = _start(warm, tmp_path)
    try:
        client.execute("import time\ntime.sleep(60)")
        time.sleep(1.0)
        manager.interrupt_kernel()
        deadline = time.monotonic() + 20
        error = None
        while time.monotonic() < deadline and error is None:
            msg = client.get_iopub_msg(timeout=20)
            if msg["msg_type"] == "error":
                error = msg["content"]["ename"]
        assert error == "KeyboardInterrupt"
        # It lives on. (ipykernel drops requests that come right after an error, as an
        # ordinary kernel does: ask again.)
        answers = [_run(client, "print(6 * 7)")["out"].strip() for _ in range(3)]
        assert "42" in answers, answers
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_killing_the_stand_in_ends_the_kernel_and_its_children(warm, tmp_path):
    manager, client = _start(warm, tmp_path)
    try:
        seen = _run(client, "import os, subprocess\n"
                            "child = subprocess.Popen(['sleep', '300'])\n"
                            "print(os.getpid(), child.pid)")
        kernel, sleeper = map(int, seen["out"].split())
    finally:
        client.stop_channels()
    os.kill(manager.provisioner.process.pid, signal.SIGKILL)  # what a forced shutdown does
    deadline = time.monotonic() + 20
    while (_alive(kernel) or _alive(sleeper)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(kernel) and not _alive(sleeper)
    manager.cleanup_resources()


def test_without_a_zygote_the_spec_starts_an_ordinary_kernel(warm, tmp_path):
    # The spec names the zygote's socket; point it at nothing.
    seen = _ask(warm, tmp_path, "import os, sys\nprint(os.getppid(), 'torch' in sys.modules)",
                socket_path=tmp_path / "no-such-socket")
    parent, torch_loaded = seen["out"].split()
    assert torch_loaded == "False"  # a cold kernel: nothing preloaded
    assert int(parent) == os.getpid()  # the stand-in became the kernel itself


def test_a_fork_that_cannot_become_a_kernel_leaves_an_ordinary_kernel(warm, tmp_path):
    """A zygote that answers nothing (its fork failed): the stand-in starts a cold kernel."""
    import socket
    import threading

    path = tmp_path / "mute.sock"
    mute = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    mute.bind(str(path))
    mute.listen(1)

    def hang_up():
        conn, _ = mute.accept()
        _, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)  # the request, its descriptors
        for fd in fds:
            os.close(fd)
        conn.close()  # and no answer

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        seen = _ask(warm, tmp_path, "import sys\nprint('torch' in sys.modules)",
                    socket_path=path)
    finally:
        mute.close()
    assert seen["out"].strip() == "False"
