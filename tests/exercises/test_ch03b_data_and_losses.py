"""Exercises of chapter 03b, each with a right, a blank, a missing and wrong answers."""

import functools

import torch
import torch.nn.functional as F
from exercise_harness import Case, chinese_test, standard_tests
from torch import nn
from torch.func import grad as derivative  # names captured before any check runs
from torch.func import vmap
from torch.special import logsumexp as captured_logsumexp
from torch.utils.data import Dataset

from labkit.check import Outcome, run_check
from labkit.exercises.ch03b_data_and_losses import (
    BatchLoss,
    CrossEntropy,
    MnistTransform,
    PixelStats,
    SigmoidMseGrad,
    TrainEpoch,
    WindowDataset,
)

# --- window_dataset ------------------------------------------------------------------


def _window(length=lambda n, w: n - w, window=lambda s, i, w: s[i:i + w],
            target=lambda s, i, w: s[i + w], pair=lambda x, y: (x, y)):
    class WindowDataset(Dataset):
        def __init__(self, series, width):
            self.series, self.width = series, width

        def __len__(self):
            return length(len(self.series), self.width)

        def __getitem__(self, i):
            return pair(window(self.series, i, self.width), target(self.series, i, self.width))
    return WindowDataset


class PrecomputedWindows:
    """Also right: not a Dataset subclass, the windows built once with unfold."""

    def __init__(self, series, width):
        self.windows = series[:-1].unfold(0, width, 1)  # (n - width, width)
        self.targets = series[width:]

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        return self.windows[i], self.targets[i]


class NoLen(Dataset):
    def __init__(self, series, width):
        self.series, self.width = series, width

    def __getitem__(self, i):
        return self.series[i:i + self.width], self.series[i + self.width]


class CentresSeriesInPlace(Dataset):
    """Subtracts the mean from the caller's series, then windows what is left."""

    def __init__(self, series, width):
        self.series, self.width = series.sub_(series.mean()), width

    def __len__(self):
        return len(self.series) - self.width

    def __getitem__(self, i):
        return self.series[i:i + self.width], self.series[i + self.width]


# --- mnist_transform ---------------------------------------------------------------


def _v2_transform(scale=True, normalize=False):
    from torchvision.transforms import v2

    steps = [v2.ToImage(), v2.ToDtype(torch.float32, scale=scale)]
    if normalize:
        steps.append(v2.Normalize((0.1307,), (0.3081,)))
    return v2.Compose(steps)


def _v1(name, *args):
    from torchvision import transforms

    return getattr(transforms, name)(*args)


def pixels_as_float_no_channel(image):
    import numpy as np
    return torch.tensor(np.array(image), dtype=torch.float32) / 255  # (H, W): no channel


def pixels_hard_coded_28(image):
    import numpy as np
    return torch.tensor(np.array(image), dtype=torch.float32).reshape(1, 28, 28) / 255


def marks_the_image(image):
    """Draws on the caller's image (in place), then converts it."""
    image.putpixel((0, 0), 255)
    return _v1("ToTensor")(image)


def pixels_by_numpy(image):
    """Also right: through NumPy, by hand."""
    import numpy as np
    return torch.from_numpy(np.array(image)).float().div(255).unsqueeze(0)


# --- pixel_stats -----------------------------------------------------------------------


def pixel_stats(loader):
    n, total, total_sq = 0, 0.0, 0.0
    for images, _labels in loader:
        x = images.double()
        n += x.numel()
        total += x.sum().item()
        total_sq += (x**2).sum().item()
    mean = total / n
    return mean, (total_sq / n - mean**2) ** 0.5


def stats_by_stacking(loader):
    pixels = torch.cat([images.flatten() for images, _labels in loader])
    return pixels.mean().item(), pixels.std().item()


def stats_without_bessel(loader):
    pixels = torch.cat([images.flatten() for images, _labels in loader])
    return pixels.mean().item(), pixels.std(correction=0).item()


