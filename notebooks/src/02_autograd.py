# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "the dynamic graph, `backward` (vector-Jacobian products, `retain_graph`), gradient accumulation, `no_grad`/`detach`, in-place changes, custom `autograd.Function`, gradcheck, `torch.autograd.grad` and second derivatives, hooks, anomaly detection"
# ---

# %% [markdown]
# # 02 · Autograd: how PyTorch computes gradients
#
# Training a network means nudging its parameters downhill on a loss, and for that we need
# the gradient of the loss with respect to every parameter. PyTorch's `autograd` computes
# those gradients for us: it records the operations as they run and then applies the chain
# rule backwards through that record.
#
# **What you will learn**
# - what `requires_grad`, `grad_fn` and `.backward()` do, on a small example worked out by
#   hand;
# - how the computation graph is recorded while your code runs (a *dynamic* graph), how to
#   draw it, and why ordinary Python `if` and `while` work inside it;
# - why gradients *accumulate*, the bug this causes in a training loop, and how to fix it;
#   the graph a hidden state or a running total keeps alive;
# - when to switch tracking off with `torch.no_grad()`, `.detach()` or
#   `torch.inference_mode()`, and which in-place changes autograd refuses;
# - backpropagation for a 2-layer network by hand, matched against autograd;
# - how to test gradients with finite differences and `torch.autograd.gradcheck`;
# - how to write your own operation with `torch.autograd.Function`;
# - gradient descent driven by autograd alone;
# - gradients as values with `torch.autograd.grad`, second derivatives with
#   `create_graph=True` (Newton's method), tensor hooks and anomaly detection.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from labkit import exercises
from labkit.plot import autograd_graph, plot_autograd_graph
from labkit.widgets import FloatSlider, explore

q = exercises.bind("02_autograd", globals())
torch.manual_seed(0)
print("PyTorch", torch.__version__)

# %% [markdown]
# ## 1. Tracking operations: `requires_grad` and `grad_fn`
#
# A tensor created with `requires_grad=True` asks autograd to record every operation that
# uses it. Each result then carries a `grad_fn`: the node that knows how to send gradients
# back to the inputs of the operation that made it. Tensors you create yourself are
# *leaves* of the graph. The result of an operation is not a leaf when at least one of its
# inputs requires a gradient; a result computed only from tensors that need none, and a
# tensor cut off with `detach()`, are leaves too, with no `grad_fn`.
#
# Here is the classic first example. Four numbers, all equal to 1, go through
# $y = x + 2$, $z = 3y^2$, and a mean:

# %%
x = torch.ones(2, 2, requires_grad=True)  # (2, 2), a leaf we want gradients for
y = x + 2                                 # (2, 2)
z = y * y * 3                             # (2, 2)
out = z.mean()                            # (), a single number

print("out =", out.item())
print("x.grad_fn:  ", x.grad_fn, "  (a leaf has none)")  # i18n
print("y.grad_fn:  ", y.grad_fn)
print("z.grad_fn:  ", z.grad_fn)
print("out.grad_fn:", out.grad_fn)
print("leaves? x:", x.is_leaf, " y:", y.is_leaf)  # i18n
plain = torch.ones(2, 2) + 2  # no input requires a gradient
print("leaves? plain:", plain.is_leaf, " y.detach():", y.detach().is_leaf)  # i18n

# %% [markdown]
# **By hand.** Write $x_i$ for the four entries. Then
#
# $$\text{out} = \frac{1}{4}\sum_{i=1}^{4} z_i = \frac{1}{4}\sum_{i=1}^{4} 3\,(x_i + 2)^2 ,$$
#
# so by the chain rule
#
# $$\frac{\partial\,\text{out}}{\partial x_i} = \frac{1}{4}\cdot 3 \cdot 2\,(x_i + 2)
#   = \frac{3}{2}\,(x_i + 2), \qquad
#   \left.\frac{\partial\,\text{out}}{\partial x_i}\right|_{x_i = 1} = \frac{3}{2}\cdot 3 = 4.5 .$$
#
# **By autograd.** `out.backward()` walks the recorded graph backwards and stores
# $\partial\,\text{out}/\partial x$ in `x.grad`, a tensor of the same shape as `x`:

# %%
out.backward()
by_hand = 1.5 * (x.detach() + 2)  # (2, 2), the formula above
print("x.grad:\n", x.grad)
print("same as the formula by hand:", torch.allclose(x.grad, by_hand))  # i18n

# %% [markdown]
# Only leaves keep their `.grad`; the gradients of intermediate results are used on the way
# and thrown away. Call `.retain_grad()` on an intermediate tensor to keep its gradient too.
# Since $y_i = 3$, $\partial\,\text{out}/\partial y_i = \frac{6 y_i}{4}$ is 4.5 as well, and
# $\partial y_i / \partial x_i = 1$ passes it on unchanged:

# %%
x.grad = None           # forget the gradient from the cell above (more on this in section 4)
y = x + 2               # (2, 2)
y.retain_grad()         # keep dout/dy after backward
out = (y * y * 3).mean()
out.backward()
print("dout/dy:\n", y.grad)
print("dout/dx:\n", x.grad)

# %% [markdown]
# ### Outputs that are not a single number: `backward(gradient=...)`
#
# `out.backward()` works because `out` is a single number. When the output `y` is a tensor
# of $n$ numbers computed from an input `x` of $m$ numbers, its derivative is the $n \times m$
# *Jacobian* matrix $J_{ij} = \partial y_i / \partial x_j$, and autograd never builds it.
# What one backward pass computes is a **vector-Jacobian product**: given a vector $v$ shaped
# like `y`, `y.backward(gradient=v)` stores
#
# $$v^\top J, \qquad (v^\top J)_j = \sum_i v_i \frac{\partial y_i}{\partial x_j},$$
#
# shaped like `x`, in `x.grad`. That is the gradient of the single number $\sum_i v_i y_i$,
# so `y.backward(gradient=torch.ones_like(y))` is the same as `y.sum().backward()`. Without
# `gradient=`, PyTorch refuses rather than guess a $v$. Below, $y = A\,x^2$ with a fixed
# $2 \times 3$ matrix $A$: a vector of 2 numbers from 3; the Jacobian, built by
# `torch.autograd.functional.jacobian` only to compare, is $J = A \cdot 2x$ column by column.

