# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "saving with `weights_only` loading, `torch.export`, ONNX with `dynamo=True`"
#     extras: [onnx, onnxruntime, onnxscript, safetensors]
# ---

# %% [markdown]
# # 06 · Deployment: from a trained model to something that runs elsewhere
#
# A model that lives in a notebook's memory is gone when the kernel stops. To use it
# anywhere else (tomorrow, on a server, in a phone app, in a program written in C++) you
# have to *save* it in a form that the other side can read, and often make it smaller
# and faster on the way. This chapter walks that path with the CNN of chapter 04.
#
# **What you will learn**
# - what a `state_dict` is, why you save it rather than the whole model object, and why
#   `torch.load(..., weights_only=True)` is the safe way to read model files;
# - how to write a checkpoint that resumes training to exactly the same numbers;
# - TorchScript (legacy) and its pitfall, then `torch.export`, the current way to capture
#   a model as a graph, with a dynamic batch size;
# - exporting to ONNX and running it with ONNX Runtime: checking the numbers agree, and
#   measuring speed properly;
# - making a model smaller or faster on a CPU: int8 quantization and pruning, and what
#   each really buys;
# - a tiny inference service: a `predict` function, a command-line script and an HTTP
#   server on your own machine.
#
# Everything is written to a temporary folder that this notebook creates; nothing is
# downloaded.

# %%
import contextlib
import copy
import gzip
import io
import json
import logging
import pickle
import re
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort  # the setup cell installs the ONNX packages where they are missing
import onnxscript  # noqa: F401 - torch.onnx.export needs it
import torch
import torch.nn.functional as F
import torchvision
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from PIL import Image
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn.utils import prune
from torch.utils.data import DataLoader, TensorDataset

from labkit import data, exercises, plot, settings
from labkit.measure import all_threads, file_bytes, latencies
from labkit.train import evaluate

q = exercises.bind("06_deployment", globals())
torch.manual_seed(0)
workdir = Path(tempfile.mkdtemp(prefix="deployment-"))  # every file of this chapter goes here
print("PyTorch", torch.__version__, "| ONNX Runtime", ort.__version__)
print("files go to a temporary folder:", workdir.name)  # i18n

# %% [markdown]
# ## 1. A model to deploy
#
# We retrain chapter 04's CNN: two rounds of *convolution, batch norm, ReLU, max
# pooling*, then two dense layers with dropout between them. The MNIST images are turned
# into one tensor once, normalised with the mean and standard deviation of the training
# pixels, so that training is a plain loop over tensors.

# %%
root = data.ensure_mnist()
raw_train = torchvision.datasets.MNIST(root, train=True)
raw_test = torchvision.datasets.MNIST(root, train=False)
MEAN = (raw_train.data.float() / 255).mean().item()
STD = (raw_train.data.float() / 255).std().item()


def to_input(pixels):
    """uint8 pixels (N, 28, 28) -> normalised float images (N, 1, 28, 28)."""
    return ((pixels.float() / 255 - MEAN) / STD)[:, None]


x_train, y_train = to_input(raw_train.data), raw_train.targets  # (N, 1, 28, 28), (N,)
x_test, y_test = to_input(raw_test.data), raw_test.targets
test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=500)
print(f"{len(x_train)} training and {len(x_test)} test images; mean {MEAN:.4f}, std {STD:.4f}")  # i18n


# %%
class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5, padding=2, bias=False),  # (B, 16, 28, 28)
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 16, 14, 14)
            nn.Conv2d(16, 32, kernel_size=5, bias=False),  # (B, 32, 10, 10)
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 32, 5, 5)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),  # (B, 800)
            nn.Linear(32 * 5 * 5, 128),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(128, 10),  # (B, 10) logits
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def train_epoch(model, optimizer, x, y, batch_size=64):
    """One pass over (x, y) in a random order; returns the loss of every batch."""
    model.train()
    order = torch.randperm(len(x))  # drawn from the global random generator
    losses = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# %% [markdown]
# A few epochs are enough for a useful model: 6 on the offline subset, 1 on full MNIST,
# which has 15 times more images (the course's test suite trains 2).

# %%
epochs = 6 if len(x_train) <= 10_000 else 1
if settings.fast():
    epochs = 2
torch.manual_seed(0)
net = CNN()
optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
start = time.perf_counter()
for _ in range(epochs):
    train_epoch(net, optimizer, x_train, y_train)
net.eval()
accuracy = evaluate(net, test_loader)["accuracy"]
print(f"test accuracy {accuracy:.2%} after {epochs} epochs and "  # i18n
      f"{time.perf_counter() - start:.0f} s")  # i18n

# %% [markdown]
# ## 2. Saving and loading
#
# ### The `state_dict`
#
# A module's `state_dict()` is an ordered dictionary from names to tensors: every
# parameter, and every **buffer**, a tensor the model needs but does not train (batch
# norm's running mean and variance, and its counter of batches seen).

# %%
state = net.state_dict()
for name, tensor in list(state.items())[:7]:
    print(f"{name:30} {str(tuple(tensor.shape)):16} {str(tensor.dtype)}")
print(f"... {len(state)} entries in all; {len(list(net.parameters()))} of them are parameters")  # i18n

# %% [markdown]
# Saving it writes those tensors to a file; loading it needs the *code* of the model
# first (the class `CNN`), then copies the numbers in. `torch.load` returns the
# dictionary, `load_state_dict` fills a freshly built model with it:

# %%
weights_path = workdir / "cnn_state.pt"
torch.save(net.state_dict(), weights_path)

restored = CNN()  # new random weights ...
restored.load_state_dict(torch.load(weights_path, weights_only=True))  # ... replaced
restored.eval()
with torch.no_grad():
    same = torch.equal(restored(x_test[:100]), net(x_test[:100]))
print(f"{file_bytes(weights_path):,} bytes on disk; same outputs as the trained model: {same}")  # i18n

# %% [markdown]
# Always call `model.eval()` after loading a model for predictions: dropout and batch
# norm behave differently in training mode, and a freshly built model starts there.
#
# ### Pickling the whole model, and why it breaks
#
# `torch.save(model, path)` also works: it *pickles* the model object. Python's pickle
# format does not store the code of a class, only its name (`__main__.CNN` here) plus
# the object's attributes. Loading it imports that name again. Move the class to
# another file, rename it, or load from another program, and the file no longer opens.
# Let us save the whole model, then load it in a fresh Python process, as another
# program would:

# %%
pickled_path = workdir / "cnn_pickled.pt"
torch.save(net, pickled_path)
loader_code = f"import torch; torch.load({str(pickled_path)!r}, weights_only=False)"
result = subprocess.run([sys.executable, "-c", loader_code], capture_output=True, text=True,
                        timeout=300)
