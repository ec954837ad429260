"""Finding submissions and reading them without trusting them (discover, read, restore)."""

import json
import os

import pytest

from labkit.grade import discover, read
from labkit.grade.pipeline import Stop
from labkit.grade.restore import restore


def _nb(*cells, **extra):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, **extra, "cells": [
        {"cell_type": "code", "id": cid, "source": src, "metadata": {"tags": list(tags)}}
        for cid, src, tags in cells]}


@pytest.mark.parametrize("data, words", [
    (b"{", "not valid JSON"), (b"\xff\xfe", "not text"),
    (b"[]", "not a Jupyter notebook"), (b'{"nbformat": 3, "cells": []}', "format 3"),
    (b'{"nbformat": 4, "cells": [{"cell_type": "weird"}]}', "cell 1"),
    (b'{"nbformat": 4, "metadata": [], "cells": []}', "`metadata` is not a mapping"),
    (b'{"nbformat": 4, "metadata": {"labkit": 5}, "cells": []}', "course metadata"),
    (json.dumps(_nb(("a", "x = 1", ()))).replace('"tags": []', '"tags": 5').encode(),
     "`tags` are not a list"),
    (json.dumps(_nb(("a b", "x = 1", ()))).encode(), "`id` is malformed"),
    (b'{"nbformat": 4, "cells": [], "metadata": {"x": ' + b"[" * 100_000 + b"]" * 100_000
     + b"}}", "nested too deeply"),
    (b'{"nbformat": 4, "cells": [], "metadata": {"x": ' + b"[" * 200 + b"]" * 200 + b"}}",
     "nested too deeply"),
    (b'{"nbformat": 4, "cells": [], "metadata": {"x": 1' + b"0" * 5000 + b"}}",
     "not valid JSON"),
])
def test_bad_notebooks_are_invalid_with_a_reason(data, words):
    """Is every malformed notebook refused by the read step, never by a traceback?"""
    with pytest.raises(Stop) as stop:
        read.parse(data)
    assert stop.value.status == "invalid"
    assert words in stop.value.reason.english()


def test_only_regular_files_are_read(tmp_path):
    """A FIFO would block for ever, a link would read another student's file."""
    (tmp_path / "empty.ipynb").write_bytes(b"")
    os.mkfifo(tmp_path / "fifo.ipynb")
    (tmp_path / "real.ipynb").write_text("{}")
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "real.ipynb")
    for name, words in [("empty.ipynb", "empty"), ("fifo.ipynb", "not a regular file"),
                        ("link.ipynb", "link")]:
        with pytest.raises(Stop, match=words):
            read.read_bytes(tmp_path / name)
    (tmp_path / "big.ipynb").write_bytes(b" " * (2 * 2**20))
    with pytest.raises(Stop, match="over the 1 MB limit"):
        read.read_bytes(tmp_path / "big.ipynb", max_mb=1)
    assert read.read_bytes(tmp_path / "real.ipynb") == b"{}"


def test_students_and_chapters_come_from_the_layout_exactly(tmp_path):
    for path in ["subs/alice/03_mlp.ipynb", "subs/bob/work/04_cnn.ipynb",
                 "subs/carol_01_tensors.ipynb", "subs/.ipynb_checkpoints/x.ipynb",
                 "subs/Bob Jones/01_tensors.ipynb", "subs/Bob_Jones/01_tensors.ipynb"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("{}")
    (tmp_path / "subs" / "mallory").symlink_to(tmp_path / "subs" / "alice")
    found = {(f.student, f.chapter_hint) for f in discover.find([tmp_path / "subs"])}
    assert found == {("alice", "03_mlp"), ("bob", "04_cnn"), ("carol", "01_tensors"),
                     ("Bob Jones", "01_tensors"), ("Bob_Jones", "01_tensors"),
                     ("mallory", None)}  # the link is found, to be refused, never followed
    assert discover.chapter_from_name("04b_optimizers-x.ipynb") == "04b_optimizers"
    assert discover.similar_names(["Bob Jones", "Bob_Jones", "alice"]) == [
        ["Bob Jones", "Bob_Jones"]]


def test_metadata_naming_another_chapter_is_flagged_not_obeyed():
    notes = []
    nb = _nb(metadata={"labkit": {"chapter": "00_setup"}})
    assert read.chapter_for(nb, "03_mlp", notes) == "03_mlp"
    assert "flagged" in notes[0].english() and "00_setup" in notes[0].english()
    assert read.chapter_for(nb, None, []) == "00_setup"
    with pytest.raises(Stop, match="which chapter"):
        read.chapter_for(_nb(), None, [])


def test_protected_cells_come_back_and_learner_cells_stay():
    chapter = _nb(("imp", "import torch", ("protected",)), ("ex", "f = ...", ("exercise",)),
                  ("chk", "q.f.check()", ("protected",)), ("demo", "plot()", ()))
    submitted = _nb(("imp", "import torch\ntorch.allclose = None", ()),
                    ("ex", "def f(): return 1", ()), ("new", "helper = 2", ()))
    out = restore(json.loads(json.dumps(submitted)), chapter)
    sources = [c.source for c in out.cells]
    assert sources == ["import torch", "def f(): return 1", "helper = 2", "q.f.check()",
                       "plot()"]
    assert any("changed" in n.english() for n in out.notes)
    assert not out.missing


def test_a_deleted_exercise_cell_is_missing_not_invented():
    chapter = _nb(("imp", "import torch", ("protected",)), ("ex", "f = ...", ("exercise",)))
    out = restore(_nb(("imp", "import torch", ())), chapter)
    assert [c.id for c in out.missing] == ["ex"]
    assert [c.source for c in out.cells] == ["import torch"]


def test_cells_without_ids_match_by_their_source():
    """A notebook saved by an older Jupyter (nbformat 4.4, no cell ids) still restores."""
    import hashlib

    def cid(source):
        return hashlib.sha1(source.encode()).hexdigest()[:8] + "-1"

    chapter = _nb((cid("import torch"), "import torch", ("protected",)),
                  (cid("f = ..."), "f = ...", ("exercise",)),
                  (cid("q.f.check()"), "q.f.check()", ("protected",)))
    submitted = {"nbformat": 4, "cells": [
        {"cell_type": "code", "source": s, "metadata": {}}
        for s in ("import torch", "def f(): return 1", "q.f.check()")]}
    out = restore(submitted, chapter)
    assert [c.source for c in out.cells] == ["import torch", "def f(): return 1",
                                             "q.f.check()"]
    assert [c.origin for c in out.cells] == ["chapter", "added", "chapter"]
    assert not out.notes