# %%
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)  # (3,)
A = torch.tensor([[1.0, 2.0, 0.0],
                  [0.0, 1.0, -1.0]])                   # (2, 3)
y = A @ x**2                                           # (2,), not a single number
try:
    y.backward()
except RuntimeError as err:
    print("RuntimeError:", err)

v = torch.tensor([1.0, 0.5])                           # (2,), shaped like y
y.backward(gradient=v)
J = torch.autograd.functional.jacobian(lambda t: A @ t**2, x.detach())  # (2, 3)
print("x.grad:", x.grad)
print("v @ J: ", v @ J)
print("same:", torch.allclose(x.grad, v @ J))  # i18n

# %% [markdown]
# A vector-Jacobian product costs about as much as the forward pass, however many outputs
# there are, while the whole Jacobian would need one backward pass per output. This is why
# training reduces the loss to one number first: then $v = 1$, and one backward pass gives
# the gradient with respect to every parameter.

# %% [markdown]
# ### Exercise 1: a gradient by hand
#
# Take $f(x) = \frac{1}{N}\sum_{i=1}^{N} \log(1 + x_i^2)$ for a tensor `x` with
# $N$ = `x.numel()` entries. Work out $\partial f / \partial x_i$ on paper, then write
# `grad_f(x)` that returns the whole gradient, a tensor shaped like `x`, **without**
# autograd: just the formula.
#
# To compare with autograd yourself, the next cell computes its answer for one `x`.

# %%
def f(x):
    return torch.log(1 + x**2).mean()


x_try = torch.tensor([0.0, 1.0, -2.0], requires_grad=True)
f(x_try).backward()
print("autograd says:", x_try.grad)  # i18n


# %%
def grad_f(x):
    """The gradient of f(x) = mean(log(1 + x**2)), from the formula (no autograd)."""
    ### BEGIN SOLUTION
    return 2 * x / (x.numel() * (1 + x**2))
    ### END SOLUTION


# %%
q.grad_by_hand.check()

# %% [markdown]
# Stuck? `q.grad_by_hand.hint()` gives a hint, `q.grad_by_hand.hint(2)` a stronger one, and
# `q.grad_by_hand.solution()` shows an answer. Try on your own first.

# %% tags=["author-test"]
q.grad_by_hand.expect("incorrect", "N times too large", grad_f=lambda x: 2 * x / (1 + x**2))
q.grad_by_hand.expect("incorrect", "the values of",
                      grad_f=lambda x: 1 / (x.numel() * (1 + x**2)))
q.grad_by_hand.expect("passed")

# %% [markdown]
# ## 2. The graph, drawn
#
# Each `grad_fn` node lists the nodes one step further back in `next_functions`, as pairs
# `(node, index)`. A leaf that requires a gradient ends in an `AccumulateGrad` node: it adds
# the gradient that arrives into `leaf.grad`. Inputs that need no gradient, such as the
# constants 2 and 3, show up as `None`. A few lines of Python walk the whole graph:

# %%
x = torch.ones(2, 2, requires_grad=True)
y = x + 2
out = (y * y * 3).mean()
print(out.grad_fn.next_functions)


def print_graph(node, indent=0):
    """Print a grad_fn node and, indented below it, the nodes it sends gradients to."""
    print(" " * indent + type(node).__name__)
    for next_node, _ in node.next_functions:
        if next_node is not None:
            print_graph(next_node, indent + 4)


print_graph(out.grad_fn)

# %% [markdown]
# Printed as a tree, a node that is used twice shows up twice: `AddBackward0` is the one
# node of `y = x + 2`, used twice by `y * y`. The graph is really a DAG (no cycles, but
# shared nodes): `labkit.plot.plot_autograd_graph` does the same walk and draws each node
# once. Below, left: the worked example; right: $c = a b + \sin a$, where the leaf `a`
# feeds two operations. A node used in several places receives the **sum** of the
# gradients arriving from each use.

# %%
a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(3.0, requires_grad=True)
c = a * b + torch.sin(a)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
plot_autograd_graph(out, names={x: "x"}, ax=left)
plot_autograd_graph(c, names={a: "a", b: "b"}, ax=right)
left.set_title("out = mean(3 (x + 2)^2)")
right.set_title("c = a b + sin(a)")
plt.show()

c.backward()
with torch.no_grad():
    print(f"dc/da = {a.grad.item():.4f}   formula b + cos(a) = {(b + torch.cos(a)).item():.4f}")  # i18n
    print(f"dc/db = {b.grad.item():.4f}   formula a          = {a.item():.4f}")  # i18n

# %% [markdown]
# ## 3. A dynamic graph: Python control flow inside
#
# PyTorch records the graph *while your code runs* ("define by run"). By default nothing is
# compiled ahead of time: every forward pass builds a fresh graph, and `backward()` frees it.
# So a plain Python `if`, `for` or `while` decides what goes into the graph, and the graph
# can be different for every input. (`torch.compile`, in chapter 05, turns a function into
# faster compiled code when it is first called; it follows the same Python, compiling each
# path that runs and falling back to plain Python where it cannot.) Frameworks with a
# *static* graph (TensorFlow 1, for example) needed special operations such as
# `tf.while_loop` for the same thing.
#
# The function below doubles its input until the norm reaches a limit. How many
# multiplications it records depends on the data, and so does the gradient: each doubling
# multiplies it by 2.

# %%
def double_until(v, limit=10.0):
    """Double v until its norm reaches `limit`; return the sum of the result."""
    while v.norm() < limit:  # a Python loop whose length depends on the values in v
        v = v * 2
    return v.sum()


