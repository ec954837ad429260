# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "convolution by hand and with `nn.Conv2d`, output sizes, pooling, receptive fields, a LeNet-style CNN on MNIST with a validation split, debugging shapes, global average pooling, residual blocks, fine-tuning a pretrained model"
# ---

# %% [markdown]
# # 04 · Convolutional networks
#
# A multilayer perceptron sees an image as a long list of pixels: it does not know which
# pixels are neighbours, and a digit moved by two pixels looks brand new to it. A
# convolutional network (CNN) slides small filters over the image instead, so the same
# few weights look for the same pattern everywhere.
#
# **What you will learn**
# - what a convolution computes: by hand with loops, then with `unfold`, and why PyTorch's
#   "convolution" is really a cross-correlation;
# - what classic kernels (edges, blur) do to a digit;
# - how padding, stride, dilation and pooling set the size of the output;
# - how to build a LeNet-style network, find shape bugs, and train it on MNIST;
# - how to look inside a trained CNN: its filters, its feature maps, its mistakes;
# - how the same code carries over to colour images (CIFAR-10);
# - global average pooling and residual blocks, the parts of deeper networks;
# - transfer learning: fine-tuning a pretrained torchvision model on a small data set.

# %%
from importlib import resources

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from matplotlib.patches import Rectangle
from torch import nn, optim
from torch.utils import benchmark
from torch.utils.data import DataLoader, Subset
from torchvision.transforms import v2

from labkit import data, exercises, plot, settings, widgets
from labkit.train import evaluate, fit

torch.manual_seed(0)
q = exercises.bind("04_cnn", globals())

# %% [markdown]
# ## 1. The convolution formula
#
# Take an image $I$ and a small grid of weights $K$, the **kernel** (here $k_H \times k_W$).
# Put the kernel on the image with its top-left corner at pixel $(i, j)$, multiply the
# pixels under it by the weights, and add everything up:
#
# $$(I \star K)(i, j) = \sum_{m=0}^{k_H-1} \sum_{n=0}^{k_W-1} I(i+m,\, j+n)\, K(m, n)$$
#
# (The star $\star$ is not a typo for $*$: the next section shows why this is not quite a
# convolution.)
#
# Doing this for every position where the kernel fits gives a new image, the **feature
# map**. An image of $H \times W$ pixels has $(H - k_H + 1) \times (W - k_W + 1)$ such
# positions. A tiny image, dark on the left and bright on the right, and a kernel that
# subtracts the left column from the right one. One output value, by hand:

# %%
image = torch.tensor([[0.0, 0.0, 1.0, 1.0, 1.0]] * 4)  # (H, W) = (4, 5)
kernel = torch.tensor([[-1.0, 1.0],
                       [-1.0, 1.0]])  # (kH, kW) = (2, 2): right column minus left column
print(image)
patch = image[0:2, 1:3]  # the pixels under the kernel at (i, j) = (0, 1)
print("(I ⋆ K)(0, 1) =", (patch * kernel).sum().item())

# %% [markdown]
# PyTorch's `F.conv2d` computes all positions at once. It works on batches of
# multi-channel images, so the image becomes `(B, C, H, W) = (1, 1, 4, 5)` and the kernel
# `(C_out, C_in, kH, kW) = (1, 1, 2, 2)`; `[None, None]` adds the two leading axes. The
# output is large exactly where the kernel straddles the edge: a vertical-edge detector.

# %%
out = F.conv2d(image[None, None], kernel[None, None])  # (1, 1, 3, 4)
print(out.shape)
print(out[0, 0])

# %% [markdown]
# ### Exercise 1: convolution with loops
# Write `conv2d_loops(image, kernel)` for one grey image `(H, W)` and one kernel
# `(kH, kW)`: two loops over the output positions, the formula above inside (no
# `F.conv2d` or `unfold`: the point is to see what they do). Return a tensor of shape
# `(H - kH + 1, W - kW + 1)`. The check compares it with `F.conv2d` on random images and
# kernels.

# %%
def conv2d_loops(image, kernel):
    ### BEGIN SOLUTION
    H, W = image.shape
    kH, kW = kernel.shape
    out = torch.zeros(H - kH + 1, W - kW + 1)
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            out[i, j] = (image[i:i + kH, j:j + kW] * kernel).sum()
    return out
    ### END SOLUTION


# %%
q.conv2d_loops.check()

# %% tags=["author-test"]
q.conv2d_loops.expect("incorrect", "kernel flipped",
                      conv2d_loops=lambda image, kernel: conv2d_loops(image, kernel.flip(0, 1)))
q.conv2d_loops.expect("incorrect", "the shape of",
                      conv2d_loops=lambda image, kernel: conv2d_loops(image, kernel)[:-1])
q.conv2d_loops.expect("passed")

# %% [markdown]
# ### Convolution or cross-correlation?
#
# In mathematics and signal processing, convolution *flips* the kernel:
# $(I * K)(i, j) = \sum_m \sum_n I(i-m, j-n)\,K(m, n)$. The formula above does not flip
# it; its proper name is **cross-correlation**, written $I \star K$, and that is what
# `nn.Conv2d` and `F.conv2d` compute. For a network it makes no difference: the weights
# are learned, so it simply learns the flipped kernel. It matters when you copy a kernel from a textbook, or compare with a
# library that flips. NumPy's `np.convolve` (1-D) flips:

# %%
signal = np.array([1.0, 2.0, 4.0, 8.0])
k = np.array([1.0, 0.0, -1.0])


def as_tensor(a):
    return torch.tensor(a, dtype=torch.float32)[None, None]  # (L,) -> (1, 1, L)


print("np.convolve (flips):          ",  # i18n
      np.convolve(signal, k, mode="valid"))
print("F.conv1d (does not flip):     ", F.conv1d(as_tensor(signal), as_tensor(k))[0, 0])  # i18n
print("F.conv1d with flipped kernel: ", F.conv1d(as_tensor(signal), as_tensor(k[::-1].copy()))[0, 0])  # i18n

# %% [markdown]
# ## 2. From loops to `unfold`
#
# Python loops are slow: one small multiply-and-add per output pixel. The fast way
# gathers every patch first. `F.unfold` (also called *im2col*) cuts out every
# $k_H \times k_W$ patch of every channel and lays it out as a column:
# `(B, C, H, W)` becomes `(B, C·kH·kW, L)`, where `L = H'·W'` is the number of positions.
# The whole convolution is then **one matrix product** between the flattened kernels and
# the columns.

# %%
x = torch.arange(16.0).reshape(1, 1, 4, 4)  # (B, C, H, W)
patches = F.unfold(x, kernel_size=2)  # (B, C*kH*kW, L) = (1, 4, 9)
print(patches.shape)
print(patches[0])  # column l holds the 2 x 2 patch at position l, read row by row

# %% [markdown]
# With several input channels `C`, and `C_out` kernels of shape `(C, kH, kW)`, this is a
# full convolution layer:

