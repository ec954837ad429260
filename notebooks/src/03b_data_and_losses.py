# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "datasets and loaders, input normalisation, softmax and cross-entropy from scratch, the log-sum-exp trick, weight initialisation, the evaluation loop, saving weights"
# ---

# %% [markdown]
# # 03b · Data and losses, under the hood
#
# Chapter 03 trained an MLP on MNIST with tools it used as they come: a `DataLoader`,
# `nn.CrossEntropyLoss`, the default initial weights, `fit` and `evaluate`. This chapter
# opens each of them, in the order the data flows: where examples come from, how they are
# scaled, how the loss reads the logits, where the weights start, and how a trained model is
# evaluated and saved. At the end we train the MNIST MLP again with every part written out.
#
# **What you will learn**
# - a `Dataset` written by hand, then the `DataLoader` that batches it: `batch_size`,
#   `shuffle`, `drop_last`, `collate_fn`, and why notebooks keep `num_workers=0`;
# - transforms, and input normalisation with MNIST's own mean and standard deviation;
# - softmax and cross-entropy from scratch with the log-sum-exp trick, then
#   `nn.CrossEntropyLoss`, and the gradient "prediction minus target" with its limits;
# - weight initialisation: why random, how large (Xavier, Kaiming), and PyTorch's default;
# - the training loop that reports as it goes, the evaluation loop written out (with
#   `model.to(device)`), and saving and loading a `state_dict`;
# - when to use `torch.nn.functional` instead of `nn` modules.

# %%
import inspect
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset, default_collate, random_split
from torchvision.transforms import v2

from labkit import data, exercises
from labkit.train import evaluate

q = exercises.bind("03b_data_and_losses", globals())
print("PyTorch", torch.__version__)

# %% [markdown]
# ## 1. A dataset, then a data loader
#
# In chapter 03, `TensorDataset` and `torchvision.datasets.MNIST` served the data. Any object with
# two methods is a (map-style) dataset: `__len__` (how many examples) and `__getitem__(i)`
# (example number `i`); subclassing `torch.utils.data.Dataset` is customary, not required.
# A `DataLoader` asks the dataset for items at some indices, then a *collate
# function* stacks them into a batch:
#
# $$\text{indices} \xrightarrow{\ \text{dataset}[i]\ } \text{items}
# \xrightarrow{\ \text{collate\_fn}\ } \text{batch}$$
#
# Here is a dataset written by hand: item `i` is the number `x = i / 10` and its square.

# %%
class SquaresDataset(Dataset):
    """Item i: x = i / 10 and y = x², each a tensor of shape (1,)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(f"index {i} out of range for {self.n} items")  # i18n
        x = torch.tensor([i / 10])  # (1,)
        return x, x**2


squares = SquaresDataset(10)
print("len(squares) =", len(squares), "  squares[3] =", squares[3])


def show_batches(loader):
    """Print each batch's shape and the item numbers in it (x = i / 10, so i = 10 x)."""
    for xb, _ in loader:  # xb (B, 1); the targets are not needed here
        print(f"   batch of shape {tuple(xb.shape)}: items {(10 * xb).round().long().flatten().tolist()}")  # i18n


# %% [markdown]
# The options that matter, each shown on these 10 items:
#
# - `batch_size=4`: batches of 4, and the last batch holds what is left, so there are
#   ⌈10 / 4⌉ batches;
# - `drop_last=True`: drop that incomplete last batch (⌊10 / 4⌋ batches), useful when every
#   batch must have the same size;
# - `shuffle=True`: a new random order in every epoch. Shuffle the training data, so that
#   batches mix the classes; do not bother for validation and test data. A seeded
#   `torch.Generator` makes the order repeatable.

# %%
print("batch_size=4:", len(DataLoader(squares, batch_size=4)), "batches")  # i18n
show_batches(DataLoader(squares, batch_size=4))
print("batch_size=4, drop_last=True:", len(DataLoader(squares, batch_size=4, drop_last=True)),  # i18n
      "batches")  # i18n
show_batches(DataLoader(squares, batch_size=4, drop_last=True))
shuffled = DataLoader(squares, batch_size=4, shuffle=True,
                      generator=torch.Generator().manual_seed(0))
for epoch in range(2):
    print(f"shuffle=True, epoch {epoch}:")  # i18n
    show_batches(shuffled)

# %% [markdown]
# **`collate_fn`.** The default, `default_collate`, stacks tensors of equal shape along a new
# first dimension, and turns numbers into tensors. Items of different sizes cannot be
# stacked, as with sentences of different lengths. A collate function of our own can pad
# them to the longest one and also return the true lengths:

# %%
sequences = [torch.tensor([1, 2, 3]), torch.tensor([4]), torch.tensor([5, 6])]  # lengths 3, 1, 2
try:
    default_collate(sequences)
except RuntimeError as err:
    print("default_collate:", err)


def pad_collate(batch):
    """A list of 1-D tensors -> (padded (B, longest), lengths (B,))."""
    lengths = torch.tensor([len(s) for s in batch])
    padded = torch.zeros(len(batch), int(lengths.max()), dtype=batch[0].dtype)
    for row, s in enumerate(batch):
        padded[row, : len(s)] = s
    return padded, lengths


padded, lengths = next(iter(DataLoader(sequences, batch_size=3, collate_fn=pad_collate)))
print("padded batch:\n", padded, "\nlengths:", lengths.tolist())  # i18n

