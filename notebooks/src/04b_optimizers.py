# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "gradient descent, momentum and Adam from their formulas, weight decay and parameter groups, schedules, gradient accumulation"
# ---

# %% [markdown]
# # 04b · Optimizers: how the weights actually move
#
# Chapters 03 and 04 trained networks with one line, `torch.optim.Adam(model.parameters())`,
# and never looked inside. This chapter opens the box. Every optimizer in `torch.optim` is a
# short formula that turns the gradient into a step; you will write the main ones yourself
# and check them, step by step, against PyTorch's own.
#
# **What you will learn**
# - gradient descent, what the learning rate does, and the stability limit
#   $\alpha < 2/\lambda_{\max}$ on a quadratic, measured;
# - why mini-batch SGD is noisy and still converges, and how batch size and learning rate
#   go together;
# - momentum (with PyTorch's `dampening` and `nesterov`), RMSprop and Adam, each written
#   from its formula and matched to `torch.optim.SGD`, `RMSprop` and `Adam`;
# - what the four of them do on an ill-conditioned bowl and in the Rosenbrock valley;
# - weight decay as an L2 term versus decoupled weight decay (`AdamW`,
#   `Adam(decoupled_weight_decay=True)`), parameter groups that spare biases and norms, and
#   gradient clipping by global norm;
# - learning-rate schedules from the real `torch.optim.lr_scheduler` objects,
#   `ReduceLROnPlateau`, and the classic bugs in calling them;
# - the optimizers compared on the MNIST MLP of chapter 03 on a validation split, gradient
#   accumulation, and a learning-rate range test.
#
# Run each cell with **Shift + Enter**, from top to bottom.

# %%
import functools
import math
import warnings

import matplotlib.pyplot as plt
import torch
import torchvision
from torch import nn
from torch.optim import lr_scheduler
from torch.utils import benchmark
from torch.utils.data import DataLoader, TensorDataset

from labkit import data, exercises, settings
from labkit.plot.paths import descent_path, loss_surface, plot_paths
from labkit.train import evaluate, fit
from labkit.widgets.optimizers import optimizer_explorer

q = exercises.bind("04b_optimizers", globals())
torch.manual_seed(0)
print("PyTorch", torch.__version__)

# %% [markdown]
# ## 1. Gradient descent and the learning rate
#
# Training looks for parameters $\theta$ that make a loss $J(\theta)$ small. The gradient
# $\nabla J(\theta)$ points uphill, so gradient descent takes a small step the other way:
#
# $$\theta_{t+1} = \theta_t - \alpha\, \nabla J(\theta_t)$$
#
# The *learning rate* $\alpha$ sets the size of the step. Take the 1-D loss
# $J(\theta) = (\theta - 3)^2$, whose gradient is $2(\theta - 3)$, and start at $\theta_0 = 0$:

# %%
def descend_1d(lr, steps=15, start=0.0):
    """Gradient descent on J(theta) = (theta - 3)**2; returns every theta visited."""
    theta, path = start, [start]
    for _ in range(steps):
        theta = theta - lr * 2 * (theta - 3)   # theta - lr * dJ/dtheta
        path.append(theta)
    return path


fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True, layout="constrained")
grid = torch.linspace(-1.5, 7.5, 100)
for ax, lr in zip(axes, [0.05, 0.8, 1.05], strict=True):
    path = torch.tensor(descend_1d(lr))
    ax.plot(grid, (grid - 3) ** 2, color="lightgray")
    ax.plot(path, (path - 3) ** 2, "o-", markersize=3)
    ax.set_ylim(-1, 25)
    ax.set_title(f"lr = {lr}\ntheta after 15 steps: {path[-1]:.3g}")  # i18n
plt.show()

# %% [markdown]
# Too small a rate crawls; a larger one overshoots and zig-zags but still settles; above a
# limit every step overshoots by more than the last, and $\theta$ runs away. Where is the
# limit? On a quadratic $J(\theta) = \tfrac{\lambda}{2}\theta^2$ (curvature $\lambda$; here
# $\lambda = 2$) one step multiplies $\theta$ by $1 - \alpha\lambda$, so the iterates shrink
# exactly when $|1 - \alpha\lambda| < 1$:
#
# $$0 < \alpha < \frac{2}{\lambda}.$$
#
# In several dimensions a quadratic $J(\theta) = \tfrac12 \theta^\top H \theta$ has one
# curvature per eigenvector of $H$, and each direction needs its own condition: the
# steepest one decides, $\alpha < 2/\lambda_{\max}$. Meanwhile the flattest direction
# shrinks by only $1 - \alpha\lambda_{\min}$ per step. The ratio
# $\kappa = \lambda_{\max}/\lambda_{\min}$, the *condition number*, says how badly the two
# demands clash. Let us measure the limit on the bowl $J = \tfrac12(\theta_1^2 + 20\,\theta_2^2)$,
# where $\lambda_{\max} = 20$, by trying learning rates and keeping the largest that does
# not blow up:

# %%
H_bowl = torch.diag(torch.tensor([1.0, 20.0], dtype=torch.float64))   # (2, 2)


def bowl_losses(lr, steps=200):
    """Loss of gradient descent on 1/2 theta^T H_bowl theta, from theta = (1, 1)."""
    theta = torch.tensor([1.0, 1.0], dtype=torch.float64)
    losses = []
    for _ in range(steps + 1):
        losses.append(float(0.5 * theta @ H_bowl @ theta))
        theta = theta - lr * (H_bowl @ theta)        # the gradient of the bowl is H theta
    return losses


rates = torch.linspace(0.09, 0.11, 81, dtype=torch.float64).tolist()   # steps of 0.00025
stable = []
for lr in rates:
    losses = bowl_losses(lr)
    if losses[-1] <= losses[0]:                # did not grow over 200 steps
        stable.append(lr)
lam_max = float(torch.linalg.eigvalsh(H_bowl).max())
print(f"largest stable rate found: {max(stable):.4f}   2 / lambda_max = {2 / lam_max:.4f}")  # i18n

fig, ax = plt.subplots(figsize=(6, 3.2))
for lr in [0.01, 0.05, 0.095, 0.102]:
    ax.semilogy(bowl_losses(lr, 100), label=f"lr = {lr}")
ax.set_xlabel("step")  # i18n
ax.set_ylabel("loss (log scale)")  # i18n
ax.legend()
plt.show()

# %% [markdown]
# The measured limit matches $2/\lambda_{\max}$ to the resolution of the search. Note the
# slow curve too: with the rate capped by the steep direction, the flat direction
# (curvature 1) crawls. That is the problem the rest of this chapter's optimizers attack.
#
# ### Exercise 1: pick a learning rate
# The bowl below is tilted: $H$ is not diagonal, so read its curvatures from its
# eigenvalues (`torch.linalg.eigvalsh(H)`). Choose `pick_lr` so that 100 steps of plain
# gradient descent from $\theta_0 = (2, 0)$ bring the loss $\tfrac12\theta^\top H\theta$
# below $10^{-3}$. The check runs it. `gd_losses` lets you try rates first.

# %%
H = torch.tensor([[13.0, 12.0], [12.0, 13.0]], dtype=torch.float64)   # (2, 2)
theta0 = torch.tensor([2.0, 0.0], dtype=torch.float64)


def gd_losses(lr, steps=100):
    theta, losses = theta0.clone(), []
    for _ in range(steps + 1):
        losses.append(float(0.5 * theta @ H @ theta))
        theta = theta - lr * (H @ theta)
    return losses


print("eigenvalues of H:", torch.linalg.eigvalsh(H).tolist())  # i18n
print("final loss with lr = 0.01:", gd_losses(0.01)[-1])  # i18n

