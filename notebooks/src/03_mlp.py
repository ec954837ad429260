# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "neurons and layers, activations, `nn.Module` and `nn.ModuleList`, the right loss for logits, the training loop, dropout, overfitting, an MLP on MNIST"
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
# - how `nn.Linear`, `nn.Module`, `nn.Sequential` and `nn.ModuleList` express those
#   formulas, and how to count a model's parameters;
# - which loss goes with which output: why `BCELoss` on raw outputs is a bug, and what
#   `BCEWithLogitsLoss` and `CrossEntropyLoss` do instead;
# - training and evaluation modes, and dropout;
# - the training loop, written out by hand, and the same loop in `labkit.train.fit`;
# - train/validation splits, overfitting, and three cures: weight decay, dropout and early
#   stopping;
# - an MLP that reads handwritten digits (MNIST): first overfit one batch, then train, and
#   read its test accuracy digit by digit and its mistakes.
#
# The data pipeline and the loss are used here as they come; chapter 03b opens them up.

# %%
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
# As a picture: each input travels along an arrow that multiplies it by its weight, the
# neuron adds everything up with the bias, and the activation turns the sum `z` into the
# output `y`.

# %%
plot.plot_neuron(3)

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
# Drawn for the network that section 8 trains on MNIST (784 pixels in, two hidden layers of
# 128 and 64 units, 10 scores out; only a few units of each layer are drawn):

# %%
plot.plot_mlp([784, 128, 64, 10])

# %% [markdown]
# The layers between input and output are *hidden* layers. The last layer usually has no
# activation: its raw outputs are called *logits*, and the loss function decides how to
# read them (section 5).
#
# In PyTorch, inputs come in a batch, one example per **row**: `X` has shape `(B, n)`. The
# formula then reads `H = φ(X Wᵀ + b)`. `nn.Linear(n, m)` computes the part inside the
# activation, `X Wᵀ + b`, and nothing more: the activation is a layer of its own. It stores
# `weight` with shape `(m, n)`, that is `(out_features, in_features)`:

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
# **A list of layers: `nn.ModuleList`.** A network whose depth is a setting builds its
# layers in a loop. Kept in a plain Python list, they are invisible to PyTorch: only an
# attribute that is a module, or a module container, is registered. `parameters()` then
# misses them, so the optimizer never trains them, and `.to(device)` and `state_dict()`
# skip them too. `nn.ModuleList` is a list that registers what it holds:

# %%
class Stack(nn.Module):
    """Linear layers of the given sizes with ReLU between them."""

    def __init__(self, sizes, registered=True):
        super().__init__()
        layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.layers = nn.ModuleList(layers) if registered else layers

    def forward(self, x):  # (B, sizes[0])
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))  # (B, hidden)
        return self.layers[-1](x)  # (B, sizes[-1])


for registered in (False, True):
    stack = Stack([2, 16, 16, 1], registered=registered)
    print("nn.ModuleList:" if registered else "plain list:   ",  # i18n
          sum(p.numel() for p in stack.parameters()), "parameters")  # i18n
try:
    torch.optim.SGD(Stack([2, 16, 16, 1], registered=False).parameters(), lr=0.1)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# The plain list's model still runs forward, which is what makes the bug sly; only the
# count of parameters, or a loss that never falls, gives it away. (`nn.ModuleDict` does the
# same for a dictionary of layers.)
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
# **Training mode and evaluation mode.** Some layers behave differently while training.
# The one you meet first is *dropout*, `nn.Dropout(p)`: in training it sets each value to 0
# with probability `p`, at random, and multiplies the others by `1/(1 − p)`, so that the
# average stays the same; in evaluation it lets everything through. A network trained with
# dropout cannot lean on any single unit, which reduces overfitting (section 7 measures
# it). `model.train()` and `model.eval()` set the mode of every layer of a model; a new
# model starts in training mode.

# %%
torch.manual_seed(0)
dropout = nn.Dropout(p=0.5)
ones = torch.ones(8)  # (8,)
dropout.train()
print("training mode:  ", dropout(ones).tolist())  # i18n
print(f"mean over 100,000 ones in training mode: {dropout(torch.ones(100_000)).mean().item():.3f}")  # i18n
dropout.eval()
print("evaluation mode:", dropout(ones).tolist())  # i18n