# %% [markdown]
# **`num_workers`.** With `num_workers=0` (the default) the main process loads every batch.
# With `num_workers=k`, `k` worker processes load batches in the background, which pays off
# when `__getitem__` is slow (reading and decoding image files), not for data already in
# memory as here. Workers are separate processes. Under the "fork" start method they begin
# as copies of the notebook's process; under "spawn" and "forkserver" they start fresh and
# must import the dataset's class by name. Windows and macOS use spawn, and Linux uses
# forkserver from Python 3.14 on. A class defined in a notebook cell cannot be imported that
# way, so the loader fails (with an error about getting an attribute on `__main__`) or, with
# some setups, hangs. That is why this course keeps the default 0 in notebooks. In a script,
# workers are fine: define the dataset class at the top level of the script or in a module,
# and run the training code under `if __name__ == "__main__":`. This machine starts
# processes with:

# %%
print(torch.multiprocessing.get_start_method())

# %% [markdown]
# ### Exercise 1: a dataset written by hand
# Forecasting a series one step ahead: from `width` consecutive values, predict the next
# one. Write `WindowDataset(series, width)` for a 1-D tensor `series` of `n` values: item
# `i` is the pair `(series[i : i + width], series[i + width])`, a window of shape
# `(width,)` and the value right after it (a 0-d tensor). How many items are there? The
# check counts them, reads every item, and batches the dataset with a `DataLoader`.

# %%
class WindowDataset(Dataset):
    """Item i: the window series[i : i + width] and the value right after it."""

    def __init__(self, series, width):
        ### BEGIN SOLUTION
        self.series, self.width = series, width
        ### END SOLUTION

    def __len__(self):
        ### BEGIN SOLUTION
        return len(self.series) - self.width  # the last window ends one value early
        ### END SOLUTION

    def __getitem__(self, i):
        ### BEGIN SOLUTION
        return self.series[i : i + self.width], self.series[i + self.width]
        ### END SOLUTION


# %%
q.window_dataset.check()

# %% tags=["author-test"]
class WindowsOffByOne(Dataset):
    def __init__(self, series, width):
        self.series, self.width = series, width

    def __len__(self):
        return len(self.series) - self.width + 1

    def __getitem__(self, i):
        return self.series[i : i + self.width], self.series[i + self.width]


q.window_dataset.expect("incorrect", "`len(dataset)", WindowDataset=WindowsOffByOne)
q.window_dataset.expect("passed")

# %% [markdown]
# On the series 0, 1, ..., 7 with windows of 3, batched by 2:

# %%
try:
    windows = WindowDataset(torch.arange(8.0), width=3)  # (8,) series
    print(len(windows), "items")  # i18n
    for xb, yb in DataLoader(windows, batch_size=2):  # xb (2, 3), yb (2,)
        print("   windows", xb.tolist(), " targets", yb.tolist())  # i18n
except NotImplementedError:
    print("Solve exercise 1 to see the windows.")  # i18n

# %% [markdown]
# ### Exercise 2: spot the bug, an MNIST loader without a transform
# One seed text loads MNIST like this (we point it at our data folder):
# ```python
# train_loader = torch.utils.data.DataLoader(
#     torchvision.datasets.MNIST(root='./data', train=True, download=True),
#     batch_size=100, shuffle=True)
# ```
# The dataset has no `transform`, so each item is a PIL image, and the loader meets the
# error below when it collates the first batch:

# %%
root = data.ensure_mnist()  # the data folder (offline: a subset shipped with labkit)
seed_mnist = torchvision.datasets.MNIST(root, train=True)  # no transform, as in the seed text
seed_image, seed_label = seed_mnist[0]
print(f"an item: a PIL {type(seed_image).__name__} and the label {seed_label}")  # i18n
seed_loader = DataLoader(seed_mnist, batch_size=100, shuffle=True)
try:
    next(iter(seed_loader))
except TypeError as err:
    print("TypeError:", str(err)[:160])

# %% [markdown]
# Set `mnist_transform` to a transform that turns one grey PIL image of `H×W` pixels
# (values 0 to 255) into a float32 tensor of shape `(1, H, W)` with values in [0, 1]. Use
# transforms v2 (`v2` is imported above); the legacy `torchvision.transforms.ToTensor()`
# also works. The check runs your transform on its own images and batches the results.

# %%
### BEGIN SOLUTION
mnist_transform = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
### END SOLUTION
### BEGIN STUB
mnist_transform = None  # the seed text passes no transform: this is the line to fix
### END STUB

# %%
q.mnist_transform.check()

# %% tags=["author-test"]
q.mnist_transform.expect("not attempted", "`None`", mnist_transform=None)
q.mnist_transform.expect("incorrect", "the dtype of", mnist_transform=v2.ToImage())
q.mnist_transform.expect("incorrect", "the values of",
                         mnist_transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32)]))
q.mnist_transform.expect("passed", mnist_transform=torchvision.transforms.ToTensor())
q.mnist_transform.expect("passed")

# %% [markdown]
# With a transform, the same loader works:

# %%
if mnist_transform is not None:
    fixed_loader = DataLoader(torchvision.datasets.MNIST(root, train=True, transform=mnist_transform),
                              batch_size=100, shuffle=True, generator=torch.Generator().manual_seed(0))
    fixed_images, fixed_labels = next(iter(fixed_loader))  # (100, 1, 28, 28), (100,)
    print("a batch:", tuple(fixed_images.shape), fixed_images.dtype, tuple(fixed_labels.shape))  # i18n