# %%
### BEGIN SOLUTION
pick_lr = 2 / (1.0 + 25.0)   # 2 / (lambda_min + lambda_max): both directions shrink alike
### END SOLUTION

# %%
q.pick_lr.check()

# %% tags=["author-test"]
q.pick_lr.expect("incorrect", "Too large", pick_lr=0.1)
q.pick_lr.expect("incorrect", "Too slow", pick_lr=0.01)
q.pick_lr.expect("passed")

# %% [markdown]
# ## 2. Stochastic gradient descent: mini-batches
#
# A network's loss is a mean over $N$ training examples,
# $J(\theta) = \frac1N \sum_i \ell_i(\theta)$, and so is its gradient. Computing it over
# the whole set for every step is slow; SGD estimates it on a random *mini-batch* of $B$
# examples instead. The estimate is right on average (it is unbiased) but noisy, and its
# noise shrinks like $1/\sqrt{B}$. On a least-squares problem with two weights we can
# watch both:

# %%
torch.manual_seed(0)
X_lin = torch.randn(1000, 2) * torch.tensor([1.0, 3.0])     # (N, 2): two scales of input
w_true = torch.tensor([2.0, -1.0])
y_lin = X_lin @ w_true + 0.5 * torch.randn(1000)             # (N,)


def lin_grad(w, idx):
    """Gradient of the mean squared error over the examples `idx` at weights w: (2,)."""
    xb, yb = X_lin[idx], y_lin[idx]                          # (B, 2), (B,)
    return 2 * xb.T @ (xb @ w - yb) / len(idx)


w = torch.zeros(2)
full = lin_grad(w, torch.arange(1000))
for batch in [1, 10, 100]:
    estimates = torch.stack([lin_grad(w, torch.randint(0, 1000, (batch,)))
                             for _ in range(500)])           # (500, 2)
    print(f"B = {batch:3d}: mean of 500 estimates {estimates.mean(0).numpy().round(2)}, "  # i18n
          f"spread (std) {estimates.std(0).numpy().round(2)}")  # i18n
print(f"full-batch gradient {full.numpy().round(2)}")  # i18n

# %% [markdown]
# The means sit near the full gradient, and the spread drops by about $\sqrt{10}$ each time
# $B$ grows tenfold. Here are the paths, with the same learning rate and the same number
# of steps:

# %%
def lin_path(batch, lr=0.02, steps=150, seed=0):
    g = torch.Generator().manual_seed(seed)
    w, path = torch.zeros(2), [torch.zeros(2)]
    for _ in range(steps):
        idx = torch.arange(1000) if batch is None else torch.randint(0, 1000, (batch,),
                                                                     generator=g)
        w = w - lr * lin_grad(w, idx)
        path.append(w)
    return torch.stack(path)                                 # (steps + 1, 2)


w_best = torch.linalg.lstsq(X_lin, y_lin[:, None]).solution[:, 0]
fig, ax = plt.subplots(figsize=(5.5, 4))
for batch, label in [(None, "full batch"), (100, "B = 100"), (5, "B = 5")]:  # i18n
    path = lin_path(batch)
    ax.plot(path[:, 0], path[:, 1], ".-", markersize=2, linewidth=0.8, label=label)
    print(f"{label:10s}: distance to the best weights after 150 steps "  # i18n
          f"{float((path[-1] - w_best).norm()):.3f}")  # i18n
ax.plot(*w_best, "k*", markersize=12, label="least squares")  # i18n
ax.set_xlabel("w[0]")
ax.set_ylabel("w[1]")
ax.legend()
plt.show()

# %% [markdown]
# The small batch wanders around the minimum instead of settling on it: with a constant
# learning rate the noise never goes away. A learning rate that decays over time (section
# 8) removes it; so do larger batches.
#
# **Batch size and learning rate go together.** A batch $k$ times larger gives a gradient
# with $\sqrt{k}$ times less noise, and $k$ times fewer steps per epoch. A common rule of
# thumb (the "linear scaling rule") is to multiply the learning rate by $k$ when you
# multiply the batch size by $k$, within the stability limit of section 1, and often with a
# short warm-up. Treat it as a starting point to tune from, not a law.
#
# ## 3. Momentum
#
# Gradient descent forgets: each step uses only the current gradient. In a narrow valley
# the gradient points mostly across the valley, so the path zig-zags while progress along
# the floor is slow. *Momentum* (the "heavy ball") keeps a running sum of past gradients,
# a velocity $v$:
#
# $$v_{t} = \mu\, v_{t-1} + g_t, \qquad \theta_{t} = \theta_{t-1} - \alpha\, v_{t}$$
#
# Components that keep their sign (along the valley) add up, and grow up to
# $1/(1-\mu)$ times larger; components that flip sign (across it) cancel out.
#
# **PyTorch's exact form.** `torch.optim.SGD(params, lr, momentum=μ, dampening=d,
# nesterov=False)` keeps a buffer `buf` per parameter:
#
# - first step: `buf = g` (a copy, no dampening);
# - later steps: `buf = μ * buf + (1 - d) * g`;
# - the direction is `buf`, or `g + μ * buf` with `nesterov=True` (a look-ahead: the
#   gradient plus the next step's momentum);
# - `param = param - lr * direction`.
#
# With the default `d = 0` this is the heavy ball above. Some texts write momentum as an
# average, $v = \mu v + (1-\mu) g$: that is PyTorch with `dampening = μ`, except on the
# first step, and it moves $1/(1-\mu)$ times less for the same `lr`.
#
# ### Exercise 2: a momentum step, exactly as `torch.optim.SGD`
# Write `sgd_momentum_step(param, grad, buf, lr, momentum, dampening=0.0,
# nesterov=False)`: one update of one parameter tensor, from the rules above, with tensor
# operations only (not `torch.optim`: the check switches it off while it runs your
# function). `buf` is `None` at the first step. Return the new parameter and the new
# buffer, `(param, buf)`. The check runs several steps on vectors and a matrix and compares
# with `torch.optim.SGD` after every step.

# %%
def sgd_momentum_step(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    ### BEGIN SOLUTION
    if buf is None:
        buf = grad.clone()                                   # first step: no dampening
    else:
        buf = momentum * buf + (1 - dampening) * grad
    direction = grad + momentum * buf if nesterov else buf
    return param - lr * direction, buf
    ### END SOLUTION


# %%
q.sgd_momentum_step.check()

# %% tags=["author-test"]
def dampens_first_step(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    buf = (0 if buf is None else momentum * buf) + (1 - dampening) * grad
    return param - lr * (grad + momentum * buf if nesterov else buf), buf


def momentum_by_torch(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    p = nn.Parameter(param.clone())
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum, dampening=dampening,
                          nesterov=nesterov)
    p.grad = grad
    opt.step()
    return p.detach(), opt.state[p]["momentum_buffer"]


q.sgd_momentum_step.expect("incorrect", "no dampening", sgd_momentum_step=dampens_first_step)
q.sgd_momentum_step.expect("incorrect", "from `torch.optim`",
                           sgd_momentum_step=momentum_by_torch)
q.sgd_momentum_step.expect("passed")

# %% [markdown]
# On the bowl of section 1, at the same learning rate, momentum needs far fewer steps.
# Here `torch.optim.SGD` does the work; the loop is the one every training loop contains:

# %%
def steps_to_reach(optimizer_fn, target=1e-6, max_steps=2000):
    """Steps an optimizer needs to bring the bowl's loss below `target`, from (1, 1)."""
    theta = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = optimizer_fn([theta])
    for step in range(max_steps):
        loss = 0.5 * theta @ H_bowl @ theta
        if loss.item() < target:
            return step
        opt.zero_grad()
        loss.backward()
        opt.step()
    return max_steps


print("plain GD, lr 0.05:          ", steps_to_reach(lambda p: torch.optim.SGD(p, lr=0.05)))  # i18n
print("momentum 0.7, lr 0.05:      ",  # i18n
      steps_to_reach(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.7)))
print("Nesterov 0.7, lr 0.05:      ",  # i18n
      steps_to_reach(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.7, nesterov=True)))