fig, axes = plt.subplots(1, 2, figsize=(8, 6))
for start, ax in zip([3.0, 0.1], axes, strict=True):
    v = torch.tensor([start, start], requires_grad=True)  # (2,)
    total = double_until(v)
    doublings = sum(node.name == "MulBackward0" for node in autograd_graph(total).nodes)
    total.backward()
    print(f"start {start}: {doublings} doublings recorded, gradient {v.grad.tolist()}, "  # i18n
          f"2**{doublings} = {2**doublings}")  # i18n
    plot_autograd_graph(total, names={v: "v"}, ax=ax)
    ax.set_title(f"start = {start}: {doublings} doublings")  # i18n
plt.show()

# %% [markdown]
# Two more things worth knowing:
#
# - Older code (and one of our seed texts) wraps tensors in `torch.autograd.Variable`.
#   That is legacy: since PyTorch 0.4 every tensor can track gradients by itself, and
#   `Variable(t)` simply returns a tensor.
# - A dynamic graph makes debugging easy: you can `print` any intermediate tensor, or stop
#   in a debugger, in the middle of a forward pass.

# %% [markdown]
# ## 4. Gradients accumulate
#
# `backward()` does not *set* `.grad`, it *adds* to it. Run the same computation three times
# and the gradient of $\sum_i w_i^2$, which is $2w$, grows by $2w$ each time:

# %%
w = torch.tensor([1.0, -2.0], requires_grad=True)  # (2,)
for i in range(3):
    loss = (w**2).sum()
    loss.backward()
    print(f"after backward #{i + 1}: w.grad = {w.grad.tolist()}")  # i18n

# %% [markdown]
# This is on purpose. A tensor used in several places (like `a` above) receives the sum of
# the gradients from all its uses, and summing is also how you train with a large batch in
# small pieces ("gradient accumulation"). But it means a training loop must reset the
# gradients at every step; otherwise each step uses the sum of all the gradients so far.
#
# Here is that bug on a tiny problem: fit a line $\hat y = w x + b$ by gradient descent,
# once without resetting the gradients and once with.

# %%
torch.manual_seed(0)
xs = torch.linspace(-1, 1, 20)             # (20,)
ys = 3 * xs - 1 + 0.1 * torch.randn(20)    # (20,), a noisy line


def fit_line(reset_grads, steps=30, lr=0.1):
    """Gradient descent on the mean squared error of w * x + b; returns the losses."""
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with torch.no_grad():              # the update itself must not be recorded
            w -= lr * w.grad
            b -= lr * b.grad
        if reset_grads:
            w.grad = None                  # the fix: forget this step's gradients
            b.grad = None
        losses.append(loss.item())
    return losses


buggy, fixed = fit_line(reset_grads=False), fit_line(reset_grads=True)
plt.figure(figsize=(6, 3.5))
plt.plot(buggy, label="without resetting .grad (bug)")  # i18n
plt.plot(fixed, label="with w.grad = None each step")  # i18n
plt.xlabel("step")  # i18n
plt.ylabel("loss")  # i18n
plt.legend()
plt.show()
print(f"loss after {len(fixed)} steps: {buggy[-1]:.3f} with the bug, {fixed[-1]:.3f} fixed")  # i18n

# %% [markdown]
# With the bug, each step pushes with the sum of all past gradients, so the parameters
# overshoot and the loss swings up and down instead of falling.
#
# Two ways to reset, once per step (before `backward()` or after the update):
# - `w.grad = None`: drop the tensor; the next `backward()` creates a fresh one;
# - `w.grad.zero_()`: fill the existing tensor with zeros (it must exist already).
#
# With an optimizer, `optimizer.zero_grad()` does this for every parameter; since
# PyTorch 2.0 it sets them to `None` by default (`set_to_none=True`).
#
# ### Backward through the same graph twice: `retain_graph`
#
# Each loop step above built a new graph: the forward pass ran again. Calling `backward()`
# twice on the *same* result is different. To save memory, `backward()` frees the values
# the graph kept for it (here `exp(a)` and `a`, which the product's derivative needs) as
# soon as it has used them, so a second pass has nothing to work with:

# %%
a = torch.tensor(2.0, requires_grad=True)
b = torch.exp(a) * a           # (), keeps exp(a) and a for backward
b.backward()
try:
    b.backward()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(".")[0])

# %% [markdown]
# `backward(retain_graph=True)` keeps those values, so a second pass works; the gradients
# add up as usual, so `a.grad` below is twice $\partial b / \partial a = e^a (1 + a)$:

# %%
a = torch.tensor(2.0, requires_grad=True)
b = torch.exp(a) * a
b.backward(retain_graph=True)  # keep the saved values for another pass
b.backward()                   # the last pass may free them
by_hand = torch.exp(a.detach()) * (1 + a.detach())
print(f"a.grad = {a.grad.item():.4f}, twice the derivative: {2 * by_hand.item():.4f}")  # i18n

# %% [markdown]
# You rarely need `retain_graph`: two losses from one forward pass can be added and sent
# back once, `(loss1 + loss2).backward()`. When the error appears in a training loop,
# something from the previous step is usually still attached to its graph. The classic
# case is a state carried from one step to the next, as in a recurrent network:

# %%
w = torch.tensor(0.5, requires_grad=True)
h = torch.zeros(())                    # the state carried from step to step
try:
    for step in range(2):
        h = torch.tanh(w * h + 1.0)    # uses the previous h, and so its graph
        loss = (h - 0.3) ** 2
        loss.backward()                # step 1 reaches into step 0's freed graph
        print(f"step {step}: backward done")  # i18n
except RuntimeError as err:
    print("RuntimeError:", str(err).split(".")[0])

# %% [markdown]
# The fix is `h = h.detach()` at the start of each step: the value goes on, its history
# does not (recurrent networks call this truncated backpropagation through time).
#
# A running total of the loss is the opposite case, and a sneakier one:
# `total = total + loss` raises no error at all, because no backward pass ever runs through
# `total`. It is a **leak**: `total` keeps every step's graph alive, so memory grows step
# after step. Here `backward()` has already freed the tensors each graph saved and only its
# nodes remain; in an evaluation loop without `torch.no_grad()`, where no backward runs,
# every step's saved activations stay as well. Count the graph nodes `total` holds on to:

