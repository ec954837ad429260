# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "neurons and layers, activations, `nn.Module`, datasets and loaders, the training and evaluation loops, softmax and cross-entropy, initialisation, overfitting, an MLP on MNIST"
# ---

# %% [markdown]
# # 03 · Multilayer perceptrons
#
# In the last chapters you met tensors and autograd. Now we put them together into the
# simplest real neural network: the multilayer perceptron (MLP), a stack of layers of
# artificial neurons.
#
# **What you will learn**
# - the artificial neuron `y = φ(Σ wᵢxᵢ + b)`, the layer `h⁽ˡ⁾ = φ(W⁽ˡ⁾h⁽ˡ⁻¹⁾ + b⁽ˡ⁾)`,
#   and the activation functions sigmoid, tanh and ReLU with their derivatives;
# - how `nn.Linear`, `nn.Module` and `nn.Sequential` express those formulas, and how to count
#   a model's parameters;
# - which loss goes with which output: why `BCELoss` on raw outputs is a bug, and what
#   `BCEWithLogitsLoss` and `CrossEntropyLoss` do instead;
# - the training loop, written out by hand, and the same loop in `labkit.train.fit`;
# - train/validation splits, overfitting, and two cures: weight decay and early stopping;
# - an MLP that reads handwritten digits (MNIST), with its test accuracy and its mistakes;
# - under the hood: a `Dataset` written by hand and the `DataLoader` options, the evaluation
#   loop written out (with `model.to(device)`), saving and loading a `state_dict`, softmax
#   and cross-entropy with the log-sum-exp trick and their gradient, weight initialisation,
#   and when to use `torch.nn.functional` instead of `nn` modules.

# %%
import copy

import matplotlib.pyplot as plt
import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split
from torchvision.transforms import v2

from labkit import data, exercises, plot, widgets
from labkit.train import evaluate, fit

q = exercises.bind("03_mlp", globals())
print("PyTorch", torch.__version__)

# %% [markdown]
# ## 1. The artificial neuron
#
# A neuron takes `n` inputs `x₁ … xₙ`, multiplies each by a weight `wᵢ`, adds a bias `b`,
# and passes the sum through a non-linear *activation function* `φ`:
#
# $$y = \varphi\Big(\sum_{i=1}^{n} w_i x_i + b\Big) = \varphi(\mathbf{w}\cdot\mathbf{x} + b)$$
#
# The weights say how much each input matters; the bias shifts the point where the neuron
# "switches on". Learning means finding good values for `w` and `b`. Here is one neuron with
# three inputs and the sigmoid activation, computed by hand:

# %%
x = torch.tensor([0.5, -1.0, 2.0])  # (3,) inputs
w = torch.tensor([0.8, 0.2, -0.4])  # (3,) one weight per input
b = torch.tensor(0.1)  # the bias, a single number

z = (w * x).sum() + b  # the weighted sum, also written w @ x + b
y = torch.sigmoid(z)  # the activation
print(f"z = {z.item():.3f}   y = sigmoid(z) = {y.item():.3f}")

# %% [markdown]
# ## 2. Activation functions
#
# Three classic choices for `φ`, and their derivatives (the derivative matters because
# training follows gradients, and the chain rule multiplies one `φ'` per layer):
#
# | name | φ(z) | φ'(z) |
# |---|---|---|
# | sigmoid | $\sigma(z) = \dfrac{1}{1 + e^{-z}}$, between 0 and 1 | $\sigma(z)\,(1 - \sigma(z))$ |
# | tanh | $\tanh(z) = \dfrac{e^{z} - e^{-z}}{e^{z} + e^{-z}}$, between -1 and 1 | $1 - \tanh^2(z)$ |
# | ReLU | $\max(0, z)$ | 1 for $z > 0$, 0 for $z < 0$ |
#
# ReLU has no derivative at exactly `z = 0`; PyTorch uses 0 there. Solid lines are the
# functions, dashed lines their derivatives (computed by autograd):

# %%
plot.plot_activations(["sigmoid", "tanh", "relu"])

# %% [markdown]
# Explore them yourself: pick an activation (the menu also has leaky ReLU and GELU, two
# popular variants of ReLU) and widen the x range. Watch where each derivative is close to
# zero.

# %%
widgets.activation_explorer("sigmoid", x_max=6.0)

# %% [markdown]
# Sigmoid and tanh *saturate*: for large `|z|` they are flat, and their derivative is close
# to zero. The steepest slope of the sigmoid is small, and in a deep network the chain rule
# multiplies one such factor per layer. That is the *vanishing gradient* problem, and the
# main reason hidden layers today mostly use ReLU, whose slope is 1 wherever it is active.

# %%
z = torch.linspace(-6, 6, 1201)  # (1201,) a fine grid that contains z = 0
slope = torch.sigmoid(z) * (1 - torch.sigmoid(z))
print(f"steepest slope of sigmoid:              {slope.max().item():.4f}")  # i18n
print(f"product of that slope over 10 layers:   {slope.max().item() ** 10:.2e}")  # i18n

# %% [markdown]
# ### Exercise 1: derivatives of the activations
# Write `sigmoid_grad(x)`, `tanh_grad(x)` and `relu_grad(x)`, the derivatives of the three
# activations, element-wise, from the formulas in the table (no autograd). Each returns a
# float tensor of the same shape as `x`. The check compares with autograd.

# %%
def sigmoid_grad(x):
    ### BEGIN SOLUTION
    s = torch.sigmoid(x)
    return s * (1 - s)
    ### END SOLUTION


def tanh_grad(x):
    ### BEGIN SOLUTION
    return 1 - torch.tanh(x) ** 2
    ### END SOLUTION