# %% [markdown]
# ## 4. RMSprop: a step size per parameter
#
# Momentum still uses one learning rate for every direction. RMSprop divides each
# component of the gradient by a running root-mean-square of its own past values, so
# steep directions take smaller steps and flat ones larger:
#
# $$s_t = \rho\, s_{t-1} + (1-\rho)\, g_t^2, \qquad
# \theta_t = \theta_{t-1} - \alpha\, \frac{g_t}{\sqrt{s_t} + \varepsilon}$$
#
# (squares, roots and the division act element by element; $s_0 = 0$; PyTorch calls
# $\rho$ `alpha`, default 0.99, and uses $\varepsilon = 10^{-8}$ outside the root.) Here it
# is from the formula, next to `torch.optim.RMSprop` on the same random parameter and
# gradients:

# %%
def rmsprop_step(param, grad, s, lr=0.01, rho=0.99, eps=1e-8):
    s = rho * s + (1 - rho) * grad**2                        # running mean of g**2
    return param - lr * grad / (s.sqrt() + eps), s


torch.manual_seed(0)
param = torch.randn(3, 4)                                    # (3, 4): a weight matrix
grads = [torch.randn(3, 4) for _ in range(5)]                # five steps of gradients
p_torch = nn.Parameter(param.clone())
opt = torch.optim.RMSprop([p_torch], lr=0.01, alpha=0.99, eps=1e-8)
p_ours, s = param.clone(), torch.zeros(3, 4)
for step, g in enumerate(grads, start=1):
    p_torch.grad = g.clone()
    opt.step()
    p_ours, s = rmsprop_step(p_ours, g, s)
    print(f"step {step}: largest difference from torch.optim.RMSprop "  # i18n
          f"{float((p_ours - p_torch.detach()).abs().max()):.1e}")  # i18n
first_step = (param - rmsprop_step(param, grads[0], torch.zeros(3, 4))[0]).abs() / 0.01
print(f"size of the first step, in units of lr: from {float(first_step.min()):.2f} "  # i18n
      f"to {float(first_step.max()):.2f}")  # i18n

# %% [markdown]
# The differences are float32 rounding: the formula is the whole story.
#
# Look at the first step, though. Since $s$ starts at zero, after one step
# $s_1 = (1-\rho)\, g_1^2$ and every coordinate moves by
# $\alpha\, |g_1| / \sqrt{(1-\rho)\, g_1^2} = \alpha / \sqrt{1-\rho}$: ten times `lr`
# for $\rho = 0.99$, whatever the gradient. The running average is too small at first, and
# RMSprop does nothing about it; the steps shrink back towards `lr` as $s$ fills up.
# Adam fixes exactly this.
#
# ## 5. Adam
#
# Adam keeps both running averages: of the gradient (like momentum) and of its square
# (like RMSprop). With $g_t = \nabla J(\theta_{t-1})$ and $m_0 = v_0 = 0$, at step
# $t = 1, 2, \dots$:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
# v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2$$
#
# $$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
# \theta_t = \theta_{t-1} - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}$$
#
# Defaults: $\alpha = 10^{-3}$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\varepsilon = 10^{-8}$.
# Why the *bias correction* $\hat m, \hat v$? Both averages start at zero, so early on they
# are too small: after one step $m_1 = (1-\beta_1)\,g_1$, a tenth of the gradient, and
# $v_1 = (1-\beta_2)\,g_1^2$, a thousandth of its square. Dividing by $1-\beta^t$ undoes
# exactly that shrinkage for a constant gradient, and fades to nothing as $t$ grows. The
# picture shows a constant gradient $g = 1$:

# %%
beta1, beta2 = 0.9, 0.999
t = torch.arange(1, 51)
m_raw = 1 - beta1**t                       # m_t for g = 1: the average starts at zero
v_raw = 1 - beta2**t
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(t, m_raw, label="m_t (beta1 = 0.9)")
ax.plot(t, v_raw, label="v_t (beta2 = 0.999)")
ax.plot(t, m_raw / (1 - beta1**t), "k--", label="m_hat_t and v_hat_t")  # i18n
ax.set_xlabel("step t")  # i18n
ax.legend()
plt.show()
print(f"first step without correction: m / sqrt(v) = "  # i18n
      f"{(1 - beta1) / math.sqrt(1 - beta2):.2f} x lr; with it: 1 x lr")  # i18n

# %% [markdown]
# The two shrinkages do not cancel: $v$ is shrunk far more than $m$, so without the
# correction the first steps would be about three times too long, just when the averages
# know the least. With it, the first step of Adam has size $\alpha$ in every coordinate
# (almost exactly: $\alpha\,|g| / (|g| + \varepsilon)$), whatever the scale of the
# gradient. Later steps stay of the order of $\alpha$ or below: Adam's learning rate is
# roughly a distance in parameter space.
#
# ### Exercise 3: Adam from its formula
# Write `adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)` for
# one parameter tensor. `t` is the number of this step, 1 at the first; `m` and `v` come
# in as zeros at the first step. Return `(param, m, v)`, with `m` and `v` *before* bias
# correction (they are the state carried to the next step). No `torch.optim`: the check
# switches it off and compares your steps with `torch.optim.Adam(amsgrad=False)`.

# %%
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad               # first moment
    v = beta2 * v + (1 - beta2) * grad**2            # second moment
    m_hat = m / (1 - beta1**t)                        # bias corrections, t >= 1
    v_hat = v / (1 - beta2**t)
    param = param - lr * m_hat / (v_hat.sqrt() + eps)
    return param, m, v
    ### END SOLUTION


# %%
q.adam_step.check()