print("exit code:", result.returncode)  # i18n
print(result.stderr.strip().splitlines()[-1])

# %% [markdown]
# The other process has no class `CNN`, so the file is useless there. A `state_dict`
# keeps the numbers apart from the code: any program with the model's code (or the
# exported graph of section 4) can use them.
#
# ### Loading untrusted files: `weights_only=True`
#
# There is a worse problem. Unpickling can call *any* function the file names: a class
# may tell pickle "to rebuild me, call this function with these arguments" (its
# `__reduce__` method). So opening a model file from the internet with the full
# unpickler runs whatever code its author put in. Here is a harmless example whose
# "code" is a call to `print`; it could as well be `os.system(...)`.

# %%
class Surprise:
    def __reduce__(self):  # "to rebuild me, call print(...)"
        return (print, ("!! this line was printed by the model file while it was loaded",))  # i18n


suspicious_path = workdir / "free_model.pt"
torch.save({"weights": net.state_dict(), "extra": Surprise()}, suspicious_path)

loaded = torch.load(suspicious_path, weights_only=False)  # runs the code in the file

# %% [markdown]
# `weights_only=True` uses a restricted unpickler that only rebuilds tensors, numbers,
# strings, containers (lists, tuples, dictionaries) and a few PyTorch types such as
# dtypes, and refuses everything else. It has been `torch.load`'s
# default since PyTorch 2.6; older tutorials (and the seed texts) call
# `torch.load(path)` and were unsafe on older versions. The same file, safely:

# %%
try:
    torch.load(suspicious_path, weights_only=True)
except pickle.UnpicklingError as err:  # the line of the long message that says why
    reason = [line for line in str(err).splitlines() if "Unsupported global" in line]
    print("UnpicklingError:", (reason or [str(err)])[0].strip().split(". ")[0])

# %% [markdown]
# A whole pickled model cannot be read with `weights_only=True` either (it holds
# classes), which is one more reason to save state_dicts. If you must load your *own*
# file that holds other types, allow exactly those with
# `torch.serialization.add_safe_globals([...])` (or, for one load, the context manager
# `torch.serialization.safe_globals([...])`) rather than `weights_only=False`.
#
# ### safetensors: a file with no code in it
#
# `weights_only=True` makes pickle safe by refusing most of it. The **safetensors**
# format (from Hugging Face, now the usual way to share weights) has no pickle at all:
# a small JSON header with each tensor's name, dtype and shape, then the raw bytes.
# Loading it can only ever produce tensors, and it can map the file into memory without
# copying. It holds a flat dictionary of tensors, which is exactly what a `state_dict` is:

# %%
safetensors_path = workdir / "cnn.safetensors"
save_file(net.state_dict(), safetensors_path)
tensors = load_file(safetensors_path)  # a dict of tensors; nothing is unpickled
fresh = CNN()
fresh.load_state_dict(tensors)
with torch.no_grad():
    same = torch.equal(fresh.eval()(x_test[:8]), net(x_test[:8]))
print("same outputs after the round trip:", same)  # i18n
print(f"{file_bytes(safetensors_path):,} bytes, torch.save: {file_bytes(weights_path):,} bytes")  # i18n

# %% [markdown]
# Like a `state_dict` saved by `torch.save`, it still needs the model's class to be
# useful; an optimizer's state or an epoch number (section 3) do not fit in it, so a
# training checkpoint stays a `torch.save` file.
#
# ### Exercise 1: spot the bug, a model file that runs code
# The code below saves the whole model, and its loader unpickles whatever the file
# holds (someone added `weights_only=False` because loading failed without it). Fix both
# functions: `save_model(model, path)` must write a file that `torch.load(path,
# weights_only=True)` reads, and `load_model(model, path)` must load the weights into
# the given `model` with `weights_only=True`, return it in eval mode, and *raise an
# error* for a file that would need to run code to load (that is, anything beyond
# tensors, numbers, strings and containers). The check saves and loads a model
# of its own, then hands `load_model` a file with code hidden inside.
#
# Stuck? `q.safe_model_files.hint()` gives a hint, `q.safe_model_files.solution()` an
# answer; the same works for every exercise.

# %%
def save_model(model, path):
    ### BEGIN SOLUTION
    torch.save(model.state_dict(), path)  # tensors only
    ### END SOLUTION
    ### BEGIN STUB
    torch.save(model, path)  # pickles the whole model object
    ### END STUB


def load_model(model, path):
    ### BEGIN SOLUTION
    state = torch.load(path, weights_only=True)  # refuses anything but tensors and containers
    model.load_state_dict(state)
    return model.eval()
    ### END SOLUTION
    ### BEGIN STUB
    loaded = torch.load(path, weights_only=False)  # it failed without this flag
    model.load_state_dict(loaded.state_dict())
    return model.eval()
    ### END STUB


# %%
q.safe_model_files.check()

# %% tags=["author-test"]
def load_with_fallback(model, path):
    try:
        state = torch.load(path, weights_only=True)
    except pickle.UnpicklingError:
        state = torch.load(path, weights_only=False)
    model.load_state_dict(state)
    return model.eval()


q.safe_model_files.expect("incorrect", "the code in the file ran", load_model=load_with_fallback)
q.safe_model_files.expect(
    "incorrect", "eval mode",
    load_model=lambda model, path: model.load_state_dict(torch.load(path)) and model)
q.safe_model_files.expect("incorrect", "Unsupported global",
                          save_model=lambda model, path: torch.save(model, path),
                          load_model=lambda model, path: model)
q.safe_model_files.expect("passed")

# %% [markdown]
# ### How big is a model?
#
# A saved state_dict is essentially its tensors' bytes: each element takes
# `tensor.element_size()` bytes (4 for `float32`, 2 for `float16` and `bfloat16`, 8 for
# `int64`, 1 for `int8` and `uint8`), plus a little overhead for names and layout.
#
# ### Exercise 2: a model's size in bytes
# Write `model_size_bytes(model)`: the number of bytes of all of the model's parameters
# **and** buffers, counting each element with its own dtype's size. Return an `int`. The
# check uses models that mix `float32`, `float16`, `bfloat16`, `float64`, `int64` and
# `uint8`.

# %%
def model_size_bytes(model):
    ### BEGIN SOLUTION
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)
    ### END SOLUTION


# %%
q.model_size_bytes.check()

# %% tags=["author-test"]
q.model_size_bytes.expect("incorrect", "the parameters alone",
                          model_size_bytes=lambda m: sum(p.nbytes for p in m.parameters()))
