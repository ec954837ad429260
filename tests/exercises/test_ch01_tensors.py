"""Exercises of chapter 01, each with a right, a blank, a missing and wrong answers."""

import torch
import torch.nn.functional as F
from exercise_harness import Case, chinese_test, standard_tests

from labkit.check import Outcome, run_check
from labkit.exercises.ch01_tensors import (
    BatchScores,
    FixMse,
    OneHot,
    PairwiseSqDists,
    PickScores,
    RowsOfClass,
    StandardizeRows,
    buggy_mse,
)

# --- right answers -----------------------------------------------------------


def rows_of_class(x, labels, k):
    return x[labels == k]


def pick_scores(scores, labels):
    return scores.gather(1, labels[:, None]).squeeze(1)


def one_hot(labels, num_classes):
    return F.one_hot(labels, num_classes).float()


def batch_scores(queries, keys):
    return queries @ keys.mT


def standardize_rows(x):
    return (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True, correction=0)


def pairwise_sq_dists(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1)


def mse(pred, target):
    return ((pred - target[:, None]) ** 2).mean()


# --- plausible wrong answers ---------------------------------------------------


def pairwise_with_loops(a, b):
    out = torch.zeros(len(a), len(b))
    for i in range(len(a)):
        for j in range(len(b)):
            out[i, j] = ((a[i] - b[j]) ** 2).sum()
    return out


def _sq_dists_row_by_row(a, b):
    rows = []
    for row in a:
        rows.append(((row - b) ** 2).sum(dim=1))
    return torch.stack(rows)


def pairwise_loop_in_helper(a, b):
    return _sq_dists_row_by_row(a, b)


def pick_scores_comprehension(scores, labels):
    return torch.stack([scores[i, label] for i, label in enumerate(labels)])


def _pick_one_by_one(scores, labels):
    out = torch.empty(len(labels))
    i = 0
    while i < len(labels):
        out[i] = scores[i, labels[i]]
        i += 1
    return out


def pick_scores_loop_in_helper(scores, labels):
    return _pick_one_by_one(scores, labels)


def rows_of_class_squeezed(x, labels, k):
    return x[labels == k].squeeze()


def rows_of_class_nonzero_squeezed(x, labels, k):
    return x[(labels == k).nonzero().squeeze()]


def mse_detached(pred, target):
    return ((pred.squeeze(1) - target) ** 2).mean().detach()


def mse_item(pred, target):
    return ((pred.squeeze(1) - target) ** 2).mean().item()


def mse_rewrapped(pred, target):
    return torch.tensor(((pred.squeeze(1) - target) ** 2).mean().item())


def standardize_without_keepdim(x):
    return (x - x.mean(dim=1)) / x.std(dim=1, correction=0)


def one_hot_all_columns(labels, num_classes):
    out = torch.zeros(len(labels), num_classes)
    out[:, labels] = 1.0
    return out