# %% tags=["author-test"]
def no_bias_correction(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * m / (v.sqrt() + eps), m, v


def eps_inside(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + eps).sqrt(), m, v


q.adam_step.expect("incorrect", "without bias correction", adam_step=no_bias_correction)
q.adam_step.expect("incorrect", "inside the square root", adam_step=eps_inside)
q.adam_step.expect("passed")

# %% [markdown]
# Once your `adam_step` passes, this cell runs it next to `torch.optim.Adam` on a weight
# matrix, as the check did, and prints how far apart the two are after each step:

# %%
torch.manual_seed(1)
param = torch.randn(3, 4)                                    # (3, 4)
p_torch = nn.Parameter(param.clone())
opt = torch.optim.Adam([p_torch], lr=0.01)
m, v = torch.zeros(3, 4), torch.zeros(3, 4)
try:
    for t in range(1, 6):
        g = torch.randn(3, 4)
        p_torch.grad = g.clone()
        opt.step()
        param, m, v = adam_step(param, g, m, v, t, lr=0.01)
        print(f"step {t}: largest difference from torch.optim.Adam "  # i18n
              f"{float((param - p_torch.detach()).abs().max()):.1e}")  # i18n
except NotImplementedError:
    print("Solve exercise 3 first; this cell then compares your steps with torch.optim.Adam.")  # i18n

# %% [markdown]
# ## 6. The four optimizers on two surfaces
#
# Below, each path is a real `torch.optim` optimizer stepping a single 2-D parameter:
# `sgd` is plain gradient descent, `momentum` is SGD with momentum, then `rmsprop` and
# `adam` (whose $\beta_1$ is the same momentum value). Left, the bowl of section 1
# (condition number 20); right, the Rosenbrock valley
# $J = (1-\theta_1)^2 + 100(\theta_2 - \theta_1^2)^2$, a curved, flat-bottomed valley with
# its minimum at $(1, 1)$. RMSprop and Adam divide by the size of the gradient, so their
# steps hardly depend on its scale and they need a learning rate of their own. A dot with a
# black edge marks where each path ends.

# %%
fig, (ax_bowl, ax_valley) = plt.subplots(1, 2, figsize=(12, 4.2))
# surface: (axes, lr for sgd and momentum, lr for rmsprop and adam, momentum, steps)
settings_by_surface = {"quadratic": (ax_bowl, 0.09, 0.1, 0.7, 40),
                       "rosenbrock": (ax_valley, 1e-3, 0.01, 0.9,
                                      300 if settings.fast() else 1000)}
for name, (ax, lr_sgd, lr_adaptive, momentum, steps) in settings_by_surface.items():
    surface = loss_surface(name)
    paths = {opt: descent_path(surface, opt, lr=lr_adaptive if opt in ("rmsprop", "adam")
                               else lr_sgd, steps=steps, momentum=momentum, beta2=0.99)
             for opt in ("sgd", "momentum", "rmsprop", "adam")}
    plot_paths(surface, paths, ax=ax, title=f"{surface.label}, {steps} steps")  # i18n
    finals = ", ".join(f"{opt} {float(surface.loss(p[-1])):.2g}" for opt, p in paths.items())
    print(f"{surface.label} (lr {lr_sgd:g} and {lr_adaptive:g}, momentum {momentum:g}), "  # i18n
          f"final loss: {finals}")  # i18n
    if name == "quadratic":
        bowl_paths = paths
plt.show()
for opt in ("rmsprop", "adam"):
    first = (bowl_paths[opt][1] - bowl_paths[opt][0]).abs()
    print(f"bowl, {opt}: first step {first.numpy().round(2)} (in theta_1 and theta_2), "  # i18n
          f"ends at theta = {bowl_paths[opt][-1].numpy().round(2)}")  # i18n

# %% [markdown]
# In the bowl, plain GD zig-zags across the steep $\theta_2$ direction while it creeps
# along the flat one; momentum moves faster along the floor but overshoots and swings.
# RMSprop and Adam rescale each coordinate: their first step is the same size in
# $\theta_1$ and $\theta_2$, so both set off along the diagonal, then turn along the floor,
# without a zig-zag. Their paths overlap, but not their speeds: Adam's steps are about
# `lr` = 0.1 per coordinate, so after 40 steps it is still on its way (its end dot), while
# RMSprop's first steps are ten times longer (section 4) and it reaches the minimum. In
# the valley, plain GD is still far from the minimum at the end, while momentum and Adam
# follow the curved floor all the way (compare the final losses).
#
# Try it yourself: change the learning rates (on a log scale), the momentum (used as
# $\beta_1$ by Adam), $\beta_2$ (used as $\rho$ by RMSprop) and the number of steps. Things
# to try: momentum 0.95 in the bowl; a learning rate for SGD just above 0.1, the limit of
# section 1 (`log10 lr` = -0.95 is 0.11); the valley with 1000 steps and `log10 lr` = -3.
# Without a widget front end you see one drawing with the default values.

# %%
optimizer_explorer(surface="quadratic", lr=0.09, adaptive_lr=0.1, momentum=0.7, beta2=0.99,
                   steps=40)

# %% [markdown]
# ## 7. Weight decay, and clipping
#
# ### Two kinds of weight decay
#
# *L2 regularisation* adds $\tfrac{\lambda}{2}\lVert\theta\rVert^2$ to the loss, so
# $\lambda\theta$ is added to the gradient. For plain SGD that is the same as shrinking the
# weights by a factor $1 - \alpha\lambda$ at each step ("weight decay"). For Adam it is not:
# the extra $\lambda\theta$ goes into $m$ and $v$ and is divided by $\sqrt{\hat v}$ like the
# rest, so weights with large gradients are barely decayed. In PyTorch,
# `torch.optim.Adam(..., weight_decay=λ)` does this L2 version.
#
# *Decoupled weight decay* (Loshchilov and Hutter, the "W" in `AdamW`) leaves the gradient
# alone and shrinks the weights directly:
#
# $$\theta \leftarrow \theta\,(1 - \alpha\lambda), \quad \text{then the Adam step with } g_t.$$
#
# We can measure the difference. Two weights start at 1 and receive pure noise as their
# gradient, one noise a thousand times larger than the other; the only pull towards zero
# is the decay:

# %%
def decay_run(optimizer_class, steps=300, lr=0.01, weight_decay=0.1):
    torch.manual_seed(0)
    w = nn.Parameter(torch.ones(2))                           # (2,)
    opt = optimizer_class([w], lr=lr, weight_decay=weight_decay)
    scales = torch.tensor([10.0, 0.01])                       # big and small gradients
    for _ in range(steps):
        w.grad = scales * torch.randn(2)                      # zero-mean noise
        opt.step()
    return w.detach()


no_decay = decay_run(torch.optim.Adam, weight_decay=0.0)
for name, optimizer_class in [("Adam, L2", torch.optim.Adam), ("AdamW", torch.optim.AdamW)]:
    w = decay_run(optimizer_class)
    print(f"{name:9s} (weight_decay=0.1): weights {w.numpy().round(3)}, "  # i18n
          f"relative to no decay {(w / no_decay).numpy().round(3)}")  # i18n
print("no decay:                    weights", no_decay.numpy().round(3))  # i18n
print("AdamW's factor (1 - lr * weight_decay) ** steps:", round((1 - 0.01 * 0.1) ** 300, 3))  # i18n

# %% [markdown]
# With `Adam(weight_decay=...)` the weight with small gradients is pulled almost to zero
# while the one with large gradients is hardly decayed; `AdamW` shrinks both by about the
# same factor, the one printed last, whatever their gradients. That predictability is why
# `AdamW` is the usual choice for training with weight decay.
#
# ### Exercise 4: AdamW
# Write `adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
# weight_decay=0.01)`, which must match `torch.optim.AdamW`. You may call your
# `adam_step`. Return `(param, m, v)`.

# %%
def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=0.01):
    ### BEGIN SOLUTION
    param = param * (1 - lr * weight_decay)          # decoupled: not through the gradient
    return adam_step(param, grad, m, v, t, lr, beta1, beta2, eps)
    ### END SOLUTION


# %%
q.adamw_step.check()

# %% tags=["author-test"]
def adam_with_l2(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                 weight_decay=0.01):
    return adam_step(param, grad + weight_decay * param, m, v, t, lr, beta1, beta2, eps)


q.adamw_step.expect("incorrect", "L2", adamw_step=adam_with_l2)
q.adamw_step.expect("passed")

# %% [markdown]
# In current PyTorch, `AdamW` is `Adam` with one switch turned on:
# `torch.optim.Adam(params, weight_decay=λ, decoupled_weight_decay=True)` is the same
# algorithm, and `AdamW` is a subclass of `Adam` that sets it. The one difference is a
# default: `AdamW`'s `weight_decay` is 0.01, `Adam`'s is 0, so with `Adam` you always pass
# it. The two give the same weights on the noise run above:

# %%
adam_decoupled = decay_run(functools.partial(torch.optim.Adam, decoupled_weight_decay=True))
print("AdamW is a subclass of Adam:", issubclass(torch.optim.AdamW, torch.optim.Adam))  # i18n
print("Adam(decoupled_weight_decay=True) gives AdamW's weights:",  # i18n
      torch.equal(adam_decoupled, decay_run(torch.optim.AdamW)))

# %% [markdown]
# ### Parameter groups: no decay on biases and norms
#
# Weight decay pulls weights towards zero so that none grows large without need: a good
# prior for weight matrices and kernels, which multiply the inputs. A bias only shifts a
# value, and a norm layer's scale and shift (`nn.BatchNorm2d`, `nn.LayerNorm`) set a
# channel's size on purpose: decaying them buys no regularisation and pulls each scale
# towards 0, which would switch its channel off. Common recipes therefore decay only the
# tensors with two or more dimensions.
#
# An optimizer takes either one iterable of parameters or a list of **parameter
# groups**: dicts, each with its `"params"` and any option that overrides the optimizer's
# default for that group (`weight_decay`, `lr`, `momentum`, ...). For a small network,
# by hand:

# %%
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(20, 32), nn.LayerNorm(32), nn.ReLU(), nn.Linear(32, 10))
for name, p in net.named_parameters():
    print(f"{name:9s} {str(tuple(p.shape)):9s} {p.ndim} dim")  # i18n
groups = [{"params": [net[0].weight, net[3].weight], "weight_decay": 0.05},
          {"params": [net[0].bias, net[1].weight, net[1].bias, net[3].bias],
           "weight_decay": 0.0}]
optimizer = torch.optim.AdamW(groups, lr=1e-3)
for index, group in enumerate(optimizer.param_groups):
    print(f"group {index}: {sum(p.numel() for p in group['params']):4d} numbers, "  # i18n
          f"weight_decay {group['weight_decay']}, lr {group['lr']}")  # i18n

# %% [markdown]
# Every option a group leaves out comes from the optimizer's arguments (here `lr`), and
# a scheduler changes the `lr` of every group. A parameter may appear in one group only;
# PyTorch raises an error otherwise.
#
# ### Exercise 5: parameter groups for any model
# Write `decay_groups(model, weight_decay)` that returns the two groups for *any* model:
# first `{"params": [...], "weight_decay": weight_decay}` with every parameter of two or
# more dimensions, then `{"params": [...], "weight_decay": 0.0}` with the others. Leave
# out the parameters that do not train (`requires_grad=False`, for instance the frozen
# layers of a fine-tuned network in chapter 04): an optimizer should not hold them. The
# check builds `torch.optim.AdamW(decay_groups(model, wd))` for several models and
# inspects the groups.

# %%
def decay_groups(model, weight_decay):
    ### BEGIN SOLUTION
    trained = [p for p in model.parameters() if p.requires_grad]
    return [{"params": [p for p in trained if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in trained if p.ndim < 2], "weight_decay": 0.0}]
    ### END SOLUTION


# %%
q.decay_groups.check()

# %% tags=["author-test"]
def by_name(model, weight_decay):
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [{"params": [p for n, p in named if "bias" not in n], "weight_decay": weight_decay},
            {"params": [p for n, p in named if "bias" in n], "weight_decay": 0.0}]


def keeps_frozen(model, weight_decay):
    return [{"params": [p for p in model.parameters() if p.ndim >= 2],
             "weight_decay": weight_decay},
            {"params": [p for p in model.parameters() if p.ndim < 2], "weight_decay": 0.0}]


q.decay_groups.expect("incorrect", "LayerNorm", decay_groups=by_name)
q.decay_groups.expect("incorrect", "requires_grad=False", decay_groups=keeps_frozen)
q.decay_groups.expect("passed")

# %% [markdown]
# ### Clipping by global norm
#
# One bad batch can produce a huge gradient, and one huge step can throw a network so far
# that it never recovers (a loss of `inf` or `nan`). *Gradient clipping* caps the length of
# the step's gradient. Clipping by *global norm* treats all gradients of the model as one
# long vector:
#
# $$\text{total} = \sqrt{\textstyle\sum_{\text{tensors}} \sum_{\text{entries}} g^2},
# \qquad g \leftarrow g \cdot \min\!\Big(1, \frac{\text{max\_norm}}{\text{total}}\Big)$$
#
# Every gradient is scaled by the same factor, so the direction of the step is kept; only
# its length is capped. `torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)` does
# this in place between `backward()` and `step()`, and returns the total norm before
# clipping (worth logging: spikes show up there first). It divides by `total + 1e-6`, to be
# safe when the total is 0.
#
# When does it save a run? Below, a small MLP learns a linear function with SGD; at step
# 20 one batch arrives with inputs thirty times too large (a corrupted record, say):

# %%
def spike_run(clip, steps=100):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    w_true = torch.randn(5, 1)
    losses, norms = [], []
    for step in range(steps):
        x = torch.randn(32, 5) * (30.0 if step == 20 else 1.0)    # (B, 5): one bad batch
        y = x @ w_true
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        if clip:
            norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)))
        opt.step()
        losses.append(loss.item())
    return losses, norms


fig, ax = plt.subplots(figsize=(6, 3))
for clip in (False, True):
    losses, norms = spike_run(clip)
    ax.semilogy(losses, label="clip_grad_norm_(max_norm=1)" if clip else "no clipping")  # i18n
    print(f"clipping {clip}: final loss {losses[-1]:.3g}")  # i18n
print(f"gradient norm before clipping at the bad step: {norms[20]:.3g}")  # i18n
ax.set_ylim(top=1e6)                      # the run without clipping leaves the plot
ax.set_xlabel("step")  # i18n
ax.set_ylabel("loss (log scale)")  # i18n
ax.legend()
plt.show()

# %% [markdown]
# Without clipping, the one bad step throws the weights so far out that the next steps
# overshoot by more and more, until the loss overflows to `inf` and then `nan` (its curve
# leaves the top of the plot and stops): the run is lost. With clipping, the bad batch moves the weights by at most
# `lr x max_norm`, and training carries on. Clipping
# slows the normal steps too when `max_norm` is below the usual gradient norm, so pick it
# from the logged norms, above their typical size.
#
# ### Exercise 6: clip by global norm
# Write `clip_by_global_norm(grads, max_norm)`: `grads` is a list of gradient tensors of
# any shapes. Return `(clipped, total)`: a list of the clipped gradients (new tensors, in
# order) and the global norm *before* clipping. Scale by `max_norm / (total + 1e-6)` when
# `total > max_norm`, as `clip_grad_norm_` does; leave the gradients unchanged otherwise.
# Write it with tensor operations: the check switches `clip_grad_norm_` (and its siblings
# in `torch.nn.utils`) off while your function runs, and compares with it.

# %%
def clip_by_global_norm(grads, max_norm):
    ### BEGIN SOLUTION
    total = torch.sqrt(sum((g**2).sum() for g in grads))     # one norm for the whole list
    scale = min(1.0, max_norm / (float(total) + 1e-6))
    return [g * scale for g in grads], total
    ### END SOLUTION


# %%
q.clip_by_global_norm.check()

# %% tags=["author-test"]
def per_tensor(grads, max_norm):
    total = torch.sqrt(sum((g**2).sum() for g in grads))
    return [g * min(1.0, max_norm / (float(g.norm()) + 1e-6)) for g in grads], total


q.clip_by_global_norm.expect("incorrect", "not each tensor's own norm",
                             clip_by_global_norm=per_tensor)
q.clip_by_global_norm.expect("passed")