# %% [markdown]
# ## 2. Normalising the inputs
#
# `ToDtype(scale=True)` puts pixels in [0, 1], but not around 0: most MNIST pixels are
# black background. That matters to the first layer. The gradient of a weight `wᵢ` is the
# unit's error signal times its input `xᵢ`, so when every input is positive, all the
# weight gradients of one unit share a sign and the weights can only move together, in a
# zig-zag. The usual cure is to shift and scale every input to mean 0 and standard
# deviation 1: `x' = (x − mean) / std`, with the mean and std measured on the **training**
# images only (the validation and test images stay unseen, and are scaled with the same two
# numbers). The famous values 0.1307 and 0.3081 are those of the full MNIST training set;
# our training split gives its own. `.data` holds a torchvision dataset's raw pixels as
# uint8, so no transform needs to run:

# %%
mnist_train_full = torchvision.datasets.MNIST(root, train=True)
mnist_test = torchvision.datasets.MNIST(root, train=False)
train_part, val_part = random_split(range(len(mnist_train_full)), [0.9, 0.1],
                                    generator=torch.Generator().manual_seed(0))


def as_floats(dataset, indices=None):
    """uint8 pixels (N, 28, 28) -> float32 images (N, 1, 28, 28) in [0, 1], and labels (N,)."""
    pixels, labels = dataset.data, dataset.targets
    if indices is not None:
        pixels, labels = pixels[list(indices)], labels[list(indices)]
    return pixels.unsqueeze(1).float() / 255, labels


X_train, y_train = as_floats(mnist_train_full, train_part)  # (3600, 1, 28, 28) offline
X_val, y_val = as_floats(mnist_train_full, val_part)
X_test, y_test = as_floats(mnist_test)
mean, std = X_train.mean().item(), X_train.std().item()
print(f"training pixels: mean {mean:.4f}, std {std:.4f}  "  # i18n
      "(full MNIST: 0.1307, 0.3081)")  # i18n

# %% [markdown]
# As a transform, `v2.Normalize(mean=[...], std=[...])` does it per channel (one value each
# for a grey image, three for colour). It gives the same numbers as the formula:

# %%
normalise = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True),
                        v2.Normalize(mean=[mean], std=[std])])
first = normalise(mnist_train_full[train_part.indices[0]][0])  # (1, 28, 28)
print("v2.Normalize == (x - mean) / std:",  # i18n
      torch.allclose(first, (X_train[0] - mean) / std, atol=1e-6))
X_train_n, X_val_n, X_test_n = [(x - mean) / std for x in (X_train, X_val, X_test)]
print(f"normalised training pixels: mean {X_train_n.mean().item():.3f}, "  # i18n
      f"std {X_train_n.std().item():.3f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 2.8), layout="constrained")
axes[0].hist(X_train.flatten(), bins=50, color="tab:blue")
axes[0].set_title("pixels in [0, 1]: mostly 0 (background)")  # i18n
axes[1].hist(X_train_n.flatten(), bins=50, color="tab:green")
axes[1].set_title("normalised: mean 0, std 1")  # i18n
for ax in axes:
    ax.set_yscale("log")  # a log scale, or the background hides every other bar
    ax.set_xlabel("pixel value")  # i18n
plt.show()

# %% [markdown]
# ### Exercise 3: the mean and standard deviation of a dataset, batch by batch
# The whole training set fitted in memory here; a real dataset often does not, and its
# statistics are gathered batch by batch. Write `pixel_stats(loader)`: `loader` yields
# `(images, labels)` batches (any shape, any float dtype, batches of different sizes), and
# the result is the pair `(mean, std)` of every pixel value of every batch, as two Python
# numbers, the same as if all the images were stacked into one tensor. (With or without
# Bessel's correction: over thousands of pixels the two agree within the check's tolerance.)

# %%
def pixel_stats(loader):
    ### BEGIN SOLUTION
    n, total, total_sq = 0, 0.0, 0.0
    for images, _ in loader:  # images (B, C, H, W)
        x = images.double()  # float64: long sums of float32 lose digits
        n += x.numel()
        total += x.sum().item()
        total_sq += (x**2).sum().item()
    mean = total / n
    return mean, (total_sq / n - mean**2) ** 0.5
    ### END SOLUTION


# %%
q.pixel_stats.check()

# %% tags=["author-test"]
def mean_of_batch_means(loader):
    means = [images.mean().item() for images, _ in loader]
    stds = [images.std().item() for images, _ in loader]
    return sum(means) / len(means), sum(stds) / len(stds)


q.pixel_stats.expect("incorrect", "the mean from `pixel_stats(loader)`",
                     pixel_stats=mean_of_batch_means)
q.pixel_stats.expect("passed")

# %% [markdown]
# On the MNIST training images, served 500 at a time:

# %%
try:
    batch_mean, batch_std = pixel_stats(DataLoader(TensorDataset(X_train, y_train), batch_size=500))
    print(f"pixel_stats: mean {batch_mean:.4f}, std {batch_std:.4f}")  # i18n
except NotImplementedError:
    print("Solve exercise 3 to see the statistics, batch by batch.")  # i18n

# %% [markdown]
# Does it help? One epoch of plain SGD (learning rate 0.01) on each version of the same
# images, from the same initial weights:

# %%
def one_epoch_sgd(X, y, X_check, y_check):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                          nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(0))
    for batch in order.split(64):  # (64,) indices of one mini-batch
        optimizer.zero_grad()
        F.cross_entropy(model(X[batch]), y[batch]).backward()
        optimizer.step()
    with torch.no_grad():
        return (model(X_check).argmax(dim=1) == y_check).float().mean().item()