# %%
def conv2d_unfold(x, weight, bias=None):
    """Convolution (stride 1, no padding) as unfold + matrix product."""
    B, C, H, W = x.shape
    C_out, _, kH, kW = weight.shape
    patches = F.unfold(x, kernel_size=(kH, kW))  # (B, C*kH*kW, L)
    out = weight.reshape(C_out, -1) @ patches  # (C_out, C*kH*kW) @ (B, C*kH*kW, L) -> (B, C_out, L)
    if bias is not None:
        out = out + bias[:, None]  # (C_out, 1) broadcasts over the L positions
    return out.reshape(B, C_out, H - kH + 1, W - kW + 1)  # (B, C_out, H', W')


x = torch.randn(4, 3, 12, 10)  # (B, C, H, W)
layer = nn.Conv2d(in_channels=3, out_channels=8, kernel_size=3)
ours = conv2d_unfold(x, layer.weight, layer.bias)  # (4, 8, 10, 8)
theirs = layer(x)
print(ours.shape, theirs.shape)
print("largest difference from nn.Conv2d:", (ours - theirs).abs().max().item())  # i18n

# %% [markdown]
# Both agree up to float rounding. `F.conv2d` itself picks a specialised algorithm
# (oneDNN on a CPU, cuDNN on an NVIDIA GPU), usually faster still. `torch.utils.benchmark`
# times each one properly: it warms up, repeats the call, reports the median, and runs at a
# fixed number of threads (one here) so that the comparison is fair:

# %%
x = torch.randn(64, 16, 28, 28)  # (B, C, H, W): a batch of 64 maps with 16 channels
w = torch.randn(32, 16, 5, 5)  # (C_out, C, kH, kW)
for statement in ["conv2d_unfold(x, w)", "F.conv2d(x, w)"]:
    timer = benchmark.Timer(statement, globals=globals(), num_threads=1)
    ms = timer.blocked_autorange(min_run_time=0.2).median * 1000  # median time of one call
    print(f"{statement:20} {ms:6.1f} ms")

# %% [markdown]
# ## 3. What a kernel sees
#
# Before networks learned their kernels, people designed them. A few classics, applied to
# a digit of MNIST. Pick a kernel in the menu: edge kernels light up where the brightness
# changes (positive on one side of a stroke, negative on the other), the blur kernel
# averages neighbours.

# %%
root = data.ensure_mnist()
raw_train = torchvision.datasets.MNIST(root, train=True)  # PIL images, no transform
digit = raw_train.data[0].float() / 255  # (28, 28), values in [0, 1]
print("label:", int(raw_train.targets[0]))  # i18n
for name, values in widgets.named_kernels().items():
    print(f"{name:16}", values.tolist())

# %%
widgets.kernel_explorer(digit, kernel="edge-vertical")

# %% [markdown]
# The explorer calls `widgets.apply_kernel`, which is `F.conv2d` with `padding=1` so the
# output keeps the size of the image. Here are several kernels side by side:

# %%
names = ["blur", "edge-vertical", "edge-horizontal", "laplacian"]
fig, axes = plt.subplots(1, len(names) + 1, figsize=(10, 2.3))
axes[0].imshow(digit, cmap="gray")
axes[0].set_title("digit")  # i18n
for ax, name in zip(axes[1:], names, strict=True):
    ax.imshow(widgets.apply_kernel(digit, widgets.named_kernels()[name]), cmap="gray")
    ax.set_title(widgets.kernel_label(name))
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 4. Channels and `nn.Conv2d`
#
# A colour image has 3 channels (red, green, blue), and a convolution layer produces many
# feature maps, one per **output channel**. Each output channel has one kernel per input
# channel, and adds the results plus a bias:
#
# $$\text{out}_o = b_o + \sum_{c=1}^{C_\text{in}} I_c \star K_{o,c}$$
#
# So `nn.Conv2d(C_in, C_out, k)` holds a weight of shape `(C_out, C_in, k, k)` and a
# bias of shape `(C_out,)`.

# %%
conv = nn.Conv2d(in_channels=3, out_channels=8, kernel_size=5)
print("weight:", tuple(conv.weight.shape), " bias:", tuple(conv.bias.shape))  # i18n
x = torch.randn(2, 3, 32, 32)  # (B, C_in, H, W)
print("output:", tuple(conv(x).shape))  # (B, C_out, H', W') # i18n

# %% [markdown]
# ### Exercise 2: count the parameters
# Write `conv_params(in_channels, out_channels, kernel_size, bias=True)` that returns the
# number of parameters of `nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)`
# (a square kernel), from the shapes above, without building the layer.

# %%
def conv_params(in_channels, out_channels, kernel_size, bias=True):
    ### BEGIN SOLUTION
    weights = out_channels * in_channels * kernel_size * kernel_size
    return weights + (out_channels if bias else 0)
    ### END SOLUTION


# %%
q.conv_params.check()

# %% tags=["author-test"]
q.conv_params.expect("incorrect", "conv_params(6, 16, 5, bias=True)",
                     conv_params=lambda c_in, c_out, k, bias=True: c_out * k * k + c_out)
q.conv_params.expect("incorrect", "bias=False",
                     conv_params=lambda c_in, c_out, k, bias=True: c_out * (c_in * k * k + 1))
q.conv_params.expect("passed")

# %% [markdown]
# Weight sharing is what makes convolutions cheap. A layer that maps a 28 x 28 image to
# 16 feature maps of the same size, with 5 x 5 kernels, against a dense layer with the
# same inputs and outputs:

# %%
conv16 = nn.Conv2d(1, 16, kernel_size=5, padding=2)
dense_weights = (28 * 28) * (16 * 28 * 28)  # every input pixel to every output value
print(f"nn.Conv2d: {sum(p.numel() for p in conv16.parameters()):,} parameters")  # i18n
print(f"nn.Linear: {dense_weights:,} weights")  # i18n

# %% [markdown]
# ## 5. Output size: padding, stride, dilation, pooling
#
# Three settings change where the kernel goes:
#
# - **padding** $p$ adds $p$ rows and columns of zeros around the image, so the kernel can
#   sit on the border. With stride 1 and an odd kernel, `padding = k // 2` keeps the size.
# - **stride** $s$ moves the kernel $s$ pixels at a time, so the output shrinks about $s$
#   times.
# - **dilation** $d$ spreads the kernel's taps $d$ pixels apart: a 3 x 3 kernel with
#   $d = 2$ covers 5 x 5 pixels with still 9 weights.
#
# Together, for each spatial side (height and width alike):
#
# $$H_\text{out} = \left\lfloor \frac{H + 2p - d\,(k - 1) - 1}{s} \right\rfloor + 1$$

# %%
x = torch.zeros(1, 1, 28, 28)
settings_to_try = [dict(kernel_size=5), dict(kernel_size=5, padding=2),
                   dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=2, padding=1),
                   dict(kernel_size=3, dilation=2)]