# %% [markdown]
# ## 8. Learning-rate schedules
#
# A large learning rate makes fast progress early; a small one settles into a minimum and
# averages away SGD's noise (section 2). A *schedule* changes the rate during training.
# In PyTorch a scheduler wraps an optimizer and rewrites `optimizer.param_groups[i]["lr"]`
# each time you call `scheduler.step()`. The curves below come from the real
# `torch.optim.lr_scheduler` objects, 100 steps each, base rate 0.1:

# %%
def lr_curve(make_scheduler, steps=100, base_lr=0.1):
    """The rate each step uses, read from the optimizer, with the step order PyTorch wants."""
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=base_lr)
    scheduler = make_scheduler(opt)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()            # first the optimizer ...
        scheduler.step()      # ... then the scheduler
    return rates


schedules = {
    "StepLR(step_size=30, gamma=0.1)": lambda o: lr_scheduler.StepLR(o, 30, gamma=0.1),
    "ExponentialLR(gamma=0.97)": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR(T_max=100)": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=100),
    "OneCycleLR(max_lr=0.1, total_steps=100)": lambda o: lr_scheduler.OneCycleLR(
        o, max_lr=0.1, total_steps=100),
    "warm-up 10 steps, then cosine": lambda o: lr_scheduler.SequentialLR(o, [  # i18n
        lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=9),
        lr_scheduler.CosineAnnealingLR(o, T_max=90)], milestones=[10]),
}
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, make in schedules.items():
    ax.plot(lr_curve(make), label=name)
ax.set_xlabel("step")  # i18n
ax.set_ylabel("learning rate")  # i18n
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# - `StepLR` divides the rate by 10 every 30 steps; `ExponentialLR` multiplies it by
#   `gamma` at every step.
# - `CosineAnnealingLR` follows half a cosine from the base rate down to `eta_min`
#   (default 0).
# - `OneCycleLR` warms up to `max_lr` and anneals far below the start; it is meant to be
#   stepped after every *batch*.
# - *Warm-up then cosine* is the usual recipe for large models and Adam: a few steps of
#   growing rate while Adam's averages are still unreliable, then a cosine decay.
#   `SequentialLR` chains two schedulers at a milestone.
#
# ### When the validation loss stalls: `ReduceLROnPlateau`
#
# The schedules above follow the step count, decided before training. `ReduceLROnPlateau`
# watches a number instead, usually the validation loss, and multiplies the rate by
# `factor` once that number has not improved (by more than a relative `threshold`, 1e-4
# by default) for more than `patience` epochs in a row. It is the one scheduler whose
# `step` takes an argument: `scheduler.step(val_loss)`, once per epoch, after validating.
# Fed a made-up sequence of validation losses:

# %%
opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
plateau = lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)
for epoch, val_loss in enumerate([1.0, 0.8, 0.7, 0.71, 0.70, 0.72, 0.73, 0.65, 0.66]):
    opt.step()                       # ... an epoch of training, then validation ...
    plateau.step(val_loss)
    print(f"epoch {epoch}: validation loss {val_loss:.2f}, "  # i18n
          f"rate for the next epoch {opt.param_groups[0]['lr']:.3g}")  # i18n

# %% [markdown]
# The best loss so far, 0.70 at epoch 2, is not beaten at epochs 3, 4 and 5 (0.70 again
# does not count: it is no improvement). `patience=2` tolerates two such epochs; at the
# third in a row, epoch 5, the rate is halved, and the count starts over. With
# `mode="max"` it watches an accuracy instead.
#
# ### Two classic bugs
#
# **Stepping the scheduler before the optimizer.** Since PyTorch 1.1 the order is
# `optimizer.step()` then `scheduler.step()`. The other order skips the first value of the
# schedule, and PyTorch warns:

# %%
opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
used = []
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for _ in range(3):
        scheduler.step()                      # wrong place: before the epoch's steps
        used.append(opt.param_groups[0]["lr"])
        opt.step()
print("rates used:", used, "instead of", lr_curve(  # i18n
    lambda o: lr_scheduler.StepLR(o, step_size=1, gamma=0.5), steps=3))
print("warning:", str(caught[0].message)[:80], "...")  # i18n

# %% [markdown]
# **Stepping per batch a scheduler meant per epoch.** `StepLR(step_size=30)` in a recipe
# usually means "every 30 epochs". Called inside the batch loop, it counts batches
# instead. Take 4,000 training images in batches of 64 (the offline MNIST subset of
# section 9):

# %%
batches_per_epoch = math.ceil(4000 / 64)
print("batches per epoch:", batches_per_epoch)  # i18n
per_batch = lr_curve(lambda o: lr_scheduler.StepLR(o, step_size=30, gamma=0.1),
                     steps=batches_per_epoch * 3)
for epoch in range(3):
    print(f"epoch {epoch}: rate at its first batch {per_batch[batches_per_epoch * epoch]:.0e}, "  # i18n
          f"meant to be 1e-01")  # i18n

# %% [markdown]
# The rate has collapsed after two epochs, and training quietly stops learning. Check the
# schedule by printing `optimizer.param_groups[0]["lr"]` (or `scheduler.get_last_lr()`)
# once per epoch.
#
# ### Exercise 7: warm-up then cosine
# Write `warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0)`, the rate
# used at step `step` (counting from 0) for `0 <= step <= total_steps`:
#
# - warm-up, `step < warmup_steps`: `base_lr * (step + 1) / warmup_steps`;
# - then, with progress $p = (\text{step} - \text{warmup}) / (\text{total} -
#   \text{warmup})$: $\ \text{min\_lr} + (\text{base\_lr} - \text{min\_lr})\,
#   \frac{1 + \cos(\pi p)}{2}$.
#
# This is exactly what `SequentialLR` gives with `LinearLR(start_factor=1/warmup_steps,
# total_iters=warmup_steps - 1)` then `CosineAnnealingLR(T_max=total_steps -
# warmup_steps, eta_min=min_lr)`, which the check compares with at several steps.

# %%
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    ### BEGIN SOLUTION
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    p = (step - warmup_steps) / (total_steps - warmup_steps)     # 0 -> 1
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * p)) / 2
    ### END SOLUTION


# %%
q.warmup_cosine.check()

# %% tags=["author-test"]
q.warmup_cosine.expect("incorrect", "warm-up step number",
                       warmup_cosine=lambda s, w, t, b, min_lr=0.0: warmup_cosine(
                           min(s + 1, t), w, t, b, min_lr))
q.warmup_cosine.expect("passed")

# %% [markdown]
# Your function can drive a real scheduler. `lr_scheduler.LambdaLR(optimizer, f)` sets
# the rate to the optimizer's own rate times `f(step)`, a *factor*; so pass `base_lr=1.0`
# to get the factor. Once exercise 7 passes, this cell checks it on all 101 steps of the
# warm-up + cosine curve of the plot above:

# %%
try:
    ours = lr_curve(lambda o: lr_scheduler.LambdaLR(
        o, lambda step: warmup_cosine(step, 10, 100, 1.0)), steps=101)
    theirs = lr_curve(lambda o: lr_scheduler.SequentialLR(o, [
        lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=9),
        lr_scheduler.CosineAnnealingLR(o, T_max=90)], milestones=[10]), steps=101)
    print(f"largest difference from SequentialLR over 101 steps: "  # i18n
          f"{max(abs(a - b) for a, b in zip(ours, theirs, strict=True)):.1e}")  # i18n
except NotImplementedError:
    print("Solve exercise 7 first; this cell then runs it inside LambdaLR.")  # i18n

