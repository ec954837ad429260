"""Exercises of chapter 01, each with a right, a blank, a missing and wrong answers."""

import torch
import torch.nn.functional as F
from exercise_harness import Case, chinese_test, standard_tests

from labkit.check import Outcome, run_check
from labkit.exercises.ch01_tensors import (
    BatchScores,
    Bilinear,
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


def rows_of_class_zeroing(x, labels, k):
    """Zeroes the other rows of the caller's `x` before selecting."""
    mask = labels == k
    x[~mask] = 0
    return x[mask]


def pick_scores_map(scores, labels):
    return torch.stack(list(map(lambda row, label: row[label], scores, labels)))


def pick_scores_recursive(scores, labels):
    if len(labels) == 0:
        return scores[:0, 0]
    return torch.cat([scores[0, labels[0]][None], pick_scores_recursive(scores[1:], labels[1:])])


def pick_scores_unsqueezed(scores, labels):
    """`unsqueeze_` changes the caller's labels to (N, 1)."""
    return scores.gather(1, labels.unsqueeze_(1)).squeeze(1)


def one_hot_scatter_in_place(labels, num_classes):
    return torch.zeros(len(labels), num_classes).scatter_(1, labels.unsqueeze_(1), 1.0)


def bilinear(x, W, y):
    return torch.einsum("bi,ij,bj->b", x, W, y)


def bilinear_rows(x, W, y):
    return torch.stack([row @ W @ col for row, col in zip(x, y, strict=True)])


def bilinear_in_place(x, W, y):
    """Right values, but `y` doubled in place on the way."""
    return ((x @ W) * y.mul_(2)).sum(1) / 2


def batch_scores_zip(queries, keys):
    return torch.stack([q @ k.T for q, k in zip(queries, keys, strict=True)])


def batch_scores_map(queries, keys):
    return torch.stack(list(map(torch.mm, queries, keys.transpose(1, 2))))


def batch_scores_transposed_in_place(queries, keys):
    return queries @ keys.transpose_(1, 2)


def standardize_in_place(x):
    mean, std = x.mean(dim=1, keepdim=True), x.std(dim=1, keepdim=True, correction=0)
    return x.sub_(mean).div_(std)


def standardize_row_by_row(x):
    return torch.stack([(row - row.mean()) / row.std(correction=0) for row in x])


def pairwise_recursive(a, b):
    if len(a) == 0:
        return torch.zeros(0, len(b), dtype=a.dtype)
    return torch.cat([((a[:1] - b) ** 2).sum(dim=1)[None], pairwise_recursive(a[1:], b)])


def pairwise_map(a, b):
    return torch.stack(list(map(lambda row: ((row - b) ** 2).sum(dim=1), a)))


def pairwise_unsqueezed_in_place(a, b):
    return ((a.unsqueeze_(1) - b[None]) ** 2).sum(dim=-1)


def mse_squeezed_in_place(pred, target):
    return ((pred.squeeze_(1) - target) ** 2).mean()


def mse_target_in_place(pred, target):
    return ((pred - target.unsqueeze_(1)) ** 2).mean()


def one_hot_all_columns(labels, num_classes):
    out = torch.zeros(len(labels), num_classes)
    out[:, labels] = 1.0
    return out


LOOP = "a loop over the data"

CASES = [
    Case(RowsOfClass, right={"rows_of_class": rows_of_class}, wrong=[
        ({"rows_of_class": lambda x, labels, k: x * (labels == k)[:, None]}, "the shape of"),
        ({"rows_of_class": lambda x, labels, k: x[(labels == k).nonzero()]}, "(K, D)"),
        ({"rows_of_class": lambda x, labels, k: x[labels[labels == k]]}, "the values of"),
        ({"rows_of_class": rows_of_class_squeezed}, "(K, D)"),
        ({"rows_of_class": rows_of_class_nonzero_squeezed}, "(K, D)"),
        ({"rows_of_class": rows_of_class_zeroing},
         "changed its argument `x` in place"),
        ({"rows_of_class": lambda x, labels, k: x[labels == 0]}, "the shape of"),  # k fixed
        ({"rows_of_class": lambda x, labels, k: x[labels == k].float()}, "the dtype of"),
    ], raising=[
        ({"rows_of_class": lambda x, labels, k: x[:, labels == k]}, "IndexError"),
    ]),
    Case(PickScores, right={"pick_scores": pick_scores}, wrong=[
        ({"pick_scores": lambda scores, labels: scores[:, labels]}, "(N, N)"),
        ({"pick_scores": lambda scores, labels: scores.gather(1, labels[:, None])},
         "the shape of"),
        ({"pick_scores": lambda scores, labels: scores.max(dim=1).values}, "the values of"),
        ({"pick_scores": pick_scores_comprehension}, LOOP),
        ({"pick_scores": pick_scores_loop_in_helper}, LOOP),
        ({"pick_scores": pick_scores_map}, LOOP),
        ({"pick_scores": pick_scores_recursive}, LOOP),
        ({"pick_scores": pick_scores_unsqueezed}, "changed its argument `labels` in place"),
        ({"pick_scores": lambda scores, labels: pick_scores(scores, labels).float()},
         "the dtype of"),
    ]),
    Case(OneHot, right={"one_hot": one_hot}, wrong=[
        ({"one_hot": lambda labels, num_classes: F.one_hot(labels, num_classes)},
         "the dtype of"),
        ({"one_hot": lambda labels, num_classes: F.one_hot(labels).float()},
         "not the largest label"),
        ({"one_hot": one_hot_all_columns}, "the values of"),
        ({"one_hot": one_hot_scatter_in_place}, "changed its argument `labels` in place"),
        ({"one_hot": lambda labels, num_classes: F.one_hot(labels, 10).float()},
         "the shape of"),  # the class count of MNIST, fixed
    ]),
    Case(BatchScores, right={"batch_scores": batch_scores}, wrong=[
        ({"batch_scores": lambda queries, keys: keys @ queries.mT}, "the shape of"),
        ({"batch_scores": lambda queries, keys: queries @ keys.mT + 1}, "the values of"),
        ({"batch_scores": batch_scores_zip}, LOOP),
        ({"batch_scores": batch_scores_map}, LOOP),
        ({"batch_scores": batch_scores_transposed_in_place},
         "changed its argument `keys` in place"),
        ({"batch_scores": lambda queries, keys: (queries @ keys.mT).float()}, "the dtype of"),
    ], raising=[
        ({"batch_scores": lambda queries, keys: queries @ keys}, "RuntimeError"),
    ]),
    Case(Bilinear, right={"bilinear": bilinear}, wrong=[
        ({"bilinear": lambda x, W, y: torch.einsum("bi,ij,bj->", x, W, y)}, "the shape of"),
        ({"bilinear": lambda x, W, y: torch.einsum("bi,ji,bj->b", x, W, y)}, "the values of"),
        ({"bilinear": lambda x, W, y: torch.einsum("bi,ij,bj->bj", x, W, y)}, "the shape of"),
        ({"bilinear": lambda x, W, y: (x @ W) @ y.T}, "the shape of"),
        ({"bilinear": lambda x, W, y: ((x @ W) * y).sum(dim=1).float()}, "the dtype of"),
        ({"bilinear": bilinear_rows}, LOOP),
        ({"bilinear": bilinear_in_place}, "changed its argument `y` in place"),
    ]),
    Case(StandardizeRows, right={"standardize_rows": standardize_rows}, wrong=[
        ({"standardize_rows": lambda x: (x - x.mean(dim=1, keepdim=True))
          / x.std(dim=1, keepdim=True)}, "D - 1"),
        ({"standardize_rows": lambda x: (x - x.mean(dim=0, keepdim=True))
          / x.std(dim=0, keepdim=True, correction=0)}, "the values of"),
        ({"standardize_rows": lambda x: x - x.mean(dim=1, keepdim=True)}, "the values of"),
        ({"standardize_rows": standardize_in_place}, "changed its argument `x` in place"),
        ({"standardize_rows": standardize_row_by_row}, LOOP),
        ({"standardize_rows": lambda x: standardize_rows(x).float()}, "the dtype of"),
    ], raising=[
        ({"standardize_rows": standardize_without_keepdim}, "RuntimeError"),
    ]),
    Case(PairwiseSqDists, right={"pairwise_sq_dists": pairwise_sq_dists}, wrong=[
        ({"pairwise_sq_dists": pairwise_with_loops}, LOOP),
        ({"pairwise_sq_dists": pairwise_loop_in_helper}, LOOP),
        ({"pairwise_sq_dists": pairwise_recursive}, LOOP),
        ({"pairwise_sq_dists": pairwise_map}, LOOP),
        ({"pairwise_sq_dists": pairwise_unsqueezed_in_place},
         "changed its argument `a` in place"),
        ({"pairwise_sq_dists": lambda a, b: pairwise_sq_dists(a, b).squeeze()},
         "the shape of"),
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
        ({"mse": mse_squeezed_in_place}, "changed its argument `pred` in place"),
        ({"mse": mse_target_in_place}, "changed its argument `target` in place"),
        ({"mse": lambda pred, target: mse(pred, target).float()}, "the dtype of"),
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
        (Bilinear(), {"bilinear": lambda x, W, y: ((x @ W) * y).sum(dim=1)}),
        (Bilinear(), {"bilinear": lambda x, W, y: (x[:, :, None] * W * y[:, None, :]).sum((1, 2))}),
        (Bilinear(), {"bilinear": lambda x, W, y: torch.einsum("bi,bi->b", x, y @ W.T)}),
        (PairwiseSqDists(), {"pairwise_sq_dists": lambda a, b: (a * a).sum(1)[:, None]
                             + (b * b).sum(1)[None, :] - 2 * a @ b.T}),
        (StandardizeRows(), {"standardize_rows": lambda x: (x - x.mean(1, keepdim=True))
                             / x.var(1, keepdim=True, unbiased=False).sqrt()}),
        (FixMse(), {"mse": lambda pred, target: F.mse_loss(pred.view(-1), target)}),
        (PickScores(), {"pick_scores": lambda s, y: torch.take_along_dim(s, y[:, None], 1)[:, 0]}),
        (PickScores(), {"pick_scores": lambda s, y: (s * F.one_hot(y, s.shape[1])).sum(1)}),
        (BatchScores(), {"batch_scores": lambda q, k: torch.vmap(lambda a, b: a @ b.T)(q, k)}),
        (BatchScores(), {"batch_scores": lambda q, k: (q[:, :, None] * k[:, None]).sum(-1)}),
        (StandardizeRows(), {"standardize_rows": lambda x: F.layer_norm(x, x.shape[1:])}),
        (PairwiseSqDists(), {"pairwise_sq_dists": lambda a, b: torch.cdist(a, b) ** 2}),
        (RowsOfClass(), {"rows_of_class": lambda x, labels, k: x[torch.where(labels == k)]}),
    ]
    for exercise, answer in others:
        for seed in (0, 1, 12345):
            result = run_check(exercise, answer, seed=seed)
            assert result.outcome is Outcome.PASSED, result.text()
