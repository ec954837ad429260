"""Executed copies: kept, and reused only while they stand for their notebook."""

import json

import nbformat
import pytest

from labkit import settings
from labkit.site.execute import NotebookError, execute, is_current


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def test_a_copy_is_current_until_its_notebook_or_the_switches_change(tmp_path, monkeypatch):
    """Is a run reused for the same notebook and switches, and run again otherwise?"""
    source = _notebook(tmp_path / "a.ipynb", "print(6 * 7)")
    target = tmp_path / "out" / "a.ipynb"
    nb = execute(source, target)
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    assert json.loads(target.read_text())["metadata"]["labkit"]["executed"]["seconds"] >= 0
    assert is_current(target, source)
    monkeypatch.setenv("LABKIT_FAST", "0" if settings.fast() else "1")
    assert not is_current(target, source)  # other switches: run again
    monkeypatch.undo()
    _notebook(source, "print(6 * 8)")
    assert not is_current(target, source)  # a changed notebook: run again
    assert not is_current(tmp_path / "missing.ipynb", source)


def test_a_failing_cell_is_named_and_nothing_is_kept(tmp_path):
    source = _notebook(tmp_path / "b.ipynb", "x = 1", "raise ValueError('planted')")
    with pytest.raises(NotebookError, match=r"b.ipynb, cell 2 `raise ValueError\('planted'\)`"):
        execute(source, tmp_path / "out" / "b.ipynb")
    assert not (tmp_path / "out" / "b.ipynb").exists()