# %% [markdown]
# ### Exercise 5: one training step by hand
# Write `train_step(model, X, y, loss_fn, optimizer)` that first puts the model in
# training mode with `model.train()` (the model may come straight from an evaluation, in
# eval mode, and the check's model has a dropout layer), then does the four steps once and
# returns the loss (computed before the update) as a Python number, with `loss.item()`.

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
# a `History`. Run `fit??` in a cell to read its source: it is the same loop.
#
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
def big_mlp(dropout=0.0):
    torch.manual_seed(0)  # every call starts from the same weights
    return nn.Sequential(nn.Linear(2, 256), nn.ReLU(), nn.Dropout(dropout),  # p = 0: no dropout
                         nn.Linear(256, 256), nn.ReLU(), nn.Dropout(dropout),
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
# **Dropout** (section 6) is another cure: the same model with `nn.Dropout(0.5)` after each
# hidden ReLU. (`fit` measures the training accuracy in training mode, with dropout on.)

# %%
dropped = big_mlp(dropout=0.5)
dropout_history = fit(dropped, full_batch, loss_fn=bce, epochs=300, val_loader=val_batch,
                      live=False, optimizer=torch.optim.SGD(dropped.parameters(), lr=0.1,
                                                            momentum=0.9))
name, last = "dropout 0.5", dropout_history.last()  # i18n
print(f"{name:18s}  train accuracy {last['train_acc']:.2f}   validation loss "  # i18n
      f"{last['val_loss']:.3f}   validation accuracy {last['val_acc']:.2f}")  # i18n

# %% [markdown]
# Dropout lowers the final validation loss too, less than weight decay does on this small
# problem; it shines in larger networks, and the two are often combined.
#
# **Early stopping** is the last classic cure: after each epoch, measure the validation
# loss; when it improves, keep a copy of the weights (`copy.deepcopy(model.state_dict())`,
# since `state_dict()` returns the live tensors); when it has not improved for `patience`
# epochs, stop and load the best copy back with `model.load_state_dict(...)`. Where was
# the best epoch in the run without weight decay?

# %%
best = big_history.best("val_loss")
print(f"lowest validation loss {best['val_loss']:.3f} at epoch {best['epoch']}; "  # i18n
      f"after epoch {len(big_history)} it is {big_history.last()['val_loss']:.3f}")  # i18n

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
#
# Chapter 03b writes this loss from scratch, and shows how to compute it without overflow.

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
# **First, overfit one batch.** Before a long run, make sure the model can learn at all:
# train a fresh copy on one batch of 64 images, alone, for 100 steps. With about 110,000
# parameters for 64 images, the loss must fall close to 0. If it does not, there is a bug
# (the wrong loss, a missing `step()`, labels that do not match the images), and a full run
# would only hide it for longer. It takes a second.

# %%
one_images, one_labels = next(iter(train_loader))  # (64, 1, 28, 28), (64,)
torch.manual_seed(0)
probe_model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(),
                            nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
probe_optimizer = torch.optim.Adam(probe_model.parameters(), lr=1e-3)
for step in range(1, 101):
    probe_optimizer.zero_grad()
    loss = cross_entropy(probe_model(one_images), one_labels)
    loss.backward()
    probe_optimizer.step()
    if step in (1, 25, 50, 100):
        print(f"step {step:3d}   loss on the one batch {loss.item():.4f}")  # i18n

# %% [markdown]
# Train for a few epochs with Adam. In a notebook, the curves redraw after every epoch.

# %%
mnist_history = fit(mnist_model, train_loader, loss_fn=cross_entropy, epochs=5,
                    optimizer=torch.optim.Adam(mnist_model.parameters(), lr=1e-3),
                    val_loader=val_loader)
mnist_history

# %% [markdown]
# Only now, with training finished, do we look at the test set, once. `evaluate` puts the
# model in eval mode, turns gradients off, and averages over the whole loader:

# %%
test_result = evaluate(mnist_model, test_loader, loss_fn=cross_entropy)
print(f"test accuracy {test_result['accuracy']:.3f} on {test_result['examples']} images "  # i18n
      f"(test loss {test_result['loss']:.3f})")  # i18n

# %% [markdown]
# ### Exercise 6: the accuracy of each class
# One number hides which digits the model finds hard. Write
# `per_class_accuracy(logits, labels, num_classes)`: `logits` has shape `(B, K)` (one row
# of class scores per example), `labels` shape `(B,)` (the true classes), and the result is
# a float tensor of shape `(num_classes,)` whose entry `k` is the fraction of the examples
# *of class `k`* that the model gets right. A class with no example in the batch gets
# `nan` (there is nothing to measure). The predicted class of a row is its largest score,
# `logits.argmax(dim=1)`, as in the moons cell above.

# %%
def per_class_accuracy(logits, labels, num_classes):
    ### BEGIN SOLUTION
    hit = (logits.argmax(dim=1) == labels).float()  # (B,) 1.0 where the prediction is right
    seen = torch.bincount(labels, minlength=num_classes).float()  # (K,) examples per class
    right = torch.bincount(labels, weights=hit, minlength=num_classes).float()  # (K,) hits
    return right / seen  # (K,); 0 / 0 = nan for a class with no example
    ### END SOLUTION


# %%
q.per_class_accuracy.check()

# %% tags=["author-test"]
q.per_class_accuracy.expect(
    "incorrect", "nan at index 3",
    per_class_accuracy=lambda z, y, k: per_class_accuracy(z, y, k).nan_to_num(0.0))
q.per_class_accuracy.expect(
    "incorrect", "the values of `per_class_accuracy(",
    per_class_accuracy=lambda z, y, k: torch.full((k,), (z.argmax(1) == y).float().mean().item()))
q.per_class_accuracy.expect("passed")

# %% [markdown]
# On the test set, digit by digit:

# %%
with torch.no_grad():
    test_logits = torch.cat([mnist_model(images) for images, _ in test_loader])  # (N, 10)
test_labels = torch.cat([labels for _, labels in test_loader])  # (N,)
try:
    by_digit = per_class_accuracy(test_logits, test_labels, 10)  # (10,)
    for digit, acc in enumerate(by_digit.tolist()):
        print(f"digit {digit}: {acc:.3f}")  # i18n
    print("hardest digit:", by_digit.argmin().item())  # i18n
except NotImplementedError:
    print("Solve exercise 6 to see the accuracy of each digit.")  # i18n

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
# ## Common errors
#
# | error message | likely cause | fix |
# |---|---|---|
# | `mat1 and mat2 shapes cannot be multiplied (56x28 and 784x128)` | images `(B, 1, 28, 28)` fed to `nn.Linear(784, ...)` | add `nn.Flatten()` first; check each layer's `in_features` |
# | `all elements of input should be between 0 and 1` | `nn.BCELoss` on logits | `nn.BCEWithLogitsLoss` |
# | `Target size (torch.Size([64])) must be the same as input size (torch.Size([64, 1]))` | binary targets `(B,)`, outputs `(B, 1)` | `targets.float().unsqueeze(1)` |
# | `expected target dtype to be Long or Byte, but got Float` | `nn.CrossEntropyLoss` with float labels | class indices as int64: `labels.long()` |
# | loss does not go down at all | `optimizer.step()` missing, or the optimizer holds another model's parameters | create the optimizer from `model.parameters()` of the model you train |
# | `optimizer got an empty parameter list`, or layers that never train | layers kept in a plain Python list | `nn.ModuleList` |
# | a model cannot overfit one small batch | a bug in the model, the loss or the loop | fix it before training on everything |
#
# ## Summary
# - A neuron computes `φ(w·x + b)`; a layer of them is `φ(Wx + b)`: `nn.Linear` computes
#   `xWᵀ + b` (weight of shape `(out, in)`) and an activation follows it. Without
#   activations, stacked layers collapse into one linear map.
# - Sigmoid and tanh saturate and their slopes shrink gradients; ReLU is the usual choice for
#   hidden layers.
# - `nn.Sequential` for a plain chain of layers, a subclass of `nn.Module` for anything else,
#   `nn.ModuleList` for a list of layers (a plain list is not registered);
#   `sum(p.numel() for p in model.parameters())` counts parameters, `(n + 1)·m` per layer.
# - The last layer returns logits; the loss takes logits: `BCEWithLogitsLoss` for two
#   classes, `CrossEntropyLoss` for more. `BCELoss` on raw outputs is a bug.
# - `model.train()` and `model.eval()` switch layers such as dropout, which zeroes units at
#   random in training and scales the others by `1/(1 − p)`.
# - One training step: `zero_grad`, forward and loss, `backward`, `step`. `fit` is that loop.
#   First make sure the model can overfit one batch.
# - Validation data reveals overfitting; weight decay, dropout and early stopping reduce it.
#   The test set is used once, at the end.
#
# **Next:** chapter 03b opens the tools this chapter used as they come: datasets and loaders,
# input normalisation, softmax and cross-entropy from scratch, initialisation, and the
# evaluation loop.

# %%
q.summary()