for options in settings_to_try:
    print(f"{str(options):46} -> {tuple(nn.Conv2d(1, 1, **options)(x).shape)}")

# %% [markdown]
# ### Exercise 3: the output-size formula
# Write `conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1)` that
# returns the output size (an `int`) along one side. The check compares it with what
# `nn.Conv2d` actually produces.

# %%
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    ### BEGIN SOLUTION
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    ### END SOLUTION


# %%
q.conv_output_size.check()

# %% tags=["author-test"]
q.conv_output_size.expect(
    "incorrect", "dilation=2",
    conv_output_size=lambda size, kernel_size, stride=1, padding=0, dilation=1:
        (size + 2 * padding - kernel_size) // stride + 1)
q.conv_output_size.expect(
    "incorrect", "the type of",
    conv_output_size=lambda size, kernel_size, stride=1, padding=0, dilation=1:
        (size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)
q.conv_output_size.expect("passed")

# %% [markdown]
# ### Pooling
#
# A **pooling** layer shrinks feature maps without any weights. `nn.MaxPool2d(2)` keeps
# the largest value of each 2 x 2 block (its stride is its size by default), so height and
# width are halved, and a feature that moves by one pixel often gives the same maximum.
# `nn.AvgPool2d(2)` keeps the mean. The output-size formula above holds for pooling too.

# %%
x = torch.tensor([[1.0, 3.0, 0.0, 2.0],
                  [4.0, 2.0, 1.0, 1.0],
                  [0.0, 0.0, 5.0, 6.0],
                  [1.0, 2.0, 7.0, 8.0]])[None, None]  # (1, 1, 4, 4)
print("max pool:\n", nn.MaxPool2d(2)(x)[0, 0])  # i18n
print("average pool:\n", nn.AvgPool2d(2)(x)[0, 0])  # i18n

# %%
pooled_once = F.max_pool2d(digit[None, None], 2)[0, 0]  # (14, 14)
pooled_twice = F.max_pool2d(pooled_once[None, None], 2)[0, 0]  # (7, 7)
fig, axes = plt.subplots(1, 3, figsize=(6.5, 2.3))
for ax, picture in zip(axes, [digit, pooled_once, pooled_twice], strict=True):
    ax.imshow(picture, cmap="gray")
    ax.set_title(f"{picture.shape[0]} x {picture.shape[1]}")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 6. The LeNet-style network of the seed texts
#
# The CNN of the course's seed texts is a modern LeNet-style network: two rounds of
# *5 x 5 convolution, ReLU, 2 x 2 max pooling*, then three dense layers, with the layer
# sizes of LeNet-5 (LeCun et al., 1998). The 1998 network itself differed in its parts:
# tanh-like squashing units instead of ReLU, subsampling by a trainable weighted average
# instead of max pooling, and an output layer of radial basis functions instead of a plain
# linear layer. Between the last pooling and the first dense layer, the feature maps are
# **flattened** into one vector per image, and `fc1` must be told its length: `16 * 5 * 5`.
#
# To see the shapes, we run one batch through the model with a small helper that prints
# the input and output shape of every layer it calls (it uses forward hooks, which
# PyTorch calls around each layer's `forward`).

# %%
def show_shapes(model, x):
    """Run `x` through `model`, printing the input and output shape of each layer it calls."""
    names = {module: name for name, module in model.named_modules()
             if name and not list(module.children())}  # leaf layers only
    rows = []

    def before(module, inputs):
        rows.append([names[module], tuple(inputs[0].shape), "error"])  # i18n

    def after(module, inputs, output):
        rows[-1][2] = tuple(output.shape)

    handles = [m.register_forward_pre_hook(before) for m in names]
    handles += [m.register_forward_hook(after) for m in names]
    try:
        return model(x)
    finally:  # print what ran, even when a layer raised an error
        for handle in handles:
            handle.remove()
        for name, shape_in, shape_out in rows:
            print(f"{name:12} {str(shape_in):20} -> {shape_out}")


class LeNet(nn.Module):
    def __init__(self, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.flatten = nn.Flatten()  # (B, C, H, W) -> (B, C*H*W)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)  # (B, 10) class scores (logits)


logits = show_shapes(LeNet(), torch.zeros(2, 1, 32, 32))

# %% [markdown]
# LeNet-5 was made for 32 x 32 inputs. MNIST digits are 28 x 28, and the same network
# fails at `fc1`:

# %%
try:
    show_shapes(LeNet(), torch.zeros(2, 1, 28, 28))
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# 28 → 24 → 12 → 8 → 4 leaves `16 * 4 * 4` values, not `16 * 5 * 5`. LeNet-5 padded the
# digits to 32 x 32; `padding=2` in the first convolution does the same, and keeps
# 28 x 28 after it. Our chapter's network below does exactly that.
#
# ## 7. Debugging shapes: bugs from the seed texts
#
# Shape errors are the most common bugs in CNN code, and the seed texts have several.
# A routine that finds them fast:
#
# 1. run **one small batch** of the right shape through a new model before training it;
# 2. print the shapes layer by layer (`show_shapes`, or `print(x.shape)` in `forward`);
# 3. flatten with `torch.flatten(x, 1)` or `nn.Flatten()`, which keep the batch axis,
#    never with `x.view(-1, N)`, which silently changes the batch size when `N` is wrong;
# 4. get `in_features` from the output-size formula, or let PyTorch infer it:
#    `nn.LazyLinear(128)` sets its input size on the first call.
#
# **Bug 1.** One seed text builds its CNN from a block `ConvLayer` and uses the block
# twice. Look at the channels before you run it:

# %%
class ConvLayer(nn.Module):  # from a seed text, as written
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, kernel_size=3, stride=1, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x))


class TwoBlockCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = ConvLayer()
        self.conv2 = ConvLayer()
        self.fc1 = nn.Linear(32 * 28 * 28, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        x = x.view(-1, 32 * 28 * 28)
        return self.fc2(F.relu(self.fc1(x)))


try:
    show_shapes(TwoBlockCNN(), torch.zeros(2, 1, 28, 28))
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Every `ConvLayer` expects 1 input channel, but the second one receives the 32 channels of
# the first. The fix is a block that takes its channel counts as arguments. With
# `padding=1` the maps stay 28 x 28, so `32 * 28 * 28` would then be the right flatten
# size, but without pooling `fc1` alone is huge:

# %%
print(f"fc1 of that network: {sum(p.numel() for p in TwoBlockCNN().fc1.parameters()):,} "  # i18n
      "parameters")  # i18n

# %% [markdown]
# ### Exercise 4: spot the bug, the flatten size
# The network below comes from another seed text. Run the cell after it to see it fail on
# a batch of MNIST-sized images, then fix the class so that it returns `(B, 10)` scores
# for a batch of `B` images of `(1, 28, 28)`.

# %%
### BEGIN SOLUTION
class SeedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)  # was 64 * 6 * 6
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)
### END SOLUTION
### BEGIN STUB
class SeedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 6 * 6, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)
### END STUB


