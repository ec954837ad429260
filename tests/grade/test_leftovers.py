"""Class 7 of issue 18: nothing survives the grader, not even ``kill -9``.

A submission's cell starts a process that leaves its session, then sleeps. The grader
is killed with SIGKILL (itself only, not its process group) while that cell runs. Its
fork server, the child, and the process that left its session must all be gone within
seconds; the next run removes the killed grader's folder and cgroup.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grade_fixtures as golden
import pytest

from labkit.grade import cgroup, isolation, leftovers

MARK = "6191"
SLEEPER = (f'import subprocess, time\nsubprocess.Popen(["sleep", "{MARK}"], '
           "start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
           "time.sleep(600)")


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    return found


def _descendants(root: int) -> set[int]:
    table, found, grew = _processes(), {root}, True
    while grew:
        more = {pid for pid, (parent, _) in table.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found - {root}


@pytest.mark.skipif(isolation.precheck("namespaces") is not None,
                    reason="no mount and PID namespaces here: a process that leaves its "
                           "session is only removed by the next run's sweep")
def test_7_nothing_survives_kill_9_of_the_grader(tmp_path):
    nb = golden._answer(golden.right(golden._load()), {}, prefix={"rows_of_class": SLEEPER})
    (tmp_path / "subs" / "sleeper").mkdir(parents=True)
    (tmp_path / "subs" / "sleeper" / "01_tensors.ipynb").write_text(json.dumps(nb))
    command = [sys.executable, "-m", "labkit", "grade", str(tmp_path / "subs"), "--out",
               str(tmp_path / "out"), "--jobs", "1", "--quiet", "--timeout", "900"]
    grader = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL,
                              env={**os.environ, "LABKIT_GRADE_SALT": "left"})
    try:
        deadline = time.monotonic() + 180
        while not any(f"sleep {MARK}" in c for _, c in _processes().values()):
            assert grader.poll() is None and time.monotonic() < deadline, "never started"
            time.sleep(0.2)
        family = _descendants(grader.pid)
        assert len(family) >= 3  # fork server, the child (and its namespace's init), sleep
        os.kill(grader.pid, signal.SIGKILL)  # the grader alone
        grader.wait()
        # gone within seconds on an idle machine; a generous bound for a loaded one
        deadline = time.monotonic() + 60
        while family & set(_processes()) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = {pid: c for pid, (_, c) in _processes().items() if pid in family}
        assert not left, left
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
    owner = f"{leftovers.PREFIX}{grader.pid}-"
    folders = list(Path(tempfile.gettempdir()).glob(f"{owner}*"))
    assert folders, "the killed grader left no run folder to sweep (was it named?)"
    leftovers.sweep()
    assert not any(folder.exists() for folder in folders)
    root = cgroup.group_path("x")
    if root is not None:
        assert not list(root.parent.glob(f"{cgroup.PREFIX}{grader.pid}-*"))


def test_a_live_graders_folder_is_never_swept():
    mine = leftovers.new_run_folder()
    try:
        leftovers.sweep()
        assert mine.exists()
        assert leftovers.is_stale("999999999-1-x") and not leftovers.is_stale("not-a-tag")
    finally:
        mine.rmdir()
