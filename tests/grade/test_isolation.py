"""The fences around student code: Landlock, the sandbox, and clear messages without them."""

import os
import shutil

import grade_fixtures as golden
import pytest

from labkit.grade import landlock, sandbox
from labkit.grade.batch import grade


@pytest.mark.skipif(landlock.abi_version() < 1, reason="this kernel has no Landlock")
def test_landlock_keeps_writes_in_the_working_folder(tmp_path):
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked child
        code = 1
        try:
            if landlock.restrict_writes([str(inside)]):
                (inside / "ok").write_text("ok")
                try:
                    outside.write_text("escaped")
                except PermissionError:
                    code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert (inside / "ok").exists() and not outside.exists()


def test_sandbox_without_bubblewrap_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.bwrap_path()


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_sandboxed_grading_gives_the_same_marks(tmp_path):
    golden.write_all(tmp_path / "subs", cases=["correct", "wrong", "writes_next_to_gradebook"])
    out = tmp_path / "out"
    book = grade([tmp_path / "subs"], out, jobs=2, timeout=120, sandbox=True, salt="s",
                 progress=False, echo=lambda text: None)
    totals = {}
    for row in book.results():
        totals[row["student"]] = totals.get(row["student"], 0) + row["points"]
    assert totals == {"correct": 7, "wrong": 0, "writes_next_to_gradebook": 7}
    assert not (out / "planted.txt").exists()