def stats_as_tensors(loader):
    pixels = torch.cat([images.flatten() for images, _labels in loader])
    return pixels.mean(), pixels.std()


def stats_of_batch_means(loader):
    means = [images.mean().item() for images, _labels in loader]
    stds = [images.std().item() for images, _labels in loader]
    return sum(means) / len(means), sum(stds) / len(stds)


def stats_of_first_batch(loader):
    images, _labels = next(iter(loader))
    return images.mean().item(), images.std().item()


def stats_with_variance(loader):
    pixels = torch.cat([images.flatten() for images, _labels in loader])
    return pixels.mean().item(), pixels.var().item()


def stats_centring_in_place(loader):
    """Centres each batch in place on the way: the caller's images change."""
    for images, _labels in loader:
        images.sub_(images.mean())
    return stats_by_stacking(loader)


def stats_as_dict(loader):
    mean, std = pixel_stats(loader)
    return {"mean": mean, "std": std}


# --- train_epoch ---------------------------------------------------------------------


def _epoch(condition, divide=lambda every, i: every, reset=True, log_last=False):
    def train_epoch(model, loader, loss_fn, optimizer, every=100):
        logged, running_loss = [], 0.0
        for i, (inputs, labels) in enumerate(loader):
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            if condition(i, every):
                logged.append(loss.item() if log_last else running_loss / divide(every, i))
                print(f"[batch {i + 1}] loss: {logged[-1]:.3f}")
                if reset:
                    running_loss = 0.0
        return logged
    return train_epoch


def given_train_epoch(model, loader, loss_fn, optimizer, every=100):
    logged = []
    running_loss = 0.0
    for i, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 2000 == 1999:  # print every 2000 mini-batches
            logged.append(running_loss / 2000)
            print(f"[batch {i + 1}] loss: {running_loss / 2000:.3f}")
            running_loss = 0.0
    return logged


right_epoch = _epoch(lambda i, every: (i + 1) % every == 0)


def epoch_no_step(model, loader, loss_fn, optimizer, every=100):
    logged, running = [], 0.0
    for i, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        running += loss.item()
        if (i + 1) % every == 0:
            logged.append(running / every)
            running = 0.0
    return logged


def _epoch_logging(log, show, every_fixed=None):
    """The fixed loop, with what it logs and prints made by ``log`` and ``show``."""
    def train_epoch(model, loader, loss_fn, optimizer, every=100):
        logged, running_loss = [], 0.0
        for i, (inputs, labels) in enumerate(loader):
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), labels)
            loss.backward()
            optimizer.step()
            running_loss = running_loss + log(loss)
            if (i + 1) % every == 0:
                logged.append(running_loss / every)
                show(i, running_loss, every)
                running_loss = 0.0
        return logged
    return train_epoch


def _print_average(i, running_loss, every):
    print(f"[batch {i + 1:5d}] loss: {running_loss / every:.3f}")


# running_loss += loss: every step's graph stays alive in what it logs.
epoch_sums_tensors = _epoch_logging(lambda loss: loss, _print_average)
# Tensors without a graph are still not the Python numbers the loop logs.
epoch_logs_tensors = _epoch_logging(lambda loss: loss.detach(), _print_average)
# Logs the right values; the print was left as given, or left out, or printed too often.
epoch_prints_given_average = _epoch_logging(
    lambda loss: loss.item(), lambda i, running, every: print(f"loss: {running / 2000:.3f}"))
epoch_prints_nothing = _epoch_logging(lambda loss: loss.item(), lambda i, running, every: None)
epoch_prints_twice = _epoch_logging(
    lambda loss: loss.item(),
    lambda i, running, every: print(f"{running / every:.3f}\n{running / every:.3f}"))
