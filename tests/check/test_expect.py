"""Tensor-aware expectations: one problem at a time, in a fixed order and form."""

import pytest
import torch

from labkit.check import Incorrect, expect


def fails(fn, *args, **kwargs) -> Incorrect:
    with pytest.raises(Incorrect) as info:
        fn(*args, **kwargs)
    return info.value


def test_close_accepts_a_match_within_tolerance():
    x = torch.randn(3, 4)
    expect.close(x + 1e-7, x, name="x")


def test_close_reports_type_before_anything_else():
    err = fails(expect.close, [1.0, 2.0], torch.ones(2), name="y")
    assert (err.checked, err.expected, err.found) == (
        "the type of `y`", "a `Tensor`", "a list of length 2")


def test_close_reports_shape_before_dtype():
    err = fails(expect.close, torch.ones(3, dtype=torch.float64), torch.ones(2), name="y")
    assert err.checked == "the shape of `y`"
    assert (err.expected, err.found) == ("(2,)", "(3,)")


def test_close_reports_dtype():
    err = fails(expect.close, torch.ones(2, dtype=torch.int64), torch.ones(2), name="y")
    assert (err.checked, err.expected, err.found) == ("the dtype of `y`", "float32", "int64")


def test_close_reports_the_largest_difference_and_where():
    expected = torch.zeros(2, 3)
    actual = expected.clone()
    actual[1, 2] = 0.5
    actual[0, 0] = 0.1
    err = fails(expect.close, actual, expected, name="y")
    assert err.checked == "the values of `y`"
    assert err.found == "a difference of 0.5 at index (1, 2) (expected 0, found 0.5)"
    assert "1e-05" in err.expected


def test_close_reports_nan():
    err = fails(expect.close, torch.tensor([1.0, float("nan")]), torch.ones(2), name="y")
    assert err.found == "NaN at index 1"


def test_close_on_numbers():
    expect.close(4.5, 4.5, name="g")
    expect.close(torch.tensor(4.5), 4.5, name="g")
    err = fails(expect.close, 4.0, 4.5, name="g")
    assert (err.expected, err.found) == ("4.5", "4")
    err = fails(expect.close, "4.5", 4.5, name="g")
    assert "str" in err.found


def test_tensor_checks_device_by_type():
    expect.tensor(torch.ones(1), name="x", device="cpu")
    err = fails(expect.tensor, torch.ones(1), name="x", device="meta")
    assert err.checked == "the device of `x`"


def test_equal_and_that():
    expect.equal(3, 3, name="n")
    err = fails(expect.equal, 4, 3, name="n", hint="Count again.")
    assert (err.expected, err.found, err.hint) == ("`3`", "`4` (int)", "Count again.")
    fails(expect.that, False, checked="a", expected="b", found="c")


def test_loss_decreases():
    expect.loss_decreases([1.0, 0.5, 0.2], name="losses")
    err = fails(expect.loss_decreases, [1.0, 0.99], name="losses")
    assert "0.9 x its first value" in err.expected


def test_long_values_are_cut():
    err = fails(expect.equal, "x" * 500, "y", name="s")
    assert len(err.found) < 80 and err.found.endswith("...` (str)")


def test_names_are_code_and_subjects_are_words():
    """Is a name always put in backticks, and a subject used as it is?"""
    with pytest.raises(Incorrect) as info:
        expect.equal(2, 3, name="f(x)")
    assert info.value.checked == "`f(x)`"
    with pytest.raises(Incorrect) as info:
        expect.close(torch.ones(2), torch.zeros(2), subject="`w` after training")
    assert info.value.checked == "the values of `w` after training"
    with pytest.raises(TypeError, match="name= .* or subject="):
        expect.equal(2, 3)


def test_infinities_and_nans_match_only_themselves():
    inf, nan = float("inf"), float("nan")
    expect.close(torch.tensor([inf, -inf, nan, 1.0]), torch.tensor([inf, -inf, nan, 1.0]),
                 name="x")
    for found in ([1e30, 1.0], [1.0, 1.0], [-inf, 1.0]):
        with pytest.raises(Incorrect):
            expect.close(torch.tensor(found), torch.tensor([inf, 1.0]), name="x")
    with pytest.raises(Incorrect, match="NaN"):
        expect.close(torch.tensor([nan]), torch.tensor([1.0]), name="x")
    expect.close(nan, nan, name="x")
    with pytest.raises(Incorrect):
        expect.close(inf, 1e308, name="x")


def test_a_sparse_tensor_is_not_a_dense_one():
    with pytest.raises(Incorrect, match="dense"):
        expect.tensor(torch.eye(2).to_sparse(), name="x", shape=(2, 2))


def test_held_out_scores_count_whole_answers_and_stay_hidden():
    """Does exactly 95 % pass (no float rounding), and does a failure hide the score?"""
    expect.at_least(950, 1000, 0.95, name="accuracy")
    expect.at_least(19, 20, 0.95, name="accuracy")
    with pytest.raises(Incorrect) as info:
        expect.at_least(949, 1000, 0.95, name="accuracy")
    assert "94.9" not in str(info.value) and "949" not in str(info.value)
    with pytest.raises(Incorrect):
        expect.at_least(0, 0, 0.95, name="accuracy")