# %%
try:
    show_shapes(SeedNet(), torch.zeros(2, 1, 28, 28))
except RuntimeError as err:
    print("RuntimeError:", err)

# %%
q.seed_net.check()

# %% tags=["author-test"]
# ruff: noqa: F811 - the stub region of exercise 4 redefines SeedNet on purpose
from labkit.exercises.ch04_cnn import GivenSeedNet, given_train_model


class ViewFlatten(GivenSeedNet):
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2, 2)
        return self.fc2(F.relu(self.fc1(x.view(-1, 64 * 6 * 6))))


q.seed_net.expect("incorrect", "the shape of `SeedNet()(x)`", SeedNet=ViewFlatten)
q.seed_net.expect("not attempted", "still fails like the given code", SeedNet=GivenSeedNet)
q.seed_net.expect("passed")

# %% [markdown]
# ### Exercise 5: spot the bugs, class or instance?
# A class such as `SeedNet` is a blueprint; `SeedNet()` builds one network (an
# *instance*) with its own fresh weights. The training code of a seed text mixes the two
# up twice. Here it is, wrapped in a function that receives the class and returns the
# trained model. Fix it: afterwards, the returned model must have been trained.

# %%
def train_model(model_class, loader, epochs=1):
    ### BEGIN SOLUTION
    model = model_class()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = loss_fn(outputs, labels)
            loss.backward()
            optimizer.step()
    return model
    ### END SOLUTION
    ### BEGIN STUB
    model = model_class()
    optimizer = optim.Adam(model_class().parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            outputs = model_class(inputs)
            loss = loss_fn(outputs, labels)
            loss.backward()
            optimizer.step()
    return model
    ### END STUB


# %%
q.train_model.check()

# %% tags=["author-test"]
def other_optimizer(model_class, loader, epochs=1):
    model = model_class()
    optimizer = optim.Adam(model_class().parameters(), lr=0.001)
    for _ in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(inputs), labels).backward()
            optimizer.step()
    return model


q.train_model.expect("incorrect", "weights that changed", train_model=other_optimizer)
q.train_model.expect("not attempted", "still fails like the given code",
                     train_model=given_train_model)
q.train_model.expect("passed")

# %% [markdown]
# ## 8. Training a CNN on MNIST
#
# Now the real thing. Our target: at least 97 % accuracy on the 1,000 test images of the
# offline subset, and 99 % on full MNIST, with a training short enough for a laptop CPU
# (the cell prints how long it took, and section 8 ends with what that time depends on).
#
# **Train, validation, test.** As in chapter 03, we split 10 % of the training images off
# as a validation set: the curves, and every choice we make (epochs, learning rate, the
# layers of your own CNN in exercise 6), look at the validation set only, and the test set
# is used once, at the very end. A test score that guided our choices would flatter us,
# because we would have picked whatever happened to suit those particular test images.
#
# **Data.** Inputs are normalised with the mean and standard deviation of the training
# pixels. With only a few thousand training images, **augmentation** helps: each time an
# image is loaded, `RandomAffine` turns it by up to 8 degrees and shifts it by up to 8 % of
# its size, so the network never sees exactly the same digit twice. Validation and test
# images are not augmented. The training and validation parts are two `Subset`s of the same
# files, each read with its own transform; a seeded permutation decides which image goes
# where.

# %%
order = torch.randperm(len(raw_train), generator=torch.Generator().manual_seed(0))
n_val = len(raw_train) // 10
val_indices, train_indices = order[:n_val].tolist(), order[n_val:].tolist()

pixels = raw_train.data[train_indices].float() / 255  # (N, 28, 28), training part only
mean, std = pixels.mean().item(), pixels.std().item()
print(f"training pixels: mean {mean:.4f}, std {std:.4f}")  # i18n

to_input = [v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize((mean,), (std,))]
train_transform = v2.Compose([v2.RandomAffine(degrees=8, translate=(0.08, 0.08)), *to_input])
test_transform = v2.Compose(to_input)  # for validation and test images
train_set = Subset(torchvision.datasets.MNIST(root, train=True, transform=train_transform),
                   train_indices)
val_set = Subset(torchvision.datasets.MNIST(root, train=True, transform=test_transform),
                 val_indices)
test_set = torchvision.datasets.MNIST(root, train=False, transform=test_transform)
train_loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=0,
                          generator=torch.Generator().manual_seed(0))
val_loader = DataLoader(val_set, batch_size=500, num_workers=0)
test_loader = DataLoader(test_set, batch_size=500, num_workers=0)  # used once, at the end
print(len(train_set), "training,", len(val_set), "validation,", len(test_set), "test images")  # i18n

# %% [markdown]
# Eight random versions of the first training digit, as the network sees them:

# %%
torch.manual_seed(0)
first_label = train_set[0][1]
augmented = torch.stack([train_set[0][0] for _ in range(8)])  # (8, 1, 28, 28)
plot.image_grid(augmented, [first_label] * 8)

# %% [markdown]
# **Model.** LeNet's layout with three changes: more channels (16 and 32), `padding=2` in
# the first convolution so that 28 x 28 digits fit, and two regularisers.
# `nn.BatchNorm2d` normalises each channel to mean 0 and variance 1, with statistics taken
# over the batch and both spatial dimensions (all B x H x W values of that channel), then
# applies a learnable scale and shift per channel; this lets training go faster (the
# convolution before it needs no bias, the learnable shift takes its place). `nn.Dropout`
# zeroes 30 % of the dense features at random during training and multiplies the kept ones
# by 1 / (1 - 0.3), so that their expected sum stays the same; the network cannot rely on
# any single feature. Both behave differently in evaluation mode (`model.eval()`): batch
# norm uses running statistics gathered in training, dropout does nothing. `fit` and
# `evaluate` switch the modes for us.
#
# The flatten size follows from the output-size formula: 28 → 28 (padding 2) → 14 →
# 10 → 5, so 32 * 5 * 5 for MNIST, and 32 → 32 → 16 → 12 → 6 for the 32 x 32 images of
# CIFAR-10 later on.

# %%
class CNN(nn.Module):
    def __init__(self, in_channels=1, num_classes=10, image_size=28):
        super().__init__()
        side = (image_size // 2 - 4) // 2  # side of the last feature maps: 28 -> 5
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=5, padding=2, bias=False),  # (B, 16, S, S)
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 16, S/2, S/2)
            nn.Conv2d(16, 32, kernel_size=5, bias=False),  # (B, 32, S/2 - 4, S/2 - 4)
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 32, side, side)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),  # (B, 32 * side * side)
            nn.Linear(32 * side * side, 128),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(128, num_classes),  # (B, num_classes) logits
        )

    def forward(self, x):
        return self.classifier(self.features(x))


torch.manual_seed(0)
net = CNN()
print(f"{sum(p.numel() for p in net.parameters()):,} parameters")  # i18n
logits = show_shapes(net, torch.zeros(2, 1, 28, 28))