q.model_size_bytes.expect("incorrect", "4 bytes per element",
                          model_size_bytes=lambda m: 4 * sum(
                              t.numel() for t in [*m.parameters(), *m.buffers()]))
q.model_size_bytes.expect("passed")

# %% [markdown]
# Once your function works, compare it with the size of the file saved above:

# %%
try:
    counted = model_size_bytes(net)
    print(f"model_size_bytes(net): {counted:,} bytes; the saved state_dict: "  # i18n
          f"{file_bytes(weights_path):,} bytes, {file_bytes(weights_path) - counted:,} of them "  # i18n
          "names and layout")  # i18n
except NotImplementedError:
    print("write model_size_bytes above, then run this cell again")  # i18n

# %% [markdown]
# ## 3. Checkpoints that resume exactly
#
# Long training runs stop: a laptop sleeps, a cloud machine is taken back. A
# **checkpoint** saves everything needed to go on as if nothing had happened. The
# weights alone are not enough. Training also depends on
# - the **optimizer's state**: Adam keeps two running averages per weight;
# - the **scheduler's** position in its learning-rate schedule;
# - the **epoch** to start from;
# - the **random generator**, which decides the shuffling and the dropout masks.
#
# To see what goes wrong otherwise, we train a smaller run (1,000 images, 4 epochs, Adam
# with a learning rate halved every 2 epochs) two ways: without a stop, and stopped
# after 2 epochs then resumed from a checkpoint of the weights alone (the exercise
# below adds a third: resumed from a full checkpoint). A "restart" builds
# new objects and reseeds the generator, as a new process would.

# %%
x_small, y_small = x_train[:1000], y_train[:1000]


def make_run(seed=0):
    torch.manual_seed(seed)
    model = CNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return model, optimizer, scheduler


def train_epochs(model, optimizer, scheduler, first, last):
    losses = []
    for _ in range(first, last):
        losses += train_epoch(model, optimizer, x_small, y_small)
        scheduler.step()
    return losses


model, optimizer, scheduler = make_run()
straight_losses = train_epochs(model, optimizer, scheduler, 0, 4)
straight_weights = copy.deepcopy(model.state_dict())

model, optimizer, scheduler = make_run()
first_half = train_epochs(model, optimizer, scheduler, 0, 2)
torch.save(model.state_dict(), workdir / "weights_only.pt")  # a checkpoint of the weights alone

model, optimizer, scheduler = make_run(seed=1)  # restart: new objects, another random state
model.load_state_dict(torch.load(workdir / "weights_only.pt", weights_only=True))
weights_only_losses = first_half + train_epochs(model, optimizer, scheduler, 2, 4)
changed = max((model.state_dict()[k].float() - v.float()).abs().max().item()
              for k, v in straight_weights.items())
print(f"largest weight difference after resuming from the weights alone: {changed:.4f}")  # i18n

# %%
steps_per_epoch = len(straight_losses) // 4
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(straight_losses, label="without a stop", lw=2)  # i18n
ax.plot(weights_only_losses, label="resumed from the weights alone", lw=1)  # i18n
ax.axvline(2 * steps_per_epoch, color="gray", ls="--")
ax.text(2 * steps_per_epoch + 0.5, 0.92, "stop and resume", transform=ax.get_xaxis_transform())  # i18n
ax.set(xlabel="batch", ylabel="loss (log scale)",  # i18n
       yscale="log")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# After the restart, Adam's averages start again from zero (its first steps are large)
# and the fresh scheduler is back at the first learning rate: the curve leaves the
# uninterrupted one, often with a jump, and the final weights differ.
#
# ### Exercise 3: a checkpoint that resumes bit for bit
# Write `save_checkpoint(path, model, optimizer, scheduler, epoch)`, called after `epoch`
# finished epochs, and `load_checkpoint(path, model, optimizer, scheduler)`, which
# restores everything into freshly built objects and returns the number of finished
# epochs, so that training goes on with `for epoch in range(start, epochs)`. Save only
# what `torch.load(path, weights_only=True)` reads (state_dicts, tensors, numbers and
# dictionaries: the check loads your file that way too), and load it that way. The
# check trains a small model of its own with dropout, Adam and a step schedule, stops,
# resumes with your functions, and compares with a run without a stop: every weight
# must match exactly. Last, it hands `load_checkpoint` a checkpoint with code hidden
# in it: that code must not run.