# %% [markdown]
# ## 9. The optimizers on MNIST
#
# Time for a real network: the MLP of chapter 03 (784 → 128 → 64 → 10) on MNIST. The
# images are loaded with `torchvision.datasets.MNIST`; without internet access labkit
# provides a smaller real subset, and the line below says which one you have. The whole
# set fits in memory, so we turn it into one tensor once, which keeps each epoch quick.
#
# Choosing an optimizer is tuning, so, as in chapter 04, it looks at a **validation
# split** of the training images only: a seeded 10 % is held out, and the test set is
# used once, for the winner, at the end of this section.

# %%
root = data.ensure_mnist()
train_raw = torchvision.datasets.MNIST(root, train=True)
test_raw = torchvision.datasets.MNIST(root, train=False)
X_all = train_raw.data.float().div(255).unsqueeze(1)         # (N, 1, 28, 28) in [0, 1]
order = torch.randperm(len(X_all), generator=torch.Generator().manual_seed(0))
val_idx, train_idx = order[:len(X_all) // 10], order[len(X_all) // 10:]
train_set = TensorDataset(X_all[train_idx], train_raw.targets[train_idx])
val_loader = DataLoader(TensorDataset(X_all[val_idx], train_raw.targets[val_idx]),
                        batch_size=1000)
train_eval_loader = DataLoader(train_set, batch_size=1000)  # the whole training part, in order
test_loader = DataLoader(TensorDataset(test_raw.data.float().div(255).unsqueeze(1),
                                       test_raw.targets), batch_size=1000)  # once, at the end
print(len(train_set), "training,", len(val_idx), "validation and",  # i18n
      len(test_raw), "test images")  # i18n


def mnist_mlp():
    torch.manual_seed(0)                 # the same starting weights for every optimizer
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                         nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def train_loader():
    return DataLoader(train_set, batch_size=64, shuffle=True,
                      generator=torch.Generator().manual_seed(0))    # the same batches


# %% [markdown]
# Five optimizers, each with a learning rate that is a common choice for it, and the same
# starting weights and batches. After training, each final model is scored on the whole
# training part and on the validation part. (The test suite trains only a few batches per
# epoch.)

# %%
optimizers = {
    "SGD lr=0.1": lambda p: torch.optim.SGD(p, lr=0.1),
    "SGD momentum=0.9 lr=0.01": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    "RMSprop lr=1e-3": lambda p: torch.optim.RMSprop(p, lr=1e-3),
    "Adam lr=1e-3": lambda p: torch.optim.Adam(p, lr=1e-3),
    "AdamW lr=1e-3 wd=0.01": lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.01),
}
epochs = 2 if settings.fast() else 5
results, histories, models = {}, {}, {}
for name, make_optimizer in optimizers.items():
    model = mnist_mlp()
    history = fit(model, train_loader(), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=make_optimizer(model.parameters()), epochs=epochs, live=False)
    histories[name], models[name] = history, model
    results[name] = (evaluate(model, train_eval_loader, loss_fn=nn.CrossEntropyLoss()),
                     evaluate(model, val_loader)["accuracy"],
                     sum(history.seconds) / len(history.seconds))

print("optimizer                  train loss  train acc.  val. acc.  s / epoch")  # i18n
for name, (train, val_accuracy, seconds) in sorted(results.items(), key=lambda r: -r[1][1]):
    print(f"{name:26s} {train['loss']:10.3f} {train['accuracy']:10.2%} {val_accuracy:10.2%} "
          f"{seconds:10.2f}")

# %%
def smooth(values, k=20):
    """Moving average over k batches, so the curves can be told apart."""
    values = torch.tensor(values)
    k = max(1, min(k, len(values)))
    return values.unfold(0, k, 1).mean(dim=1)


fig, ax = plt.subplots(figsize=(7, 3.8))
for name, history in histories.items():
    ax.plot(smooth(history.batch_losses), label=name,
            linestyle="--" if name.startswith("AdamW") else "-")   # AdamW lies on Adam
ax.set_xlabel("batch")  # i18n
ax.set_ylabel("training loss (moving average)")  # i18n
ax.set_yscale("log")
ax.legend(fontsize=8)
plt.show()
for name in ("SGD lr=0.1", "SGD momentum=0.9 lr=0.01"):
    print(f"{name:26s}: curve ends at {float(smooth(histories[name].batch_losses)[-1]):.3f}, "  # i18n
          f"final weights on the whole training part {results[name][0]['loss']:.3f}")  # i18n
adam_vs_adamw = (torch.tensor(histories["Adam lr=1e-3"].batch_losses)
                 - torch.tensor(histories["AdamW lr=1e-3 wd=0.01"].batch_losses)).abs().max()
print(f"largest difference between the Adam and AdamW losses: {float(adam_vs_adamw):.3f}")  # i18n

# %% [markdown]
# Read the table and the curves together. At these rates and this short budget, the
# adaptive optimizers (RMSprop, Adam, AdamW) bring the loss down fastest. Adam and AdamW
# lie on top of each other (AdamW is dashed): its decay multiplies the weights by
# $1 - 0.001 \times 0.01$ per step, which hardly matters in a few epochs.
#
# **The two SGD runs.** With momentum 0.9 the buffer grows to $1/(1-0.9) = 10$ times the
# gradient, so `lr=0.01` with momentum takes about the same steps as `lr=0.1` without,
# once the buffer has built up, and their curves end close together. Yet their
# validation accuracies can differ by several points. The curve is not the training loss
# of the final model: it averages the losses of the last 20 *batches*, each measured
# before its own step, on weights that were still moving, and with plain SGD at a
# constant rate they keep jumping from batch to batch (section 2). The table's training
# columns score the *final* weights on the whole training part, and there the gap shows
# up already (compare the two printed lines above the plot): the run that is better on
# validation is better on training too. It fitted better; it did not generalise better.
# To see where a run ended, evaluate its final weights; to rank two optimizers, repeat with
# several seeds (`benchmarks/optimizers_mnist.py` does), because a gap of this size
# between two single runs can change sign with the seed.
#
# All of this is a statement about these rates and this budget, not a ranking of
# optimizers: SGD with momentum and a tuned schedule still trains many image models. Now
# that the choice is made on validation, the winner meets the test set, once:

# %%
winner = max(results, key=lambda name: results[name][1])
print(f"{winner}: test accuracy {evaluate(models[winner], test_loader)['accuracy']:.2%} "  # i18n
      f"(validation {results[winner][1]:.2%})")  # i18n

# %% [markdown]
# ### Gradient accumulation: a large batch in small pieces
#
# Section 2's rule of thumb ties the learning rate to the batch size, and a recipe may ask
# for a batch that does not fit in memory. `backward()` *adds* to `.grad` (chapter 02), so
# several small batches can build up the gradient of one large batch before a single
# `optimizer.step()`. With a mean loss, divide each piece's loss by the number of pieces:
# four means over 16 examples, each divided by 4, make the mean over 64.

# %%
model = mnist_mlp()
images, labels = next(iter(DataLoader(train_set, batch_size=64)))   # (64, 1, 28, 28)
nn.functional.cross_entropy(model(images), labels).backward()
one_batch = [p.grad.clone() for p in model.parameters()]
model.zero_grad()
for x, y in zip(images.split(16), labels.split(16), strict=True):   # 4 pieces of (16, ...)
    (nn.functional.cross_entropy(model(x), y) / 4).backward()        # .grad adds up
largest = max(float((p.grad - g).abs().max())
              for p, g in zip(model.parameters(), one_batch, strict=True))
print(f"4 pieces of 16 against one batch of 64, largest gradient difference: {largest:.1e}")  # i18n

