"""The `labkit` command: every user mistake is one line with its cause and fix, a non-zero
exit code and no traceback, found before any work starts."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from labkit import cli, doctor
from labkit.cli import main

REPO = Path(__file__).resolve().parents[1]
COMMANDS = [["doctor"], ["build", "--check"], ["site", "--out", "x"], ["i18n", "stats"],
            ["release"], ["grade", "subs", "--out", "o"], ["gradebook", "export", "o"],
            ["gradebook", "merge", "a", "--out", "o"]]


def one_line_error(capsys, *, command: str = "") -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{captured.err}"
    assert "Traceback" not in captured.err + captured.out
    assert lines[0].startswith(f"labkit {command}".strip()), lines[0]
    return lines[0]


@pytest.fixture
def subs(tmp_path):
    """A folder holding one submitted notebook (never graded: each test stops before)."""
    folder = tmp_path / "subs" / "alice"
    folder.mkdir(parents=True)
    shutil.copy(REPO / "notebooks" / "01_tensors.ipynb", folder)
    return tmp_path / "subs"


# --- version, -q and -v -------------------------------------------------------------------
def test_version_comes_from_pyproject(capsys):
    import labkit

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"labkit {labkit.__version__}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("flag", ["-q", "-v", "--quiet", "--verbose"])
def test_every_command_takes_quiet_and_verbose(command, flag):
    args = cli.parser().parse_args([*command, flag])
    assert args.quiet or args.verbose


def test_quiet_and_verbose_together_are_refused(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["doctor", "-q", "-v"])
    assert stop.value.code == 2
    assert "not allowed with" in one_line_error(capsys, command="doctor")


def test_an_argparse_mistake_is_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["grade", "x", "--out", "o", "--jobs", "many"])
    assert stop.value.code == 2
    line = one_line_error(capsys, command="grade")
    assert "invalid int value: 'many'" in line and "--help" in line


# --- grade: options refused before any work ----------------------------------------------
@pytest.mark.parametrize("options, says", [
    (["--jobs", "0"], "--jobs 0: give the number of parallel workers as a whole number"),
    (["--jobs", "-3"], "--jobs -3: give the number of parallel workers"),
    (["--timeout", "0"], "--timeout 0: give the seconds each submission may run"),
    (["--timeout", "-5"], "--timeout -5"),
    (["--timeout", "nan"], "--timeout nan"),
    (["--timeout", "inf"], "--timeout inf"),
    (["--memory", "0"], "--memory 0: give the megabytes each submission may use"),
    (["--memory", "-1"], "--memory -1"),
    (["--chapter", "99_nope"], "--chapter 99_nope: no such chapter; choose one of 00_setup"),
    (["--chapter", "03_mpl"], "did you mean 03_mlp?"),
    (["--shard", "9/2"], "--shard '9/2': I must be between 0 and N-1"),
    (["--shard", "half"], "--shard 'half': write I/N"),
])
def test_bad_grade_options_are_refused_before_any_work(subs, tmp_path, capsys, options, says):
    out = tmp_path / "grades"
    assert main(["grade", str(subs), "--out", str(out), *options]) == 2
    assert says in one_line_error(capsys, command="grade")
    assert not out.exists()  # nothing was started


def test_a_folder_without_notebooks_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "grades"
    assert main(["grade", str(tmp_path / "empty"), "--out", str(out)]) == 2
    line = one_line_error(capsys, command="grade")
    assert "no notebooks (*.ipynb) found in" in line and "submissions/<student>" in line
    assert not out.exists()


def test_a_file_that_is_not_a_notebook_is_refused(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a notebook")
    assert main(["grade", str(notes), "--out", str(tmp_path / "o")]) == 2
    assert "notes.txt is not a notebook (.ipynb)" in one_line_error(capsys, command="grade")


def test_a_missing_submission_path_is_refused(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file or folder" in one_line_error(capsys, command="grade")


def test_out_that_is_a_file_is_refused(subs, tmp_path, capsys):
    target = tmp_path / "grades.txt"
    target.write_text("keep me")
    assert main(["grade", str(subs), "--out", str(target)]) == 2
    assert "is a file, not a folder" in one_line_error(capsys, command="grade")
    assert target.read_text() == "keep me"
    assert main(["grade", str(subs), "--out", str(target / "inside")]) == 2
    assert "cannot be created" in one_line_error(capsys, command="grade")


def _run_without_root_powers(args, cwd):
    """The command in a child process that obeys file permissions. Root writes anywhere,
    so as root the child drops the capabilities that let it (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH) before it starts, as a plain user's process would lack them."""
    def drop():
        if os.getuid() == 0:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
                if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                    raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")

    return subprocess.run([sys.executable, "-m", "labkit", *args], cwd=cwd,
                          capture_output=True, text=True, preexec_fn=drop, timeout=120)


