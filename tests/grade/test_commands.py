"""The instructor commands: release, grade and gradebook, as a person types them."""

import grade_fixtures as golden
import pytest

from labkit.cli import main


def test_release_writes_notebooks_and_refuses_to_overwrite_changes(tmp_path, capsys):
    out = tmp_path / "release"
    assert main(["release", "--out", str(out)]) == 0
    notebooks = sorted(p.name for p in out.glob("*.ipynb"))
    assert "01_tensors.ipynb" in notebooks
    (out / "01_tensors.ipynb").write_text("changed by hand")
    assert main(["release", "--out", str(out)]) == 1
    assert "01_tensors.ipynb" in capsys.readouterr().out
    assert (out / "01_tensors.ipynb").read_text() == "changed by hand"
    assert main(["release", "--out", str(out), "--force"]) == 0
    assert (out / "01_tensors.ipynb").read_text() != "changed by hand"


def test_a_chinese_release_is_the_committed_chinese_notebook(tmp_path):
    from pathlib import Path

    out = tmp_path / "release-zh"
    assert main(["release", "--out", str(out), "--language", "zh"]) == 0
    committed = Path(__file__).resolve().parents[2] / "notebooks" / "zh" / "01_tensors.ipynb"
    assert (out / "01_tensors.ipynb").read_text() == committed.read_text()


def test_grade_export_and_merge_from_the_command_line(tmp_path, capsys, monkeypatch):
    golden.write_all(tmp_path / "subs", cases=["correct", "empty_file"])
    out = tmp_path / "out"
    monkeypatch.setenv("LABKIT_GRADE_SALT", "x")
    assert main(["grade", str(tmp_path / "subs"), "--out", str(out), "--jobs", "1",
                 "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "1 graded, 1 invalid" in said and "gradebook.csv" in said
    assert "Protections in effect" in said
    (out / "lms.csv").unlink()
    assert main(["gradebook", "export", str(out), "--format", "lms"]) == 0
    assert (out / "lms.csv").read_text().startswith("student,01_tensors")
    (out / "feedback" / "correct" / "01_tensors.md").unlink()
    assert main(["gradebook", "export", str(out)]) == 0  # the CSV and the feedback again
    assert (out / "feedback" / "correct" / "01_tensors.md").exists()
    assert main(["gradebook", "merge", str(out), "--out", str(tmp_path / "joined")]) == 0
    assert (tmp_path / "joined" / "gradebook.csv").exists()


def test_bad_arguments_get_a_clear_message(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--salt", "s"]) == 2
    assert "--salt-file" in capsys.readouterr().err  # a secret never goes on a command line
    (tmp_path / "salt").write_text("")
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--salt-file",
                 str(tmp_path / "salt")]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--shard", "9/2"]) == 2
    assert main(["gradebook", "export", str(tmp_path)]) == 2
    with pytest.raises(SystemExit):
        main(["grade"])