# %%
w = torch.ones(3, requires_grad=True)
total, kept = 0.0, []
for step in range(1, 101):
    loss = ((w * step) ** 2).sum()
    loss.backward()
    total = total + loss               # the leak: a tensor with a graph
    if step in (1, 10, 100):
        kept.append(len(autograd_graph(total).nodes))
print("graph nodes kept by total after 1, 10, 100 steps:", kept)  # i18n
total = 0.0
for step in range(1, 101):
    loss = ((w * step) ** 2).sum()
    loss.backward()
    total += loss.item()               # a Python float: no graph
print("with loss.item():", type(total).__name__, total)  # i18n

# %% [markdown]
# Log numbers with `loss.item()` (or `loss.detach()`), never the loss tensor itself.
#
# ### Exercise 2: spot the bug
#
# The loop below fits $\hat y = x w + b$ and returns the gradients it used at every step.
# It has the accumulation bug from the start of this section. Fix it so that each step's
# gradients come from that step's loss alone. The check runs your loop on fresh data and
# compares every step's gradients with a fresh computation.

# %%
def train_steps(w, b, x, y, lr=0.1, steps=5):
    """Fit y ≈ x @ w + b by gradient descent; return [(grad_w, grad_b), ...], one per step."""
    ### BEGIN SOLUTION
    grads = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
    return grads
    ### END SOLUTION
    ### BEGIN STUB
    # The loop as given, bug included: find it and fix it.
    grads = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return grads
    ### END STUB


# %%
q.train_steps.check()

# %% tags=["author-test"]
from labkit.exercises.ch02_autograd import given_train_steps  # noqa: E402


def only_w_reset(w, b, x, y, lr=0.1, steps=5):
    grads = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        grads.append((w.grad.clone(), b.grad.clone()))
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
    return grads


q.train_steps.expect("not attempted", "same gradients", train_steps=given_train_steps)
q.train_steps.expect("incorrect", "gradient of `b`", train_steps=only_w_reset)
q.train_steps.expect("passed")

# %% [markdown]
# ## 5. Switching tracking off: `no_grad`, `detach`, `inference_mode`
#
# Recording costs memory and time, and sometimes a gradient must not flow somewhere. Three
# tools, for three situations:
#
# | tool | what it does | use it for |
# |---|---|---|
# | `with torch.no_grad():` | nothing inside the block is recorded | parameter updates by hand, evaluating a model during training |
# | `t.detach()` | a tensor with the same data, cut off from the graph | stopping the gradient along one path; logging and plotting (`t.detach().cpu().numpy()`) |
# | `with torch.inference_mode():` | like `no_grad`, a little faster; its results are *inference tensors*, with limits outside the block (below) | pure inference: serving a model, computing predictions |
#
# To freeze parameters for good (fine-tuning only part of a model), switch them off with
# `p.requires_grad_(False)` instead.

# %%
w = torch.randn(3, requires_grad=True)  # (3,)

with torch.no_grad():
    doubled = w * 2
print("under no_grad:  requires_grad =", doubled.requires_grad)  # i18n

cut = (w * 2).detach()
print("detached:       requires_grad =", cut.requires_grad, " grad_fn =", cut.grad_fn)  # i18n
print("detach shares memory with the original:", w.detach().data_ptr() == w.data_ptr())  # i18n

with torch.inference_mode():
    served = w * 2
print("inference mode: requires_grad =", served.requires_grad,  # i18n
      " inference tensor:", served.is_inference())  # i18n

# %% [markdown]
# Two errors you will meet sooner or later. An inference tensor may enter a graph later
# (`served + w` works: the gradient of a sum does not need the summands), but autograd
# cannot *save* it for backward (`served * w` needs `served` to compute the gradient of
# `w`), and it cannot be changed in place outside inference mode. And a leaf that requires
# a gradient cannot be changed in place while recording (that is why the updates in
# `fit_line` sit inside `torch.no_grad()`):

# %%
print("served + w works:", (served + w).requires_grad)  # i18n
try:
    (served * w).sum().backward()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(".")[0])

try:
    w -= 0.1 * torch.ones(3)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# ### In-place changes to saved tensors
#
# A method whose name ends in `_` changes its tensor in place (chapter 01). Autograd keeps
# some tensors for the backward pass: the derivative of $e^a$ is $e^a$, so `exp` keeps its
# output. Changing that output in place would make the gradient wrong. Every tensor carries
# a version counter, `_version`, that each in-place change moves on, and `backward` refuses
# when a tensor it saved is no longer at the version it saw:

# %%
a = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
y = a.exp()                          # saves y for the backward pass
print("version before:", y._version)  # i18n
y.add_(1)                            # changes the saved tensor
print("version after: ", y._version)  # i18n
try:
    y.sum().backward()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(".")[0])

# %% [markdown]
# The fix is the out-of-place form, `y = y + 1`. Rule of thumb: inside a model, write
# out-of-place code; change parameters in place only under `torch.no_grad()`.

# %% [markdown]
# ### Exercise 3: stop a gradient with `detach`
#
# Rounding has a zero derivative almost everywhere, so a network whose weights are rounded
# (as in quantization) gets no learning signal through them. The usual trick is the
# *straight-through estimator*: in the forward pass round, in the backward pass act as if
# nothing happened and let the gradient through unchanged.
#
# Write `round_ste(x)` whose **value** is `x.round()` but whose **gradient** with respect to
# `x` is that of the identity, using `.detach()` (no custom Function needed). Think about
# what `.detach()` changes: the value a tensor carries, or what autograd sees of it?

# %%
def round_ste(x):
    """x.round() in the forward pass, the identity in the backward pass."""
    ### BEGIN SOLUTION
    return x + (x.round() - x).detach()
    ### END SOLUTION


# %%
q.round_ste.check()

