"""Exercises of chapter 01, Tensors."""

from __future__ import annotations

import ast
import textwrap

import torch

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.describe import shape_text
from labkit.exercises.ch04_cnn import sources
from labkit.i18n import N_, _

_LOOPS = {ast.For: N_("a `for` loop"), ast.While: N_("a `while` loop"),
          ast.comprehension: N_("a comprehension (`[... for ...]`)")}


def _python_loop(source: str | None) -> str | None:
    """The first Python loop in a function's source, or None (also when there is no source)."""
    if source is None:  # no source (a builtin, a lambda in a table)
        return None
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        for kind, words in _LOOPS.items():
            if isinstance(node, kind):
                return _(words)
    return None


def _loop_in_code(exercise: Exercise, fn, name: str) -> str | None:
    """Where the learner's ``fn`` or a helper function it calls has a Python loop, in
    words ("a `for` loop in `helper`"), or None. Read on the learner's side by a probe."""
    texts = exercise.probe(sources, fn,
                           during=_("reading the code of `{name}`").format(name=name))
    for function, text in texts.items():
        loop = _python_loop(text)
        if loop is not None:
            if function == name:
                return loop
            return _("{loop} in `{function}`, which `{name}` calls").format(
                loop=loop, function=function, name=name)
    return None


class StandardizeRows(Exercise):
    name = "standardize_rows"
    title = N_("Standardise each row")
    hints = (
        N_("Compute one mean and one standard deviation per row: reduce along `dim=1` with "
           "`keepdim=True`, so the (N, 1) results broadcast against the (N, D) input."),
        N_("`(x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True, correction=0)`"),
    )
    solution = '''\
def standardize_rows(x):
    mean = x.mean(dim=1, keepdim=True)               # (N, 1)
    std = x.std(dim=1, keepdim=True, correction=0)   # (N, 1)
    return (x - mean) / std                          # (N, D)'''

    def check(self, standardize_rows):
        inputs = [
            torch.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 60.0]]),
            self.randn(4, 7) * 3 + 5,
            self.randn(5, 5) * 2 - 1,  # square: a missing keepdim broadcasts silently
        ]
        for x in inputs:
            call = _("standardize_rows(x) for x of shape {shape}").format(
                shape=shape_text(x.shape))
            found = self.call(standardize_rows, x, during=f"`{call}`")
            mean = x.mean(dim=1, keepdim=True)
            expected = (x - mean) / x.std(dim=1, keepdim=True, correction=0)
            expect.tensor(found, name=call, shape=x.shape, hint=self.hints[0])
            unbiased = (x - mean) / x.std(dim=1, keepdim=True)
            if torch.allclose(found.detach().float(), unbiased, atol=1e-5):
                expect.that(False, checked=_("the values of `{name}`").format(name=call),
                            expected=_("rows with variance 1, the average squared deviation "
                                       "dividing by D"),
                            found=_("a standard deviation computed dividing by D - 1 "
                                    "(the default of `std`)"),
                            hint=_("Pass `correction=0` to `std`."))
            expect.close(found, expected, name=call,
                         hint=_("Each row uses its own mean and standard deviation, "
                                "computed along `dim=1`."))


