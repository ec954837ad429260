# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "versions, CPU-only and CUDA builds, picking a device (`torch.accelerator`), seeds, widgets, the MNIST data, troubleshooting"
# ---

# %% [markdown]
# # 00 · Setup: your PyTorch workbench
#
# Before we build neural networks, let us make sure the tools work.
#
# **What you will learn**
# - which versions of Python, PyTorch and torchvision you have, and whether a GPU is visible;
# - what a CPU-only and a CUDA build of PyTorch are, and how to install either;
# - how to pick a device (`cuda`, `mps` or `cpu`) with `torch.accelerator`;
# - how to make random numbers reproducible with seeds and generators of your own;
# - how the course's interactive widgets, data and exercise checks work.
#
# Run each cell with **Shift + Enter**, from top to bottom.

# %%
import platform

import torch
import torchvision

from labkit import data, env, exercises

q = exercises.bind("00_setup", globals())

print("Python     ", platform.python_version())
print("PyTorch    ", torch.__version__)
print("torchvision", torchvision.__version__)

# %% [markdown]
# ## 1. What hardware does PyTorch see?
#
# PyTorch runs the same code on a CPU or on an *accelerator*: an NVIDIA GPU (`cuda`), an
# Apple silicon GPU (`mps`), an Intel GPU (`xpu`), ... One question covers them all:
# `torch.accelerator.current_accelerator(check_available=True)` returns the accelerator
# as a `torch.device`, or `None` when there is none to use.
#
# Mind `check_available=True`. Without it, the function only says which accelerator this
# PyTorch *build* was made for, whether or not a GPU is there: a CUDA build on a machine
# without a GPU still answers `cuda`. `torch.version.cuda` names the CUDA version of the
# build (`None` for a CPU-only one).

# %%
print("built for:          ", torch.accelerator.current_accelerator())  # i18n
print("usable accelerator: ",  # i18n
      torch.accelerator.current_accelerator(check_available=True))
print("CUDA version of the build:", torch.version.cuda)  # i18n
if torch.cuda.is_available():
    print("GPU:", torch.cuda.get_device_name(0))

# %% [markdown]
# ### Installing PyTorch: a CPU-only or a CUDA wheel
#
# Old guides (one of our seed texts among them) say to install CUDA and cuDNN before
# PyTorch. For `pip` that is out of date: a CUDA wheel brings its own CUDA runtime,
# cuDNN and the other libraries it needs (as `nvidia-*` packages), and the machine only
# needs an NVIDIA *driver* recent enough for that CUDA version (`nvidia-smi` shows the
# driver and the newest CUDA version it supports). You install the CUDA toolkit only to
# compile CUDA code of your own.
#
# You choose the build with the package index:
#
# ```bash
# pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu    # CPU only
# pip install torch torchvision --index-url https://download.pytorch.org/whl/cu130  # CUDA 13.0
# ```
#
# The selector on pytorch.org gives the index for your system and the CUDA versions of each
# release. A plain `pip install torch` from PyPI gets a CUDA build on Linux (several GB
# with its libraries) and a CPU build on Windows; on a Mac the one build includes `mps`.
# The CPU-only wheel is a fraction of the size, the right choice for a laptop or a server
# without an NVIDIA GPU. The CUDA libraries this environment brought along, and their
# size:

# %%
from importlib import metadata


def installed_gb(name):
    """The size of an installed package on disk, in GB."""
    return sum(file.size or 0 for file in metadata.distribution(name).files or []) / 1e9


bundled = sorted(dist.metadata["Name"] for dist in metadata.distributions()
                 if dist.metadata["Name"].lower().startswith("nvidia-"))
print(len(bundled), "nvidia-* packages:", ", ".join(bundled[:4]), "..." if bundled else "")  # i18n
torch_gb, cuda_gb = installed_gb("torch"), sum(installed_gb(name) for name in bundled)
print(f"on disk: torch {torch_gb:.1f} GB, nvidia-* packages {cuda_gb:.1f} GB")  # i18n

# %% [markdown]
# The same report as above, and a few more lines, is one call away. In a terminal,
# `labkit doctor` prints it too: handy when you ask for help.

# %%
print(env.format_report(env.report()))