# %% [markdown]
# **Training.** Adam with learning rate 0.001, cross-entropy loss, 15 passes over the
# subset. Full MNIST has 15 times more images, so 3 passes there already give more
# steps. (The course's test suite trains only 2 short epochs, with low accuracy.)
#
# `fit` draws the loss and accuracy curves as it goes; `plot.plot_history(history)` draws
# them again whenever you like. The validation curve comes from `val_loader`; the test set
# stays untouched.

# %%
epochs = 15 if len(train_set) <= 10_000 else 3
if settings.fast():
    epochs = 2
torch.manual_seed(0)
history = fit(net, train_loader, loss_fn=nn.CrossEntropyLoss(),
              optimizer=optim.Adam(net.parameters(), lr=1e-3), epochs=epochs,
              val_loader=val_loader)
seconds = sum(history.seconds)  # fit times every epoch
val_accuracy = evaluate(net, val_loader)["accuracy"]
print(f"validation accuracy {val_accuracy:.2%} after {epochs} epochs and {seconds:.0f} s "  # i18n
      f"(with {torch.get_num_threads()} CPU threads, a validation pass in every epoch)")  # i18n

# %% [markdown]
# **How long is that?** On an idle 2-core laptop this run takes well under a minute, but
# the time is not a property of the code. PyTorch splits each convolution over
# `torch.get_num_threads()` threads, one per core by default, and they only run in
# parallel on cores that nothing else is using: a second notebook training, a browser, or
# other users of a shared server take cores away, and the same run takes longer (with
# twice as many busy programs as cores, about twice as long). One training step of a batch
# of 64, timed with one thread and with the threads PyTorch uses here (one line if that is
# one):

# %%
images, labels = next(iter(train_loader))  # (64, 1, 28, 28), (64,)
step = "net.zero_grad(); F.cross_entropy(net(images), labels).backward()"
for threads in sorted({1, torch.get_num_threads()}):
    timer = benchmark.Timer(step, globals=globals(), num_threads=threads)
    ms = timer.blocked_autorange(min_run_time=0.3).median * 1000
    print(f"{threads} thread(s): {ms:.1f} ms per training step")  # i18n
net.zero_grad()

# %% [markdown]
# ## 9. Looking inside the network
#
# **Learned filters.** The 16 kernels of the first layer, red for positive weights and blue
# for negative ones. Learned filters are rarely as tidy as hand-made ones, but several
# put a positive side next to a negative one, like the edge kernels of section 3: nobody
# designed them.

# %%
plot.plot_filters(net.features[0])

# %% [markdown]
# **Feature maps.** The output of each convolution for one validation digit (the first 8
# channels of each): the first layer still looks like the digit, filtered in different
# ways; the second works on 10 x 10 maps that say *where* a pattern was found rather than
# what the digit looks like.

# %%
val_image, val_label = val_set[0]
maps = plot.feature_maps(net, val_image)  # layer name -> (C, H, W)
for name, layer_maps in maps.items():
    print(name, tuple(layer_maps.shape))
plot.plot_feature_maps(maps)

# %% [markdown]
# **Receptive field.** Each value of a feature map depends on a patch of the input image
# only: its *receptive field*. Walk through the layers keeping two numbers, the field's side
# $r$ and the *jump* $j$, the distance in input pixels between two neighbouring values of
# the current map (both start at 1, for the image itself). A layer with kernel $k$, stride
# $s$ and dilation $d$ (convolution or pooling alike) gives
#
# $$r \leftarrow r + (k - 1)\,d\,j, \qquad j \leftarrow j\,s .$$
#
# Activations and batch norm work on one position at a time and change neither. For the
# layers of our network:

# %%
def receptive_fields(layers):
    """(index, layer type, field side r, jump j) after each convolution and pooling layer."""
    def first(value):  # layers store sizes as an int or as an (h, w) pair
        return value if isinstance(value, int) else value[0]

    r, j, rows = 1, 1, []
    for index, layer in enumerate(layers):
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            k, s = first(layer.kernel_size), first(layer.stride)
            d = first(getattr(layer, "dilation", 1))
            r, j = r + (k - 1) * d * j, j * s
            rows.append((index, type(layer).__name__, r, j))
    return rows


for index, name, r, j in receptive_fields(net.features):
    print(f"features[{index}] {name:10} field {r:2} x {r:<2}  jump {j}")  # i18n

# %% [markdown]
# The formula depends only on the shapes of the layers, not on their weights, so we can
# measure it: build the same stack with positive weights and average pooling (same sizes
# as max pooling, but every pixel counts), and ask autograd which input pixels reach one
# output value. Its gradient is non-zero exactly on the receptive field, drawn below on a
# digit, with the 5 x 5 field of one value of the first convolution inside it.

# %%
field_probe = nn.Sequential(nn.Conv2d(1, 1, 5, padding=2, bias=False), nn.AvgPool2d(2),
                            nn.Conv2d(1, 1, 5, bias=False), nn.AvgPool2d(2))
for layer in field_probe:
    if isinstance(layer, nn.Conv2d):
        nn.init.ones_(layer.weight)
blank = torch.zeros(1, 1, 28, 28, requires_grad=True)  # (1, 1, 28, 28)
field_out = field_probe(blank)  # (1, 1, 5, 5), like the network's last maps
field_out[0, 0, 2, 2].backward()  # one output value, in the middle
rows, cols = blank.grad[0, 0].nonzero(as_tuple=True)
top, left = rows.min().item(), cols.min().item()
side = rows.max().item() - top + 1
print(f"field of the last maps' value (2, 2): rows {top}-{rows.max().item()}, "  # i18n
      f"columns {left}-{cols.max().item()}: {side} x {cols.max().item() - left + 1} pixels "  # i18n
      f"of the {blank.shape[-1]} x {blank.shape[-1]} image")  # i18n

fig, ax = plt.subplots(figsize=(3.2, 3.2))
ax.imshow(val_image[0], cmap="gray")
ax.add_patch(Rectangle((left - 0.5, top - 0.5), side, side, fill=False, color="tab:orange",
                       linewidth=2, label=f"last maps: {side} x {side}"))  # i18n
centre = top + side // 2
ax.add_patch(Rectangle((centre - 2.5, centre - 2.5), 5, 5, fill=False, color="tab:cyan",
                       linewidth=2, label="first convolution: 5 x 5"))  # i18n
ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.3), fontsize=8)
ax.set_axis_off()
plt.show()

# %% [markdown]
# A first-layer value sees a few pixels, enough for an edge or a corner; a value of the last
# maps sees a large part of the digit, enough for a loop or a stroke. Depth makes the field
# grow a little at each convolution; pooling and strides make it grow fast, because they
# multiply the jump for every layer after them.