print(f"pixels in [0, 1]: validation accuracy {one_epoch_sgd(X_train, y_train, X_val, y_val):.3f}")  # i18n
print(f"normalised:       validation accuracy {one_epoch_sgd(X_train_n, y_train, X_val_n, y_val):.3f}")  # i18n

# %% [markdown]
# Adam, which chapter 03 used, adapts each parameter's step to its own gradients and is
# less sensitive to the scale of the inputs (it trained well on raw pixels there).
# Normalising costs nothing, so it is the default habit. From here on, the MNIST tensors
# are the normalised ones.

# %% [markdown]
# ## 3. Softmax and cross-entropy from scratch
#
# The softmax turns `K` logits into probabilities, and the cross-entropy of an example of
# class `y` is minus the log of its probability:
#
# $$\operatorname{softmax}(\mathbf{z})_k = \frac{e^{z_k}}{\sum_j e^{z_j}}, \qquad
# \ell(\mathbf{z}, y) = -\log \operatorname{softmax}(\mathbf{z})_y
# = \log \sum_j e^{z_j} - z_y$$
#
# Typed in as written, it breaks for large logits: `e¹⁰⁰⁰` is infinite in float32 (the
# largest float32 is about 3.4·10³⁸, `e⁸⁹` already overflows), and `∞ / ∞` is `nan`:

# %%
z = torch.tensor([1000.0, 0.0, -1000.0])  # (3,)
print("exp(z):          ", torch.exp(z))
print("naive softmax:   ", torch.exp(z) / torch.exp(z).sum())  # i18n

# %% [markdown]
# The cure is the **log-sum-exp trick**. Adding the same number `c` to every logit does not
# change the softmax (the factor `e^c` cancels), so subtract the largest logit
# `m = maxⱼ zⱼ`: every exponent is then at most 0, and the largest term is exactly 1, so the
# sum is at least 1 and its log is safe.
#
# $$\log \sum_j e^{z_j} = m + \log \sum_j e^{z_j - m}$$

# %%
m = z.max()
log_sum_exp = m + torch.exp(z - m).sum().log()
print("stable softmax:  ", torch.exp(z - log_sum_exp))  # i18n
print("log-sum-exp:     ", log_sum_exp.item(), "  torch.logsumexp:", torch.logsumexp(z, dim=0).item())

# %% [markdown]
# ### Exercise 4: cross-entropy from scratch
# Write `my_cross_entropy(logits, labels)` for logits of shape `(B, K)` and class indices
# `labels` of shape `(B,)`: the mean over the batch of `log Σⱼ e^{zⱼ} − z_y`, as a 0-d
# tensor of the logits' dtype, equal to `F.cross_entropy(logits, labels)`. Use the
# log-sum-exp trick with each row's own maximum, so that logits of ±1000 work. Write it
# yourself: the check rules out the library's cross-entropy, log-softmax and log-sum-exp under
# every name (`F.cross_entropy`, `log_softmax`, `logsumexp`, `logaddexp`, `logcumsumexp`,
# `torch.special`, a `Categorical` distribution), and your function must not change its
# arguments.

# %%
def my_cross_entropy(logits, labels):
    ### BEGIN SOLUTION
    m = logits.max(dim=1, keepdim=True).values  # (B, 1) the largest logit of each row
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()  # (B,) log sum exp, stable
    picked = logits[torch.arange(len(labels)), labels]  # (B,) the true class's logit
    return (lse - picked).mean()
    ### END SOLUTION


# %%
q.cross_entropy.check()

# %% tags=["author-test"]
def naive_cross_entropy(logits, labels):
    probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)  # overflows at 1000
    return -probs[torch.arange(len(labels)), labels].log().mean()


q.cross_entropy.expect("incorrect", "the values of `my_cross_entropy(logits, labels)`",
                       my_cross_entropy=naive_cross_entropy)
q.cross_entropy.expect("incorrect", "`torch.ops.aten._log_softmax`, from the library's",
                       my_cross_entropy=F.cross_entropy)
q.cross_entropy.expect("incorrect", "`torch.ops.aten.logsumexp`",
                       my_cross_entropy=lambda z, y: (z.logsumexp(1) - z[range(len(y)), y]).mean())
q.cross_entropy.expect("passed")

# %% [markdown]
# **The gradient of softmax with cross-entropy.** Differentiate
# `ℓ = log Σⱼ e^{zⱼ} − z_y` with respect to `z_k`: the first term gives `softmax(z)_k`, the
# second `1` if `k = y`, else `0`. So
#
# $$\frac{\partial \ell}{\partial \mathbf{z}} = \operatorname{softmax}(\mathbf{z}) -
# \operatorname{one\_hot}(y)$$
#
# "prediction minus target", for each example. Autograd agrees (with `reduction="sum"`;
# the default mean divides it by the batch size `B`):

# %%
torch.manual_seed(0)
logits = torch.randn(4, 3, requires_grad=True)  # (4, 3)
labels = torch.tensor([0, 2, 1, 2])  # (4,)
F.cross_entropy(logits, labels, reduction="sum").backward()
by_formula = torch.softmax(logits.detach(), dim=1) - F.one_hot(labels, num_classes=3)
print("autograd:\n", logits.grad)
print("largest difference from softmax - one_hot:",  # i18n
      f"{(logits.grad - by_formula).abs().max().item():.1e}")