# %% [markdown]
# The same gradient, up to float rounding. In a training loop:
#
# ```python
# accumulate = 4
# optimizer.zero_grad()
# for i, (x, y) in enumerate(loader):
#     (loss_fn(model(x), y) / accumulate).backward()
#     if (i + 1) % accumulate == 0:          # every 4 batches: one step, then reset
#         optimizer.step()
#         optimizer.zero_grad()
# ```
#
# Three things differ from a true large batch: batch norm computes its statistics over
# each small piece; a last piece of another size needs its own weight (divide by the
# total number of examples instead); and a per-step scheduler counts optimizer steps, now
# four times fewer per epoch. It saves memory, not time: the pieces run one after another.

# %% [markdown]
# What does the update itself cost? SGD touches each weight once; Adam does about ten
# element-wise operations per weight and keeps two extra numbers per weight. The forward
# and backward passes grow with the batch size, the update does not. `torch.utils.benchmark`
# times each call as a measurement should: warm-up, many runs, the median, one thread:

# %%
model = mnist_mlp()
images, labels = next(iter(DataLoader(train_set, batch_size=512)))   # (512, 1, 28, 28)


def median_ms(statement, **names):
    timer = benchmark.Timer(statement, globals=names, num_threads=1)
    return timer.blocked_autorange(min_run_time=0.2).median * 1000


for batch in (64, 512):
    x, y = images[:batch], labels[:batch]                     # (batch, 1, 28, 28), (batch,)
    ms = median_ms("model.zero_grad(); F.cross_entropy(model(x), y).backward()",
                   model=model, x=x, y=y, F=nn.functional)
    print(f"forward + backward, batch of {batch:3d}: {ms:6.2f} ms")  # i18n
for name, make_optimizer in optimizers.items():
    ms = median_ms("optimizer.step()", optimizer=make_optimizer(model.parameters()))
    print(f"optimizer.step(), {name:26s}: {ms:6.2f} ms")

# %% [markdown]
# For a model this small, with batches of 64, Adam's update is a visible share of each
# step, which can show in the time column; with bigger batches or convolutions (more work per
# weight) the update's share shrinks. The time column of the table is one epoch's wall
# time, so on a busy or shared machine it also measures whatever else the machine was
# doing; the medians just above are the fair comparison.
#
# ### The learning-rate range test
#
# Which learning rate? A quick test (Leslie Smith's): start with a tiny rate, multiply it
# by a constant factor after every batch, and record the loss. The loss first stays flat
# (too small to matter), then falls (good rates), then shoots up (too large). A good rate
# is about ten times smaller than where the loss is lowest. One short run, no full
# training needed:

# %%
def lr_range_test(make_optimizer, lr_min=1e-5, lr_max=1.0, steps=100):
    model = mnist_mlp()
    optimizer = make_optimizer(model.parameters(), lr_min)
    factor = (lr_max / lr_min) ** (1 / (steps - 1))        # geometric growth per batch
    rates, losses, batches = [], [], iter(())
    for step in range(steps):
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(train_loader())
            x, y = next(batches)
        lr = lr_min * factor**step
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rates.append(lr)
        losses.append(loss.item())
        if not math.isfinite(loss.item()) or loss.item() > 4 * min(losses):
            break                                           # it diverged: stop here
    return rates, losses


range_steps = 40 if settings.fast() else 100
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, make in [("Adam", lambda p, lr: torch.optim.Adam(p, lr=lr)),
                   ("SGD momentum=0.9", lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9))]:
    rates, losses = lr_range_test(make, steps=range_steps)
    k = 5
    smoothed = smooth(losses, k)
    best = int(smoothed.argmin()) + k - 1
    print(f"{name}: lowest (smoothed) loss at lr = {rates[best]:.1e}; "  # i18n
          f"suggested lr about {rates[best] / 10:.1e}")  # i18n
    ax.plot(rates[k - 1:], smoothed, label=name)
ax.set_xscale("log")
ax.set_xlabel("learning rate (log scale)")  # i18n
ax.set_ylabel("loss (moving average of 5)")  # i18n
ax.legend()
plt.show()

# %% [markdown]
# Compare the suggestions with the rates used above: the test finds the right order of
# magnitude in seconds, without a single full training run. Treat it as a starting point,
# and confirm with a short training run.
#
# ## 10. Spot the bugs: an optimizer and a scheduler
#
# Chapter 04 fixed one slip of the seed texts: an optimizer built on the parameters of a
# different model instance than the one trained. Here are two more classic ones, a missing
# line and a line in the wrong place. The loop trains `model` on a list of `(x, y)`
# batches for `epochs` epochs with SGD and momentum, and means to halve the learning rate
# after every epoch. Find both, and fix them without changing the optimizer, the
# scheduler or the loss. The check trains a small `nn.Linear` with your function and
# compares its weights with the right loop's.

# %%
def train(model, batches, epochs, lr=0.1):
    ### BEGIN SOLUTION
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        for x, y in batches:
            optimizer.zero_grad()                 # bug 1: reset the gradients
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()                          # bug 2: once per epoch, not per batch
    return model
    ### END SOLUTION
    ### BEGIN STUB
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        for x, y in batches:
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()  # halve the learning rate every epoch
    return model
    ### END STUB


# %%
q.train.check()

# %% tags=["author-test"]
from labkit.exercises.ch04b_optimizers import given_train  # noqa: E402


def zero_grad_only(model, batches, epochs, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(epochs):
        for x, y in batches:
            optimizer.zero_grad()
            nn.MSELoss()(model(x), y).backward()
            optimizer.step()
            scheduler.step()
    return model


q.train.expect("not attempted", "given code", train=given_train)
q.train.expect("incorrect", "halved once per epoch", train=zero_grad_only)
q.train.expect("passed")

# %% [markdown]
# ## Summary
#
# - Gradient descent: $\theta \leftarrow \theta - \alpha\nabla J$. On a quadratic it is
#   stable for $\alpha < 2/\lambda_{\max}$, and the flattest direction sets the speed: the
#   condition number is the enemy.
# - Mini-batch gradients are unbiased and noisy (noise $\propto 1/\sqrt{B}$); a decaying
#   learning rate or a larger batch removes the wandering at the end.
# - Momentum accumulates gradients (`buf = μ buf + (1 - dampening) g`, plain copy at the
#   first step; Nesterov steps along `g + μ buf`). RMSprop divides by a running RMS of the
#   gradient, with no bias correction (its first step is `lr / sqrt(1 - alpha)` per
#   coordinate). Adam does both, with bias correction, and its `lr` is roughly a step
#   length.
# - `AdamW` decays weights directly by $(1 - \alpha\lambda)$; `Adam(weight_decay=...)` adds
#   L2 to the gradient, which adaptive scaling weakens for weights with large gradients;
#   `Adam(decoupled_weight_decay=True)` is `AdamW`. Parameter groups give biases and norm
#   layers `weight_decay=0`.
# - `clip_grad_norm_` scales all gradients by one factor when their global norm exceeds
#   `max_norm`, between `backward()` and `step()`, and returns the norm before clipping.
# - Schedulers: `optimizer.step()` first, then `scheduler.step()`, as often as the
#   schedule was designed for (per epoch or per batch). Check with `get_last_lr()`.
#   `ReduceLROnPlateau` is stepped with the validation loss, `scheduler.step(val_loss)`.
# - Rank optimizers on a validation split, judge a run by its final weights, not by a
#   smoothed curve, and repeat with several seeds before believing a small gap.
# - Gradient accumulation: `(loss / k).backward()` over k small batches, then one
#   `step()`, gives the gradient of a batch k times larger.
# - A learning-rate range test finds a good order of magnitude in one short run.
#
# **Next:** chapter 05 moves training to the GPU, with mixed precision and several GPUs at
# once.