# %% [markdown]
# **Confusion matrix.** Row $t$, column $p$ counts the validation images of class $t$ that
# the network labelled $p$; the diagonal holds the correct answers. Looking for weak spots
# is part of tuning, so it too uses the validation set.

# %%
net.eval()  # dropout off, batch norm uses its running statistics
with torch.no_grad():
    predictions = torch.cat([net(images).argmax(dim=1) for images, _ in val_loader])  # (N,)
targets = torch.cat([labels for _, labels in val_loader])  # (N,)
matrix = plot.confusion_matrix(predictions, targets, num_classes=10)
plot.plot_confusion_matrix(matrix)

# %%
for true, predicted, count in plot.most_confused(matrix, k=5):
    print(f"{count:3} x a {true} taken for a {predicted}")  # i18n

# %% [markdown]
# The mistakes themselves (red titles: prediction, then the true label). Some are hard
# even for a person.

# %%
wrong = plot.mistakes(net, val_set, limit=16)
plot.image_grid(wrong.images, wrong.labels, predictions=wrong.predictions)

# %% [markdown]
# ## 10. The same code on CIFAR-10
#
# CIFAR-10 has 60,000 colour photos of 32 x 32 pixels in 10 classes (planes, cars, birds,
# cats, ...). The code above carries over with two changes: 3 input channels, and a
# different flatten size, which our `CNN` computes from `image_size`:

# %%
logits = show_shapes(CNN(in_channels=3, image_size=32), torch.zeros(2, 3, 32, 32))

# %% [markdown]
# **Bug 2, from a seed text's generic CNN for 3-channel images.** (The seed texts' CIFAR-10
# network is LeNet with the correct `16 * 5 * 5`.) It flattens with
# `x.view(-1, 64 * 6 * 6)`, but its two pooled stages leave `64 * 8 * 8` values per
# image. `view(-1, ...)` does not complain when the total happens to divide: it makes
# more rows than images, and the error only shows up later, far from the cause.

# %%
class SeedCifarCNN(nn.Module):  # from a seed text, as written
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 6 * 6, 128)
        self.fc2 = nn.Linear(128, 10)
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))  # (B, 32, 16, 16)
        x = self.pool(F.relu(self.conv2(x)))  # (B, 64, 8, 8)
        x = x.view(-1, 64 * 6 * 6)  # wrong size: rows are no longer images
        return self.fc2(F.relu(self.fc1(x)))


images, labels = torch.zeros(9, 3, 32, 32), torch.zeros(9, dtype=torch.long)
outputs = SeedCifarCNN()(images)
print("9 images in,", tuple(outputs.shape), "scores out")  # i18n
try:
    F.cross_entropy(outputs, labels)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# CIFAR-10 is about 170 MB, so it is only loaded when there is an internet connection (or
# when it is already on disk). `cifar10_or_none` returns the usual
# `torchvision.datasets.CIFAR10`, or `None` with a message saying why, and the cells
# below then skip their work. Colour photos are much harder than digits: expect a far
# lower accuracy than on MNIST, and look at which classes the network mixes up. The
# dataset is much larger than our MNIST subset, so the two epochs below take a while
# on a CPU; the cell prints how long.

# %%
cifar_raw = data.cifar10_or_none(train=True)  # None offline: the CIFAR-10 cells do nothing
if cifar_raw is not None:
    sample = torch.from_numpy(cifar_raw.data[:10_000]).float() / 255  # (N, 32, 32, 3)
    cifar_mean, cifar_std = sample.mean((0, 1, 2)).tolist(), sample.std((0, 1, 2)).tolist()
    cifar_input = [v2.ToImage(), v2.ToDtype(torch.float32, scale=True),
                   v2.Normalize(cifar_mean, cifar_std)]
    cifar_train = data.cifar10_or_none(train=True, transform=v2.Compose(
        [v2.RandomCrop(32, padding=4), v2.RandomHorizontalFlip(), *cifar_input]))
    cifar_test = data.cifar10_or_none(train=False, transform=v2.Compose(cifar_input))
    print(len(cifar_train), "training images,", len(cifar_test), "test images;",  # i18n
          "classes:", ", ".join(cifar_raw.classes))  # i18n

# %%
if cifar_raw is not None:
    cifar_train_loader = DataLoader(cifar_train, batch_size=64, shuffle=True, num_workers=0,
                                    generator=torch.Generator().manual_seed(0))
    cifar_test_loader = DataLoader(cifar_test, batch_size=500, num_workers=0)
    torch.manual_seed(0)
    cifar_net = CNN(in_channels=3, image_size=32)
    cifar_history = fit(cifar_net, cifar_train_loader, loss_fn=nn.CrossEntropyLoss(),
                        optimizer=optim.Adam(cifar_net.parameters(), lr=1e-3), epochs=2)
    cifar_accuracy = evaluate(cifar_net, cifar_test_loader)["accuracy"]
    print(f"CIFAR-10 test accuracy {cifar_accuracy:.2%} after 2 epochs and "  # i18n
          f"{sum(cifar_history.seconds):.0f} s")  # i18n
    cifar_net.eval()
    with torch.no_grad():
        cifar_predictions = torch.cat([cifar_net(x).argmax(1) for x, _ in cifar_test_loader])
    cifar_targets = torch.tensor(cifar_test.targets)
    cifar_matrix = plot.confusion_matrix(cifar_predictions, cifar_targets, num_classes=10)
    for true, predicted, count in plot.most_confused(cifar_matrix, k=3):
        print(f"{count:4} x a {cifar_raw.classes[true]} taken for a "  # i18n
              f"{cifar_raw.classes[predicted]}")  # i18n

# %% [markdown]
# Networks for photos go deeper (more blocks of 3 x 3 convolutions), train longer on a
# GPU, and augment more. Two building blocks make that depth work.
#
# ## 11. Going deeper: global average pooling and residual blocks
#
# **Global average pooling.** Our CNN ends with `Flatten` and a dense layer of
# `32 * side * side` inputs, tied to the image size (CIFAR-10 needed another one), and in
# wide networks that layer holds most of the weights. Modern CNNs average each final
# feature map to one number instead: `nn.AdaptiveAvgPool2d(1)` turns `(B, C, H, W)` into
# `(B, C, 1, 1)` whatever `H` and `W`, and the classifier is one `nn.Linear(C, classes)`.

# %%
torch.manual_seed(0)
gap_net = nn.Sequential(CNN().features,  # the same convolutions as `net`, fresh weights
                        nn.AdaptiveAvgPool2d(1),  # (B, 32, H', W') -> (B, 32, 1, 1)
                        nn.Flatten(), nn.Linear(32, 10))  # (B, 32) -> (B, 10)
for side in (28, 32, 48):
    print(f"{side} x {side} images -> {tuple(gap_net(torch.zeros(2, 1, side, side)).shape)}")  # i18n
print(f"classifier weights: {sum(p.numel() for p in net.classifier.parameters()):,} "  # i18n
      f"with Flatten, {sum(p.numel() for p in gap_net[1:].parameters()):,} with "  # i18n
      "global average pooling")  # i18n