# Also right: another print format.
epoch_prints_its_own_way = _epoch_logging(
    lambda loss: loss.item(),
    lambda i, running, every: print(f"after {i + 1} batches the mean loss is "
                                    f"{running / every:.5f}"))


def epoch_returns_nothing(model, loader, loss_fn, optimizer, every=100):
    """Prints at the right moments but returns nothing."""
    right_epoch(model, loader, loss_fn, optimizer, every)


# --- cross_entropy -------------------------------------------------------------------


def cross_entropy(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return (lse - logits[torch.arange(len(labels)), labels]).mean()


def ce_gather(logits, labels):
    """Also right: gather, and the max kept out of the graph."""
    m = logits.detach().amax(dim=1, keepdim=True)
    log_probs = logits - m - (logits - m).exp().sum(dim=1, keepdim=True).log()
    return -log_probs.gather(1, labels.unsqueeze(1)).mean()


def ce_naive(logits, labels):
    probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    return -probs[torch.arange(len(labels)), labels].log().mean()


def ce_softmax_then_log(logits, labels):
    return -torch.softmax(logits, dim=1)[torch.arange(len(labels)), labels].log().mean()


def ce_global_max(logits, labels):
    m = logits.max()
    lse = m + (logits - m).exp().sum(dim=1).log()
    return (lse - logits[torch.arange(len(labels)), labels]).mean()


def ce_max_not_added_back(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    lse = (logits - m).exp().sum(dim=1).log()
    return (lse - logits[torch.arange(len(labels)), labels]).mean()


def ce_sum(logits, labels):
    return cross_entropy(logits, labels) * len(labels)


def ce_fancy_index_bug(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return (lse - logits[:, labels]).mean()  # (B, B): every label against every row


def ce_in_place(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    logits -= m
    lse = logits.exp().sum(dim=1).log()
    return (lse - logits[torch.arange(len(labels)), labels]).mean()


def ce_per_example(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return lse - logits[torch.arange(len(labels)), labels]  # (B,): not averaged


def ce_item(logits, labels):
    return cross_entropy(logits, labels).item()


def ce_library(logits, labels):
    return F.cross_entropy(logits, labels)


def ce_log_softmax(logits, labels):
    return F.nll_loss(logits.log_softmax(dim=1), labels)


def ce_logsumexp(logits, labels):
    return (torch.logsumexp(logits, 1) - logits[torch.arange(len(labels)), labels]).mean()


def ce_float32(logits, labels):
    return cross_entropy(logits.float(), labels)


# The library's log-softmax, reached through F.cross_entropy, nn.CrossEntropyLoss, ...
LIBRARY_LOG_SOFTMAX = "`torch.ops.aten._log_softmax`, from the library's cross-entropy"


def _picked(logits, labels):
    return logits[torch.arange(len(labels)), labels]


def ce_special_logsumexp(logits, labels):
    return (torch.special.logsumexp(logits, 1) - _picked(logits, labels)).mean()


def ce_special_log_softmax(logits, labels):
    return -_picked(torch.special.log_softmax(logits, 1), labels).mean()


def ce_aten_logsumexp(logits, labels):
    return (torch.ops.aten.logsumexp(logits, [1]) - _picked(logits, labels)).mean()


def ce_aten_log_softmax(logits, labels):
    return -_picked(torch.ops.aten._log_softmax(logits, 1, False), labels).mean()


def ce_captured_logsumexp(logits, labels):
    return (captured_logsumexp(logits, 1) - _picked(logits, labels)).mean()


def ce_private_entry(logits, labels):
    return torch._C._nn.cross_entropy_loss(logits, labels)


def ce_distribution(logits, labels):
    return -torch.distributions.Categorical(logits=logits).log_prob(labels).mean()


def ce_logcumsumexp(logits, labels):
    return (torch.logcumsumexp(logits, 1)[:, -1] - _picked(logits, labels)).mean()


def ce_logaddexp(logits, labels):
    lse = functools.reduce(torch.logaddexp, logits.unbind(1))
    return (lse - _picked(logits, labels)).mean()


def ce_detached(logits, labels):
    return cross_entropy(logits, labels).detach()


def ce_new_tensor(logits, labels):
    return torch.tensor(cross_entropy(logits, labels).item())


def ce_lse_off_the_graph(logits, labels):
    """The log-sum-exp detached: the right values, a gradient without its softmax part."""
    m = logits.max(dim=1, keepdim=True).values
    lse = (m.squeeze(1) + (logits - m).exp().sum(dim=1).log()).detach()
    return (lse - _picked(logits, labels)).mean()


def ce_lse_by_numpy(logits, labels):
    """The log-sum-exp trick written out in NumPy: off the graph."""
    import numpy as np

    z = logits.detach().numpy()
    m = z.max(axis=1, keepdims=True)
    lse = torch.from_numpy(m[:, 0] + np.log(np.exp(z - m).sum(axis=1)))
    return (lse - _picked(logits, labels)).mean()


def ce_batch_of_2(logits, labels):
    """Divides by the batch size of the first check a fixed test would make."""
    return ce_per_example(logits, labels).sum() / 2


def ce_row_by_row(logits, labels):
    """Also right: a loop over the rows (the exercise does not rule loops out)."""
    losses = []
    for row, label in zip(logits, labels, strict=True):
        m = row.max()
        losses.append(m + (row - m).exp().sum().log() - row[label])
    return torch.stack(losses).mean()


# --- sigmoid_mse_grad ----------------------------------------------------------------


def sigmoid_mse_grad(z, t):
    s = torch.sigmoid(z)
    return (s - t) * s * (1 - s)


def smg_autograd(z, t):
    z = z.clone().requires_grad_(True)
    (0.5 * ((torch.sigmoid(z) - t) ** 2).sum()).backward()
    return z.grad


def smg_in_place(z, t):
    s = z.sigmoid_()  # the caller's z now holds sigmoid(z)
    return (s - t) * s * (1 - s)


def smg_by_func(z, t):
    """torch.func.grad, captured early, mapped over the entries."""
    per_entry = derivative(lambda zi, ti: 0.5 * (torch.sigmoid(zi) - ti) ** 2)
    return vmap(per_entry)(z.flatten(), t.flatten()).view_as(z)


# --- batch_loss ----------------------------------------------------------------------


def given_batch_loss(outputs, labels):
    return nn.functional.cross_entropy_loss(outputs, labels)


CASES = [
    Case(WindowDataset, right={"WindowDataset": _window()}, wrong=[
        ({"WindowDataset": _window(length=lambda n, w: n)}, "`len(dataset)"),
        ({"WindowDataset": _window(length=lambda n, w: n - w + 1)}, "`len(dataset)"),
        ({"WindowDataset": _window(length=lambda n, w: n - w - 1)}, "`len(dataset)"),
        ({"WindowDataset": _window(target=lambda s, i, w: s[i + w - 1])},
         "the values of `dataset[0][1]`"),
        ({"WindowDataset": _window(window=lambda s, i, w: s[i:i + w + 1])},
         "the shape of `dataset[0][0]`"),
        ({"WindowDataset": _window(target=lambda s, i, w: s[i + w:i + w + 1])},
         "the shape of `dataset[0][1]`"),
        ({"WindowDataset": _window(pair=lambda x, y: (y, x))},
         "the shape of `dataset[0][0]`"),
        ({"WindowDataset": _window(window=lambda s, i, w: s[0:w], target=lambda s, i, w: s[w])},
         "the values of `dataset[1][0]`"),
        ({"WindowDataset": _window(pair=lambda x, y: torch.cat([x, y.unsqueeze(0)]))},
         "a pair (window, target)"),
        ({"WindowDataset": _window(window=lambda s, i, w: s[i:i + w].tolist())},
         "the type of `dataset[0][0]`"),
        ({"WindowDataset": CentresSeriesInPlace}, "changed its argument `series` in place"),
        ({"WindowDataset": _window(window=lambda s, i, w: s[i:i + w].float(),
                                   target=lambda s, i, w: s[i + w].float())},
         "the dtype of `dataset[0][0]`"),
        ({"WindowDataset": _window(length=lambda n, w: n - 3, window=lambda s, i, w: s[i:i + 3],
                                   target=lambda s, i, w: s[i + 3])}, "`len(dataset)"),
    ], raising=[
        ({"WindowDataset": NoLen}, "TypeError"),
    ]),
    Case(MnistTransform, right={"mnist_transform": _v2_transform()}, wrong=[
        ({"mnist_transform": _v1("PILToTensor")}, "the dtype of `mnist_transform("),
        ({"mnist_transform": _v2_transform(scale=False)}, "the values of `mnist_transform("),
        ({"mnist_transform": _v2_transform(normalize=True)},
         "the values of `mnist_transform("),
        ({"mnist_transform": pixels_as_float_no_channel}, "the shape of `mnist_transform("),
        ({"mnist_transform": lambda image: image}, "the type of `mnist_transform("),
        ({"mnist_transform": marks_the_image}, "changed its argument `image` in place"),
    ], raising=[
        ({"mnist_transform": pixels_hard_coded_28}, "RuntimeError"),
        ({"mnist_transform": _v1("ToTensor").__class__}, "TypeError"),
    ]),
    Case(TrainEpoch, right={"train_epoch": right_epoch}, wrong=[
        ({"train_epoch": _epoch(lambda i, every: i % every == 0)}, "how many averages"),
        ({"train_epoch": _epoch(lambda i, every: i > 0 and i % every == 0)},
         "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % every == 0,
                                divide=lambda every, i: 2000)}, "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % every == 0, reset=False)},
         "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % every == 0, log_last=True)},
         "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % every == 0,
                                divide=lambda every, i: i + 1)},
         "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: i % 100 == 99)}, "how many averages"),
        ({"train_epoch": epoch_no_step}, "the values of `model.weight`"),
        ({"train_epoch": epoch_returns_nothing}, "the type of `train_epoch(...)`"),
        ({"train_epoch": epoch_sums_tensors}, "it keeps that step's whole graph in memory"),
        ({"train_epoch": epoch_logs_tensors}, "the type of `train_epoch(...)[0]`"),
        ({"train_epoch": epoch_prints_given_average}, "printed line 1 of"),
        ({"train_epoch": epoch_prints_nothing}, "the lines `train_epoch("),
        ({"train_epoch": epoch_prints_twice}, "the lines `train_epoch("),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % 3 == 0)}, "how many averages"),
    ]),
    Case(PixelStats, right={"pixel_stats": pixel_stats}, wrong=[
        ({"pixel_stats": stats_of_batch_means}, "the mean from `pixel_stats(loader)`"),
        ({"pixel_stats": stats_of_first_batch}, "the mean from `pixel_stats(loader)`"),
        ({"pixel_stats": stats_with_variance}, "the standard deviation from"),
        ({"pixel_stats": stats_centring_in_place}, "changed its argument"),
        ({"pixel_stats": stats_as_dict}, "pixel_stats(loader)"),
        ({"pixel_stats": lambda loader: (0.1307, 0.3081)}, "the mean from"),
        ({"pixel_stats": lambda loader: pixel_stats(loader)[0]}, "pixel_stats(loader)"),
    ], raising=[
        ({"pixel_stats": lambda loader: stats_by_stacking(loader.dataset)}, "AttributeError"),
    ]),
    Case(CrossEntropy, right={"my_cross_entropy": cross_entropy}, wrong=[
        ({"my_cross_entropy": ce_naive}, "the values of `my_cross_entropy(logits, labels)`"),
        # Log-sum-exp under other names: a distribution's log_prob, logaddexp folded over.
        ({"my_cross_entropy": lambda z, y: -torch.distributions.Categorical(logits=z)
          .log_prob(y).mean()}, "log-sum-exp"),
        ({"my_cross_entropy": lambda z, y: (functools.reduce(torch.logaddexp, z.unbind(1))
                                            - z[torch.arange(len(y)), y]).mean()},
         "`torch.ops.aten.logaddexp`"),
        ({"my_cross_entropy": ce_softmax_then_log}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_global_max}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_max_not_added_back}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_sum}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_fancy_index_bug}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_per_example}, "the shape of `my_cross_entropy("),
        ({"my_cross_entropy": ce_item}, "the type of `my_cross_entropy("),
        ({"my_cross_entropy": ce_in_place}, "changed its argument `logits` in place"),
        ({"my_cross_entropy": ce_library}, LIBRARY_LOG_SOFTMAX),
        ({"my_cross_entropy": F.cross_entropy}, LIBRARY_LOG_SOFTMAX),
        ({"my_cross_entropy": nn.CrossEntropyLoss()}, LIBRARY_LOG_SOFTMAX),
        ({"my_cross_entropy": ce_log_softmax}, "`torch.ops.aten._log_softmax`"),
        ({"my_cross_entropy": ce_logsumexp}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_float32}, "the dtype of `my_cross_entropy("),
        ({"my_cross_entropy": ce_special_logsumexp}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_special_log_softmax}, "`torch.ops.aten._log_softmax`"),
        ({"my_cross_entropy": ce_aten_logsumexp}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_aten_log_softmax}, "`torch.ops.aten._log_softmax`"),
        ({"my_cross_entropy": ce_captured_logsumexp}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_private_entry}, LIBRARY_LOG_SOFTMAX),
        ({"my_cross_entropy": ce_distribution}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_logcumsumexp}, "`torch.ops.aten.logcumsumexp`"),
        ({"my_cross_entropy": ce_logaddexp}, "`torch.ops.aten.logaddexp`"),
        ({"my_cross_entropy": ce_detached}, "whether you could call `backward()`"),
        ({"my_cross_entropy": ce_new_tensor}, "whether you could call `backward()`"),
        ({"my_cross_entropy": ce_batch_of_2}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_lse_off_the_graph},
         "the gradient of `my_cross_entropy(logits, labels)`"),
        ({"my_cross_entropy": ce_lse_by_numpy},
         "the gradient of `my_cross_entropy(logits, labels)`"),
    ]),
    Case(SigmoidMseGrad, right={"sigmoid_mse_grad": sigmoid_mse_grad}, wrong=[
        ({"sigmoid_mse_grad": lambda z, t: (z - t) * torch.sigmoid(z)
          * (1 - torch.sigmoid(z))}, "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: (torch.sigmoid(z) - t) * z * (1 - z)},
         "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: -sigmoid_mse_grad(z, t)},
         "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: 2 * sigmoid_mse_grad(z, t)},
         "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: sigmoid_mse_grad(z, t) / z.numel()},
         "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: sigmoid_mse_grad(z, t).sum()},
         "the shape of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: z - t}, "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": smg_autograd}, "`torch.Tensor.backward`, from autograd"),
        ({"sigmoid_mse_grad": smg_in_place}, "changed its argument `z` in place"),
        ({"sigmoid_mse_grad": smg_by_func}, "`torch.func.grad`, from autograd"),
        ({"sigmoid_mse_grad": lambda z, t: sigmoid_mse_grad(z.float(), t.float())},
         "the dtype of `sigmoid_mse_grad(z, t)`"),
    ]),
    Case(BatchLoss, right={"batch_loss": lambda outputs, labels: F.cross_entropy(
        outputs, labels)}, wrong=[
        ({"batch_loss": lambda outputs, labels: F.nll_loss(outputs, labels)},
         "the values of `batch_loss(outputs, labels)`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs, labels,
                                                                reduction="sum")},
         "the values of `batch_loss(outputs, labels)`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs.softmax(dim=1),
                                                                labels)},
         "the values of `batch_loss(outputs, labels)`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs, labels).item()},
         "the type of `batch_loss(outputs, labels)`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs, labels).detach()},
         "whether you could call `backward()`"),
        ({"batch_loss": lambda outputs, labels: torch.tensor(
            F.cross_entropy(outputs, labels).item())}, "whether you could call `backward()`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(
            outputs.sub_(outputs.amax(dim=1, keepdim=True)), labels)},
         "changed its argument `outputs` in place"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs.float(), labels)},
         "the dtype of `batch_loss(outputs, labels)`"),
    ], raising=[
        # The class called with the data: its constructor takes `outputs` as class weights.
        ({"batch_loss": lambda outputs, labels: nn.CrossEntropyLoss(outputs, labels)},
         "Boolean value of Tensor"),
        ({"batch_loss": lambda outputs, labels: nn.functional.crossentropy(outputs, labels)},
         "AttributeError"),
        ({"batch_loss": lambda outputs, labels: F.binary_cross_entropy_with_logits(
            outputs, labels)}, "ValueError"),
    ]),
]