# %%
def save_checkpoint(path, model, optimizer, scheduler, epoch):
    ### BEGIN SOLUTION
    torch.save({"model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "rng": torch.get_rng_state()}, path)
    ### END SOLUTION


def load_checkpoint(path, model, optimizer, scheduler):
    ### BEGIN SOLUTION
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng"])
    return checkpoint["epoch"]
    ### END SOLUTION


# %%
q.checkpoint.check()

# %% tags=["author-test"]
def load_without_rng(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    return checkpoint["epoch"]


def load_without_scheduler(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng"])
    return checkpoint["epoch"]


q.checkpoint.expect("incorrect", "random generator", load_checkpoint=load_without_rng)
q.checkpoint.expect("incorrect", "scheduler", load_checkpoint=load_without_scheduler)
q.checkpoint.expect(
    "incorrect", "weights_only=True",
    save_checkpoint=lambda path, model, optimizer, scheduler, epoch: torch.save(
        {"model": model, "optimizer": optimizer.state_dict(), "epoch": epoch}, path))
q.checkpoint.expect("passed")

# %% [markdown]
# With your functions, the stopped run now ends on exactly the same weights as the run
# without a stop:

# %%
try:
    model, optimizer, scheduler = make_run()
    resumed_losses = train_epochs(model, optimizer, scheduler, 0, 2)
    save_checkpoint(workdir / "checkpoint.pt", model, optimizer, scheduler, 2)

    model, optimizer, scheduler = make_run(seed=1)  # restart
    start_epoch = load_checkpoint(workdir / "checkpoint.pt", model, optimizer, scheduler)
    resumed_losses += train_epochs(model, optimizer, scheduler, start_epoch, 4)
    identical = all(torch.equal(model.state_dict()[k], v) for k, v in straight_weights.items())
    print(f"resumed at epoch {start_epoch}; every weight identical to the run without a stop: "  # i18n
          f"{identical}; same losses: {resumed_losses == straight_losses}")  # i18n
except NotImplementedError:
    print("write save_checkpoint and load_checkpoint above, then run this cell again")  # i18n

# %% [markdown]
# Two more things for real runs: on a GPU also save `torch.cuda.get_rng_state_all()`, and
# a `DataLoader` with its own `generator=` needs that generator's state too. Save the
# checkpoint to a temporary name and rename it when complete, so that a crash while
# writing never destroys the last good one.
#
# ## 4. Capturing the model as a graph
#
# A state_dict still needs the Python class to run. To run a model *without its Python
# code* (from C++, on a phone, in another runtime, or just in a program that should not
# import your training code), you capture the computation itself as a graph. The rest of
# the chapter follows this road, each form needing less at run time than the one before:

# %%
plot.plot_export_path()

# %% [markdown]
#
# ### TorchScript (legacy)
#
# TorchScript was PyTorch's first answer, and you will meet it in older code. It has two
# ways to capture a model:
# - `torch.jit.trace(model, example)` runs the model once and records the operations
#   that happened;
# - `torch.jit.script(model)` compiles the Python source of `forward` (a subset of
#   Python).
#
# Both are deprecated in current PyTorch (they warn), and new code should use
# `torch.export` below. The classic trap is tracing code with **data-dependent control
# flow**: tracing records only the branch the example took.

# %%
class Gate(nn.Module):
    def forward(self, x):
        if x.sum() > 0:  # depends on the data, not just on its shape
            return x * 2
        return -x


positive, negative = torch.ones(3), -torch.ones(3)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    traced = torch.jit.trace(Gate(), positive)
    scripted = torch.jit.script(Gate())
print("eager:   ", Gate()(negative))
print("traced:  ", traced(negative), "<- took the branch of the example")  # i18n
print("scripted:", scripted(negative))
first_lines = {textwrap.shorten(str(w.message).splitlines()[0], 110) for w in caught}
print("warnings:", *sorted(first_lines), sep="\n  ")  # i18n

# %% [markdown]
# Tracing gives a wrong answer without an error (only a `TracerWarning`); scripting
# keeps the `if`, but supports only part of Python. Trace only code without such
# branches, and check the traced model on other inputs.
#
# ### `torch.export`: the current way
#
# `torch.export.export(model, args)` traces the model too, but *soundly*: it records
# the operations as an `ExportedProgram` (a graph of ATen operations, the building
# blocks under every PyTorch function, with the weights), and wherever the result could
# depend on something it cannot see, it raises an error instead of guessing.

# %%
example = x_test[:4].clone()  # (4, 1, 28, 28)
program = torch.export.export(net, (example,))
print(type(program).__name__)
ops = sorted({str(node.target).split(".")[1] for node in program.graph.nodes
              if node.op == "call_function"})
print("operations in the graph:", ", ".join(ops))  # i18n

# %% [markdown]
# Each is the ATen operation behind one of `CNN`'s layers; `dropout` stays, called
# with `train=False` (the model was in eval mode), so that it passes its input through.
# Now the `Gate` above, whose branch depends on the data:

# %%
logging.disable(logging.WARNING)  # hide PyTorch's long log and printout of the failure
try:
    with contextlib.redirect_stderr(io.StringIO()):
        torch.export.export(Gate(), (positive,))
except Exception as err:
    print(type(err).__name__ + ":", textwrap.shorten(str(err).strip().splitlines()[0], 120))
finally:
    logging.disable(logging.NOTSET)

# %% [markdown]
# The message speaks of `u0`: that is export's name for a value it cannot know while
# tracing, here the result of `x.sum() > 0`, so it cannot choose a branch.
#
# (The example is a `clone()` of the first 4 test images because the program keeps its
# example inputs, and a slice `x_test[:4]` shares the memory of the whole test set:
# saving it would write every test image. The same holds for any tensor you `torch.save`.)
#
# Where a branch really must depend on the data, `torch.cond` expresses it so that both
# branches are captured.
#
# By default the export fixes every size to the example's. Our program accepts only
# batches of exactly 4 images:

# %%
graph_module = program.module()  # an nn.Module that runs the graph
print(graph_module(x_test[:4]).shape)
try:
    graph_module(x_test[:7])
except Exception as err:
    print(type(err).__name__ + ":", textwrap.shorten(str(err).strip().splitlines()[0], 120))

# %% [markdown]
# ### Exercise 4: a dynamic batch size
# Write `export_dynamic_batch(model, example)` that exports `model` for inputs like
# `example` but with **any batch size** (dimension 0), and returns the
# `ExportedProgram`. Name the dimension with `torch.export.Dim("batch")` and pass it
# through the `dynamic_shapes` argument of `torch.export.export`, which mirrors the
# arguments: a tuple with one `{dimension: Dim}` per positional argument, like
# `(example,)`. (A dict keyed by the names of `forward`'s arguments works too, but the
# names differ between models: `CNN.forward` calls its argument `x`, an
# `nn.Sequential` calls it `input`, and a wrong name is an error.) The check exports an
# `nn.Sequential` of its own and runs your program on batches of 1, 7 and more.

# %%
def export_dynamic_batch(model, example):
    ### BEGIN SOLUTION
    batch = torch.export.Dim("batch")
    # one entry per positional argument, whatever forward() calls it
    return torch.export.export(model.eval(), (example,), dynamic_shapes=({0: batch},))
    ### END SOLUTION


# %%
q.export_dynamic_batch.check()

# %% tags=["author-test"]
q.export_dynamic_batch.expect("incorrect", "it raised",
                              export_dynamic_batch=lambda model, ex: torch.export.export(
                                  model, (ex,)))
q.export_dynamic_batch.expect("incorrect", "ExportedProgram",
                              export_dynamic_batch=lambda model, ex: model)
q.export_dynamic_batch.expect("passed")

# %% [markdown]
# From here on we use a program with a dynamic batch, exported as in the solution. It
# saves to a single `.pt2` file, and loading it needs only `torch`, not the class `CNN`:

# %%
batch = torch.export.Dim("batch")
program = torch.export.export(net, (example,), dynamic_shapes=({0: batch},))
program_path = workdir / "cnn.pt2"
torch.export.save(program, program_path)

loaded_program = torch.export.load(program_path).module()
with torch.no_grad():
    for n in (1, 7, 1000):
        diff = (loaded_program(x_test[:n]) - net(x_test[:n])).abs().max().item()
        print(f"batch {n:4}: largest difference from the eager model {diff:.2e}")  # i18n
print(f"{file_bytes(program_path):,} bytes on disk")  # i18n

# %% [markdown]
# An `ExportedProgram` is also the starting point for other tools: `torch.compile`-style
# ahead-of-time compilation (AOTInductor), ExecuTorch for phones, and the ONNX exporter.
#
# ## 5. ONNX and ONNX Runtime
#
# **ONNX** is an open file format for neural networks that many runtimes read: ONNX
# Runtime (Microsoft's, for CPUs, GPUs and phones), TensorRT, OpenVINO, and the browsers'
# web runtimes. A service that runs an ONNX file needs no PyTorch at all.
#
# `torch.onnx.export(..., dynamo=True)` builds the file from `torch.export`'s graph
# (`dynamo=True` is the default since PyTorch 2.9; the older TorchScript-based exporter
# is deprecated). `external_data=False` keeps the weights inside the one file.

# %%
onnx_path = workdir / "cnn.onnx"
torch.onnx.export(net, (example,), onnx_path, dynamo=True, external_data=False, verbose=False,
                  dynamic_shapes=({0: batch},), input_names=["x"], output_names=["logits"])
print(f"{file_bytes(onnx_path):,} bytes on disk")  # i18n


def ort_session(path, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # threads inside one operation
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


session = ort_session(onnx_path, threads=1)
print("inputs:", [(i.name, i.shape) for i in session.get_inputs()])  # i18n
logits = session.run(None, {"x": x_test[:3].numpy()})[0]  # NumPy in, NumPy out
print(type(logits).__name__, logits.shape, "predictions:", logits.argmax(axis=1))  # i18n

# %% [markdown]
# ### Do the numbers agree?
#
# A different runtime computes in a different order (other kernels, fused operations),
# so outputs differ in the last bits. *Parity* checks compare them with a tolerance, as
# `torch.allclose` does: an element passes when
#
# $$|\text{candidate} - \text{reference}| \le \text{atol} + \text{rtol} \cdot |\text{reference}|$$
#
# The relative part `rtol` scales with the size of the value; the absolute part `atol`
# matters for values near zero, where any relative tolerance would be tiny.
#
# ### Exercise 5: a parity report
# Write `compare_outputs(reference, candidate, atol=1e-5, rtol=1e-4)` that returns three
# values: `ok` (a `bool`: every element passes), `max_abs_diff` (a `float`, the largest
# absolute difference), and `worst_index`, the index (a tuple, one entry per dimension)
# of the element that goes furthest past its allowance, that is with the largest
# $|\text{candidate} - \text{reference}| - (\text{atol} + \text{rtol} \cdot
# |\text{reference}|)$. When a comparison fails, that element is the one to look at;
# when every element passes, it is the one closest to failing.

# %%
def compare_outputs(reference, candidate, atol=1e-5, rtol=1e-4):
    ### BEGIN SOLUTION
    diff = (candidate - reference).abs()  # same shape as the inputs
    excess = diff - (atol + rtol * reference.abs())  # > 0 where an element fails
    ok = bool((excess <= 0).all())
    worst = torch.unravel_index(excess.argmax(), excess.shape)
    return ok, diff.max().item(), tuple(int(i) for i in worst)
    ### END SOLUTION


# %%
q.compare_outputs.check()

# %% tags=["author-test"]
def compare_only_atol(reference, candidate, atol=1e-5, rtol=1e-4):
    diff = (candidate - reference).abs()
    worst = torch.unravel_index((diff - atol).argmax(), diff.shape)
    return bool((diff <= atol).all()), diff.max().item(), tuple(int(i) for i in worst)


q.compare_outputs.expect("incorrect", "relative tolerance", compare_outputs=compare_only_atol)
q.compare_outputs.expect("passed")

# %% [markdown]
# PyTorch against ONNX Runtime, for several batch sizes:

# %%
with torch.no_grad():
    for n in (1, 7, 64, 1000):
        reference = net(x_test[:n])
        candidate = torch.from_numpy(session.run(None, {"x": x_test[:n].numpy()})[0])
        line = f"batch {n:4}: max abs diff {(candidate - reference).abs().max().item():.2e}"  # i18n
        try:
            ok, _, worst = compare_outputs(reference, candidate)
            line += f"; within atol=1e-5, rtol=1e-4: {ok}; worst element {worst}"  # i18n
        except NotImplementedError:
            pass
        print(line)

# %% [markdown]
# ### Measuring speed properly
#
# A single timing means little: the first calls allocate memory and choose kernels, and
# any other program on the machine can slow one call down. So `labkit.measure.latency`
# (open it, it is short) makes a few untimed **warm-up** calls, times many calls one by
# one, and reports the **median**. To *compare* two engines, `latencies` times them in
# turns (a few calls of one, a few of the other, and again), so that a busy spell of the
# machine slows both alike rather than whichever ran last. Thread count matters too: a
# server handling many requests at once often gives each one a single thread, while one
# big request can use all cores. We measure both, for one image and for a batch of 64.

# %%
timing = dict(warmup=5, runs=50)  # untimed calls, timed calls
if settings.fast():
    timing = dict(warmup=1, runs=5)  # the course's tests: quick, rough numbers
threads_all = all_threads()
sessions = {1: session, threads_all: ort_session(onnx_path, threads=threads_all)}
speed = {}
for n in (1, 64):
    x = x_test[:n]
    for threads in sorted({1, threads_all}):
        # `threads=` sets PyTorch's threads; ONNX Runtime's are set in its session
        found = latencies({"PyTorch": (net, x),
                           "ONNX Runtime": (sessions[threads].run, None, {"x": x.numpy()})},
                          **timing, threads=threads)
        for name, measured in found.items():
            speed[name, n, threads] = measured
print("               batch threads  median ms  images/s")  # i18n
for (name, n, threads), measured in speed.items():
    print(f"{name:14}{n:6}{threads:8}{measured.median_ms:11.3f}"
          f"{n / measured.median_ms * 1000:10.0f}")

# %% [markdown]
# Read the table for this machine only: the numbers change from one computer to the next,
# and move with other programs running. Small batches are dominated by the fixed cost per
# call, where a lean runtime like ONNX Runtime usually wins; large batches by the
# arithmetic itself. More threads can only help when cores are free: on a busy machine
# (or one shared with other programs) the threads wait for each other, and the
# all-threads rows can even be slower. Measure on the machine you will deploy to.
#
# ## 6. Smaller and faster on a CPU
#
# ### Int8 dynamic quantization
#
# **Quantization** stores weights as 8-bit integers instead of 32-bit floats: a weight
# $w$ becomes $q = \text{round}(w / s)$ with one scale $s$ per tensor (or per row), and
# $w \approx s \cdot q$. That makes those weights 4 times smaller. *Dynamic*
# quantization also converts each layer's input to 8-bit integers on the fly (unsigned,
# with a scale and a zero point measured on that very input), so that the matrix product
# runs in integer arithmetic; it needs no
# calibration data and suits `nn.Linear` layers well.
#
# PyTorch's eager API for it, `torch.ao.quantization.quantize_dynamic`, is **deprecated**
# (it warns, and will be removed); its successor is the separate `torchao` package
# (`torchao.quantization.quantize_`), whose fast CPU kernels are meant to be used with
# `torch.compile`. The old API still runs everywhere and shows the idea:

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    quantized = torch.ao.quantization.quantize_dynamic(net, {nn.Linear}, dtype=torch.qint8)
message = str(caught[0].message) if caught else ""
print("warning:", message.splitlines()[0] if message else "none")  # i18n
removal = re.search(r"removed in (\d+\.\d+)", message)
if removal:
    passed = torch.__version__ >= removal.group(1)
    print(f"this is PyTorch {torch.__version__}: the announced removal in {removal.group(1)} "  # i18n
          + ("has already slipped by" if passed else "is still ahead"))  # i18n
print(quantized.classifier)

# %% [markdown]
# Such dates slip, but do not count on the old API staying. The quantized model against
# the original, on the test set and the clock:

# %%
quantized_path = workdir / "cnn_int8.pt"
torch.save(quantized.state_dict(), quantized_path)
quantized_accuracy = evaluate(quantized, test_loader)["accuracy"]
images = x_test[:256]  # (256, 1, 28, 28)
head_input = net.features(images).detach()  # (256, 32, 5, 5): what the dense layers see
found = latencies({"float32": (net, images), "int8 Linear": (quantized, images),
                   "float32 dense": (net.classifier, head_input),
                   "int8 Linear dense": (quantized.classifier, head_input)},
                  **timing, threads=1)  # timed in turns: a fair comparison
rows = [("float32", weights_path, accuracy), ("int8 Linear", quantized_path, quantized_accuracy)]
print("              file bytes  accuracy  model ms  dense ms  (batch 256, 1 thread)")  # i18n
for name, path, acc in rows:
    print(f"{name:12}{file_bytes(path):12,}{acc:10.2%}{found[name].median_ms:10.3f}"
          f"{found[name + ' dense'].median_ms:10.3f}")
dense_weights = sum(p.numel() for p in net.classifier.parameters())
print(f"the dense layers hold {dense_weights / sum(p.numel() for p in net.parameters()):.0%} "  # i18n
      f"of the weights and take {found['float32 dense'].median_ms / found['float32'].median_ms:.0%}"  # i18n
      " of the float32 model's time")  # i18n

# %% [markdown]
# The file shrinks by about the share of the weights that sit in the dense layers
# (`Linear(800, 128)` holds most of them), and the accuracy barely moves. The dense
# layers themselves ("dense ms", the `classifier` alone) get faster, but the whole model
# hardly does: the dense layers are only a small part of its time (last line), since in
# a CNN the convolutions do most of the arithmetic, and they were not quantized. Dynamic
# quantization pays off for models made mostly of `Linear` layers, like MLPs and
# transformers. For convolutions, *static* quantization is the tool: it also stores
# each layer's input scale, calibrated beforehand on sample data, so that convolutions
# run in int8 too.
#
# ### Static quantization with ONNX Runtime
#
# PyTorch's eager static quantization (`torch.ao.quantization`'s `QuantStub`,
# `prepare` and `convert`) is **deprecated** like the dynamic one. Its successors work
# on a captured graph: *PT2E* quantization (export the model, then `prepare_pt2e`, run
# calibration data, `convert_pt2e`), now in the `torchao` package, and, for a model
# already in ONNX, ONNX Runtime's `quantize_static`. The second runs here: it reads
# calibration batches from a small reader object, records each tensor's range, and
# writes a new ONNX file with int8 weights and activations (`QDQ` format: quantize and
# dequantize nodes around each operation, which the runtime fuses into int8 kernels).

# %%
class Calibration(CalibrationDataReader):
    """Hands ONNX Runtime one batch of training images at a time, then None."""

    def __init__(self, batches):
        self.batches = iter(batches)

    def get_next(self):
        batch = next(self.batches, None)
        return None if batch is None else {"x": batch.numpy()}


calibration = [x_train[i:i + 64] for i in range(0, 256, 64)]  # 4 batches of (64, 1, 28, 28)
static_path = workdir / "cnn_int8_static.onnx"
logging.disable(logging.WARNING)  # ONNX Runtime's advice to preprocess the graph first
try:
    quantize_static(onnx_path, static_path, Calibration(calibration),
                    quant_format=QuantFormat.QDQ, per_channel=True,
                    weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
finally:
    logging.disable(logging.NOTSET)
static_session = ort_session(static_path, threads=1)
static_logits = np.concatenate([static_session.run(None, {"x": xb.numpy()})[0]
                                for xb, _yb in test_loader])
static_accuracy = (static_logits.argmax(axis=1) == y_test.numpy()).mean()
print(f"float32 ONNX: {file_bytes(onnx_path):9,} bytes, accuracy {accuracy:.2%}")  # i18n
print(f"int8 static:  {file_bytes(static_path):9,} bytes, accuracy {static_accuracy:.2%}")  # i18n

# %% [markdown]
# Convolutions included, every weight is now 8 bits: the file is several times smaller
# (not quite 4, since the scales, zero points and quantize nodes take room too), and
# the accuracy barely moves. Calibrate on training data, never on the test set, and
# check the accuracy after quantizing, as here.
#
# ### Magnitude pruning
#
# **Pruning** sets the weights with the smallest magnitude to zero, on the idea that they
# matter least. `torch.nn.utils.prune` does it with a mask: `weight` becomes
# `weight_orig * weight_mask`. Pruning 50 % to 98 % of the weights of all convolution
# and dense layers together (`global_unstructured` ranks them all at once, so some
# layers lose more than others) and measuring the accuracy, without retraining:

# %%
def pruned_copy(model, amount):
    pruned = copy.deepcopy(model)
    targets = [(m, "weight") for m in pruned.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=amount)
    for module, name in targets:
        prune.remove(module, name)  # make it permanent: a plain weight with zeros in it
    return pruned


sparsities = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98]
pruned_accuracy = [evaluate(pruned_copy(net, s), test_loader)["accuracy"] for s in sparsities]
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot([100 * s for s in sparsities], [100 * a for a in pruned_accuracy], "o-")
ax.set(xlabel="weights set to zero (%)", ylabel="test accuracy (%)",  # i18n
       title="Magnitude pruning, no retraining")  # i18n
plt.show()
for s, a in zip(sparsities, pruned_accuracy, strict=True):
    print(f"{s:5.0%} zeros: accuracy {a:.2%}")  # i18n

# %% [markdown]
# Many weights can go before the accuracy suffers (fine-tuning after pruning recovers
# more). But is the pruned model faster or smaller?

# %%
sparse_net = pruned_copy(net, 0.9).eval()
sparse_path = workdir / "cnn_pruned90.pt"
torch.save(sparse_net.state_dict(), sparse_path)
found = latencies({"dense": (net, x_test[:64]), "90% zeros": (sparse_net, x_test[:64])},  # i18n
                  **timing, threads=1)
for name, path in [("dense", weights_path), ("90% zeros", sparse_path)]:  # i18n
    raw = path.read_bytes()
    print(f"{name:10} {found[name].median_ms:7.3f} ms per batch of 64; file {len(raw):,} "  # i18n
          f"bytes, {len(gzip.compress(raw)):,} gzipped")  # i18n

# %% [markdown]
# Neither, by itself. The zeros are still stored as `float32` numbers, and the dense
# matrix-multiply and convolution kernels multiply by zero just as fast as by anything
# else; skipping scattered zeros costs more bookkeeping than it saves unless nearly all
# weights are zero. Unstructured sparsity pays off only with help: compression for the
# file (the zeros gzip well, as above), sparse storage and kernels for extreme
# sparsity, or **structured** pruning, which removes whole channels or rows so that the
# remaining layers are genuinely smaller (or the 2:4 pattern that recent NVIDIA GPUs
# accelerate).
#
# ## 7. A tiny inference service
#
# Time to use the exported model. First a `predict` function: it takes images as they
# arrive (PIL images or a uint8 tensor of 28 x 28 pixels), prepares them exactly as in
# training, and returns a label and a probability for each. It runs the model under
# `torch.inference_mode()` rather than `torch.no_grad()`: both skip the graph for
# gradients, and inference mode also skips the version counters that autograd keeps on
# every tensor, so it is a little faster. Its tensors can never enter autograd later,
# which is exactly right for a service and wrong inside training code.

# %%
service_model = torch.export.load(program_path).module()  # needs torch only, not `CNN`


def predict(images):
    """PIL images or uint8 pixels (N, 28, 28) -> [(digit, probability), ...]."""
    if not isinstance(images, torch.Tensor):
        images = torch.stack([torch.from_numpy(np.array(im.convert("L").resize((28, 28))))
                              for im in images])  # (N, 28, 28) uint8
    with torch.inference_mode():  # no graph, no version counters: serving only
        probabilities = service_model(to_input(images)).softmax(dim=1)  # (N, 10)
    best = probabilities.max(dim=1)
    return [(int(d), round(float(p), 4))
            for d, p in zip(best.indices, best.values, strict=True)]


print(predict(raw_test.data[:5]), "true:", raw_test.targets[:5].tolist())  # i18n

# %% [markdown]
# **Why services batch requests.** A model call has a fixed cost (Python, checks, one
# launch per layer) that a batch shares. Compare 32 requests answered one at a time with
# the same 32 answered as one batch:

# %%
requests = raw_test.data[:32]  # (32, 28, 28) uint8: 32 requests of one image each
found = latencies({"single": (lambda: [predict(r[None]) for r in requests],),
                   "batch": (lambda: predict(requests),)}, **timing, threads=1)
one_by_one, one_batch = found["single"].median_ms, found["batch"].median_ms
print(f"one by one: {one_by_one:8.2f} ms for 32 requests")  # i18n
print(f"one batch:  {one_batch:8.2f} ms for 32 requests, {one_by_one / one_batch:.1f} x faster")  # i18n

# %% [markdown]
# A busy service therefore *batches dynamically*: requests that arrive within a few
# milliseconds of each other wait in a queue, one worker runs them through `predict`
# together, and each caller gets its own row of the result. The wait adds a little
# latency to each request and multiplies the throughput. Serving tools do this for you
# (Triton's `dynamic_batching` setting, for one).

# %% [markdown]
# ### A command-line script
#
# We save a few test digits as PNG files, and write a script that classifies image files
# given on its command line. It runs the ONNX file with ONNX Runtime, so it needs only
# `onnxruntime`, NumPy and Pillow: no PyTorch at all, which makes it quick to start and
# easy to install on another machine.

# %%
image_paths = []
for i in range(4):
    path = workdir / f"digit_{i}_label_{int(raw_test.targets[i])}.png"
    Image.fromarray(raw_test.data[i].numpy()).save(path)
    image_paths.append(path)

script = workdir / "classify.py"
script.write_text(textwrap.dedent(f'''\
    """Classify images of handwritten digits: python classify.py MODEL.onnx IMAGE..."""
    import os
    import sys

    import numpy as np
    import onnxruntime as ort
    from PIL import Image

    MEAN, STD = {MEAN!r}, {STD!r}


    def main(model_path, image_paths):
        session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        pixels = np.stack([np.array(Image.open(p).convert("L").resize((28, 28)))
                           for p in image_paths])  # (N, 28, 28) uint8
        x = ((pixels / 255 - MEAN) / STD).astype(np.float32)[:, None]  # (N, 1, 28, 28)
        logits = session.run(None, {{"x": x}})[0]  # (N, 10)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = e / e.sum(axis=1, keepdims=True)  # softmax
        for path, p in zip(image_paths, probabilities):
            print(f"{{os.path.basename(path)}}: {{p.argmax()}} ({{p.max():.1%}})")


    if __name__ == "__main__":
        if len(sys.argv) < 3:
            sys.exit(__doc__)
        main(sys.argv[1], sys.argv[2:])
'''))  # i18n
result = subprocess.run([sys.executable, str(script), str(onnx_path), *map(str, image_paths)],
                        capture_output=True, text=True, timeout=300)
print(result.stdout or result.stderr)

# %% [markdown]
# ### An HTTP server on your own machine
#
# The same `predict` behind a web address, with Python's standard library:
# `ThreadingHTTPServer` answers each request in its own thread by calling the handler's
# `do_POST`. Clients send a PNG image; the server answers with JSON, an error included,
# so that one bad request never stops it.

# %%
class PredictHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/predict":
            self.answer(404, {"error": "use POST /predict"})
            return
        try:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            digit, probability = predict([Image.open(io.BytesIO(body))])[0]
        except OSError:  # not an image (Pillow's UnidentifiedImageError is an OSError)
            self.answer(400, {"error": "the body is not an image"})
        except Exception as err:  # anything else: say so, and keep serving
            self.answer(500, {"error": type(err).__name__})
        else:
            self.answer(200, {"digit": digit, "probability": probability})

    def answer(self, status, reply):
        payload = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # keep the notebook's output quiet
        pass


# %% [markdown]
# The server runs in a background thread so that the notebook can call it. It listens
# on `127.0.0.1` (this machine only, not the network) and on port 0, which asks the
# system for any free port. Stopping it takes two calls: `shutdown()` ends the
# `serve_forever` loop, so the thread ends, and `server_close()` frees the port. A
# `with` block makes sure they happen even when something in between fails, so running
# the cell again never leaves an old server behind:

# %%
@contextlib.contextmanager
def serving(handler):
    """Serve on a free port of 127.0.0.1 in a background thread; stop when the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, thread
    finally:
        server.shutdown()  # ends serve_forever
        server.server_close()  # frees the port
        thread.join(timeout=10)


def ask(url, body):
    """POST `body` to `url`; return the status and the JSON reply."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "image/png"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:  # 4xx and 5xx answers arrive as an exception
        return err.code, json.loads(err.read())


# %% [markdown]
# A client sends the bytes of each PNG file (anything able to speak HTTP could:
# `curl --data-binary @digit.png http://127.0.0.1:PORT/predict`):

# %%
with serving(PredictHandler) as (server, server_thread):
    url = f"http://127.0.0.1:{server.server_address[1]}/predict"
    print("serving on a free port:", server.server_address[1])  # i18n
    for path in image_paths:
        print(path.name, "->", *ask(url, path.read_bytes()))
    print("not an image ->", *ask(url, b"hello"))  # i18n
print("after the block, the server thread is still running:", server_thread.is_alive())  # i18n

# %% [markdown]
# A production service adds what this one leaves out: batching of concurrent requests,
# limits on request size, authentication, logging, several worker processes. Maintained
# tools provide them: NVIDIA Triton Inference Server (ONNX, TensorRT and PyTorch models,
# with batching built in), Ray Serve, KServe on Kubernetes, or a web framework such as
# FastAPI around ONNX Runtime or an exported program (vLLM and similar servers for large
# language models). **TorchServe**, which older tutorials use, is in *limited
# maintenance*: its releases stay available, but it gets no updates, bug fixes or
# security patches, so do not start a new service on it. Whatever the tool, the core
# stays a `predict` function around a saved model.
#
# ## 8. All the formats, side by side
#
# Each format saved in this chapter: what it is for, what it needs where it runs, its
# size on disk, and its latency here (median, batch of 1 on 1 thread, and batch of 64 on
# 1 thread and on all threads). For each column the formats are timed in turns, as with
# `latencies` above.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # TorchScript's deprecation warnings, seen above
    script_path = workdir / "cnn_script.pt"
    torch.jit.save(torch.jit.script(net), script_path)
    script_model = torch.jit.load(script_path).eval()

formats = [
    ("state_dict (.pt)", "training, sharing weights", "torch + model code", weights_path,  # i18n
     net),
    ("pickled model (.pt)", "nothing: avoid", "torch + same code path", pickled_path, net),  # i18n
    ("TorchScript (.pt)", "legacy C++/mobile", "torch or libtorch", script_path,  # i18n
     script_model),
    ("ExportedProgram (.pt2)", "graph for PyTorch tools", "torch", program_path,  # i18n
     loaded_program),
    ("ONNX (.onnx)", "other runtimes", "onnxruntime", onnx_path, None),  # i18n
    ("int8 dynamic (.pt)", "smaller on CPU", "torch + model code", quantized_path, quantized),  # i18n
    ("pruned 90% (.pt)", "research, compression", "torch + model code", sparse_path,  # i18n
     sparse_net),
]
columns = [(1, 1), (64, 1), (64, threads_all)]  # (batch, threads)
times = {}
for n, threads in columns:
    x = x_test[:n]
    calls = {name: (model, x) if model is not None
             else (sessions[threads].run, None, {"x": x.numpy()})
             for name, _, _, _, model in formats}
    for name, measured in latencies(calls, **timing, threads=threads).items():
        times[name, n, threads] = measured.median_ms

print("format                  for                        needs at run time           bytes"  # i18n
      f"   ms b1  ms b64{f'ms b64 x{threads_all}':>10}")
for name, purpose, needs, path, _ in formats:
    t1, t64, t64all = (times[name, n, threads] for n, threads in columns)
    print(f"{name:24}{purpose:27}{needs:24}{file_bytes(path):9,}{t1:8.3f}{t64:8.3f}"
          f"{t64all:10.3f}")

# %% [markdown]
# Sizes are all close to the weights' 4 bytes per number, except int8 (dense weights
# stored in 1 byte); the pickled model and TorchScript add the structure or code they
# carry, the `.pt2` file the graph and the example input. The state_dict and pickled
# rows are one and the same eager model, so they differ only by noise (run the cell
# again and they move). TorchScript and the ExportedProgram run the same operations
# with a different cost per call, which shows at batch 1 and fades at batch 64, where
# the arithmetic dominates: the exported module, for one, checks the input's shape on
# every call. The int8 and pruned rows are other models rather than other formats, and
# ONNX Runtime is the one different engine. What really sets the formats apart is what
# each needs at run time.
#
# ## Summary
#
# - Save `model.state_dict()`, and load it into freshly built code with
#   `torch.load(path, weights_only=True)` (the default since PyTorch 2.6). Pickled whole
#   models break when code moves, and unpickling an untrusted file runs its code.
#   safetensors files hold tensors only, with no pickle at all.
# - A checkpoint that resumes exactly holds the model, optimizer and scheduler
#   state_dicts, the epoch and the random generator's state.
# - TorchScript (`trace`, `script`) is legacy; tracing silently freezes data-dependent
#   branches. `torch.export` captures a sound graph, refuses what it cannot capture, and
#   takes `Dim`s for dynamic sizes, given per positional argument
#   (`dynamic_shapes=({0: batch},)`); `.pt2` files load with `torch.export.load`.
# - `torch.onnx.export(..., dynamo=True)` writes ONNX for other runtimes such as ONNX
#   Runtime; check parity with `atol + rtol * |reference|` and time with warm-up,
#   repeats and medians, at the thread count you will deploy with.
# - Dynamic int8 quantization shrinks `Linear` weights about 4 times and speeds up the
#   layers it converts; static quantization (ONNX Runtime's `quantize_static`, or PT2E
#   in torchao) calibrates activations and covers convolutions too; the eager
#   `torch.ao.quantization` APIs are deprecated. Unstructured pruning keeps accuracy surprisingly long but, on its
#   own, makes a dense model neither faster nor smaller.
# - A service is a `predict` function around a saved model, run under
#   `torch.inference_mode()`, reachable from a script or over HTTP; batching requests
#   multiplies its throughput. Serve with maintained tools (Triton, Ray Serve, KServe,
#   FastAPI around ONNX Runtime), not TorchServe, which no longer gets fixes.
#
# **Next:** this is the last chapter so far. If you skipped them, chapter 04b builds
# SGD, momentum and Adam from their formulas, and chapter 05 runs training on GPUs with
# mixed precision and several processes.

# %%
q.summary()