def relu_grad(x):
    ### BEGIN SOLUTION
    return (x > 0).to(x.dtype)
    ### END SOLUTION


# %%
q.activation_grads.check()

# %% tags=["author-test"]
q.activation_grads.expect("incorrect", "the values of `sigmoid_grad(x)`",
                          sigmoid_grad=lambda x: x * (1 - x))
q.activation_grads.expect("incorrect", "the dtype of `relu_grad(x)`", relu_grad=lambda x: x > 0)
q.activation_grads.expect("incorrect", "the values of `relu_grad(x)`",
                          relu_grad=lambda x: (x >= 0).float())
q.activation_grads.expect("passed")

# %% [markdown]
# Stuck? `q.activation_grads.hint()` gives a hint, `q.activation_grads.solution()` an answer.
#
# ## 3. From one neuron to a layer
#
# Put `m` neurons side by side, all reading the same input vector `x` of size `n`. Their
# weight vectors become the rows of a matrix `W` of shape `(m, n)`, their biases a vector `b`
# of size `m`, and the whole layer is one matrix product. Stack layers, each reading the
# output of the one before, and you have a multilayer perceptron:
#
# $$\mathbf{h}^{(l)} = \varphi\big(W^{(l)}\,\mathbf{h}^{(l-1)} + \mathbf{b}^{(l)}\big),
# \qquad \mathbf{h}^{(0)} = \mathbf{x}$$
#
# The layers between input and output are *hidden* layers. The last layer usually has no
# activation: its raw outputs are called *logits*, and the loss function decides how to
# read them (section 5).
#
# In PyTorch, inputs come in a batch, one example per **row**: `X` has shape `(B, n)`. The
# formula then reads `H = φ(X Wᵀ + b)`, and that is exactly what `nn.Linear(n, m)` computes.
# It stores `weight` with shape `(m, n)`, that is `(out_features, in_features)`:

# %%
torch.manual_seed(0)
layer = nn.Linear(3, 4)  # 3 inputs -> 4 neurons
print("weight", tuple(layer.weight.shape), " bias", tuple(layer.bias.shape))  # i18n

xb = torch.randn(5, 3)  # (B=5, 3) a batch of five inputs
by_hand = xb @ layer.weight.T + layer.bias  # (5, 3) @ (3, 4) + (4,) -> (5, 4)
print("output", tuple(layer(xb).shape), " same as by hand:", torch.allclose(layer(xb), by_hand))  # i18n

# %% [markdown]
# ### Exercise 2: an MLP forward pass with plain tensor operations
# Write `mlp_forward(x, W1, b1, W2, b2)`: a hidden layer with ReLU, then an output layer
# without activation. Shapes: `x` is `(B, n)`, `W1` is `(H, n)`, `b1` is `(H,)`, `W2` is
# `(O, H)` and `b2` is `(O,)`; the result is `(B, O)`. The weights follow `nn.Linear`'s
# layout, and the check compares your result with two `nn.Linear` layers.

# %%
def mlp_forward(x, W1, b1, W2, b2):
    ### BEGIN SOLUTION
    h = torch.relu(x @ W1.T + b1)  # (B, H)
    return h @ W2.T + b2  # (B, O)
    ### END SOLUTION


# %%
q.mlp_forward.check()

# %% tags=["author-test"]
q.mlp_forward.expect("incorrect", "the values of `mlp_forward(x, W1, b1, W2, b2)`",
                     mlp_forward=lambda x, W1, b1, W2, b2: torch.relu(x @ W1 + b1) @ W2 + b2)
q.mlp_forward.expect("incorrect", "the values of",
                     mlp_forward=lambda x, W1, b1, W2, b2: (x @ W1.T + b1) @ W2.T + b2)
q.mlp_forward.expect("passed")

# %% [markdown]
# Why must there be an activation between the layers? Without one, two linear layers are
# just one linear layer in disguise: `W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂)`. However
# many you stack, the model can only draw straight lines. Let us confirm it numerically:

# %%
torch.manual_seed(0)
fc1, fc2 = nn.Linear(2, 8), nn.Linear(8, 1)
xb = torch.randn(6, 2)  # (6, 2)
two_layers = fc2(fc1(xb))  # (6, 1), no activation in between
W = fc2.weight @ fc1.weight  # (1, 8) @ (8, 2) -> (1, 2)
b = fc2.weight @ fc1.bias + fc2.bias  # (1,)
print("two linear layers == one linear layer:", torch.allclose(two_layers, xb @ W.T + b, atol=1e-6))  # i18n

# %% [markdown]
# ## 4. `nn.Module` and `nn.Sequential`
#
# Seed text 000 defines its 2-D classifier as a subclass of `nn.Module`. Here it is, with the
# modern `super().__init__()` (the seed's `super(MLP, self).__init__()` is the older
# spelling of the same call). Layers are created in `__init__`; `forward` says how data flows
# through them.

# %%
class MLP(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim):
        super().__init__()  # sets up the registry of parameters and submodules
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_dim, output_dim)

    def forward(self, x):  # (B, input_dim)
        x = self.relu(self.fc1(x))  # (B, hidden_dim)
        return self.fc2(x)  # (B, output_dim) logits, no activation


torch.manual_seed(0)
mlp = MLP(input_dim=2, hidden_dim=10, output_dim=1)
print(mlp)

# %% [markdown]
# Call the model as `mlp(x)`, never `mlp.forward(x)`: calling the module runs `forward`
# *and* the hooks PyTorch and other libraries attach to it.
#
# When the data simply flows through the layers one after the other, `nn.Sequential` says the
# same in one line. With the same seed, the layers are created in the same order and get the
# same initial weights, so the two models compute the same function:

