"""Solution regions become stubs for learners and stay for the solved notebook."""

import pytest

from labkit.notebook import RegionError, learner, solved

FUNCTION = """\
def relu(x):
    ### BEGIN SOLUTION
    return x.clamp(min=0)
    ### END SOLUTION"""


def test_function_body_becomes_a_raising_stub():
    assert learner(FUNCTION) == (
        "def relu(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert solved(FUNCTION) == "def relu(x):\n    return x.clamp(min=0)"


def test_top_level_assignments_become_placeholders():
    source = "### BEGIN SOLUTION\nif a:\n    device = 1\nelse:\n    device = 2\nw, b = 1, 2\n" \
             "### END SOLUTION\nprint(1)"
    assert learner(source) == "# YOUR CODE HERE\ndevice = ...\nw = ...\nb = ...\nprint(1)"


def test_top_level_function_keeps_its_signature():
    source = "### BEGIN SOLUTION\ndef f(x, *, k=2):\n    return x * k\n### END SOLUTION"
    assert learner(source) == (
        "# YOUR CODE HERE\ndef f(x, *, k=2):\n    raise NotImplementedError()"
    )


def test_explicit_stub_replaces_the_automatic_one():
    source = ("### BEGIN SOLUTION\nmodel = big()\n### END SOLUTION\n"
              "### BEGIN STUB\nmodel = small()  # replace\n### END STUB\nfit(model)")
    assert learner(source) == "# YOUR CODE HERE\nmodel = small()  # replace\nfit(model)"
    assert solved(source) == "model = big()\nfit(model)"


def test_the_solution_never_leaks_into_the_learner_form():
    source = FUNCTION + "\n\n### BEGIN SOLUTION\nsecret_answer = 42\n### END SOLUTION"
    text = learner(source)
    assert "clamp" not in text and "42" not in text


@pytest.mark.parametrize("source, words", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without a matching"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside an open region"),
    ("x = 1  ### BEGIN SOLUTION", "must stand alone"),
    ("### BEGIN SOLUTION\nx = (\n### END SOLUTION", "does not parse"),
])
def test_malformed_regions_name_the_line_and_the_fix(source, words):
    with pytest.raises(RegionError, match=words) as info:
        learner(source, where="03_mlp.py, cell 4")
    assert "03_mlp.py, cell 4" in str(info.value)