def test_a_read_only_out_folder_is_refused_and_left_alone():
    scratch = Path(tempfile.mkdtemp(prefix="labkit-cli-"))
    try:
        subs = scratch / "subs" / "alice"
        subs.mkdir(parents=True)
        shutil.copy(REPO / "notebooks" / "01_tensors.ipynb", subs)
        locked = scratch / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        for out in (locked, locked / "grades"):
            done = _run_without_root_powers(["grade", str(scratch / "subs"), "--out", str(out)],
                                            scratch)
            assert done.returncode == 2, done.stderr
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and "read-only" in lines[0], done.stderr
            assert "Traceback" not in done.stderr
        assert stat.S_IMODE(locked.stat().st_mode) == 0o555
        assert list(locked.iterdir()) == []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_an_existing_out_folder_keeps_its_permissions(tmp_path):
    """The gradebook made a new folder private, but changed an existing one to 700."""
    from labkit.grade.gradebook import Gradebook

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    Gradebook(shared).close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    Gradebook(tmp_path / "new").close()
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


# --- release and gradebook ----------------------------------------------------------------
def test_release_out_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["release", "--out", str(target)]) == 2
    assert "is a file, not a folder" in one_line_error(capsys, command="release")


def test_gradebook_mistakes_are_one_line(tmp_path, capsys):
    from labkit.grade.gradebook import Gradebook

    target = tmp_path / "file"
    target.write_text("x")
    Gradebook(tmp_path / "shard").close()
    assert main(["gradebook", "merge", str(tmp_path / "shard"), "--out", str(target)]) == 2
    assert "is a file, not a folder" in one_line_error(capsys, command="gradebook")
    assert main(["gradebook", "merge", str(tmp_path), "--out", str(tmp_path / "joined")]) == 2
    assert "holds no gradebook.sqlite" in one_line_error(capsys, command="gradebook")
    assert not (tmp_path / "joined").exists()
    assert main(["gradebook", "export", str(tmp_path / "none")]) == 2
    assert "no such folder" in one_line_error(capsys, command="gradebook")
    assert main(["gradebook", "export", str(tmp_path)]) == 2
    assert "no gradebook here; run labkit grade first" in one_line_error(capsys,
                                                                            command="gradebook")


# --- build, site, i18n outside a course -------------------------------------------------
@pytest.mark.parametrize("command", [["build"], ["site"], ["i18n", "check"]])
def test_commands_outside_the_course_say_where_to_run(tmp_path, capsys, command):
    assert main([*command, "--root", str(tmp_path)]) == 2
    assert "has no notebooks/src; run it in the course repository or pass --root" in \
        one_line_error(capsys, command=command[0])


def test_site_refuses_a_bad_out_and_jobs(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["site", "--root", str(REPO), "--out", str(target)]) == 2
    assert "is a file, not a folder" in one_line_error(capsys, command="site")
    assert main(["site", "--root", str(REPO), "--out", str(tmp_path / "s"), "--jobs", "0"]) == 2
    assert "--jobs 0" in one_line_error(capsys, command="site")


def test_build_check_fails_on_a_broken_source(tmp_path, capsys):
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / "README.md").write_text("<!-- chapters:begin -->\n<!-- chapters:end -->\n")
    (tmp_path / "notebooks" / "src").mkdir(parents=True)
    source = tmp_path / "notebooks" / "src" / "01_tensors.py"
    source.write_text("# %%\n### BEGIN SOLUTION\nx = 1\n")
    assert main(["build", "--root", str(tmp_path)]) == 2
    assert "never closed" in one_line_error(capsys, command="build")