# %%
torch.manual_seed(0)
seq = nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 1))
print(seq)
xb = torch.randn(4, 2)  # (4, 2)
print("same outputs:", torch.allclose(mlp(xb), seq(xb)))  # i18n

# %% [markdown]
# Every `nn.Linear` assigned as an attribute (or placed in a `Sequential`) is registered, so
# `parameters()` finds its weights for the optimizer. The names differ: attribute names in a
# `Module`, positions in a `Sequential`.

# %%
for (name_a, p), (name_b, _) in zip(mlp.named_parameters(), seq.named_parameters(), strict=True):
    print(f"{name_a:11s} {name_b:9s} {tuple(p.shape)}")

# %% [markdown]
# **Counting parameters.** A layer `nn.Linear(n, m)` has `n·m` weights and `m` biases,
# `(n + 1)·m` in all. PyTorch counts them for you with `numel()`:

# %%
n_params = sum(p.numel() for p in mlp.parameters())
n_trainable = sum(p.numel() for p in mlp.parameters() if p.requires_grad)
print("counted:    ", n_params, f"({n_trainable} trainable)")  # i18n
print("by formula: ", (2 + 1) * 10 + (10 + 1) * 1)  # i18n

# %% [markdown]
# | use | when |
# |---|---|
# | `nn.Sequential(...)` | a plain chain: each layer's output is the next layer's input |
# | a subclass of `nn.Module` | anything else: several inputs or outputs, branches, skip connections, reshaping or logic in `forward` |
#
# A `Sequential` is itself a `Module`, so the two mix freely: a custom module can hold
# `Sequential` blocks, and a `Sequential` can hold custom modules.
#
# ### Exercise 3: a module with a given architecture
# Write `MnistMLP`, a subclass of `nn.Module` for 28×28 grey images (section 8 trains this
# architecture on MNIST). Its `forward` takes a batch of shape `(B, 1, 28, 28)`, flattens
# each image to 784 numbers, and applies `Linear(784, 128)`, ReLU, `Linear(128, 64)`, ReLU,
# `Linear(64, 10)`. It returns the `(B, 10)` logits, one score per digit, with no softmax.
# The check calls `MnistMLP()`, then looks at the output shape, the layers and the number of
# parameters, and recomputes the output from your layers' own weights.

# %%
class MnistMLP(nn.Module):
    def __init__(self):
        super().__init__()
        ### BEGIN SOLUTION
        self.flatten = nn.Flatten()  # (B, 1, 28, 28) -> (B, 784)
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)
        ### END SOLUTION

    def forward(self, x):  # (B, 1, 28, 28)
        ### BEGIN SOLUTION
        x = self.flatten(x)  # (B, 784)
        x = torch.relu(self.fc1(x))  # (B, 128)
        x = torch.relu(self.fc2(x))  # (B, 64)
        return self.fc3(x)  # (B, 10) logits
        ### END SOLUTION


# %%
q.mnist_mlp.check()

# %% tags=["author-test"]
def linear_only():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.Linear(128, 64),
                         nn.Linear(64, 10))


q.mnist_mlp.expect("incorrect", "more than a linear map", MnistMLP=linear_only)
q.mnist_mlp.expect("incorrect", "the shape of `model(x)`",
                   MnistMLP=lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 1)))
q.mnist_mlp.expect("error in your code", "mat1 and mat2",
                   MnistMLP=lambda: nn.Sequential(nn.Linear(784, 128), nn.ReLU(),
                                                  nn.Linear(128, 64), nn.ReLU(),
                                                  nn.Linear(64, 10)))
q.mnist_mlp.expect("passed")

# %% [markdown]
# The parameter count the check expects, by the formula `(n + 1)·m` per layer:

# %%
print("MnistMLP parameters:", (784 + 1) * 128 + (128 + 1) * 64 + (64 + 1) * 10)  # i18n

# %% [markdown]
# ## 5. A 2-D classification problem, and the right loss
#
# Small 2-D datasets are perfect for watching a network learn, because we can draw what it
# has learned. `data.make_moons` gives two interleaving half moons, class 0 and class 1:

# %%
X_moons, y_moons = data.make_moons(400, noise=0.15, seed=0)  # (400, 2) float32, (400,) int64
t_moons = y_moons.float().unsqueeze(1)  # (400, 1) targets 0.0 / 1.0, shaped like the outputs
print("X", tuple(X_moons.shape), X_moons.dtype, "  y", tuple(y_moons.shape), y_moons.dtype)

fig, ax = plt.subplots(figsize=(4.5, 3.8))
ax.scatter(X_moons[:, 0], X_moons[:, 1], c=y_moons, cmap="RdBu_r", edgecolors="black",
           linewidths=0.5, s=20)
ax.set_title("two moons: blue is class 0, red is class 1")  # i18n
ax.set_xlabel("x1")
ax.set_ylabel("x2")
plt.show()

# %% [markdown]
# The seed text trains `MLP(input_dim=2, hidden_dim=10, output_dim=1)` with
# `criterion = nn.BCELoss()`. The *binary cross-entropy* compares a predicted probability
# `p` of class 1 with the true label `t ∈ {0, 1}`:
#
# $$\ell(p, t) = -\big[t \log p + (1 - t)\log(1 - p)\big]$$
#
# It only makes sense for `0 ≤ p ≤ 1`. But the model ends with `nn.Linear`, whose outputs
# are any real numbers. Let us run the seed's loss on our data and see:

