"""The `labkit` command."""

import shutil
import subprocess
import sys
from pathlib import Path

from labkit.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_doctor_prints_the_report(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for label in ("Python", "PyTorch", "torchvision", "CUDA", "Device to use", "MNIST"):
        assert label in out


def test_build_check_fails_on_a_broken_source(tmp_path, capsys):
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / "README.md").write_text("<!-- chapters:begin -->\n<!-- chapters:end -->\n")
    (tmp_path / "notebooks" / "src").mkdir(parents=True)
    source = tmp_path / "notebooks" / "src" / "01_tensors.py"
    source.write_text("# %%\n### BEGIN SOLUTION\nx = 1\n")
    assert main(["build", "--root", str(tmp_path)]) == 2
    assert "never closed" in capsys.readouterr().err


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


def test_console_script_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "labkit", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "doctor" in out and "build" in out