# %% [markdown]
# The same holds for two classes: with `BCEWithLogitsLoss`, `∂ℓ/∂z = σ(z) − t`. One seed
# text turns this into a general rule, "gradient = output − label" (and calls it the
# gradient with respect to the weights, where the chain rule adds the layer's input as a
# factor: `∂ℓ/∂w = (σ(z) − t)·x` for `z = w·x + b`). It is not general. It holds because each of these losses is the *matching* one for its output function (the
# log in the loss undoes the exponential in the sigmoid or softmax). Put a squared error on
# a sigmoid output, `ℓ = ½(σ(z) − t)²`, and the chain rule brings back the sigmoid's slope:
#
# $$\frac{\partial \ell}{\partial z} = (\sigma(z) - t)\,\sigma(z)\,(1 - \sigma(z))$$

# %%
z = torch.tensor([-6.0, -2.0, 0.0, 2.0], requires_grad=True)  # (4,) logits
t = torch.ones(4)  # (4,) every target is 1
(0.5 * (torch.sigmoid(z) - t) ** 2).sum().backward()
print("autograd, MSE on sigmoid: ", [round(v, 4) for v in z.grad.tolist()])  # i18n
print("output - label:           ", [round(v, 4) for v in (torch.sigmoid(z) - t).tolist()])  # i18n

# %% [markdown]
# The difference matters most where the model is most wrong. With target 1 and a very
# negative logit, the squared error's gradient almost vanishes (the sigmoid is flat there),
# so learning stalls; the cross-entropy's gradient stays near −1:

# %%
z_grid = torch.linspace(-8, 8, 161, requires_grad=True)  # (161,)
(0.5 * (torch.sigmoid(z_grid) - 1) ** 2).sum().backward()
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.plot(z_grid.detach(), (torch.sigmoid(z_grid) - 1).detach(), label="BCE with logits: σ(z) − 1")  # i18n
ax.plot(z_grid.detach(), z_grid.grad, label="MSE on σ(z): (σ(z) − 1) σ(z) (1 − σ(z))")  # i18n
ax.set_xlabel("logit z (the target is 1)")  # i18n
ax.set_ylabel("∂loss / ∂z")  # i18n
ax.legend()
plt.show()

# %% [markdown]
# ### Exercise 5: spot the bug, "gradient = output − label"
# `sigmoid_mse_grad(z, t)` should return `∂ℓ/∂z` for `ℓ = ½ Σ (σ(z) − t)²`, element-wise,
# for any shape. The given body applies the seed text's rule. Fix it with the chain rule,
# without autograd (the check runs it under `torch.no_grad()`).

# %%
def sigmoid_mse_grad(z, t):
    ### BEGIN SOLUTION
    s = torch.sigmoid(z)
    return (s - t) * s * (1 - s)
    ### END SOLUTION
    ### BEGIN STUB
    return torch.sigmoid(z) - t  # the seed text's rule: output - label
    ### END STUB


# %%
q.sigmoid_mse_grad.check()

# %% tags=["author-test"]
q.sigmoid_mse_grad.expect("not attempted", "output - label",
                          sigmoid_mse_grad=lambda z, t: torch.sigmoid(z) - t)
q.sigmoid_mse_grad.expect("incorrect", "the values of `sigmoid_mse_grad(z, t)`",
                          sigmoid_mse_grad=lambda z, t: (z - t) * z * (1 - z))
q.sigmoid_mse_grad.expect("passed")

# %% [markdown]
# ### Exercise 6: spot the bug, a loss function that does not exist
# One seed text computes the loss, in two of its examples, with
# `nn.functional.cross_entropy_loss(outputs, labels)`. Run it and read the error:

# %%
try:
    nn.functional.cross_entropy_loss(torch.randn(2, 3), torch.tensor([0, 2]))
except AttributeError as err:
    print("AttributeError:", err)

# %% [markdown]
# Fix `batch_loss` so that it returns the mean cross-entropy of the logits `outputs`
# `(B, K)` against the class indices `labels` `(B,)`, as a tensor you could call
# `backward()` on.

# %%
def batch_loss(outputs, labels):
    ### BEGIN SOLUTION
    return nn.functional.cross_entropy(outputs, labels)
    ### END SOLUTION
    ### BEGIN STUB
    return nn.functional.cross_entropy_loss(outputs, labels)  # the seed text's line
    ### END STUB


# %%
q.batch_loss.check()

# %% tags=["author-test"]
q.batch_loss.expect("incorrect", "the values of `batch_loss(outputs, labels)`",
                    batch_loss=lambda outputs, labels: F.cross_entropy(outputs.softmax(dim=1),
                                                                       labels))
q.batch_loss.expect("passed", batch_loss=nn.CrossEntropyLoss())
q.batch_loss.expect("passed")

# %% [markdown]
# ## 4. Weight initialisation
#
# Training starts from the initial weights, and they matter. **Why not start from zeros?**
# Then every hidden unit of a layer computes the same output, receives the same gradient,
# and takes the same step: they stay identical forever, and a layer of 10 units is worth
# one. Any constant does the same; random initial weights break this symmetry. See it after
# 100 steps on chapter 03's two moons:

# %%
X_moons, y_moons = data.make_moons(400, noise=0.15, seed=0)  # (400, 2), (400,)
t_moons = y_moons.float().unsqueeze(1)  # (400, 1) targets 0.0 / 1.0
bce = nn.BCEWithLogitsLoss()