# %%
torch.manual_seed(0)
seed_model = MLP(input_dim=2, hidden_dim=10, output_dim=1)
outputs = seed_model(X_moons)  # (400, 1) raw scores from the last nn.Linear
print(f"outputs range from {outputs.min().item():.3f} to {outputs.max().item():.3f}")  # i18n
try:
    nn.BCELoss()(outputs, t_moons)  # the seed text's loss on raw outputs
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# On a CPU, PyTorch refuses; on a GPU the same bug shows up as a much less readable
# "device-side assert triggered". And if every output happened to fall between 0 and 1,
# there would be no error at all: the loss would quietly treat arbitrary scores as
# probabilities. The seed's evaluation has the same confusion: `outputs > 0.5` is a threshold
# for probabilities; for logits, the matching threshold is 0, because `σ(0) = 0.5`.
#
# ### Exercise 4: spot the bug
# Fix the loss below so that it fits a model whose last layer returns logits: set `loss_fn`
# to a loss that takes raw scores `(B, 1)` and 0/1 targets `(B, 1)` and returns the mean
# binary cross-entropy of `sigmoid(logits)`. (There are two correct fixes; one of them is
# better, as the next cell shows.)

# %%
### BEGIN SOLUTION
loss_fn = nn.BCEWithLogitsLoss()
### END SOLUTION
### BEGIN STUB
loss_fn = nn.BCELoss()  # the seed text's choice: this is the line to fix
### END STUB

# %%
q.bce_fix.check()

# %% tags=["author-test"]
q.bce_fix.expect("not attempted", "`nn.BCELoss()`", loss_fn=nn.BCELoss())
q.bce_fix.expect("incorrect", "the values of `loss_fn(logits, targets)`", loss_fn=nn.MSELoss())
q.bce_fix.expect("passed", loss_fn=lambda logits, t: nn.BCELoss()(torch.sigmoid(logits), t))
q.bce_fix.expect("passed")

# %% [markdown]
# `nn.BCEWithLogitsLoss` applies the sigmoid inside the loss, where it can use a form that
# never takes the log of 0. Adding `torch.sigmoid` before `nn.BCELoss` is correct in
# principle, but breaks for confident predictions. Take a logit of 20 for an example whose
# true class is 0. The exact loss is `log(1 + e²⁰)`, just above 20. In float32, `σ(20)` rounds
# to exactly 1, `log(1 - 1)` is minus infinity, and `BCELoss` has to clamp it:

# %%
logit = torch.tensor([[20.0]])  # (1, 1) a very confident "class 1"...
target = torch.tensor([[0.0]])  # (1, 1) ...but the true class is 0
print("sigmoid(20) in float32:        ", torch.sigmoid(logit).item())  # i18n
print("BCELoss(sigmoid(logit)):       ", nn.BCELoss()(torch.sigmoid(logit), target).item())
print("BCEWithLogitsLoss(logit):      ", nn.BCEWithLogitsLoss()(logit, target).item())
print("exact, log(1 + e^20):          ", torch.log1p(torch.exp(torch.tensor(20.0))).item())  # i18n

# %% [markdown]
# So: **the last layer returns logits, and the loss takes logits.** For two classes that is
# `nn.BCEWithLogitsLoss` (targets are floats shaped like the output), for `K` classes
# `nn.CrossEntropyLoss` (section 8). Apply `torch.sigmoid` or `torch.softmax` only when you
# want probabilities to look at, not to train on.
#
# ## 6. The training loop
#
# Training repeats one step over mini-batches of data:
#
# 1. `optimizer.zero_grad()`: autograd *adds* new gradients to `.grad`, so clear the old ones;
# 2. forward pass and loss: `loss = loss_fn(model(X), y)`;
# 3. `loss.backward()`: the gradient `∂loss/∂θ` of every parameter `θ` lands in `θ.grad`;
# 4. `optimizer.step()`: update every parameter; plain SGD does `θ ← θ − η·∂loss/∂θ`, with
#    learning rate `η`.
#
# ### Exercise 5: one training step by hand
# Write `train_step(model, X, y, loss_fn, optimizer)` that first puts the model in
# training mode with `model.train()` (the model may come straight from an evaluation, in
# eval mode; the check's model has a dropout layer, which behaves differently in the two
# modes, as chapter 04 shows), then does the four steps once and returns the loss
# (computed before the update) as a Python number, with `loss.item()`.

# %%
def train_step(model, X, y, loss_fn, optimizer):
    ### BEGIN SOLUTION
    model.train()  # dropout and batch norm behave as in training
    optimizer.zero_grad()  # forget the gradients of the previous step
    loss = loss_fn(model(X), y)  # forward pass and loss
    loss.backward()  # d(loss)/d(parameter) into each .grad
    optimizer.step()  # move each parameter against its gradient
    return loss.item()
    ### END SOLUTION


# %%
q.train_step.check()