# %% [markdown]
# ## 2. Picking a device
#
# Tensors and models live on a *device*. The usual pattern is to choose the best one once,
# at the top of a script, and move things there with `.to(device)`:
#
# ```python
# accelerator = torch.accelerator.current_accelerator(check_available=True)
# device = accelerator if accelerator is not None else torch.device("cpu")
# x = torch.ones(3).to(device)
# ```
#
# Code written before `torch.accelerator` existed (PyTorch 2.6) asks each backend in
# turn: `torch.cuda.is_available()`, then `torch.backends.mps.is_available()`, then falls
# back to the CPU. It still works, but knows only the backends it names.
#
# Everything that takes part in one computation must sit on the same device, otherwise
# PyTorch raises an error such as *Expected all tensors to be on the same device*. The one
# exception: Python numbers and 0-d CPU tensors (a single number, shape `()`) combine with
# tensors on any device, so `x * 2` and `x * torch.tensor(2.0)` work for a GPU tensor `x`.
#
# ### Exercise 1: a device the program supports
# Not every program runs on every accelerator: a model may use an operation written for
# CUDA alone, or a library that has no `mps` version yet. Write `device(supported)`:
# `supported` is a tuple of device type names such as `("cuda",)` or `("cuda", "mps")`.
# Return the machine's accelerator as a `torch.device` if there is one to use and its
# type is in `supported`; otherwise return the CPU. Ask PyTorch inside the function, each
# time it is called: the check runs it on pretend machines with and without a GPU.

# %%
def device(supported):
    ### BEGIN SOLUTION
    accelerator = torch.accelerator.current_accelerator(check_available=True)
    if accelerator is not None and accelerator.type in supported:
        return accelerator
    return torch.device("cpu")
    ### END SOLUTION


# %%
q.device.check()

# %% [markdown]
# Stuck? `q.device.hint()` gives a hint, `q.device.hint(2)` a stronger one, and
# `q.device.solution()` shows an answer. Try on your own first.

# %% tags=["author-test"]
def any_accelerator(supported):
    found = torch.accelerator.current_accelerator(check_available=True)
    return found if found is not None else torch.device("cpu")


q.device.expect("incorrect", "supported", device=any_accelerator)
q.device.expect("incorrect", "a CUDA GPU",
                device=lambda supported: torch.accelerator.current_accelerator())
q.device.expect("incorrect", "a `torch.device`", device=lambda supported: "cpu")
q.device.expect("incorrect", "something callable", device=torch.device("cpu"))
q.device.expect("not attempted", device=...)
q.device.expect("passed")

# %% [markdown]
# Once you know the device, moving a tensor there is one call. On a CPU-only machine this
# is a no-op, which is exactly why the pattern is safe to use everywhere.
# `env.pick_device()` picks the best device for the later chapters:

# %%
x = torch.arange(3.0)
print(x.to(env.pick_device()).device)

# %% [markdown]
# ## 3. Reproducible randomness
#
# Neural networks start from random weights and see data in random order. To get the same
# numbers on every run, *seed* the random number generator. The same seed gives the same
# sequence:

# %%
torch.manual_seed(0)
a = torch.rand(3)
torch.manual_seed(0)
b = torch.rand(3)
print(a)
print("same numbers:", torch.equal(a, b))  # i18n

# %% [markdown]
# `torch.manual_seed` seeds PyTorch's global generator (on every device). Python's `random`
# and NumPy have their own generators; `env.seed_everything(seed)` seeds all three.
#
# A `torch.Generator` is a private generator you pass around explicitly, so one part of a
# program cannot disturb the random numbers of another. `torch.rand`, `torch.randn`,
# `torch.randint`, `torch.randperm` and the other random functions take one with
# `generator=`:

# %%
g = torch.Generator().manual_seed(42)
print(torch.randn(2, generator=g))
print(torch.randint(0, 10, (4,), generator=g))

# %% [markdown]
# Seeds make runs repeatable on the same machine and software versions. Some GPU kernels
# are still non-deterministic, for example those that add numbers in a varying order.
# `torch.use_deterministic_algorithms(True)` switches every operation that has a
# deterministic version to it (often slower), and raises an error only for the few that
# have none (`warn_only=True` makes that a warning). Older PyTorch releases also asked for
# the environment variable `CUBLAS_WORKSPACE_CONFIG=:4096:8` on CUDA, set before the
# program starts; recent ones, such as the one installed here, no longer need it.
#
# ### Exercise 2: a reproducible validation split
# Before training, a data set of `n` examples is often split at random into a training
# part and a validation part. Write `split_indices(n, val_fraction, seed)` that returns a
# pair `(train, val)` of 1-d `int64` tensors: every index `0 ... n - 1` exactly once in
# one of them, `int(n * val_fraction)` of them (rounded down) in `val`, chosen at random.
# The same `seed` must give the same split, different seeds different splits, and the
# function must leave PyTorch's global generator alone, so that calling it does not change
# the random numbers of the rest of the program.