def train_moons(model, steps=100):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(steps):
        optimizer.zero_grad()
        bce(model(X_moons), t_moons).backward()
        optimizer.step()
    return model


torch.manual_seed(0)
constant = nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 1))
for p in constant.parameters():
    nn.init.constant_(p, 0.1)  # every weight and bias the same (with 0, only the last bias moves)
train_moons(constant)
torch.manual_seed(0)
random_init = train_moons(nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 1)))
for name, model in [("constant start", constant), ("random start", random_init)]:  # i18n
    w = model[0].weight.detach()  # (10, 2) one row per hidden unit
    print(f"{name:15s} distinct hidden units: {len(torch.unique(w, dim=0))} of 10, "  # i18n
          f"loss {bce(model(X_moons), t_moons).item():.3f}")  # i18n

# %% [markdown]
# **How large?** A unit sums `n` inputs (its *fan-in*): `z = Σ wᵢxᵢ`. If the weights are
# independent of the inputs and of each other, with mean 0, then
# `Var(z) = n · Var(w) · E[x²]`. It is `E[x²]`, not `Var(x)`: the two agree only for inputs
# of mean 0, and the outputs of a ReLU are never negative, so their mean is positive.
#
# - **Xavier (Glorot)** for tanh and sigmoid, whose outputs are roughly centred:
#   `E[x²] ≈ Var(x)`, and `Var(w) = 2 / (n_in + n_out)`, a compromise between the forward
#   pass (fan-in) and the backward pass (fan-out);
# - **Kaiming (He)** for ReLU: if the previous layer's `z` is symmetric around 0, ReLU keeps
#   its positive half, so `E[x²] = ½ Var(z)`. Then `Var(z_next) = n · Var(w) · ½ Var(z)`,
#   and `Var(w) = 2 / n_in` keeps it equal to `Var(z)`.
#
# Measured on a million samples of `z` with mean 0 and variance 1:

# %%
torch.manual_seed(0)
z = torch.randn(1_000_000)  # (1000000,) pre-activations, mean 0, variance 1
x = torch.relu(z)
print(f"mean of relu(z) {x.mean().item():.3f}, Var {x.var().item():.3f}, "  # i18n
      f"E[x²] {x.pow(2).mean().item():.3f}")

# %% [markdown]
# Through 20 ReLU layers of width 256, the scale of the activations shows the difference:

# %%
def activation_scales(init, depth=20, width=256):
    torch.manual_seed(0)
    h = torch.randn(512, width)  # (512, 256) a batch of inputs with std 1
    scales = []
    for _ in range(depth):
        layer = nn.Linear(width, width, bias=False)
        init(layer.weight)
        h = torch.relu(layer(h))
        scales.append(h.std().item())
    return scales