# %% tags=["author-test"]
def forgets_zero_grad(model, X, y, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def forgets_step(model, X, y, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    return loss.item()


q.train_step.expect("incorrect", "the values of `model.hidden.weight`",
                    train_step=forgets_zero_grad)
q.train_step.expect("incorrect", "unchanged parameters", train_step=forgets_step)
q.train_step.expect("passed")

# %% [markdown]
# Now the whole loop, written out once. A `TensorDataset` pairs each point with its target,
# and a `DataLoader` serves them in shuffled mini-batches of 32 (`num_workers=0`, the
# default, loads in the main process; a seeded `torch.Generator` fixes the shuffling order).
# One *epoch* is one pass over all the data. We use the Adam optimizer, which adapts the step
# size of each parameter (chapter 04b explains how), and draw the decision boundary at a few
# moments of training: the colour is the predicted probability of class 1, the black line
# is where it crosses 0.5.

# %%
moons_set = TensorDataset(X_moons, t_moons)  # item i: (X_moons[i] (2,), t_moons[i] (1,))
moons_loader = DataLoader(moons_set, batch_size=32, shuffle=True,
                          generator=torch.Generator().manual_seed(0))

torch.manual_seed(0)
moons_model = MLP(input_dim=2, hidden_dim=10, output_dim=1)
bce = nn.BCEWithLogitsLoss()  # the fixed loss, written here so the notebook runs as it is
optimizer = torch.optim.Adam(moons_model.parameters(), lr=0.02)

snapshots = [0, 2, 10, 60]  # epochs after which we draw
fig, axes = plt.subplots(1, len(snapshots), figsize=(4.3 * len(snapshots), 3.6),
                         layout="constrained")


def draw_snapshot(ax, epoch):
    with torch.no_grad():  # no gradients needed to look at the model
        predicted = (moons_model(X_moons) > 0).long().squeeze(1)  # logit > 0 means class 1
    acc = (predicted == y_moons).float().mean().item()
    plot.plot_decision_boundary(moons_model, X_moons, y_moons, ax=ax, steps=100)
    ax.set_title(f"after {epoch} epochs, accuracy {acc:.2f}")  # i18n


draw_snapshot(axes[0], 0)
for epoch in range(1, snapshots[-1] + 1):
    moons_model.train()  # training mode (matters for dropout and batch norm, later)
    for xb, tb in moons_loader:  # xb (32, 2), tb (32, 1); the last batch may be smaller
        optimizer.zero_grad()
        loss = bce(moons_model(xb), tb)
        loss.backward()
        optimizer.step()
    if epoch in snapshots:
        draw_snapshot(axes[snapshots.index(epoch)], epoch)
        print(f"epoch {epoch:3d}   loss of the last batch {loss.item():.4f}")  # i18n
plt.show()

# %% [markdown]
# Before training, the network says "about 0.5" everywhere. After a couple of epochs it
# has found a roughly straight boundary, and with more epochs the boundary bends around the
# moons.
#
# ## 7. `fit`, validation data, and overfitting
#
# `labkit.train.fit` runs exactly the loop above, plus bookkeeping: average loss and
# accuracy per epoch, an optional validation pass, a progress bar and live curves. It returns
# a `History`. Run `fit??` in a cell to read its source: it is the same loop. As a first use,
# train a single neuron, `nn.Linear(2, 1)`, on the moons and compare it with the MLP:

# %%
torch.manual_seed(0)
neuron = nn.Linear(2, 1)  # one neuron: the loss applies the sigmoid
neuron_history = fit(neuron, moons_loader, loss_fn=bce,
                     optimizer=torch.optim.Adam(neuron.parameters(), lr=0.05), epochs=20)
print(f"one neuron: accuracy {neuron_history.last()['train_acc']:.2f} in the last epoch")  # i18n

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
plot.plot_decision_boundary(neuron, X_moons, y_moons, ax=axes[0], steps=100)
axes[0].set_title("one neuron: a straight line")  # i18n
plot.plot_decision_boundary(moons_model, X_moons, y_moons, ax=axes[1], steps=100)
axes[1].set_title("MLP with 10 hidden units")  # i18n
plt.show()

# %% [markdown]
# **Train, validation, test.** Accuracy on the training data says how well a model has
# *memorised*; we care about new data. So we hold some data back: a *validation* set to
# compare models and settings during development, and a *test* set used once, at the very
# end. `random_split` splits a dataset; a seeded generator makes the split repeatable.
#
# To see overfitting clearly, take a small, noisy dataset and keep only 20% of it for
# training:

# %%
X_noisy, y_noisy = data.make_moons(300, noise=0.35, seed=1)  # (300, 2), (300,)
noisy_set = TensorDataset(X_noisy, y_noisy.float().unsqueeze(1))
train_part, val_part = random_split(noisy_set, [0.2, 0.8],
                                    generator=torch.Generator().manual_seed(0))
X_tr, t_tr = noisy_set[train_part.indices]  # (60, 2), (60, 1)
X_va, t_va = noisy_set[val_part.indices]  # (240, 2), (240, 1)
print(len(train_part), "training points,", len(val_part), "validation points")  # i18n

# %% [markdown]
# Now a model far too large for 60 points: two hidden layers of 256 units. Each epoch is one
# step on the whole training set (one batch), and `fit` measures the validation loss after
# each epoch. (`live=False` skips the live plot, which would redraw 300 times; we draw the
# curves ourselves below.)

# %%
def big_mlp():
    torch.manual_seed(0)  # every call starts from the same weights
    return nn.Sequential(nn.Linear(2, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 1))


full_batch = [(X_tr, t_tr)]  # the whole training set as a single batch
val_batch = [(X_va, t_va)]

big = big_mlp()
print(sum(p.numel() for p in big.parameters()), "parameters")  # i18n
big_history = fit(big, full_batch, loss_fn=bce, epochs=300, val_loader=val_batch, live=False,
                  optimizer=torch.optim.SGD(big.parameters(), lr=0.1, momentum=0.9))

# %% [markdown]
# **Weight decay** adds a penalty on large weights to the loss, `L + (λ/2)·‖θ‖²`, so each
# step also pulls every weight a little towards zero (the gradient gains a term `λθ`). Large
# weights are what a network needs to draw a boundary that bends around single points, so
# the penalty favours smoother boundaries. In PyTorch it is the optimizer's `weight_decay=λ`
# argument. (With Adam, use `torch.optim.AdamW`, which applies the decay separately from the
# adaptive step; chapter 04b has the details.) Same model, same start, λ = 0.01:

# %%
regular = big_mlp()
regular_history = fit(regular, full_batch, loss_fn=bce, epochs=300, val_loader=val_batch,
                      live=False, optimizer=torch.optim.SGD(regular.parameters(), lr=0.1,
                                                            momentum=0.9, weight_decay=1e-2))
for name, h in [("no weight decay", big_history), ("weight decay 0.01", regular_history)]:  # i18n
    last = h.last()
    print(f"{name:18s}  train accuracy {last['train_acc']:.2f}   validation loss "  # i18n
          f"{last['val_loss']:.3f}   validation accuracy {last['val_acc']:.2f}")  # i18n

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
for h, label, color in [(big_history, "no weight decay",  # i18n
                         "tab:red"),
                        (regular_history, "weight decay 0.01",  # i18n
                         "tab:green")]:
    axes[0].plot(h.epoch, h.train_loss, color=color, linestyle="--", label=f"train, {label}")  # i18n
    axes[0].plot(h.epoch, h.val_loss, color=color, label=f"validation, {label}")  # i18n
axes[0].set_xlabel("epoch")  # i18n
axes[0].set_title("loss")  # i18n
axes[0].legend()
plot.plot_decision_boundary(big, X_tr, t_tr, ax=axes[1], steps=100)
axes[1].set_title("no weight decay (training points)")  # i18n
plot.plot_decision_boundary(regular, X_tr, t_tr, ax=axes[2], steps=100)
axes[2].set_title("weight decay 0.01 (training points)")  # i18n
plt.show()

# %% [markdown]
# This is overfitting: without weight decay, the training loss keeps falling while the
# validation loss turns around and climbs, and the boundary twists to fit single noisy
# points. With weight decay, both curves settle and the boundary stays smooth.
#
# **Early stopping** is the other classic cure: keep the weights from the epoch with the
# lowest validation loss, and stop when it has not improved for `patience` epochs. Where was
# that epoch in the run without weight decay?

# %%
best = big_history.best("val_loss")
print(f"lowest validation loss {best['val_loss']:.3f} at epoch {best['epoch']}; "  # i18n
      f"after epoch {len(big_history)} it is {big_history.last()['val_loss']:.3f}")  # i18n

# %% [markdown]
# Written out, early stopping is a few lines around the training loop. `state_dict()`
# returns references to the live weights, so we store a deep copy:

# %%
stopped = big_mlp()  # the same start as `big`
optimizer = torch.optim.SGD(stopped.parameters(), lr=0.1, momentum=0.9)
best_loss, best_epoch, best_state, patience, waited = float("inf"), 0, None, 20, 0
for epoch in range(1, 301):
    fit(stopped, full_batch, loss_fn=bce, optimizer=optimizer, epochs=1, live=False,
        progress=False)
    val_loss = evaluate(stopped, val_batch, loss_fn=bce)["loss"]
    if val_loss < best_loss:
        best_loss, best_epoch, waited = val_loss, epoch, 0
        best_state = copy.deepcopy(stopped.state_dict())
    else:
        waited += 1
        if waited == patience:
            break
stopped.load_state_dict(best_state)
print(f"stopped after epoch {epoch}; restored the weights of epoch {best_epoch} "  # i18n
      f"(validation loss {best_loss:.3f})")  # i18n

# %% [markdown]
# ## 8. An MLP for handwritten digits
#
# MNIST images are 28×28 grey pixels showing a digit from 0 to 9. We load them with
# `torchvision.datasets.MNIST` and the transforms of `torchvision.transforms.v2`:
# `v2.ToImage()` turns each PIL image into a tensor of shape `(1, 28, 28)` (still `uint8`,
# 0 to 255), and `v2.ToDtype(torch.float32, scale=True)` makes it float with values in
# [0, 1]. (The older `transforms.ToTensor()` did both at once; v2 is the current API.)
# Without internet access, labkit provides a smaller real subset; the line below says which
# one you have. We split off 10% of the training images for validation and keep the test
# set for the end.

# %%
root = data.ensure_mnist()
to_tensor = v2.Compose([v2.ToImage(),  # PIL image (28, 28) -> uint8 tensor (1, 28, 28)
                        v2.ToDtype(torch.float32, scale=True)])  # float32 in [0, 1]
mnist_train_full = torchvision.datasets.MNIST(root, train=True, transform=to_tensor)
mnist_test = torchvision.datasets.MNIST(root, train=False, transform=to_tensor)
mnist_train, mnist_val = random_split(mnist_train_full, [0.9, 0.1],
                                      generator=torch.Generator().manual_seed(0))
print(len(mnist_train), "training,", len(mnist_val), "validation,", len(mnist_test), "test images")  # i18n

image, label = mnist_train_full[0]
print("one image:", tuple(image.shape), image.dtype,  # i18n
      f"values from {image.min().item():.1f} to {image.max().item():.1f}, label {label}")  # i18n

# %%
train_loader = DataLoader(mnist_train, batch_size=64, shuffle=True,
                          generator=torch.Generator().manual_seed(0))
val_loader = DataLoader(mnist_val, batch_size=256)  # no need to shuffle for evaluation
test_loader = DataLoader(mnist_test, batch_size=256)

images, labels = next(iter(val_loader))  # (256, 1, 28, 28), (256,)
print("a batch:", tuple(images.shape), tuple(labels.shape), labels.dtype)  # i18n
plot.image_grid(images[:16], labels[:16])

# %% [markdown]
# The model is the architecture of exercise 3, written as an `nn.Sequential` so that this
# section runs whatever your exercise holds. `nn.Flatten()` turns each `(1, 28, 28)` image
# into a row of 784 numbers: an MLP sees pixels as a plain list, with no idea which ones are
# neighbours.
#
# With 10 classes the loss is `nn.CrossEntropyLoss`. Like `BCEWithLogitsLoss`, it takes
# logits `z` of shape `(B, 10)` and applies the softmax itself; the targets are class indices
# of shape `(B,)`, dtype int64. For one example of class `y`:
#
# $$\ell(\mathbf{z}, y) = -\log \frac{e^{z_y}}{\sum_{k} e^{z_k}}
# = -z_y + \log \sum_{k} e^{z_k}$$

# %%
torch.manual_seed(0)
mnist_model = nn.Sequential(
    nn.Flatten(),  # (B, 1, 28, 28) -> (B, 784)
    nn.Linear(28 * 28, 128), nn.ReLU(),  # (B, 128)
    nn.Linear(128, 64), nn.ReLU(),  # (B, 64)
    nn.Linear(64, 10),  # (B, 10) logits, one per digit
)
print(sum(p.numel() for p in mnist_model.parameters()), "parameters")  # i18n
cross_entropy = nn.CrossEntropyLoss()

# %% [markdown]
# Train for a few epochs with Adam. In a notebook, the curves redraw after every epoch.

# %%
mnist_history = fit(mnist_model, train_loader, loss_fn=cross_entropy, epochs=5,
                    optimizer=torch.optim.Adam(mnist_model.parameters(), lr=1e-3),
                    val_loader=val_loader)
mnist_history

# %% [markdown]
# ### Exercise 6: accuracy
# Write `accuracy(logits, labels)`: `logits` has shape `(B, K)`, one row of class scores per
# example, and `labels` has shape `(B,)` with the true class indices. Return the fraction of
# rows whose highest score is at the true class, as a Python number between 0 and 1.

# %%
def accuracy(logits, labels):
    ### BEGIN SOLUTION
    predictions = logits.argmax(dim=1)  # (B, K) -> (B,)
    return (predictions == labels).float().mean().item()
    ### END SOLUTION


# %%
q.accuracy.check()

# %% tags=["author-test"]
q.accuracy.expect("incorrect", "`accuracy(logits, labels)`",
                  accuracy=lambda logits, labels: (logits.argmax(dim=1) == labels).sum().item())
q.accuracy.expect("error in your code", "RuntimeError",
                  accuracy=lambda logits, labels: (logits.argmax(dim=0) == labels).float().mean())
q.accuracy.expect("passed")

# %% [markdown]
# Only now, with training finished, do we look at the test set, once. `evaluate` puts the
# model in eval mode, turns gradients off, and averages over the whole loader:

# %%
test_result = evaluate(mnist_model, test_loader, loss_fn=cross_entropy)
print(f"test accuracy {test_result['accuracy']:.3f} on {test_result['examples']} images "  # i18n
      f"(test loss {test_result['loss']:.3f})")  # i18n

# %% [markdown]
# Numbers hide a lot; the mistakes themselves are more telling. The title shows the
# prediction and, in red, the true label:

# %%
wrong = plot.mistakes(mnist_model, mnist_test, limit=16)
plot.image_grid(wrong.images, wrong.labels, predictions=wrong.predictions)

# %% [markdown]
# Some mistakes are digits a person would hesitate over too; others are clear to us but not
# to a model that sees 784 unrelated numbers.

# %% [markdown]
# ## 9. Datasets and data loaders, up close
#
# So far `TensorDataset` and `torchvision.datasets.MNIST` served the data. Any object with
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
import tempfile
from pathlib import Path

import torch.nn.functional as F
from torch.utils.data import Dataset, default_collate
from torchvision.transforms import v2


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
# memory as here. Workers are separate processes, and on Windows and macOS they start
# fresh ("spawn") and must import the dataset's class by name. A class defined in a notebook
# cell cannot be imported that way, so the loader fails (with an error about getting an
# attribute on `__main__`) or, with some setups, hangs. That is why this course keeps the
# default 0 in notebooks. In a script, workers are fine: define the dataset class at the
# top level of the script or in a module, and run the training code under
# `if __name__ == "__main__":`. This machine starts processes with:

# %%
print(torch.multiprocessing.get_start_method())

# %% [markdown]
# ### Exercise 7: a dataset written by hand
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
    print("Solve exercise 7 to see the windows.")  # i18n

# %% [markdown]
# ### Exercise 8: spot the bug, an MNIST loader without a transform
# One seed text loads MNIST like this (we point it at our data folder):
# ```python
# train_loader = torch.utils.data.DataLoader(
#     torchvision.datasets.MNIST(root='./data', train=True, download=True),
#     batch_size=100, shuffle=True)
# ```
# The dataset has no `transform`, so each item is a PIL image, and the loader meets the
# error below when it collates the first batch:

# %%
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
# ## 10. Watching training, and the evaluation loop written out
#
# A training loop usually prints the average loss every so many batches. One seed text
# trains on CIFAR-10 (50,000 images) with `batch_size=100` and prints when
# `i % 2000 == 1999`, a condition copied from PyTorch's CIFAR-10 tutorial, which uses
# batches of 4 (12,500 per epoch). How many batches does the seed's loop see per epoch?

# %%
print("CIFAR-10 batches per epoch with batch_size=100:", 50_000 // 100)  # i18n
print("our MNIST training batches per epoch:", len(train_loader))  # i18n

# %% [markdown]
# `i` never reaches 1999, so nothing is ever printed: training runs silently, and a learner
# may think it hangs.
#
# ### Exercise 9: spot the bug, the print that never fires
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
# ruff: noqa: F811 - the stub region of exercise 9 redefines train_epoch on purpose
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
# One epoch of the moons data with a fresh MLP, logging every 4 of its 13 batches:

# %%
torch.manual_seed(0)
epoch_model = MLP(input_dim=2, hidden_dim=10, output_dim=1)
print(len(moons_loader), "batches")  # i18n
epoch_log = train_epoch(epoch_model, moons_loader, bce,
                        torch.optim.Adam(epoch_model.parameters(), lr=0.02), every=4)

# %% [markdown]
# **The evaluation loop.** `evaluate` (section 8) hid four steps that every evaluation needs:
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
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
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
print(f"evaluate(): accuracy {test_result['accuracy']:.4f}  loss {test_result['loss']:.4f}")  # i18n

# %% [markdown]
# ## 11. Saving and loading weights
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
#
# ## 12. Softmax and cross-entropy from scratch
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
# ### Exercise 10: cross-entropy from scratch
# Write `my_cross_entropy(logits, labels)` for logits of shape `(B, K)` and class indices
# `labels` of shape `(B,)`: the mean over the batch of `log Σⱼ e^{zⱼ} − z_y`, as a 0-d
# tensor of the logits' dtype, equal to `F.cross_entropy(logits, labels)`. Use the
# log-sum-exp trick with each row's own maximum, so that logits of ±1000 work. Write it
# yourself: the check rules out `F.cross_entropy`, `log_softmax` and `logsumexp` (every
# spelling), and your function must not change its arguments.

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
# ### Exercise 11: spot the bug, "gradient = output − label"
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
# ### Exercise 12: spot the bug, a loss function that does not exist
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
# ## 13. Weight initialisation
#
# Training starts from the initial weights, and they matter. **Why not start from zeros?**
# Then every hidden unit of a layer computes the same output, receives the same gradient,
# and takes the same step: they stay identical forever, and a layer of 10 units is worth
# one. Any constant does the same; random initial weights break this symmetry. See it after
# 100 steps on the moons:

# %%
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
# **How large?** A unit sums `n` inputs (its *fan-in*). If the inputs and weights are
# independent with mean 0, `Var(Σ wᵢxᵢ) = n · Var(w) · Var(x)`, so to keep the scale of the
# signal from layer to layer, `Var(w)` should be about `1/n`:
#
# - **Xavier (Glorot)** for tanh and sigmoid: `Var(w) = 2 / (n_in + n_out)`, a compromise
#   between the forward pass (fan-in) and the backward pass (fan-out);
# - **Kaiming (He)** for ReLU: `Var(w) = 2 / n_in`. ReLU zeroes about half of its inputs,
#   and the factor 2 makes up for it.
#
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
import inspect

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
# ## 14. `torch.nn.functional` or `nn` modules?
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
# | `mat1 and mat2 shapes cannot be multiplied (56x28 and 784x128)` | images `(B, 1, 28, 28)` fed to `nn.Linear(784, ...)` | add `nn.Flatten()` first; check each layer's `in_features` |
# | `all elements of input should be between 0 and 1` | `nn.BCELoss` on logits | `nn.BCEWithLogitsLoss` |
# | `Target size (torch.Size([64])) must be the same as input size (torch.Size([64, 1]))` | binary targets `(B,)`, outputs `(B, 1)` | `targets.float().unsqueeze(1)` |
# | `expected target dtype to be Long or Byte, but got Float` | `nn.CrossEntropyLoss` with float labels | class indices as int64: `labels.long()` |
# | loss does not go down at all | `optimizer.step()` missing, or the optimizer holds another model's parameters | create the optimizer from `model.parameters()` of the model you train |
# | `default_collate: batch must contain tensors, ...; found <class 'PIL.Image.Image'>` | a torchvision dataset without a transform | `transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])` |
# | `module 'torch.nn.functional' has no attribute 'cross_entropy_loss'` | a function name that does not exist | `F.cross_entropy(logits, labels)` |
# | `Can't get attribute 'MyDataset' on <module '__main__'>` (Windows, macOS) | `num_workers > 0` with a dataset class defined in a notebook | `num_workers=0`, or the class in a module |
# | loss `nan` or `inf` with large logits | softmax and log written out without the log-sum-exp trick | subtract each row's max, or use `F.cross_entropy` |
#
# ## Summary
# - A neuron computes `φ(w·x + b)`; a layer of them is `φ(Wx + b)`, which is `nn.Linear`
#   (weight of shape `(out, in)`) followed by an activation. Without activations, stacked
#   layers collapse into one linear map.
# - Sigmoid and tanh saturate and their slopes shrink gradients; ReLU is the usual choice for
#   hidden layers.
# - `nn.Sequential` for a plain chain of layers, a subclass of `nn.Module` for anything else;
#   `sum(p.numel() for p in model.parameters())` counts parameters, `(n + 1)·m` per layer.
# - The last layer returns logits; the loss takes logits: `BCEWithLogitsLoss` for two
#   classes, `CrossEntropyLoss` for more. `BCELoss` on raw outputs is a bug.
# - One training step: `zero_grad`, forward and loss, `backward`, `step`. `fit` is that loop.
# - Validation data reveals overfitting; weight decay and early stopping reduce it. The test
#   set is used once, at the end.
# - A dataset is `__len__` plus `__getitem__`; the `DataLoader` batches it (`batch_size`,
#   `shuffle`, `drop_last`, `collate_fn`; `num_workers=0` in notebooks).
# - Evaluation: `model.eval()`, `torch.no_grad()`, model and batches on one device, counts
#   summed over the batches. Save and load weights as a `state_dict`.
# - Cross-entropy is `logsumexp(z) − z_y`, computed stably by subtracting the max; its
#   gradient is `softmax − one_hot`. "Gradient = output − label" holds only for such matched
#   pairs (sigmoid with BCE, softmax with cross-entropy), not for a squared error on a sigmoid.
# - Random initial weights break symmetry; Kaiming for ReLU, Xavier for tanh; `nn.Linear`
#   draws uniformly from ±1/√n_in by default.
# - Modules for what has parameters or state, `F` functions for the rest.
#
# **Next:** chapter 04, convolutional neural networks: layers that know which pixels are
# neighbours, and that usually do better than an MLP on images, with fewer parameters.

# %%
q.summary()