CASES = [
    Case(RowsOfClass, right={"rows_of_class": rows_of_class}, wrong=[
        ({"rows_of_class": lambda x, labels, k: x * (labels == k)[:, None]}, "the shape of"),
        ({"rows_of_class": lambda x, labels, k: x[(labels == k).nonzero()]}, "(K, D)"),
        ({"rows_of_class": lambda x, labels, k: x[labels[labels == k]]}, "the values of"),
        ({"rows_of_class": rows_of_class_squeezed}, "(K, D)"),
        ({"rows_of_class": rows_of_class_nonzero_squeezed}, "(K, D)"),
    ], raising=[
        ({"rows_of_class": lambda x, labels, k: x[:, labels == k]}, "IndexError"),
    ]),
    Case(PickScores, right={"pick_scores": pick_scores}, wrong=[
        ({"pick_scores": lambda scores, labels: scores[:, labels]}, "(N, N)"),
        ({"pick_scores": lambda scores, labels: scores.gather(1, labels[:, None])},
         "the shape of"),
        ({"pick_scores": lambda scores, labels: scores.max(dim=1).values}, "the values of"),
        ({"pick_scores": pick_scores_comprehension}, "a comprehension"),
        ({"pick_scores": pick_scores_loop_in_helper},
         "a `while` loop in `_pick_one_by_one`"),
    ]),
    Case(OneHot, right={"one_hot": one_hot}, wrong=[
        ({"one_hot": lambda labels, num_classes: F.one_hot(labels, num_classes)},
         "the dtype of"),
        ({"one_hot": lambda labels, num_classes: F.one_hot(labels).float()},
         "not the largest label"),
        ({"one_hot": one_hot_all_columns}, "the values of"),
    ]),
    Case(BatchScores, right={"batch_scores": batch_scores}, wrong=[
        ({"batch_scores": lambda queries, keys: keys @ queries.mT}, "the shape of"),
        ({"batch_scores": lambda queries, keys: queries @ keys.mT + 1}, "the values of"),
    ], raising=[
        ({"batch_scores": lambda queries, keys: queries @ keys}, "RuntimeError"),
    ]),
    Case(StandardizeRows, right={"standardize_rows": standardize_rows}, wrong=[
        ({"standardize_rows": lambda x: (x - x.mean(dim=1, keepdim=True))
          / x.std(dim=1, keepdim=True)}, "D - 1"),
        ({"standardize_rows": lambda x: (x - x.mean(dim=0, keepdim=True))
          / x.std(dim=0, keepdim=True, correction=0)}, "the values of"),
        ({"standardize_rows": lambda x: x - x.mean(dim=1, keepdim=True)}, "the values of"),
    ], raising=[
        ({"standardize_rows": standardize_without_keepdim}, "RuntimeError"),
    ]),
    Case(PairwiseSqDists, right={"pairwise_sq_dists": pairwise_sq_dists}, wrong=[
        ({"pairwise_sq_dists": pairwise_with_loops}, "a `for` loop"),
        ({"pairwise_sq_dists": pairwise_loop_in_helper},
         "a `for` loop in `_sq_dists_row_by_row`"),
        ({"pairwise_sq_dists": lambda a, b: torch.cdist(a, b)}, "no square root"),
        ({"pairwise_sq_dists": lambda a, b: (a[:, None, :] - b[None, :, :]) ** 2},
         "the shape of"),
    ], raising=[
        ({"pairwise_sq_dists": lambda a, b: ((a - b) ** 2).sum(dim=1)}, "RuntimeError"),
    ]),
    Case(FixMse, right={"mse": mse}, wrong=[
        ({"mse": lambda pred, target: ((pred.squeeze(1) - target) ** 2).sum()},
         "the values of"),
        ({"mse": lambda pred, target: (pred.squeeze(1) - target) ** 2}, "shape ()"),
        ({"mse": lambda pred, target: ((pred - target) ** 2).mean(dim=0)}, "the shape of"),
        ({"mse": mse_detached}, "cut off from the graph"),
        ({"mse": mse_rewrapped}, "cut off from the graph"),
        ({"mse": mse_item}, "`.item()`"),
    ]),
]

(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES)
test_chinese = chinese_test(CASES)


def test_the_given_buggy_mse_is_not_attempted():
    """Does the untouched spot-the-bug code say "not attempted", not "incorrect"?"""
    for seed in (0, 1, 12345):
        result = run_check(FixMse(), {"mse": buggy_mse}, seed=seed)
        assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
        assert "buggy" in result.text()


def test_other_right_answers_pass():
    """Are the other idiomatic answers accepted too?"""
    others = [
        (RowsOfClass(), {"rows_of_class": lambda x, labels, k: x[labels.eq(k).nonzero()[:, 0]]}),
        (PickScores(), {"pick_scores": lambda s, y: s[torch.arange(len(y)), y]}),
        (OneHot(), {"one_hot": lambda y, c: (y[:, None] == torch.arange(c)).float()}),
        (BatchScores(), {"batch_scores": lambda q, k: torch.bmm(q, k.transpose(1, 2))}),
        (BatchScores(), {"batch_scores": lambda q, k: torch.einsum("btd,bsd->bts", q, k)}),
        (PairwiseSqDists(), {"pairwise_sq_dists": lambda a, b: (a * a).sum(1)[:, None]
                             + (b * b).sum(1)[None, :] - 2 * a @ b.T}),
        (StandardizeRows(), {"standardize_rows": lambda x: (x - x.mean(1, keepdim=True))
                             / x.var(1, keepdim=True, unbiased=False).sqrt()}),
        (FixMse(), {"mse": lambda pred, target: F.mse_loss(pred.view(-1), target)}),
    ]
    for exercise, answer in others:
        for seed in (0, 1, 12345):
            result = run_check(exercise, answer, seed=seed)
            assert result.outcome is Outcome.PASSED, result.text()