inits = {"std 0.01": lambda w: nn.init.normal_(w, std=0.01),
         "Xavier": nn.init.xavier_normal_,
         "Kaiming (ReLU)": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")}
fig, ax = plt.subplots(figsize=(6, 3.6))
for name, init in inits.items():
    scales = activation_scales(init)
    ax.plot(range(1, 21), scales, marker="o", label=name)
    print(f"{name:15s} std after layer 20: {scales[-1]:.3g}")  # i18n
ax.set_yscale("log")
ax.set_xlabel("layer")  # i18n
ax.set_ylabel("std of the activations")  # i18n
ax.legend()
plt.show()

# %% [markdown]
# Too small and the signal dies out (and so do the gradients); Xavier halves the variance at
# every ReLU layer; Kaiming keeps it steady.
#
# **What does PyTorch do by default?** `nn.Linear` calls its `reset_parameters()`, which
# uses `kaiming_uniform_` with `a = √5`. That works out to a uniform distribution on
# `[−1/√n_in, 1/√n_in]` for the weights, and the same range for the biases: variance
# `1/(3 n_in)`, smaller than Kaiming's `2/n_in`. Read it in the installed PyTorch, and
# measure it:

# %%
print(inspect.getsource(nn.Linear.reset_parameters))
torch.manual_seed(0)
wide = nn.Linear(400, 300)
bound = 1 / 400**0.5
print(f"largest |weight| {wide.weight.abs().max().item():.4f}, largest |bias| "  # i18n
      f"{wide.bias.abs().max().item():.4f}, 1/sqrt(400) = {bound:.4f}")  # i18n
print(f"weight variance {wide.weight.var().item():.6f}, 1/(3·400) = {1 / 1200:.6f}")  # i18n

# %% [markdown]
# The default is good enough for the small networks of this course. For a deep ReLU
# network, initialise explicitly: walk over the modules and set each layer's weights.
# Do it under `torch.no_grad()`, or with the `nn.init` functions, which already do.

# %%
def kaiming_init(module):
    if isinstance(module, nn.Linear):
        nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        nn.init.zeros_(module.bias)


deep = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
deep.apply(kaiming_init)  # calls kaiming_init on every submodule
print(f"std of the first layer's weights {deep[0].weight.std().item():.3f}, "  # i18n
      f"sqrt(2 / 2) = {(2 / 2) ** 0.5:.3f}")  # i18n

# %% [markdown]
# ## 5. The MNIST MLP, every part written out
#
# Time to train chapter 03's MNIST MLP again, with the parts of this chapter: normalised
# inputs, a loader over them, Kaiming initialisation, a training loop that reports as it
# goes, and an evaluation loop written out.
#
# A training loop usually prints the average loss every so many batches. One seed text
# trains on CIFAR-10 (50,000 images) with `batch_size=100` and prints when
# `i % 2000 == 1999`, a condition copied from PyTorch's CIFAR-10 tutorial, which uses
# batches of 4 (12,500 per epoch). How many batches does the seed's loop see per epoch?

# %%
train_loader = DataLoader(TensorDataset(X_train_n, y_train), batch_size=64, shuffle=True,
                          generator=torch.Generator().manual_seed(0))
test_loader = DataLoader(TensorDataset(X_test_n, y_test), batch_size=256)
print("CIFAR-10 batches per epoch with batch_size=100:", 50_000 // 100)  # i18n
print("our MNIST training batches per epoch:", len(train_loader))  # i18n

# %% [markdown]
# `i` never reaches 1999, so nothing is ever printed: training runs silently, and a learner
# may think it hangs.
#
# ### Exercise 7: spot the bug, the print that never fires
# Here is that loop as a function that also returns the averages it prints. Fix it so that
# it logs (appends to `logged` and prints) the average loss of the last `every` batches
# after every `every` batches, whatever the number of batches. Batches left over at the end
# (fewer than `every`) are not logged. Keep the rest of the loop as it is.

# %%
### BEGIN SOLUTION
def train_epoch(model, loader, loss_fn, optimizer, every=100):
    logged = []
    running_loss = 0.0
    for i, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if (i + 1) % every == 0:  # after every `every` batches
            logged.append(running_loss / every)
            print(f"[batch {i + 1:5d}] loss: {running_loss / every:.3f}")  # i18n
            running_loss = 0.0
    return logged
### END SOLUTION
### BEGIN STUB
def train_epoch(model, loader, loss_fn, optimizer, every=100):
    logged = []
    running_loss = 0.0
    for i, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 2000 == 1999:  # print every 2000 mini-batches (the seed text's condition)
            logged.append(running_loss / 2000)
            print(f"[batch {i + 1:5d}] loss: {running_loss / 2000:.3f}")  # i18n
            running_loss = 0.0
    return logged
### END STUB


# %%
q.train_epoch.check()

# %% tags=["author-test"]
# ruff: noqa: F811 - the stub region of exercise 7 redefines train_epoch on purpose
def logs_from_first_batch(model, loader, loss_fn, optimizer, every=100):
    logged, running_loss = [], 0.0
    for i, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % every == 0:
            logged.append(running_loss / every)
            running_loss = 0.0
    return logged


q.train_epoch.expect("incorrect", "how many averages", train_epoch=logs_from_first_batch)
q.train_epoch.expect("passed")

# %% [markdown]
# Two epochs of the MLP with Kaiming initialisation (section 4), logging every 20 batches:

# %%
torch.manual_seed(0)
mnist_model = nn.Sequential(
    nn.Flatten(),  # (B, 1, 28, 28) -> (B, 784)
    nn.Linear(28 * 28, 128), nn.ReLU(),  # (B, 128)
    nn.Linear(128, 64), nn.ReLU(),  # (B, 64)
    nn.Linear(64, 10),  # (B, 10) logits
)
mnist_model.apply(kaiming_init)
cross_entropy = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(mnist_model.parameters(), lr=1e-3)
for epoch in range(2):
    print(f"epoch {epoch + 1}")  # i18n
    epoch_log = train_epoch(mnist_model, train_loader, cross_entropy, optimizer, every=20)

# %% [markdown]
# **The evaluation loop.** Chapter 03's `evaluate` hid four steps that every evaluation needs:
#
# 1. `model.eval()`: dropout off, batch norm uses its stored statistics (chapter 04);
# 2. `torch.no_grad()`: no graph is recorded, which saves memory and time;
# 3. the model and each batch on the same device: `model.to(device)` once, before the
#    loop (it moves the parameters and returns the same model), and `images.to(device)`
#    for every batch inside the loop, since the loader hands out CPU tensors;
# 4. counts added up over the batches, divided once at the end. Averaging the accuracies
#    of the batches would give the smaller last batch too much weight.
#
# Written out on the test set, it gives the same numbers as `evaluate`:

# %%
device = torch.accelerator.current_accelerator(check_available=True) or torch.device("cpu")
mnist_model.to(device)
mnist_model.eval()
correct, total, loss_sum = 0, 0, 0.0
with torch.no_grad():
    for images, labels in test_loader:
        images, labels = images.to(device), labels.to(device)  # (B, 1, 28, 28), (B,)
        logits = mnist_model(images)  # (B, 10)
        loss_sum += cross_entropy(logits, labels).item() * len(labels)  # batch mean x B
        correct += (logits.argmax(dim=1) == labels).sum().item()
        total += len(labels)
print(f"by hand:    accuracy {correct / total:.4f}  loss {loss_sum / total:.4f}  on {total} images "  # i18n
      f"({device})")  # i18n
test_result = evaluate(mnist_model, test_loader, loss_fn=cross_entropy)
print(f"evaluate(): accuracy {test_result['accuracy']:.4f}  loss {test_result['loss']:.4f}")  # i18n

# %% [markdown]
# ### Saving and loading weights
#
# A model's learned numbers live in its `state_dict()`: a dictionary from names to tensors
# (parameters, and buffers such as batch norm's statistics). Save that dictionary, not the
# whole model object: a pickled model breaks when its class is renamed or moved, while a
# `state_dict` needs only code that builds the same architecture. To load, build the
# architecture, then `load_state_dict`:

# %%
for name, tensor in mnist_model.state_dict().items():
    print(f"{name:9s} {tuple(tensor.shape)}")

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "mnist_mlp.pt"
    torch.save(mnist_model.state_dict(), path)
    print(f"saved {path.stat().st_size / 1e3:.0f} kB")  # i18n
    restored = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(),
                             nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    restored.load_state_dict(torch.load(path, map_location="cpu"))
restored.eval()
with torch.no_grad():
    same = torch.equal(restored(images.cpu()), mnist_model.cpu()(images.cpu()))
print("the restored model gives the same logits:", same)  # i18n

# %% [markdown]
# `map_location="cpu"` loads weights saved on a GPU onto a machine without one. Since
# PyTorch 2.6, `torch.load` loads only tensors and plain containers by default
# (`weights_only=True`), so loading a file cannot run code hidden in it. Chapter 06 goes
# further: checkpoints with the optimizer's state, and why that default matters.

# %% [markdown]
# ## 6. `torch.nn.functional` or `nn` modules?
#
# Most operations exist twice: as a function in `torch.nn.functional` (imported as `F`)
# and as a module in `nn`. The function is stateless: you pass it everything it needs,
# weights included. The module is an object that *holds* what it needs (parameters such as
# a layer's weights, settings such as a dropout rate, state such as training mode) and
# calls the function in its `forward`:

# %%
torch.manual_seed(0)
linear = nn.Linear(3, 2)
xb = torch.randn(4, 3)  # (4, 3)
print("nn.Linear == F.linear with its weights:",  # i18n
      torch.equal(linear(xb), F.linear(xb, linear.weight, linear.bias)))
print("nn.ReLU() == F.relu:", torch.equal(nn.ReLU()(xb), F.relu(xb)))
dropout = nn.Dropout(0.5)
dropout.eval()  # the module knows its mode...
print("nn.Dropout in eval mode changes nothing:", torch.equal(dropout(xb), xb))  # i18n
print("F.dropout needs to be told (training=False):",  # i18n
      torch.equal(F.dropout(xb, 0.5, training=False), xb))

# %% [markdown]
# | use | when |
# |---|---|
# | a module (`nn.Linear`, `nn.Dropout`, `nn.BatchNorm1d`, a loss object) | it has parameters or state, or behaves differently in training and evaluation: as a module it is registered, so `parameters()`, `.to(device)`, `state_dict()` and `model.eval()` reach it |
# | a function (`F.relu`, `F.cross_entropy`, `F.one_hot`) | it has no parameters: activations in `forward`, a loss computed once, a quick calculation |
#
# The classic mistake is creating a layer with parameters inside `forward`, e.g.
# `nn.Linear(64, 10)(x)`: new random weights on every call, unknown to the optimizer, so
# they are never trained. Create layers in `__init__`; use `F` freely for what has no
# parameters. And call `F.dropout(x, p, training=self.training)` if you use the function
# form, or it stays on in evaluation.

# %% [markdown]
# ## Common errors
#
# | error message | likely cause | fix |
# |---|---|---|
# | `default_collate: batch must contain tensors, ...; found <class 'PIL.Image.Image'>` | a torchvision dataset without a transform | `transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])` |
# | `Can't get attribute 'MyDataset' on <module '__main__'>` (spawn or forkserver: Windows, macOS, Linux from Python 3.14) | `num_workers > 0` with a dataset class defined in a notebook | `num_workers=0`, or the class in a module |
# | `stack expects each tensor to be equal size` | items of different sizes with the default collate function | a `collate_fn` that pads |
# | `module 'torch.nn.functional' has no attribute 'cross_entropy_loss'` | a function name that does not exist | `F.cross_entropy(logits, labels)` |
# | loss `nan` or `inf` with large logits | softmax and log written out without the log-sum-exp trick | subtract each row's max, or use `F.cross_entropy` |
# | training barely moves with plain SGD | inputs far from mean 0 and std 1 | normalise with the training set's mean and std |
#
# ## Summary
# - A dataset is `__len__` plus `__getitem__`; the `DataLoader` batches it (`batch_size`,
#   `shuffle`, `drop_last`, `collate_fn`). Under spawn or forkserver, workers must import
#   the dataset's class, so notebooks keep `num_workers=0`.
# - Normalise inputs to mean 0 and std 1 with statistics of the training set alone
#   (`v2.Normalize`), and scale validation and test data with the same numbers.
# - Cross-entropy is `logsumexp(z) − z_y`, computed stably by subtracting the max; its
#   gradient is `softmax − one_hot`. "Gradient = output − label" holds only for such matched
#   pairs (sigmoid with BCE, softmax with cross-entropy), not for a squared error on a sigmoid.
# - Random initial weights break symmetry. `Var(z) = n·Var(w)·E[x²]`: Kaiming's
#   `Var(w) = 2/n_in` for ReLU, Xavier for tanh; `nn.Linear` draws uniformly from ±1/√n_in
#   by default.
# - Evaluation: `model.eval()`, `torch.no_grad()`, model and batches on one device, counts
#   summed over the batches. Save and load weights as a `state_dict`.
# - Modules for what has parameters or state, `F` functions for the rest.
#
# **Next:** chapter 04, convolutional neural networks: layers that know which pixels are
# neighbours, and that usually do better than an MLP on images, with fewer parameters.

# %%
q.summary()