def test_build_check_lists_stale_files(tmp_path, capsys):
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / "README.md").write_text("<!-- chapters:begin -->\n<!-- chapters:end -->\n"
                                        "<!-- teaches:begin -->\n<!-- teaches:end -->\n")
    (tmp_path / "notebooks" / "src").mkdir(parents=True)
    (tmp_path / "notebooks" / "src" / "01_tensors.py").write_text(
        '# ---\n# jupyter:\n#   labkit:\n#     teaches: "x"\n# ---\n\n# %%\nx = 1\n')
    assert main(["build", "--check", "--root", str(tmp_path)]) == 1
    assert "01_tensors.ipynb" in capsys.readouterr().err
    assert main(["build", "--root", str(tmp_path)]) == 0
    assert main(["build", "--check", "--root", str(tmp_path)]) == 0
    (tmp_path / "notebooks" / "01_tensors.ipynb").unlink()
    capsys.readouterr()
    assert main(["build", "-q", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


# --- errors that are not the user's --------------------------------------------------------
def test_an_unexpected_error_is_one_line_and_verbose_shows_the_traceback(monkeypatch, capsys):
    def broken(args):
        raise ZeroDivisionError("planted")

    monkeypatch.setitem(cli.COMMANDS, "doctor", broken)
    assert main(["doctor"]) == 1
    line = one_line_error(capsys, command="doctor")
    assert "ZeroDivisionError: planted" in line and "-v" in line
    with pytest.raises(ZeroDivisionError):
        main(["doctor", "-v"])


def test_a_disk_error_is_one_line(monkeypatch, capsys):
    def full(args):
        raise OSError(28, "No space left on device", "/data/grades/gradebook.sqlite")

    monkeypatch.setitem(cli.COMMANDS, "doctor", full)
    assert main(["doctor"]) == 2
    assert "/data/grades/gradebook.sqlite: No space left on device" in one_line_error(
        capsys, command="doctor")


def test_ctrl_c_is_one_line(monkeypatch, capsys):
    def stop(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "doctor", stop)
    assert main(["doctor"]) == 130
    assert "interrupted" in one_line_error(capsys)


# --- doctor -------------------------------------------------------------------------------
def test_doctor_reports_every_part_the_course_needs(capsys):
    code = main(["doctor"])
    out = capsys.readouterr().out
    for label in ("Python", "PyTorch", "torchvision", "CUDA", "Device to use", "JupyterLab",
                  "ipywidgets", "widgets extension", "onnx", "onnxruntime", "onnxscript",
                  "CJK font", "MNIST"):
        assert label in out, label
    assert "MNIST  MNIST" not in out and "MNIST: " not in out
    assert code == (0 if "MISSING" not in out else 1)


def test_doctor_exits_1_and_names_the_fix_when_a_part_is_missing(monkeypatch, capsys):
    real, look = doctor.parts(), doctor.widgets_extension
    monkeypatch.setattr(doctor, "widgets_extension", lambda: look([]))
    monkeypatch.setattr(doctor, "_version",
                        lambda name: None if name == "onnxruntime" else "9.9")
    assert main(["doctor", "-q"]) == 1
    out = capsys.readouterr().out
    assert "MISSING  widgets extension" in out and "pip install jupyterlab_widgets" in out
    assert "MISSING  onnxruntime" in out
    assert "2 part(s) missing: widgets extension, onnxruntime." in out
    assert "ok " not in out  # -q: only the problems
    assert real  # the real parts were read without error


def test_doctor_parts_each_detect_their_fault(monkeypatch, tmp_path):
    assert not doctor.package("no-such-package-here").found
    manifest = tmp_path / doctor.WIDGETS_EXTENSION / "package.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"version": "5.0.1"}')
    assert doctor.widgets_extension([tmp_path]).detail.endswith("5.0.1")
    assert not doctor.widgets_extension([tmp_path / "nothing"]).found
    monkeypatch.setattr(doctor, "_version", lambda name: "2.6.0")
    old = doctor.torch_part()
    assert not old.found and "2.6.0 is too old" in old.detail and "2.7" in old.fix
    monkeypatch.setattr(doctor, "_version", lambda name: "2.14.1+cu130")
    assert doctor.torch_part().found


def test_doctor_reports_a_missing_cjk_font(monkeypatch):
    import labkit.i18n.fonts as fonts

    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    part = doctor.cjk_font_part()
    assert not part.found and "fonts-noto-cjk" in part.fix


def test_console_script_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "labkit", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "doctor" in out and "build" in out and "site" in out


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "labkit", "grade", str(tmp_path), "--out",
                           str(tmp_path / "o"), "--jobs", "-3"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "max_workers" not in done.stderr