# %% [markdown]
# The price: averaging forgets *where* a pattern was, so the convolutions must have
# grown a receptive field large enough to see whole parts of the object first. That is
# why the last maps of deep networks are small, with many channels.
#
# **Residual blocks.** Stacking more convolution layers should never hurt, since extra
# layers could learn to pass their input through unchanged; in practice, deep plain stacks
# train worse than shallow ones. A residual block (He et al., 2015, ResNet) makes passing
# through the default: it learns a *change* $F(x)$ and adds it to its input,
#
# $$y = \mathrm{ReLU}\big(x + F(x)\big), \qquad F = \text{conv, BN, ReLU, conv, BN}.$$
#
# When the block changes the number of channels or the size (stride 2), $x$ no longer
# fits $F(x)$, and the *shortcut* becomes a 1 x 1 convolution with the same stride.

# %%
class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1, shortcut=True):
        super().__init__()
        self.body = nn.Sequential(  # F(x): (B, c_in, H, W) -> (B, c_out, H/stride, W/stride)
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out))
        self.use_shortcut = shortcut  # False: a plain block, for the comparison below
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        if not self.use_shortcut:
            return F.relu(self.body(x))
        return F.relu(self.shortcut(x) + self.body(x))


print(tuple(ResidualBlock(16, 16)(torch.zeros(2, 16, 14, 14)).shape),
      tuple(ResidualBlock(16, 32, stride=2)(torch.zeros(2, 16, 14, 14)).shape))

# %% [markdown]
# Why it helps shows in the gradients. Below, 30 blocks are stacked, with and without
# their shortcuts, and one batch is sent through; we compare the size of the gradient that
# reaches the first layer with the one at the last layer. Without shortcuts the gradient
# is multiplied by one factor per layer, and 30 factors compound: here it explodes
# (without batch norm it more often vanishes). With shortcuts, every block adds a path
# along which the gradient passes unchanged, and it keeps its size.

# %%
def gradient_ratio(shortcut, depth=30):
    """|gradient of the first layer| / |gradient of the last|, for one batch, at init."""
    torch.manual_seed(0)
    deep = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1),
                         *[ResidualBlock(8, 8, shortcut=shortcut) for _ in range(depth)],
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
    x, y = torch.randn(32, 1, 14, 14), torch.randint(0, 10, (32,))  # (B, 1, 14, 14), (B,)
    F.cross_entropy(deep(x), y).backward()
    return float(deep[0].weight.grad.norm() / deep[-1].weight.grad.norm())


print(f"30 plain blocks:    first / last gradient = {gradient_ratio(False):10.2f}")  # i18n
print(f"30 residual blocks: first / last gradient = {gradient_ratio(True):10.2f}")  # i18n

# %% [markdown]
# ## 12. Transfer learning: start from a pretrained network
#
# Training from scratch needs many labelled images. The usual shortcut: take a network
# already trained on a large task, keep its convolutional layers (the *features*: edges,
# strokes, textures, parts), replace its last layer by one for your classes, and train on
# your small data set. torchvision ships the architectures (`torchvision.models`) and, for
# each, weights trained on ImageNet (1.28 million photos, 1,000 classes). The weights
# object describes them without downloading anything:

# %%
weights = torchvision.models.ResNet18_Weights.DEFAULT
meta = weights.meta  # what the weights were trained on, and how well they did
print(weights, f"- {meta['num_params']:,} parameters, {len(meta['categories'])} classes")  # i18n
print(weights.transforms())  # the preprocessing these weights were trained with
resnet = torchvision.models.resnet18(weights=None)  # weights=weights downloads 45 MB once
print("last layer:", resnet.fc)  # i18n

# %% [markdown]
# With internet access, `torchvision.models.resnet18(weights=weights)` downloads the
# weights once (into `~/.cache/torch/hub`) and loads them. Fine-tuning then takes three
# steps, the same for every torchvision model:
#
# 1. prepare the inputs exactly as the weights expect: `weights.transforms()` resizes,
#    crops to 224 x 224 and normalises with ImageNet's mean and standard deviation, for
#    3 colour channels;
# 2. replace the last layer: `model.fc = nn.Linear(model.fc.in_features, num_classes)`
#    (the layer's name depends on the architecture: `fc`, `classifier`, `heads`);
# 3. choose what trains: only the new layer (the features *frozen* with
#    `requires_grad_(False)`: fast, and good with very little data), or everything with a
#    small learning rate (*fine-tuning*: better when there is more data).
#
# Offline, the course ships a stand-in made the same way, only smaller:
# `scripts/pretrain_digits_backbone.py` trained torchvision's `mobilenet_v3_small` (at
# half width) on the digits 0 to 4 of the offline training images. Our new task is the
# digits 5 to 9, which it has never seen, with only 20 labelled images per digit. Loading
# a checkpoint is the `state_dict` of chapter 03, read with `weights_only=True` so that
# the file cannot run code:

# %%
with (resources.files("labkit.data") / "digits04_mobilenet.pt").open("rb") as file:
    checkpoint = torch.load(file, weights_only=True)
print({key: value for key, value in checkpoint.items() if key != "state_dict"})


def pretrained_digits():
    """The shipped network, with its 5-class last layer for the digits 0-4."""
    model = torchvision.models.get_model(checkpoint["arch"], weights=None,
                                         num_classes=len(checkpoint["classes"]),
                                         **checkpoint["arch_kwargs"])
    model.load_state_dict(checkpoint["state_dict"])  # float16 values into float32 weights
    return model


def prepare(images):
    """(N, 28, 28) uint8 -> (N, 3, 32, 32), exactly as in the pretraining."""
    x = (images.float() / 255 - checkpoint["mean"]) / checkpoint["std"]
    x = x[:, None].expand(-1, 3, -1, -1)  # grey repeated into 3 channels
    return F.interpolate(x, size=checkpoint["size"], mode="bilinear", align_corners=False)


labels_all = raw_train.targets
few = torch.cat([torch.tensor(train_indices)[labels_all[train_indices] == d][:20]
                 for d in range(5, 10)])  # 20 training images per digit 5-9
held = torch.tensor(val_indices)[labels_all[val_indices] >= 5]  # validation digits 5-9
x_few, y_few = prepare(raw_train.data[few]), labels_all[few] - 5  # classes 0-4 again
x_held, y_held = prepare(raw_train.data[held]), labels_all[held] - 5
print(len(few), "training images,", len(held), "validation images of the digits 5-9")  # i18n

# %% [markdown]
# Three networks of the same architecture get the same 100 images and the same number of
# steps: one from random weights, one with frozen pretrained features and a new last
# layer, and one fine-tuned entirely. One detail matters for the frozen one: batch norm
# updates its running statistics in training mode even when its weights are frozen, so
# the frozen part must stay in evaluation mode (`model.features.eval()` after
# `model.train()`).

