"""The fences around student code, one by one: Landlock, namespaces for an unprivileged
grader, the view, bubblewrap's absence, and refusing to grade without any (class 4 of
issue 18; the whole batch under each fence is in test_confidentiality.py)."""

import os
import shutil
import sys
from pathlib import Path

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


def _in_a_fork(body) -> int:
    """Run ``body()`` in a forked process; its return value is the exit code."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked child
        code = 99
        try:
            code = body()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status)


@pytest.mark.skipif(landlock.abi_version() < 1, reason="this kernel has no Landlock")
def test_landlock_reads_only_the_view_and_never_a_masked_file(tmp_path):
    shown, hidden, masked = tmp_path / "shown", tmp_path / "hidden", tmp_path / "shown" / "m"
    shown.mkdir()
    hidden.mkdir()
    (shown / "a").write_text("a")
    masked.write_text("labels")
    (hidden / "b").write_text("b")

    def body():
        fence = landlock.restrict(writable=[], readable=[str(shown)], masked=[str(masked)])
        if not fence.get("reads"):
            return 2
        if (shown / "a").read_text() != "a":
            return 3
        for path in (hidden / "b", masked):
            try:
                path.read_text()
                return 4
            except PermissionError:
                pass
        return 0

    assert _in_a_fork(body) == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_an_unprivileged_grader_gets_the_same_private_root():
    """The namespace level for a grader that is not root: a user namespace of its own."""
    import tempfile

    from labkit.grade import namespaces, privileges, view

    folder = Path(tempfile.mkdtemp())  # pytest's own folders are closed to other users
    os.chmod(folder, 0o755)
    root = folder / "root"
    root.mkdir()
    # What this stand-in user can read (Python may live where it cannot, under /root).
    full = view.build()
    seen = view.View([Path("/usr")], full.links, full.devices)

    def body():
        import ctypes

        os.setgid(65534)
        os.setuid(65534)  # an ordinary user from here on...
        ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # ...dumpable, as one that never was root
        try:
            namespaces.enter(as_user=True)
        except OSError:
            return 5  # unprivileged user namespaces are turned off here
        pid = os.fork()
        if pid:
            return os.WEXITSTATUS(os.waitpid(pid, 0)[1])
        try:
            namespaces.build_root(str(root), seen, owner=None)
            privileges.drop()
            ok = (os.path.exists("/usr") and not os.path.exists(str(folder))
                  and os.listdir("/proc") and os.getcwd() == "/tmp/work"
                  and os.getuid() == 65534)
            os._exit(0 if ok else 6)
        except BaseException:  # noqa: BLE001
            os._exit(7)

    code = _in_a_fork(body)
    shutil.rmtree(folder)
    if code == 5:
        pytest.skip("this kernel does not let an ordinary user make namespaces")
    assert code == 0


def test_the_view_holds_python_and_labkit_but_not_the_course_around_it():
    from labkit.grade import view

    seen = view.build(data_dir="/nonexistent-data")
    labkit = view.labkit_package()
    assert labkit in seen.readable or any(labkit.is_relative_to(p) for p in seen.readable)
    assert labkit.parent not in seen.readable  # the repository: tests, solved notebooks
    assert Path(sys.base_prefix) in seen.readable or any(
        Path(sys.base_prefix).is_relative_to(p) for p in seen.readable)
    assert not any(str(p).startswith(("/home", "/etc/shadow")) for p in seen.readable)


def test_no_read_protection_means_no_grading_unless_unsafe(tmp_path, monkeypatch, capsys):
    from labkit.cli import main
    from labkit.grade import isolation

    monkeypatch.setitem(isolation.REQUESTS, "auto", ("landlock",))
    monkeypatch.setattr(isolation, "precheck", lambda level: (
        "pretend this kernel has none" if level != "none" else None))
    golden.write_all(tmp_path / "subs", cases=["correct"])
    monkeypatch.setenv("LABKIT_GRADE_SALT", "u")
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                 "--quiet"]) == 2
    said = capsys.readouterr().err
    assert "pretend this kernel has none" in said and "--unsafe" in said
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    book = grade([tmp_path / "subs"], tmp_path / "out", unsafe=True, timeout=120,
                 progress=False, echo=lambda text: None)
    assert book.runs()[-1]["protections"]["reads"] == "not protected (--unsafe)"
    assert sum(r["points"] for r in book.results()) == 7