(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES)
test_chinese = chinese_test(CASES)


def test_given_spot_the_bug_code_is_not_attempted():
    """Does each spot-the-bug exercise say "not attempted" for the code the seed texts
    give, unchanged?"""
    given = [(MnistTransform, {"mnist_transform": None}, "`None`"),
             (TrainEpoch, {"train_epoch": given_train_epoch}, "2000"),
             (SigmoidMseGrad, {"sigmoid_mse_grad": lambda z, t: torch.sigmoid(z) - t},
              "output - label"),
             (BatchLoss, {"batch_loss": given_batch_loss}, "cross_entropy_loss")]
    for exercise, answers, fragment in given:
        for seed in (0, 1):
            result = run_check(exercise(), answers, seed=seed)
            assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
            assert fragment in result.text(), result.text()


def test_correct_alternatives_pass():
    """Do other correct answers pass: ToTensor (v1) and NumPy, `i % every == every - 1` and
    another print format, gather and a detached max, a loop over the rows,
    `nn.CrossEntropyLoss()` and `nll_loss(log_softmax)` for the loss name?"""
    from torchvision.transforms import v2

    alternatives = [
        (WindowDataset, {"WindowDataset": PrecomputedWindows}),
        (MnistTransform, {"mnist_transform": _v1("ToTensor")}),
        (MnistTransform, {"mnist_transform": v2.Compose([
            v2.PILToTensor(), v2.ToDtype(torch.float32, scale=True)])}),
        (MnistTransform, {"mnist_transform": pixels_by_numpy}),
        (PixelStats, {"pixel_stats": stats_by_stacking}),
        (PixelStats, {"pixel_stats": stats_without_bessel}),
        (PixelStats, {"pixel_stats": stats_as_tensors}),
        (TrainEpoch, {"train_epoch": _epoch(lambda i, every: i % every == every - 1)}),
        (TrainEpoch, {"train_epoch": epoch_prints_its_own_way}),
        (CrossEntropy, {"my_cross_entropy": ce_gather}),
        (CrossEntropy, {"my_cross_entropy": ce_row_by_row}),
        (BatchLoss, {"batch_loss": nn.CrossEntropyLoss()}),
        (BatchLoss, {"batch_loss": lambda outputs, labels: F.nll_loss(
            F.log_softmax(outputs, dim=1), labels)}),
    ]
    right = {case.exercise: case.right for case in CASES}
    for exercise, answers in alternatives:
        for seed in (0, 1):
            result = run_check(exercise(), {**right[exercise], **answers}, seed=seed)
            assert result.passed, result.text()
