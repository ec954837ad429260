"""A private JupyterLab server for the browser tests, and the Chromium that drives it.

The server runs in its own process group on a free loopback port with a random token,
over a copy of the learner notebooks and a fresh data folder. Its kernels see the
course's switches: offline, short training (LABKIT_FAST=1), but NOT quiet, so the
explorers show live widgets as they do for a learner. `stop` ends the server and every
kernel it started, also when a test failed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from labkit.site.warm_kernel import WarmKernels

REPO = Path(__file__).resolve().parents[2]

# The network is closed here: without these flags Chromium keeps trying to reach
# Google's services and floods the log with refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# JupyterLab settings for the test profile: no news or update pop-ups over the page,
# and every cell kept in the page (the default windowing drops cells scrolled away).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none", "recordTiming": True},
}

SKIP_HINT = ("install Chromium (apt-get install chromium) or set "
             "LABKIT_CHROMIUM=/path/to/chromium")


def find_chromium() -> str | None:
    """LABKIT_CHROMIUM if set (it must exist), else the system's Chromium, else None."""
    chosen = os.environ.get("LABKIT_CHROMIUM", "").strip()
    if chosen:
        if not (os.path.isfile(chosen) and os.access(chosen, os.X_OK)):
            raise FileNotFoundError(f"LABKIT_CHROMIUM={chosen} is not an executable file")
        return chosen
    for name in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.access(name, os.X_OK):
            return name
    return None


def learner_notebooks() -> list[Path]:
    """Every learner notebook: notebooks/*.ipynb and one folder down (translations)."""
    folder = REPO / "notebooks"
    found = sorted(folder.glob("*.ipynb")) + sorted(folder.glob("*/*.ipynb"))
    return [p for p in found if "src" not in p.relative_to(folder).parts[:-1]
            and ".ipynb_checkpoints" not in p.parts]


def _die_with_parent() -> None:
    """In the server process, before it starts: on Linux, die with the test process,
    however that dies. SIGKILL, because a server told to stop can hang while shutting
    down its extensions; its kernels notice that their parent is gone and exit."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (Linux /proc; empty elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class LabServer:
    """JupyterLab over a scratch copy of the notebooks; use as a context manager."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.root = self.workdir / "notebooks"
        self.data = self.workdir / "data"
        self.log_path = self.workdir / "jupyterlab.log"
        self.token = secrets.token_hex(16)
        self.port = None
        self.proc = None
        self.warm = None

    # -- set-up -------------------------------------------------------------------------
    def _prepare(self) -> None:
        folder = REPO / "notebooks"
        for notebook in learner_notebooks():
            target = self.root / notebook.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(notebook, target)
        (self.root / "scratch").mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        settings = self.workdir / "jupyter" / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LABKIT_", "JUPYTER", "PYTEST"))}
        jupyter = self.workdir / "jupyter"
        env.update(
            LABKIT_OFFLINE="1",
            LABKIT_QUIET="0",  # live widgets and plots, as a learner sees them
            LABKIT_FAST="1",
            LABKIT_DATA=str(self.data),
            OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
            PYTHONPATH=os.pathsep.join(
                [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                               if p]),
            JUPYTER_CONFIG_DIR=str(jupyter / "config"),
            JUPYTER_DATA_DIR=str(jupyter / "data"),
            JUPYTER_PATH=str(jupyter / "path"),  # first in the search: our "python3" kernel
            JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(jupyter / "lab-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(jupyter / "workspaces"),
            IPYTHONDIR=str(jupyter / "ipython"),
        )
        return env

    def start(self, timeout: float = 90) -> LabServer:
        self._prepare()
        self.port = _free_port()
        command = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--expose-app-in-browser",  # window.jupyterapp: its commands and models
            "--LabApp.news_url=",
            "--ServerApp.shutdown_no_activity_timeout=1800",  # a last guard against orphans
            "--MappingKernelManager.cull_idle_timeout=1800",
        ]
        if hasattr(os, "getuid") and os.getuid() == 0:
            command.append("--allow-root")
        env = self._env()
        # Its kernels are forked from a process that has imported torch: each notebook
        # still gets a kernel of its own, without ~5 s of imports (labkit/site/warm_kernel.py).
        self.warm = WarmKernels(self.workdir / "jupyter" / "path", name="python3", env=env)
        self.warm.start()
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(command, cwd=self.workdir, env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True,  # its own process group
                                     preexec_fn=_die_with_parent if sys.platform == "linux"
                                     else None)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.proc.returncode}):\n"
                                   f"{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer in {timeout:.0f} s:\n{self.log_tail()}")

    # -- use ----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "") -> str:
        """The page URL: JupyterLab, or a notebook path relative to the server root."""
        where = f"/lab/tree/{path}" if path else "/lab"
        return f"{self.base_url}{where}?token={self.token}&reset"

    def api(self, method: str, path: str, timeout: float = 10):
        request = urllib.request.Request(self.base_url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every running kernel (one notebook's kernel must not slow the next)."""
        for kernel in self.api("GET", "/api/kernels"):
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
            except OSError:
                pass

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    # -- tear-down ----------------------------------------------------------------------
    def stop(self) -> None:
        """End the server and the kernels it started (each kernel has its own group)."""
        if self.proc is None:
            return
        groups = set()
        for pid in _children(self.proc.pid):
            try:
                groups.add(os.getpgid(pid))
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            try:
                self.api("POST", "/api/shutdown", timeout=5)
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                pass
        # The server's own group (its pgid is its pid), then each kernel's group.
        for group in [self.proc.pid, *groups]:
            if group == os.getpgid(0):
                continue  # never our own group
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(group, sig)
                except (ProcessLookupError, PermissionError):
                    break
                time.sleep(0.3)
        self.proc.wait(timeout=10)
        self._log.close()
        self.proc = None
        if self.warm is not None:
            self.warm.stop()

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