# %% tags=["author-test"]
q.round_ste.expect("incorrect", "`x.grad`", round_ste=lambda x: x.round())
q.round_ste.expect("incorrect", "connected to the graph", round_ste=lambda x: x.detach().round())
q.round_ste.expect("passed")

# %% [markdown]
# ## 6. Backpropagation by hand: a 2-layer network
#
# Autograd is the chain rule applied mechanically. To see it, we do its job ourselves for a
# small network. For a batch $X$ of $B$ rows and targets $y$, each layer computes
# $h^{(l)} = \phi(W^{(l)} h^{(l-1)} + b^{(l)})$; here with $\phi = \tanh$ in the hidden
# layer and no activation at the output:
#
# $$z_1 = X W_1^\top + b_1,\qquad h_1 = \tanh(z_1),\qquad
#   \hat y = h_1 W_2^\top + b_2,\qquad L = \frac{1}{B}\sum_{k=1}^{B} (\hat y_k - y_k)^2 .$$
#
# Going backwards, each step multiplies the gradient that arrives by a local derivative.
# With $\delta_v$ for $\partial L / \partial v$:
#
# $$\delta_{\hat y} = \frac{2}{B}(\hat y - y),\qquad
#   \frac{\partial L}{\partial W_2} = \delta_{\hat y}^\top h_1,\qquad
#   \frac{\partial L}{\partial b_2} = \sum_k \delta_{\hat y, k},$$
#
# $$\delta_{h_1} = \delta_{\hat y} W_2,\qquad
#   \delta_{z_1} = \delta_{h_1} \odot (1 - h_1^2),\qquad
#   \frac{\partial L}{\partial W_1} = \delta_{z_1}^\top X,\qquad
#   \frac{\partial L}{\partial b_1} = \sum_k \delta_{z_1, k}.$$
#
# Every line is the seed texts' formula
# $\frac{\partial L}{\partial w} = \sum_i \frac{\partial L}{\partial z_i}
# \frac{\partial z_i}{\partial w}$: the sum over every place $w$ is used. The matrix
# products do those sums; $1 - \tanh^2$ is the derivative of $\tanh$.
#
# We work in `float64` so that both computations agree to the last digits.

# %%
torch.manual_seed(0)
B, D, H = 8, 3, 4                                  # batch, inputs, hidden units
f64 = torch.float64
X = torch.randn(B, D, dtype=f64)                   # (B, D)
y_true = torch.randn(B, 1, dtype=f64)              # (B, 1)
W1 = torch.randn(H, D, dtype=f64, requires_grad=True)  # (H, D)
b1 = torch.randn(H, dtype=f64, requires_grad=True)     # (H,)
W2 = torch.randn(1, H, dtype=f64, requires_grad=True)  # (1, H)
b2 = torch.randn(1, dtype=f64, requires_grad=True)     # (1,)

# Forward pass, recorded by autograd.
z1 = X @ W1.T + b1                                 # (B, H)
h1 = torch.tanh(z1)                                # (B, H)
y_hat = h1 @ W2.T + b2                             # (B, 1)
L = ((y_hat - y_true) ** 2).mean()                 # ()

# Backward pass by hand, with the formulas above (nothing recorded).
with torch.no_grad():
    d_yhat = 2 * (y_hat - y_true) / B              # (B, 1)
    d_W2 = d_yhat.T @ h1                           # (1, H)
    d_b2 = d_yhat.sum(0)                           # (1,)
    d_h1 = d_yhat @ W2                             # (B, H)
    d_z1 = d_h1 * (1 - h1**2)                      # (B, H)
    d_W1 = d_z1.T @ X                              # (H, D)
    d_b1 = d_z1.sum(0)                             # (H,)

# Backward pass by autograd.
L.backward()
for name, by_hand, param in [("W1", d_W1, W1), ("b1", d_b1, b1),
                             ("W2", d_W2, W2), ("b2", d_b2, b2)]:
    gap = (by_hand - param.grad).abs().max().item()
    print(f"dL/d{name}: shape {tuple(param.grad.shape)}, max |by hand - autograd| = {gap:.1e}")  # i18n
print(f"one entry, dL/dW1[0, 0]: by hand {d_W1[0, 0].item():.17f}")  # i18n
print(f"                         autograd {W1.grad[0, 0].item():.17f}")  # i18n
print(f"float64 rounding step near 1 (eps): {torch.finfo(f64).eps:.1e}")  # i18n

# %% [markdown]
# The differences are zero or at the level of `float64` rounding (compare with `eps`): the
# two results differ at most in the last digit or two. Autograd runs the same
# multiplications we wrote, sometimes in a different order. This is all `backward()` does,
# for any network, however deep.
#
# ## 7. Checking gradients: finite differences and `gradcheck`
#
# When you write a gradient yourself (by hand, or in a custom operation), test it against
# the definition of the derivative. The *central difference*
#
# $$f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}$$
#
# has an error that shrinks like $h^2$. But $h$ cannot be too small either: $f(x+h)$ and
# $f(x-h)$ then agree in almost all their digits and the subtraction loses them (rounding
# error, growing like $\varepsilon / h$ with $\varepsilon$ the precision of the dtype). The
# plot shows both effects for $\sin$ at $x = 1$, against autograd's $\cos 1$:

# %%
hs = torch.logspace(-1, -12, 45, dtype=torch.float64)  # (45,) step sizes
plt.figure(figsize=(6, 3.8))
for dtype in (torch.float32, torch.float64):
    x0 = torch.tensor(1.0, dtype=dtype, requires_grad=True)
    torch.sin(x0).backward()
    exact = x0.grad.double()                       # autograd's answer, cos(1)
    x0, h = x0.detach(), hs.to(dtype)
    estimate = (torch.sin(x0 + h) - torch.sin(x0 - h)) / (2 * h)  # (45,)
    error = (estimate.double() - exact).abs().clamp(min=1e-17)
    best = error.argmin()
    plt.loglog(hs, error, "o-", markersize=3, label=str(dtype).removeprefix("torch."))
    print(f"{dtype}: smallest error {error[best].item():.1e} at h = {hs[best].item():.0e}")  # i18n
