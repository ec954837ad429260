"""Reading submissions without trusting them, and putting protected cells back."""

import json

import pytest

from labkit.grade.restore import restore
from labkit.grade.submission import Invalid, chapter_from_name, find, read


@pytest.mark.parametrize("data, words", [
    (b"", "empty"), (b"{", "not valid JSON"), (b"\xff\xfe", "not text"),
    (b"[]", "not a Jupyter notebook"), (b'{"nbformat": 3, "cells": []}', "format 3"),
    (b'{"nbformat": 4, "cells": [{"cell_type": "weird"}]}', "cell 1"),
])
def test_bad_files_are_invalid_with_a_reason(tmp_path, data, words):
    path = tmp_path / "03_mlp.ipynb"
    path.write_bytes(data)
    with pytest.raises(Invalid, match=words):
        read(path)


def test_students_and_chapters_come_from_the_layout(tmp_path):
    for path in ["subs/alice/03_mlp.ipynb", "subs/bob/work/04_cnn.ipynb",
                 "subs/carol_01_tensors.ipynb", "subs/.ipynb_checkpoints/x.ipynb"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("{}")
    found = {(s.student, s.chapter_hint) for s in find([tmp_path / "subs"])}
    assert found == {("alice", "03_mlp"), ("bob", "04_cnn"), ("carol", "01_tensors")}
    assert chapter_from_name("04b_optimizers-x.ipynb") == "04b_optimizers"


def _nb(*cells):
    return {"nbformat": 4, "cells": [
        {"cell_type": "code", "id": cid, "source": src, "metadata": {"tags": list(tags)}}
        for cid, src, tags in cells]}


def test_protected_cells_come_back_and_learner_cells_stay():
    chapter = _nb(("imp", "import torch", ("protected",)), ("ex", "f = ...", ("exercise",)),
                  ("chk", "q.f.check()", ("protected",)), ("demo", "plot()", ()))
    submitted = _nb(("imp", "import torch\ntorch.allclose = None", ()),
                    ("ex", "def f(): return 1", ()), ("new", "helper = 2", ()))
    out = restore(json.loads(json.dumps(submitted)), chapter)
    sources = [c.source for c in out.cells]
    assert sources == ["import torch", "def f(): return 1", "helper = 2", "q.f.check()",
                       "plot()"]
    assert any("changed" in n for n in out.notes)
    assert not out.missing


def test_a_deleted_exercise_cell_is_missing_not_invented():
    chapter = _nb(("imp", "import torch", ("protected",)), ("ex", "f = ...", ("exercise",)))
    out = restore(_nb(("imp", "import torch", ())), chapter)
    assert [c.id for c in out.missing] == ["ex"]
    assert [c.source for c in out.cells] == ["import torch"]