# %%
def split_indices(n, val_fraction, seed):
    ### BEGIN SOLUTION
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=g)     # (n,): 0 ... n - 1, shuffled
    n_val = int(n * val_fraction)
    return order[n_val:], order[:n_val]
    ### END SOLUTION


# %%
q.split_indices.check()

# %% tags=["author-test"]
def reseeds_global(n, val_fraction, seed):
    torch.manual_seed(seed)
    order = torch.randperm(n)
    return order[int(n * val_fraction):], order[:int(n * val_fraction)]


def in_order(n, val_fraction, seed):
    order = torch.arange(n)
    return order[int(n * val_fraction):], order[:int(n * val_fraction)]


q.split_indices.expect("incorrect", "global generator", split_indices=reseeds_global)
q.split_indices.expect("incorrect", "different seeds", split_indices=in_order)
q.split_indices.expect("error in your code", "ZeroDivisionError",
                       split_indices=lambda n, val_fraction, seed: 1 / 0)
q.split_indices.expect("passed")

# %% [markdown]
# ## 4. Do widgets work?
#
# Several chapters use small interactive controls. Move the slider: the text below it
# should change. If you see a plain text line such as `IntSlider(value=3, ...)` instead of
# a slider, your front end cannot show widgets; see the troubleshooting table below.

# %%
import ipywidgets as widgets

# The callback reads these two names whenever the slider moves, so later cells must not
# reuse them: that is why the text widget is not simply called `label`.
slider = widgets.IntSlider(value=3, min=0, max=10, description="x")
square_label = widgets.Label()


def show_square(change=None):
    square_label.value = f"x squared is {slider.value ** 2}"  # i18n


slider.observe(show_square, names="value")
show_square()
widgets.VBox([slider, square_label])

# %% [markdown]
# ## 5. The MNIST data
#
# MNIST, 70,000 handwritten digits, is the "hello world" of deep learning. The course loads
# it the way every PyTorch user does, with `torchvision.datasets.MNIST`. One labkit call
# first makes sure the files are there: it downloads full MNIST when it can, and otherwise
# writes a small real subset that ships with the course, so everything works offline.

# %%
root = data.ensure_mnist()
train_set = torchvision.datasets.MNIST(root, train=True)
test_set = torchvision.datasets.MNIST(root, train=False)
print(len(train_set), "training images,", len(test_set), "test images")  # i18n

# %% [markdown]
# Each item is a `(image, label)` pair; without a transform, the image is a PIL image.

# %%
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 8, figsize=(8, 1.4))
for i, ax in enumerate(axes):
    image, label = train_set[i]
    ax.imshow(image, cmap="gray")
    ax.set_title(label)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 6. Troubleshooting
#
# | Symptom | Likely cause | Fix |
# |---|---|---|
# | `torch.cuda.is_available()` is `False` on a GPU machine | a CPU-only PyTorch build (`torch.version.cuda` is `None`), or a driver too old for the build's CUDA version | install a CUDA wheel with its index URL (section 1); update the driver (`nvidia-smi` shows its version) |
# | `ModuleNotFoundError: No module named 'labkit'` | the course package is not installed in this kernel's environment | run `make lab` (or `pip install -e .`) and pick that environment's kernel |
# | The slider above shows as plain text | the front end has no widget support | use JupyterLab 4 or Colab; in VS Code install the Jupyter extension; restart the kernel |
# | Colab asks to restart after the setup cell | a package was upgraded | restart the runtime once; the setup cell never reinstalls torch |
# | Binder kernel dies while training | Binder gives about 2 GB of memory | use smaller batches, or run the notebook locally |
# | "offline subset" in the MNIST line | no internet access (or `LABKIT_OFFLINE=1`) | fine for learning; accuracies are a little lower than on full MNIST |
#
# ## Summary
# - A pip wheel of PyTorch is CPU-only or brings its own CUDA libraries; a CUDA build needs
#   only an NVIDIA driver. The package index picks which.
# - `torch.accelerator.current_accelerator(check_available=True)` names the accelerator you
#   can use (or `None`); pick the device once and move tensors with `.to(device)`.
# - Seeds (`torch.manual_seed`, or a `torch.Generator` of your own) make random numbers
#   reproducible without disturbing the rest of the program.
# - Exercises are checked with `q.<name>.check()`; hints and solutions are one call away.
#
# **Next:** chapter 01, tensors, the arrays everything in PyTorch is made of.

# %%
q.summary()