plt.gca().invert_xaxis()
plt.xlabel("h (smaller to the right)")  # i18n
plt.ylabel("|central difference - autograd|")  # i18n
plt.legend()
plt.show()

# %% [markdown]
# In `float32` the best you can get is far worse than in `float64`. That is why gradient
# checks are done in double precision.
#
# ### Exercise 4: finite differences for a whole tensor
#
# Write `finite_diff_grad(f, x, h)` that returns the gradient of a scalar function `f` at
# `x` (any shape) by central differences: entry $i$ of the result is
# $\big(f(x + h e_i) - f(x - h e_i)\big) / 2h$, where $e_i$ moves only entry $i$. Use only
# values of `f`, no autograd. Return a tensor with the shape and dtype of `x`.

# %%
def finite_diff_grad(f, x, h=1e-6):
    """The gradient of the scalar f at x by central differences, one entry at a time."""
    ### BEGIN SOLUTION
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        plus, minus = x.clone(), x.clone()
        plus.view(-1)[i] += h
        minus.view(-1)[i] -= h
        grad.view(-1)[i] = (f(plus) - f(minus)) / (2 * h)
    return grad
    ### END SOLUTION


# %%
q.finite_diff.check()

# %% tags=["author-test"]
def forward_difference(f, x, h=1e-6):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        plus = x.clone()
        plus.view(-1)[i] += h
        grad.view(-1)[i] = (f(plus) - f(x)) / h
    return grad


q.finite_diff.expect("incorrect", "3 x**2 + h**2", finite_diff_grad=forward_difference)
q.finite_diff.expect("passed")

# %% [markdown]
# PyTorch ships this test: `torch.autograd.gradcheck(fn, inputs)` compares the gradient
# autograd computes with finite differences, for every input entry and every output entry.
# Give it `float64` inputs with `requires_grad=True`; it returns `True` or raises an error
# that shows both Jacobians. With `float32` inputs it warns and usually fails, for the
# reason in the plot above.

# %%
def wiggle(t):
    return (t.sin() * t.exp()).sum()


t64 = torch.randn(5, dtype=torch.float64, requires_grad=True)  # (5,)
print("gradcheck in float64:", torch.autograd.gradcheck(wiggle, (t64,)))  # i18n

# %% [markdown]
# ## 8. Your own operation: `torch.autograd.Function`
#
# Sometimes autograd cannot see inside an operation (it runs in NumPy or in C code of your
# own), or you want a different backward (a cheaper one, a more stable one, or a made-up one
# such as the straight-through estimator). Then you define the operation as a subclass of
# `torch.autograd.Function` with two static methods:
#
# - `forward(ctx, *inputs)` computes the result. Autograd does not record what happens
#   inside, so anything goes. Tensors needed later are stored with
#   `ctx.save_for_backward(...)`.
# - `backward(ctx, grad_output)` receives $\partial L / \partial \text{output}$ and returns
#   $\partial L / \partial \text{input}$, one value per input of `forward` (`None` for an
#   input that needs no gradient). The saved tensors are in `ctx.saved_tensors`.
#
# You call it through `.apply`, never by creating an instance. Here is $\sin$ computed in
# NumPy, where autograd cannot follow, with its backward $\cos x$ times the incoming
# gradient:

# %%
class NumpySin(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)                   # backward needs x for cos(x)
        result = np.sin(x.detach().cpu().numpy())  # outside torch: not recorded
        return torch.from_numpy(result).to(x.device)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.cos(x)          # chain rule: dL/dx = dL/dout * cos(x)


t = torch.randn(4, dtype=torch.float64, requires_grad=True)  # (4,)
s = NumpySin.apply(t)
print("forward matches torch.sin:", torch.allclose(s, torch.sin(t)))  # i18n
print("grad_fn:", s.grad_fn)
print("gradcheck:", torch.autograd.gradcheck(NumpySin.apply, (t,)))

# %% [markdown]
# A wrong backward is exactly what `gradcheck` is for. Forget to multiply by `grad_output`
# and the check fails (with `raise_exception=False` it returns `False` instead of raising):

# %%
class NumpySinForgetful(NumpySin):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.cos(x)                        # bug: the incoming gradient is lost


print("gradcheck of the wrong backward:",  # i18n
      torch.autograd.gradcheck(NumpySinForgetful.apply, (t,), raise_exception=False))

# %% [markdown]
# Newer PyTorch also accepts a split form: `forward(x)` without `ctx`, plus a separate
# `setup_context(ctx, inputs, output)` that saves what backward needs. It behaves the same,
# and it is the form `torch.func` transforms such as `vmap` require (with
# `generate_vmap_rule = True` on the class, or a `vmap` staticmethod of your own).

# %% [markdown]
# ### Exercise 5: write a backward
#
# `MySigmoid` computes $s = \sigma(x) = 1 / (1 + e^{-x})$ and saves its **output** `s`
# (not `x`), because the derivative can be written with `s` alone:
# $\sigma'(x) = s\,(1 - s)$. Write `backward`. The check compares `MySigmoid.apply` with
# `torch.sigmoid`, and the gradient your `backward` passes on with the exact one, for
# random inputs and random incoming gradients (what `gradcheck` does for you, too).

# %%
class MySigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(s)  # the output: backward needs only s
        return s

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        (s,) = ctx.saved_tensors
        return grad_output * s * (1 - s)
        ### END SOLUTION


# %%
q.sigmoid_backward.check()

# %% tags=["author-test"]
class SigmoidNoIncoming(MySigmoid):
    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return s * (1 - s)


q.sigmoid_backward.expect("incorrect", "gradcheck", MySigmoid=SigmoidNoIncoming)
q.sigmoid_backward.expect("passed")

