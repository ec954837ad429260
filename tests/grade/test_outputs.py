"""Class 5 of issue 18, unit by unit: outputs safe to open (labkit.grade.escape)."""

import pytest

from labkit.grade.escape import csv_cell, fence, file_names, markdown, safe_name


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1"])
def test_a_cell_a_spreadsheet_would_evaluate_is_quoted(cell):
    assert csv_cell(cell) == "'" + cell


def test_other_cells_are_left_alone():
    assert [csv_cell(c) for c in ("alice", "", "7", 7, None)] == ["alice", "", "7", 7, None]


def test_markdown_escaping_leaves_no_tag_and_no_formatting():
    text = markdown("<img src=x onerror=alert(1)> **bold** [link](http://x) `code`\n# h")
    assert "<" not in text and ">" not in text
    assert "\\*\\*bold\\*\\*" in text and "\\[link\\]" in text and "\\`code\\`" in text
    assert "\n" not in text


def test_a_fence_is_longer_than_any_backticks_inside():
    opening, body, closing = fence("a ```` b")
    assert opening == "`````text" and closing == "`````" and body == "a ```` b"


@pytest.mark.parametrize("name", ["alice", "bob.smith", "X_1-2"])
def test_a_safe_name_is_kept(name):
    assert safe_name(name) == name


@pytest.mark.parametrize("name", ["Bob Jones?", "a/b", "con", "LPT1.txt", "..", "x.",
                                  'q"uote', "<b>", ""])
def test_an_unsafe_name_gets_a_safe_file_name_with_a_hash(name):
    safe = safe_name(name)
    assert not set(safe) & set('<>:"/\\|?*') and not safe.endswith((".", " "))
    assert safe.split(".")[0].lower() not in ("con", "lpt1")  # CON, CON.txt: reserved
    assert safe != name and len(safe.rsplit("-", 1)[1]) == 8


def test_names_that_meet_on_a_case_blind_disk_are_kept_apart():
    names = file_names(["Bob", "bob", "BOB", "alice"])
    assert len({n.casefold() for n in names.values()}) == 4
    assert names["alice"] == "alice"