# %%
def train_on_few(model, frozen, lr, steps):
    """Full-batch Adam steps on the 100 images; returns the validation accuracy."""
    optimizer = optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    for _ in range(steps):
        model.train()
        if frozen:
            model.features.eval()  # keep the pretrained batch-norm statistics
        loss = F.cross_entropy(model(x_few), y_few)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return (model(x_held).argmax(dim=1) == y_held).float().mean().item()


steps = 5 if settings.fast() else 15  # the test suite takes only 5 steps
torch.manual_seed(0)
scratch = torchvision.models.get_model(checkpoint["arch"], weights=None, num_classes=5,
                                       **checkpoint["arch_kwargs"])
head_only = pretrained_digits()
head_only.requires_grad_(False)  # freeze everything ...
head_only.classifier[-1] = nn.Linear(head_only.classifier[-1].in_features, 5)  # ... new head
fine_tuned = pretrained_digits()
fine_tuned.classifier[-1] = nn.Linear(fine_tuned.classifier[-1].in_features, 5)
for label, candidate, frozen, lr in [("from scratch", scratch, False, 1e-3),  # i18n
                                 ("frozen features, new head", head_only, True, 1e-2),  # i18n
                                 ("fine-tuned entirely", fine_tuned, False, 1e-3)]:  # i18n
    trained = sum(p.numel() for p in candidate.parameters() if p.requires_grad)
    accuracy = train_on_few(candidate, frozen, lr, steps)
    print(f"{label:26} {trained:8,} weights trained, validation accuracy {accuracy:.1%}")  # i18n

# %% [markdown]
# Features learned on other digits carry over: with the same 100 images and 15 steps, the
# network trained from random weights is still at chance level (about 20 % for 5
# classes), while both pretrained ones are far above it. The frozen one
# trains only the last layer, a few thousand weights, which is fast and cannot overfit
# much; fine-tuning everything adapts the features too.
#
# **What real pretrained weights change.** Our stand-in learned from 2,000 digits; ImageNet
# weights learned from over a million photos, so their features (edges, textures, object
# parts) help on almost any photo task, and the gain over training from scratch is much
# larger, often the difference between a useless and a good model. They also bring
# constraints: inputs must be prepared as in their training (3 channels, the resolution,
# ImageNet's mean and standard deviation: `weights.transforms()`); the networks are large
# and slow on a CPU; a large learning rate destroys what they learned, so fine-tune with a
# small one (or a smaller one for the features than for the head, with the parameter
# groups of chapter 04b); and the weights come with their own licence, in the model's
# documentation. For grey digits, ImageNet features help less than for photos.

# %% [markdown]
# ## 13. Your own CNN
#
# ### Exercise 6: beat 95 % on held-out digits
# Build a CNN of your own, call it `model`, and train it on `train_loader`, tuning it with
# `evaluate(model, val_loader)["accuracy"]`, until it gets at least **95 %** of the
# validation images right. The check trains nothing: it scores your `model` once on the
# held-out test images, prepared with `test_transform`, which neither your training nor
# your choices have seen. Keep training short (a few epochs, as above). An idea to try: three
# blocks of *3 x 3 convolution (padding 1), batch norm, ReLU, 2 x 2 max pooling*, then a
# single `nn.Linear`. What is the flatten size? (Use your `conv_output_size`.)

# %%
### BEGIN SOLUTION
torch.manual_seed(0)


def block(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]


model = nn.Sequential(*block(1, 8), *block(8, 16), *block(16, 32),  # (B, 32, 3, 3)
                      nn.Flatten(), nn.Linear(32 * 3 * 3, 10))
own_history = fit(model, train_loader, loss_fn=nn.CrossEntropyLoss(),
                  optimizer=optim.Adam(model.parameters(), lr=2e-3),
                  epochs=15 if len(train_set) <= 10_000 else 2, val_loader=val_loader)
print(f"validation accuracy: {evaluate(model, val_loader)['accuracy']:.2%}")  # i18n
### END SOLUTION
### BEGIN STUB
model = ...  # your CNN; then train it with fit(...) and look at its validation accuracy
### END STUB

# %%
q.cnn_accuracy.check()

# %% tags=["author-test"]
torch.manual_seed(0)
untrained = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
q.cnn_accuracy.expect("incorrect", "at least 95%", model=untrained)
q.cnn_accuracy.expect("incorrect", "the shape of `model(images)`",
                      model=nn.Sequential(nn.Flatten(), nn.Linear(784, 1)))
q.cnn_accuracy.expect("passed")

# %% [markdown]
# **The test set, once.** Every choice is made, so now, and only now, we score the
# chapter's network (and yours, if you built one) on the test images:

# %%
test_accuracy = evaluate(net, test_loader)["accuracy"]
print(f"the chapter's CNN: test accuracy {test_accuracy:.2%} "  # i18n
      f"(validation accuracy {val_accuracy:.2%})")  # i18n
if isinstance(model, nn.Module):
    print(f"your CNN: test accuracy {evaluate(model, test_loader)['accuracy']:.2%}")  # i18n

# %% [markdown]
# ## Summary
#
# - A convolution slides a small kernel over the image and sums pixel times weight:
#   $(I \star K)(i, j) = \sum_m \sum_n I(i+m, j+n)\,K(m, n)$. PyTorch does not flip the
#   kernel (cross-correlation, $\star$; a true convolution $*$ flips it); `unfold` turns
#   it into one matrix product.
# - `nn.Conv2d(C_in, C_out, k)` has `C_out * C_in * k * k + C_out` parameters, shared over
#   all positions. Output size: $\lfloor (H + 2p - d(k-1) - 1)/s \rfloor + 1$; pooling
#   shrinks maps without weights.
# - Shape bugs: run one batch first, print shapes layer by layer, flatten with
#   `torch.flatten(x, 1)`, and build the optimizer on the very model you train.
# - Tune on a validation split of the training set; score the test set once, at the end.
# - The receptive field grows by $(k - 1)\,d\,j$ at each layer, and pooling multiplies the
#   jump $j$: deep layers see large parts of the image.
# - Global average pooling (`nn.AdaptiveAvgPool2d(1)`) ends a CNN with one number per
#   channel, whatever the image size; residual blocks, $y = \mathrm{ReLU}(x + F(x))$, keep
#   the gradient's size through deep stacks.
# - Transfer learning: load pretrained weights (torchvision: `weights=...`), prepare inputs
#   as they expect, replace the last layer, then train only it (frozen features, kept in
#   `eval()` mode) or everything with a small learning rate.
# - A small LeNet-style CNN with batch norm and light augmentation learns MNIST in a few
#   minutes at most on a CPU (how long depends on free cores and threads); its filters,
#   feature maps and confusion matrix show what it learned and where it fails.
#
# **Next:** chapter 04b, optimizers. We trained with Adam at a fixed learning rate; next
# we open the optimizer: SGD, momentum, Adam's update rule, and learning-rate schedules.

# %%
q.summary()