# %% [markdown]
# ## 9. Gradient descent with autograd alone
#
# Now we can minimise a function knowing only how to compute it. Gradient descent repeats
#
# $$\theta_{t+1} = \theta_t - \alpha\, \nabla J(\theta_t),$$
#
# with $\alpha$ the learning rate. Autograd gives $\nabla J$; the update runs under
# `torch.no_grad()`; and, as section 4 showed, the gradient is reset after each step.
# Our test function is a long, narrow bowl with its minimum at $(1, -0.5)$:
#
# $$J(p) = (p_0 - 1)^2 + 6\,(p_1 + 0.5)^2 .$$

# %%
def bowl(p):
    """A long, narrow bowl; p has shape (2,) or (2, ...) for a whole grid of points."""
    return (p[0] - 1) ** 2 + 6 * (p[1] + 0.5) ** 2


def bowl_path(lr, steps=30, start=(-2.0, 1.0)):
    """The points gradient descent visits on the bowl, the start included."""
    p = torch.tensor(start, requires_grad=True)   # (2,)
    path = [p.detach().clone()]
    for _ in range(steps):
        loss = bowl(p)
        loss.backward()                           # p.grad = dJ/dp
        with torch.no_grad():
            p -= lr * p.grad                      # one step downhill
        p.grad = None                             # forget it before the next step
        path.append(p.detach().clone())
    return torch.stack(path)                      # (steps + 1, 2)


grid = torch.linspace(-2.5, 2.5, 101)             # (101,)
gx, gy = torch.meshgrid(grid, grid, indexing="xy")  # (101, 101) each
heights = bowl(torch.stack([gx, gy]))             # (101, 101)


def draw_descent(ax, lr, steps=30):
    path = bowl_path(lr, steps)
    ax.contour(gx, gy, heights, levels=np.geomspace(0.05, 60, 14), cmap="viridis")
    ax.plot(path[:, 0], path[:, 1], "o-", color="crimson", markersize=3, linewidth=1)
    ax.plot(1, -0.5, "k*", markersize=12)
    ax.set_xlim(-2.5, 2.5)
    ax.set_ylim(-2.5, 2.5)
    ax.set_aspect("equal")
    ax.set_title(f"lr = {lr}: J = {bowl(path[-1]).item():.3g} after {steps} steps")  # i18n


fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
for lr, ax in zip([0.02, 0.08, 0.16], axes, strict=True):
    draw_descent(ax, lr)
plt.show()

# %% [markdown]
# A small learning rate crawls; a large one zigzags across the narrow direction of the bowl.
# How large can it be? Along each direction of curvature $\lambda$ (an eigenvalue of the
# Hessian, the matrix of second derivatives) a step multiplies the distance to the minimum
# by $1 - \alpha\lambda$, so descent diverges once $\alpha > 2 / \lambda_{\max}$. Autograd can
# compute the Hessian too:

# %%
hessian = torch.autograd.functional.hessian(bowl, torch.zeros(2))  # (2, 2)
curvatures = torch.linalg.eigvalsh(hessian)                         # (2,)
print("Hessian:\n", hessian)  # i18n
print(f"curvatures {curvatures.tolist()}: descent diverges for lr > "  # i18n
      f"{2 / curvatures.max().item():.4f}")  # i18n

# %% [markdown]
# Try it: move the slider (in a notebook with widgets) past that limit and watch the path
# fly off. The optimizers chapter shows how momentum and Adam deal with narrow valleys like
# this one.

# %%
def descent_figure(lr):
    fig = Figure(figsize=(5, 4.6), layout="constrained")
    draw_descent(fig.subplots(), round(lr, 3))
    return fig


explore(descent_figure, {"lr": FloatSlider(0.01, 0.2, 0.01, 0.08, "lr")})

# %% [markdown]
# ## 10. Gradients as values: `torch.autograd.grad`, and derivatives of derivatives
#
# `backward()` adds gradients into the `.grad` of leaves. `torch.autograd.grad(outputs,
# inputs)` *returns* them instead, one per input, as a tuple, and touches no `.grad`: there
# is nothing to reset, and the inputs need not be leaves.
#
# A gradient is normally a plain result: computing it is not recorded. With
# `create_graph=True`, autograd records the backward pass too, so the gradient has a
# `grad_fn` of its own and can be differentiated again. For $f(x) = x^3$ at $x = 3$:
# $f'(x) = 3x^2 = 27$ and $f''(x) = 6x = 18$.

# %%
x = torch.tensor(3.0, requires_grad=True)
(d1,) = torch.autograd.grad(x**3, x, create_graph=True)  # f'(x), recorded
(d2,) = torch.autograd.grad(d1, x)                       # f''(x)
print(f"f'(3) = {d1.item()}, f''(3) = {d2.item()}, x.grad = {x.grad}")
print("d1.grad_fn:", type(d1.grad_fn).__name__)

# %% [markdown]
# With a whole tensor of inputs, the same two calls give the derivatives at every point at
# once: `grad` of the *sum* of independent outputs is the derivative of each (a
# vector-Jacobian product with $v = 1$, section 1). Here $\tanh$ and its first two
# derivatives, $1 - \tanh^2$ and $-2 \tanh\,(1 - \tanh^2)$, all from autograd:

# %%
xs = torch.linspace(-3, 3, 121, requires_grad=True)          # (121,)
ys = torch.tanh(xs)                                          # (121,)
(slope,) = torch.autograd.grad(ys.sum(), xs, create_graph=True)
(curvature,) = torch.autograd.grad(slope.sum(), xs)
by_formula = -2 * ys * (1 - ys**2)
print("f'' matches the formula:", torch.allclose(curvature, by_formula, atol=1e-6))  # i18n

fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(xs.detach(), ys.detach(), label="tanh(x)")
ax.plot(xs.detach(), slope.detach(), label="first derivative")  # i18n
ax.plot(xs.detach(), curvature, label="second derivative")  # i18n
ax.axhline(0, color="gray", linewidth=0.5)
ax.set_xlabel("x")
ax.legend()
plt.show()