class PairwiseSqDists(Exercise):
    name = "pairwise_sq_dists"
    title = N_("Pairwise squared distances, no loops")
    hints = (
        N_("Give `a` a new axis in the middle and `b` a new axis in front: (N, 1, D) minus "
           "(1, M, D) broadcasts to (N, M, D)."),
        N_("`((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1)`"),
    )
    solution = '''\
def pairwise_sq_dists(a, b):
    diff = a[:, None, :] - b[None, :, :]   # (N, 1, D) - (1, M, D) -> (N, M, D)
    return (diff ** 2).sum(dim=-1)          # (N, M)'''

    def check(self, pairwise_sq_dists):
        inputs = [
            (torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]),
             torch.tensor([[0.0, 0.0], [3.0, 4.0]])),
            (self.randn(5, 3), self.randn(4, 3)),
            (self.randn(1, 6), self.randn(3, 6)),
            (self.randn(4, 2), self.randn(4, 2)),
        ]
        for a, b in inputs:
            call = _("pairwise_sq_dists(a, b) for a of shape {a_shape} "
                     "and b of shape {b_shape}").format(a_shape=shape_text(a.shape),
                                                        b_shape=shape_text(b.shape))
            found = self.call(pairwise_sq_dists, a, b, during=f"`{call}`")
            expected = ((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1)
            expect.tensor(found, name=call, shape=(len(a), len(b)),
                          hint=_("Row i, column j holds the squared distance between a[i] "
                                 "and b[j]; sum over the last axis, D."))
            expect.close(found, expected, name=call, atol=1e-4,
                         hint=_("Squared distances: no square root."))
        loop = _loop_in_code(self, pairwise_sq_dists, "pairwise_sq_dists")
        expect.that(loop is None, checked=_("the code of `pairwise_sq_dists`"),
                    expected=_("no Python loop: one broadcast expression"),
                    found=f"{loop}", hint=self.hints[0])


class OneHot(Exercise):
    name = "one_hot"
    title = N_("One-hot encoding")
    hints = (
        N_("Start from `torch.zeros(len(labels), num_classes)` and write a 1 in row i, "
           "column `labels[i]`: index with `torch.arange(len(labels))` and `labels` together."),
        N_("Or compare with broadcasting: `(labels[:, None] == torch.arange(num_classes))"
           ".float()` is (N, 1) against (C,) -> (N, C)."),
    )
    solution = '''\
def one_hot(labels, num_classes):
    out = torch.zeros(len(labels), num_classes)       # (N, C), float32
    out[torch.arange(len(labels)), labels] = 1.0      # row i, column labels[i]
    return out'''

    def check(self, one_hot):
        inputs = [
            (torch.tensor([2, 0, 1]), 4),  # the last class never appears
            (self.randint(0, 10, 6), 10),
            (torch.tensor([4]), 5),
        ]
        for labels, num_classes in inputs:
            call = _("one_hot(labels, {num_classes}) for labels {labels}").format(
                num_classes=num_classes, labels=labels.tolist())
            found = self.call(one_hot, labels, num_classes, during=f"`{call}`")
            expected = torch.zeros(len(labels), num_classes)
            expected[torch.arange(len(labels)), labels] = 1.0
            expect.tensor(found, name=call, shape=(len(labels), num_classes),
                          hint=_("One row per label and one column per class: "
                                 "use `num_classes`, not the largest label."))
            expect.tensor(found, name=call, dtype=torch.float32,
                          hint=_("Convert with `.float()`: losses and matrix products "
                                 "expect floating point."))
            expect.close(found, expected, name=call,
                         hint=_("Row i is all zeros except a 1 in column `labels[i]`."))


class RowsOfClass(Exercise):
    name = "rows_of_class"
    title = N_("Select rows with a mask")
    hints = (
        N_("`labels == k` is a boolean mask of shape (N,); indexing `x` with it keeps the "
           "rows where the mask is True."),
        N_("`x[labels == k]`"),
    )
    solution = '''\
def rows_of_class(x, labels, k):
    return x[labels == k]   # (N, D) with an (N,) mask -> (K, D)'''

    def check(self, rows_of_class):
        labels = self.randint(0, 3, 8)
        single = torch.cat([torch.tensor([3]), self.randint(0, 3, 5)])[torch.randperm(
            6, generator=self.rng)]  # class 3 on exactly one row, at a random place
        inputs = [
            (torch.arange(12.0).view(4, 3), torch.tensor([1, 0, 1, 2]), 1),
            (self.randn(8, 3), labels, int(labels[0])),
            (self.randn(6, 4), single, 3),  # exactly one row: shape (1, D), not (D,)
            (self.randn(8, 2), labels, 5),  # a class with no rows: shape (0, D)
        ]
        for x, labels, k in inputs:
            call = _("rows_of_class(x, labels, {k}) for labels {labels}").format(
                k=k, labels=labels.tolist())
            found = self.call(rows_of_class, x, labels, k, during=f"`{call}`")
            expected = x[labels == k]
            expect.tensor(found, name=call, shape=expected.shape,
                          hint=_("Keep only the rows whose label is k, each whole: "
                                 "(K, D), where K may be 0."))
            expect.close(found, expected, name=call,
                         hint=_("The rows, unchanged and in their original order."))


class PickScores(Exercise):
    name = "pick_scores"
    title = N_("Pick one score per row")
    hints = (
        N_("`scores[:, labels]` takes every chosen column for every row: (N, N). Pair row i "
           "with its own label: `scores[torch.arange(N), labels]`."),
        N_("With `gather`: `scores.gather(1, labels[:, None]).squeeze(1)`; the index must "
           "have as many dimensions as `scores`."),
    )
    solution = '''\
def pick_scores(scores, labels):
    index = labels[:, None]                    # (N, 1)
    return scores.gather(1, index).squeeze(1)  # (N, 1) -> (N,)'''

    def check(self, pick_scores):
        inputs = [
            (torch.arange(12.0).view(3, 4), torch.tensor([3, 0, 2])),
            (self.randn(5, 7), self.randint(0, 7, 5)),
            (self.randn(1, 3), torch.tensor([2])),
        ]
        for scores, labels in inputs:
            call = _("pick_scores(scores, labels) for scores of shape {shape} "
                     "and labels {labels}").format(shape=shape_text(scores.shape),
                                                   labels=labels.tolist())
            found = self.call(pick_scores, scores, labels, during=f"`{call}`")
            expected = scores[torch.arange(len(labels)), labels]
            expect.tensor(found, name=call, shape=expected.shape, hint=self.hints[0])
            expect.close(found, expected, name=call,
                         hint=_("Element i is `scores[i, labels[i]]`."))
        loop = _loop_in_code(self, pick_scores, "pick_scores")
        expect.that(loop is None, checked=_("the code of `pick_scores`"),
                    expected=_("no Python loop: one indexing expression (or `gather`)"),
                    found=f"{loop}",
                    hint=_("Index with two tensors at once, "
                           "`scores[torch.arange(N), labels]`: row i is paired with "
                           "`labels[i]`."))


class BatchScores(Exercise):
    name = "batch_scores"
    title = N_("A batched matrix product")
    hints = (
        N_("Per batch element you want (T, D) @ (D, S): swap the last two axes of `keys` "
           "with `keys.transpose(1, 2)` (or `keys.mT`)."),
        N_("`queries @ keys.transpose(1, 2)`: (B, T, D) @ (B, D, S) -> (B, T, S)."),
    )
    solution = '''\
def batch_scores(queries, keys):
    return queries @ keys.transpose(1, 2)   # (B, T, D) @ (B, D, S) -> (B, T, S)'''

    def check(self, batch_scores):
        inputs = [
            (self.randn(2, 3, 4), self.randn(2, 5, 4)),
            (self.randn(1, 1, 3), self.randn(1, 2, 3)),
            (self.randn(3, 4, 2), self.randn(3, 4, 2)),
        ]
        for queries, keys in inputs:
            call = _("batch_scores(queries, keys) for queries of shape {queries_shape} "
                     "and keys of shape {keys_shape}").format(
                queries_shape=shape_text(queries.shape), keys_shape=shape_text(keys.shape))
            found = self.call(batch_scores, queries, keys, during=f"`{call}`")
            expected = torch.einsum("btd,bsd->bts", queries, keys)
            b, t, s = queries.shape[0], queries.shape[1], keys.shape[1]
            expect.tensor(found, name=call, shape=(b, t, s),
                          hint=_("(B, T, S): one row per query, one column per key."))
            expect.close(found, expected, name=call, atol=1e-4,
                         hint=_("Entry [b, t, s] is the dot product of queries[b, t] "
                                "and keys[b, s]."))


def buggy_mse(pred, target):
    """The given code of the spot-the-bug exercise: (N, 1) - (N,) broadcasts to (N, N)."""
    return ((pred - target) ** 2).mean()


class FixMse(Exercise):
    name = "fix_mse"
    title = N_("Spot the bug: a loss that broadcasts")
    hints = (
        N_("Print the shape of `pred - target` for pred of shape (3, 1) and target of "
           "shape (3,). Is it (3,)?"),
        N_("Make the shapes agree before subtracting: `pred.squeeze(1) - target` "
           "(or `pred - target[:, None]`)."),
    )
    solution = '''\
def mse(pred, target):
    # pred: (N, 1), target: (N,)
    return ((pred.squeeze(1) - target) ** 2).mean()   # (N,) - (N,) -> (N,) -> ()'''

    def check(self, mse):
        inputs = [
            (torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([1.0, 2.0, 3.0])),
            (self.randn(6, 1), self.randn(6)),
            (self.randn(4, 1), self.randn(4)),
        ]
        found = []
        for pred, target in inputs:
            call = _("mse(pred, target) for pred of shape {pred_shape} "
                     "and target of shape {target_shape}").format(
                pred_shape=shape_text(pred.shape), target_shape=shape_text(target.shape))
            found.append((call, self.call(mse, pred, target, during=f"`{call}`")))
        still_buggy = all(
            isinstance(value, torch.Tensor) and value.shape == ()
            and torch.allclose(value.detach().float(), buggy_mse(pred, target))
            for (_call, value), (pred, target) in zip(found, inputs, strict=True)
        )
        if still_buggy:
            raise NotAttempted(_(
                "`mse` still gives the same results as the given buggy code. Find the shape "
                "mistake, fix it, run the cell, then check again."
            ))
        for (call, value), (pred, target) in zip(found, inputs, strict=True):
            expected = ((pred[:, 0] - target) ** 2).mean()
            expect.tensor(value, name=call, shape=(),
                          hint=_("A loss is a single number: a tensor of shape () (not a "
                                 "Python number from `.item()`, which has no gradient)."))
            expect.close(value, expected, name=call,
                         hint=_("The mean over the N samples of "
                                "(pred[i, 0] - target[i]) ** 2."))
        pred, target = inputs[1]
        during = _("the gradient of `mse(pred, target)` with respect to `pred`")
        reply = self.probe(probes.forward_backward, mse, (pred, target), during=during)
        grads = self.judge(reply, during) is not None and reply["grads"]
        expect.that(grads is not None and grads[0] is not None,
                    checked=_("the gradient of `mse(pred, target)` with respect to `pred`"),
                    expected=_("a gradient: a loss must let training send gradients back"),
                    found=_("none: the result is cut off from the graph"),
                    hint=_("Return the tensor the computation gives, without `.detach()`, "
                           "`.item()` or a new `torch.tensor(...)`."))
        expected_grad = 2 * (pred - target[:, None]) / len(target)  # (N, 1)
        expect.close(grads[0], expected_grad,
                     name=_("the gradient of mse with respect to pred"), atol=1e-5,
                     hint=_("The loss must be computed from `pred` itself."))


EXERCISES = [RowsOfClass, PickScores, OneHot, BatchScores, StandardizeRows,
             PairwiseSqDists, FixMse]
