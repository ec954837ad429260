"""Results as HTML, Markdown and plain text; escaping; how check() shows them."""

import pytest

from labkit.check import Note, Outcome, Result
from labkit.check.result import _md_escape
from labkit.exercises import bind


def sample(outcome=Outcome.INCORRECT, found="`<b>`*bold* 1 | 2"):
    return Result(name="relu", outcome=outcome, points=0, max_points=1,
                  details=(("Checked", "the values of `relu(x)`"), ("Found", found)))


def test_plain_text_form():
    assert sample().text().splitlines() == [
        "`relu`: incorrect (0/1 point)",
        "Checked: the values of `relu(x)`",
        "Found: `<b>`*bold* 1 | 2",
    ]


def test_html_is_escaped_and_coloured_by_outcome():
    html = sample().html()
    assert "<code>&lt;b&gt;</code>" in html and "<b>*bold*" not in html
    assert "labkit-incorrect" in html and "#c62828" in html
    assert "labkit-passed" in sample(Outcome.PASSED).html()


def test_html_headline_has_no_gap_before_the_colon_and_text_of_the_notebook_size():
    """Is the headline's name a code span without padding (JupyterLab pads code, which
    looks like a space before the colon), and does the body inherit the notebook's font?"""
    html = sample().html()
    assert '<b><code style="padding:0">relu</code>: incorrect' in html
    assert "font-size" not in html and "font-family" not in html
    note = Note("Hint 1 of 2 for `relu`", "Use `x.clamp(min=0)`.").html()
    assert "font-size" not in note and '<code style="padding:0">relu</code>' in note


def test_markdown_is_escaped_outside_code():
    md = sample().markdown()
    assert "`<b>`\\*bold\\* 1 \\| 2" in md
    assert _md_escape("a_b `c_d`") == "a\\_b `c_d`"


def test_no_emoji_in_any_form():
    for outcome in Outcome:
        for text in (sample(outcome).text(), sample(outcome).html(), sample(outcome).markdown()):
            assert all(ord(ch) < 0x2000 for ch in text), text


def test_outcome_parse_accepts_spellings_and_rejects_others():
    assert Outcome.parse("not-attempted") is Outcome.NOT_ATTEMPTED
    assert Outcome.parse("NOT_ATTEMPTED") is Outcome.NOT_ATTEMPTED
    assert Outcome.parse("error in your code") is Outcome.LEARNER_ERROR
    with pytest.raises(ValueError, match="use one of"):
        Outcome.parse("great")


def test_check_prints_text_outside_a_notebook_and_returns_nothing(capsys, monkeypatch):
    monkeypatch.delenv("LABKIT_EXPECT", raising=False)
    q = bind("00_setup", {})
    assert q.device.check() is None
    assert capsys.readouterr().out.startswith("`device`: not attempted (0/1 point)")


def test_check_raises_under_the_test_harness_when_the_outcome_differs(monkeypatch):
    monkeypatch.setenv("LABKIT_EXPECT", "passed")
    q = bind("00_setup", {})
    with pytest.raises(AssertionError, match="LABKIT_EXPECT=passed"):
        q.device.check()


def test_hint_and_solution_are_notes(capsys):
    q = bind("00_setup", {})
    q.device.hint()
    q.device.hint(99)  # clamps to the last hint
    q.device.solution()
    out = capsys.readouterr().out
    assert "Hint 1 of 2 for `device` (try `hint(2)` for more)" in out
    assert "Hint 2 of 2 for `device`\n" in out
    assert "Solution: A device the program supports" in out and "torch.device(\"cpu\")" in out
    assert "<pre" in Note("t", "```python\nx = 1\n```").html()
