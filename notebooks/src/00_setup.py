# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "versions, picking a device (`cuda`, `mps`, `cpu`), seeds, widgets, the MNIST data, troubleshooting"
# ---

# %% [markdown]
# # 00 · Setup: your PyTorch workbench
#
# Before we build neural networks, let us make sure the tools work.
#
# **What you will learn**
# - which versions of Python, PyTorch and torchvision you have, and whether a GPU is visible;
# - how to pick a device (`cuda`, `mps` or `cpu`) the idiomatic way;
# - how to make random numbers reproducible with seeds;
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
# PyTorch runs the same code on a CPU or on an accelerator. A PyTorch *build* can be
# CPU-only or made for CUDA (NVIDIA GPUs); `torch.version.cuda` tells which. Whether a GPU
# is actually usable is a separate question: `torch.cuda.is_available()`. On an Apple
# silicon Mac, the Metal backend is called `mps`.

# %%
print("CUDA build:          ", torch.version.cuda)  # None for a CPU-only build # i18n
print("CUDA GPU available:  ", torch.cuda.is_available())  # i18n
if torch.cuda.is_available():
    print("GPU:                 ", torch.cuda.get_device_name(0))  # i18n
    print("cuDNN version:       ", torch.backends.cudnn.version())  # i18n
print("Apple MPS available: ", torch.backends.mps.is_available())  # i18n

# %% [markdown]
# The same report, and a few more lines, is one call away. In a terminal, `labkit doctor`
# prints it too: handy when you ask for help.

# %%
print(env.format_report(env.report()))

# %% [markdown]
# ## 2. Picking a device
#
# Tensors and models live on a *device*. The usual pattern is to choose the best one once,
# at the top of a script, and move things there with `.to(device)`:
#
# ```python
# device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
# x = torch.ones(3).to(device)
# ```
#
# Everything that takes part in one computation must sit on the same device, otherwise
# PyTorch raises an error such as *Expected all tensors to be on the same device*. The one
# exception: Python numbers and 0-d CPU tensors (a single number, shape `()`) combine with
# tensors on any device, so `x * 2` and `x * torch.tensor(2.0)` work for a GPU tensor `x`.
#
# ### Exercise 1: pick the best device
# Write a function `device()` that returns the best `torch.device`: a CUDA GPU if there
# is one, else Apple's `mps` if there is one, else the CPU. Ask PyTorch inside the
# function, each time it is called: the check runs it on pretend machines with and
# without a GPU.

# %%
def device():
    ### BEGIN SOLUTION
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
    ### END SOLUTION


# %%
q.device.check()

# %% [markdown]
# Stuck? `q.device.hint()` gives a hint, `q.device.hint(2)` a stronger one, and
# `q.device.solution()` shows an answer. Try on your own first.

# %% tags=["author-test"]
q.device.expect("incorrect", "a CUDA GPU", device=lambda: torch.device("cpu"))
q.device.expect("incorrect", "a `torch.device`", device=lambda: "cpu")
q.device.expect("incorrect", "something callable", device=torch.device("cpu"))
q.device.expect("not attempted", device=...)
q.device.expect("passed", device=env.pick_device)

# %% [markdown]
# Once you know the device, moving a tensor there is one call. On a CPU-only machine this
# is a no-op, which is exactly why the pattern is safe to use everywhere.
# `env.pick_device()` is the same function as yours, ready-made for the later chapters:

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
# program cannot disturb the random numbers of another:

# %%
g = torch.Generator().manual_seed(42)
print(torch.randn(2, generator=g))

# %% [markdown]
# Seeds make runs repeatable on the same machine and software versions. Some GPU kernels
# are still non-deterministic, for example those that add numbers in a varying order.
# `torch.use_deterministic_algorithms(True)` switches every operation that has a
# deterministic version to it (often slower), and raises an error only for the few that
# have none (`warn_only=True` makes that a warning). Older PyTorch releases also asked for
# the environment variable `CUBLAS_WORKSPACE_CONFIG=:4096:8` on CUDA, set before the
# program starts; recent ones, such as the one installed here, no longer need it.
#
# ### Exercise 2: reproducible noise
# Write `seeded_noise(seed, n)` that returns `n` numbers drawn from a standard normal
# distribution, always the same ones for the same `seed`. Use a `torch.Generator` of its
# own: the function must leave the global generator alone, so that calling it does not
# change the random numbers of the rest of the program.

# %%
def seeded_noise(seed, n):
    ### BEGIN SOLUTION
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=g)
    ### END SOLUTION


# %%
q.seeded_noise.check()

# %% tags=["author-test"]
def unseeded(seed, n):
    return torch.randn(n)


def reseeds_global(seed, n):
    torch.manual_seed(seed)
    return torch.randn(n)


q.seeded_noise.expect("incorrect", "the same numbers both times", seeded_noise=unseeded)
q.seeded_noise.expect("incorrect", "global generator", seeded_noise=reseeds_global)
q.seeded_noise.expect("incorrect", "shape", seeded_noise=lambda seed, n: torch.zeros(n + 1))
q.seeded_noise.expect("error in your code", "ZeroDivisionError",
                      seeded_noise=lambda seed, n: 1 / 0)
q.seeded_noise.expect("passed")

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
# | `torch.cuda.is_available()` is `False` on a GPU machine | a CPU-only PyTorch build, or an old NVIDIA driver | install a CUDA build with the command from pytorch.org; update the driver (`nvidia-smi` shows its version) |
# | `ModuleNotFoundError: No module named 'labkit'` | the course package is not installed in this kernel's environment | run `make lab` (or `pip install -e .`) and pick that environment's kernel |
# | The slider above shows as plain text | the front end has no widget support | use JupyterLab 4 or Colab; in VS Code install the Jupyter extension; restart the kernel |
# | Colab asks to restart after the setup cell | a package was upgraded | restart the runtime once; the setup cell never reinstalls torch |
# | Binder kernel dies while training | Binder gives about 2 GB of memory | use smaller batches, or run the notebook locally |
# | "offline subset" in the MNIST line | no internet access (or `LABKIT_OFFLINE=1`) | fine for learning; accuracies are a little lower than on full MNIST |
#
# ## Summary
# - `torch.version.cuda`, `torch.cuda.is_available()` and `torch.backends.mps.is_available()`
#   tell what your PyTorch can use; pick the device once and move tensors with `.to(device)`.
# - Seeds (`torch.manual_seed`, or a `torch.Generator`) make random numbers reproducible.
# - Exercises are checked with `q.<name>.check()`; hints and solutions are one call away.
#
# **Next:** chapter 01, tensors, the arrays everything in PyTorch is made of.

# %%
q.summary()