# %% [markdown]
# `torch.autograd.functional.hessian` above works this way, and so do gradient penalties
# (a loss that contains a gradient) and meta-learning.
#
# ### Exercise 6: Newton's method with a second derivative
#
# Gradient descent knows only the slope, so it needs a learning rate. Newton's method also
# uses the curvature: in one dimension it jumps to the lowest point of the parabola with
# the same $f$, $f'$ and $f''$ as the current point,
#
# $$x_{t+1} = x_t - \frac{f'(x_t)}{f''(x_t)} .$$
#
# On a quadratic it lands on the minimum in one step; close to a minimum, it converges
# very fast. Write `newton(f, x0, steps)` for a scalar function `f` of a 0-d tensor: take
# both derivatives from autograd (the check hands you functions whose formulas you do not
# see), and use no `torch.optim`. Return the path: a 1-d tensor of `steps + 1` numbers in
# the dtype of `x0`, `x0` first. Leave `x0` itself unchanged.

# %%
def newton(f, x0, steps):
    """Newton's method on the scalar function f from x0; returns the path, (steps + 1,)."""
    ### BEGIN SOLUTION
    x = x0.detach().clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _step in range(steps):
        (d1,) = torch.autograd.grad(f(x), x, create_graph=True)   # f'(x), with a graph
        (d2,) = torch.autograd.grad(d1, x)                         # f''(x)
        with torch.no_grad():
            x -= d1 / d2
        path.append(x.detach().clone())
    return torch.stack(path)
    ### END SOLUTION


# %%
q.newton.check()

# %% tags=["author-test"]
def gradient_steps(f, x0, steps):
    x, path = x0.clone(), [x0.clone()]
    for _step in range(steps):
        x = x.detach().requires_grad_(True)
        (d1,) = torch.autograd.grad(f(x), x)
        x = (x - d1).detach()
        path.append(x)
    return torch.stack(path)


q.newton.expect("incorrect", "f'(x) / f''(x)", newton=gradient_steps)
q.newton.expect("passed")

# %% [markdown]
# ## 11. Looking inside: tensor hooks and anomaly detection
#
# `t.register_hook(fn)` calls `fn(grad)` during a backward pass, as soon as the gradient
# with respect to `t` is known. A hook that returns nothing only looks; one that returns a
# tensor replaces the gradient that flows on. Several hooks run in the order they were
# registered, each given what the one before returned. Below, the first hook records the
# gradient arriving at `h`, $2h = (4, -8, 12)$; the second clips it to $[-1, 1]$ before it
# goes on to `x`, which then receives $2 \cdot (1, -1, 1)$:

# %%
x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
h = x * 2                                                 # (3,)
seen = []
h.register_hook(lambda grad: seen.append(grad.clone()))   # looks: returns None
handle = h.register_hook(lambda grad: grad.clamp(-1, 1))  # changes what flows on
(h**2).sum().backward()
print("gradient arriving at h:", seen[0])  # i18n
print("x.grad, after the clip:", x.grad)  # i18n
handle.remove()                                           # a hook stays until removed

# %% [markdown]
# Hooks log or clip gradients inside a model without changing its code; modules have their
# own, such as `register_full_backward_hook`.
#
# When a gradient comes out as NaN, the cause is usually far from where you notice it.
# Below, $\sqrt{x}$ at $x = 0$ has an infinite derivative, and the 0 that multiplies it
# makes $0 \cdot \infty$ = NaN, silently. Inside `torch.autograd.detect_anomaly()`, every
# backward step checks its result and the first one to produce a NaN raises an error that
# names it (and a warning shows the line of the forward pass that recorded it). It slows
# everything down: switch it on to hunt a bug, then off again.

# %%
x = torch.tensor([0.0, 4.0], requires_grad=True)
(x.sqrt() * torch.tensor([0.0, 1.0])).sum().backward()
print("x.grad without anomaly detection:", x.grad)  # i18n

x.grad = None
with warnings.catch_warnings(record=True) as caught:  # keep the forward traceback short
    warnings.simplefilter("always")
    try:
        with torch.autograd.detect_anomaly():
            (x.sqrt() * torch.tensor([0.0, 1.0])).sum().backward()
    except RuntimeError as err:
        print("RuntimeError:", err)
print("warning:", str(caught[-1].message).splitlines()[0])  # i18n

# %% [markdown]
# ## Summary
#
# - A tensor with `requires_grad=True` makes autograd record every operation on it; each
#   result's `grad_fn` links back through `next_functions` to the leaves.
# - The graph is built as the code runs, so Python control flow is allowed and the graph
#   can differ from one input to the next.
# - `backward()` applies the chain rule from the output back to the leaves and **adds**
#   into `.grad`: reset gradients once per step (`p.grad = None`, or
#   `optimizer.zero_grad()`).
# - A non-scalar output needs `backward(gradient=v)`, which computes the vector-Jacobian
#   product $v^\top J$ in one pass; a graph is freed by its first backward pass unless
#   `retain_graph=True`.
# - `torch.no_grad()` for updates and evaluation, `.detach()` to stop a gradient along one
#   path, `torch.inference_mode()` for pure inference.
# - Backpropagation is the chain rule, step by step; check any hand-written gradient with
#   finite differences or `torch.autograd.gradcheck`, in `float64`.
# - A `torch.autograd.Function` defines an operation with your own `forward` and
#   `backward`, called through `.apply`.
# - Gradient descent needs nothing but autograd and a loop; the learning rate must stay
#   below $2 / \lambda_{\max}$.
# - `torch.autograd.grad` returns gradients instead of adding them to `.grad`; with
#   `create_graph=True` a gradient can be differentiated again (Newton's method, Hessians).
# - `register_hook` looks at or changes a gradient as it flows; `detect_anomaly()` names
#   the operation whose backward made the first NaN.
# - Autograd refuses in-place changes to leaves that require gradients (outside
#   `no_grad`) and to tensors it saved (`_version`). A tensor that keeps a graph (a
#   running total, a carried state) keeps its memory: use `.item()` or `.detach()`.
#
# **Next:** chapter 03 builds a multilayer perceptron with `torch.nn`. Its training loop is
# the one from this chapter, with an `nn.Module` holding the parameters and an optimizer
# doing the update and the `zero_grad()`.

# %%
q.summary()
