# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "creating, reshaping, indexing and broadcasting tensors; `einsum`; vectorised code and its speed, timed with `torch.utils.benchmark`"
# ---

# %% [markdown]
# # 01 · Tensors: the arrays PyTorch is made of
#
# Images, labels, weights, gradients: in PyTorch every one of them is a *tensor*, a grid
# of numbers with a shape, a data type and a device. This chapter is about handling them
# fluently, because most bugs in deep learning code are shape bugs.
#
# **What you will learn**
# - how to create tensors, share memory with NumPy, and what decides the `dtype` and
#   `device` of a result;
# - how to change a tensor's shape (`view`, `reshape`, `permute`, `squeeze`, `cat`, ...)
#   and what "contiguous" means;
# - how to pick elements: slices, boolean masks, index tensors, `where` and `gather`;
# - broadcasting: the rules, a picture, and an explorer to try shapes yourself;
# - `*` versus `@`, `einsum` for products written with index names, and reductions
#   along a `dim`;
# - in-place operations;
# - why vectorised code beats a Python loop, measured properly.
#
# Run each cell with **Shift + Enter**, from top to bottom.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch.utils import benchmark

from labkit import exercises, settings, widgets
from labkit.widgets.broadcast import draw_broadcast

q = exercises.bind("01_tensors", globals())
torch.manual_seed(0)
print("PyTorch", torch.__version__)

# %% [markdown]
# ## 1. Creating tensors
#
# A tensor is an $n$-dimensional array: a number is a 0-d tensor, a vector 1-d, a matrix
# 2-d, a batch of colour images 4-d with shape $(B, C, H, W)$. All its elements share one
# data type (`dtype`) and live on one `device`.
#
# The most direct way to make one is from a (nested) Python list:

# %%
x = torch.tensor([[1, 2, 3], [4, 5, 6]])
print(x)
print("shape:", x.shape, " ndim:", x.ndim, " numel:", x.numel())  # i18n
print("dtype:", x.dtype, " device:", x.device)  # i18n

# %% [markdown]
# Whole numbers give `int64`; numbers with a decimal point give the *default float type*,
# `float32`, which is what neural networks use almost everywhere.

# %%
f = torch.tensor([1.0, 2.5])
print(f.dtype, "| default float type:", torch.get_default_dtype(),  # i18n
      "| bytes per element:", f.element_size())  # i18n

# %% [markdown]
# Usually you ask for a shape and let a *factory function* fill it in:

# %%
print(torch.zeros(2, 3))            # (2, 3) of 0.0
print(torch.ones(2, 3))             # (2, 3) of 1.0
print(torch.full((2, 3), 7.0))      # (2, 3) of 7.0
print(torch.arange(0, 10, 2))       # start, end (excluded), step
print(torch.linspace(0, 1, 5))      # start, end (included), how many

# %% [markdown]
# `arange` counts up in steps and stops *before* the end; `linspace` spreads a given
# *number* of points evenly, ends included.
#
# Random tensors are how weights start. Seed first if you want the same numbers again:

# %%
torch.manual_seed(0)
print(torch.rand(2, 3))             # uniform on [0, 1)
print(torch.randn(2, 3))            # standard normal: mean 0, standard deviation 1
print(torch.randint(0, 10, (2, 3)))  # whole numbers from 0 to 9

# %% [markdown]
# `torch.empty` only reserves memory: its values are whatever bytes were there before,
# so never read them before writing. It is for buffers you are about to fill.
# The `*_like` functions copy the shape, dtype and device of another tensor.

# %%
buffer = torch.empty(2, 3)           # (2, 3), values undefined: do not print them
print("empty:", buffer.shape, buffer.dtype)  # i18n
buffer.fill_(0.5)                    # now every value is defined
print(buffer)
print(torch.zeros_like(buffer).shape, torch.ones_like(x).dtype)

# %% [markdown]
# ### NumPy and PyTorch can share memory
#
# `torch.from_numpy(a)` and `t.numpy()` do not copy: the array and the tensor are two
# views of the same bytes, so a change through one shows in the other.

# %%
a = np.arange(4.0)                   # NumPy float64
t = torch.from_numpy(a)              # same memory, dtype float64
a[0] = 100.0                         # change the array ...
print("tensor after changing the array:", t)  # i18n
t.mul_(2)                            # ... or change the tensor in place
print("array after changing the tensor:", a)  # i18n
print("share memory:", np.shares_memory(a, t.numpy()))  # i18n

# %% [markdown]
# `torch.tensor(a)` *copies*, so later changes do not travel. Note also that NumPy's
# default is `float64`: call `.float()` before feeding such data to a network.
# `.numpy()` works only for a tensor on the CPU that does not require gradients; the
# usual spelling is `t.detach().cpu().numpy()`.

# %%
copy = torch.tensor(a)
a[1] = -1.0
print("copy:", copy, "| array:", a)  # i18n

# %% [markdown]
# ### dtype and device of a result: type promotion
#
# When an operation mixes dtypes, PyTorch picks the result type with a few rules:
# 1. the *category* goes up as needed: bool < integer < floating point < complex;
# 2. inside one category, tensors with dimensions decide; 0-d tensors and Python numbers
#    only count when they raise the category;
# 3. a Python float that raises an integer tensor to floating point gives the default
#    float type, `float32`.
#
# `torch.result_type` answers without computing anything:

# %%
i64 = torch.tensor([1, 2])                       # int64
f32 = torch.tensor([1.0, 2.0])                   # float32
f64 = torch.tensor([1.0, 2.0], dtype=torch.float64)
examples = {
    "int64 + 1": i64 + 1,  # i18n
    "int64 * 1.5": i64 * 1.5,  # i18n
    "int64 / 2 (true division)": i64 / 2,  # i18n
    "int64 // 2 (floor division)": i64 // 2,  # i18n
    "float32 + float64 tensor": f32 + f64,  # i18n
    "float32 + float64 0-d tensor": f32 + torch.tensor(1.0, dtype=torch.float64),  # i18n
}
for text, result in examples.items():
    print(f"{text:30s} -> {result.dtype}")
print("torch.result_type(i64, 2.5):", torch.result_type(i64, 2.5))

# %% [markdown]
# Convert explicitly with `.to(dtype)` or the shortcuts `.float()`, `.long()`, `.bool()`.
# The device works the same way: a result lives where its inputs live, and inputs on
# different devices are an error, not a silent copy. The exception mirrors the dtype rule
# for 0-d tensors: Python numbers and 0-d CPU tensors combine with tensors on any device.
# On a machine without a GPU the `meta` device (shapes only, no data) shows the same rules:

# %%
print(i64.to(torch.float32).dtype, i64.float().dtype, f32.long().dtype)
print("result on:", (f32 * 2).device)  # i18n
try:
    f32 + torch.ones(2, device="meta")
except RuntimeError as err:
    print("RuntimeError:", err)
print("a 0-d CPU tensor is allowed:",  # i18n
      (torch.ones(2, device="meta") + torch.tensor(1.0)).device)

# %% [markdown]
# ## 2. Shape
#
# ### Storage, strides, `view` and `reshape`
#
# A tensor is a flat block of memory (its *storage*) plus a recipe to read it as a grid:
# the shape and the *strides*. Stride $s_d$ is how many elements to skip in memory to
# move one step along dimension $d$, so element $[i, j]$ of a 2-d tensor sits at
# offset $i \cdot s_0 + j \cdot s_1$.

# %%
x = torch.arange(12).view(3, 4)      # (3, 4), read row by row from memory
print(x)
print("stride:", x.stride(), " contiguous:", x.is_contiguous())  # i18n

# %% [markdown]
# Transposing copies nothing: it swaps the strides. The result reads the same memory in a
# different order, so it is no longer *contiguous* (rows no longer follow one another in
# memory).

# %%
xt = x.t()                           # (4, 3)
print("stride:", xt.stride(), " contiguous:", xt.is_contiguous())  # i18n
print("same memory as x:", xt.data_ptr() == x.data_ptr())  # i18n

# %% [markdown]
# The picture shows each element's position in memory. Read each grid row by row: for
# `x` you walk through memory in order; for `x.t()` you jump around.

# %%
fig, axes = plt.subplots(1, 2, figsize=(7, 2.8))
for ax, (name, tensor) in zip(axes, [("x", x), ("x.t()", xt)], strict=True):
    # offset in memory of element [i, j] = i * stride[0] + j * stride[1]
    rows = torch.arange(tensor.shape[0])[:, None] * tensor.stride(0)
    cols = torch.arange(tensor.shape[1])[None, :] * tensor.stride(1)
    offset = rows + cols                                     # (rows, cols) by broadcasting
    ax.imshow(offset, cmap="viridis")
    for (i, j), value in np.ndenumerate(offset.numpy()):
        ax.text(j, i, value, ha="center", va="center", color="white")
    ax.set_title(f"{name}: shape {tuple(tensor.shape)}, stride {tensor.stride()}")  # i18n
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %% [markdown]
# `view` only relabels the same memory, so it needs an order it can express with strides;
# on `x.t()` it fails. `reshape` does the same as `view` when it can and copies when it
# must. `.contiguous()` makes a contiguous copy explicitly.

# %%
try:
    xt.view(12)
except RuntimeError as err:
    print("RuntimeError:", err)
flat = xt.reshape(12)                # works: here it has to copy
print(flat)
print("reshape copied:", flat.data_ptr() != xt.data_ptr())  # i18n
print("contiguous().view works:", torch.equal(xt.contiguous().view(12), flat))  # i18n

# %% [markdown]
# A view shares memory with its base, so writing through it changes the original.
# One size may be `-1`: PyTorch works it out from the others.

# %%
v = x.view(2, -1)                    # (2, 6): -1 is inferred
v[0, 0] = 100
print(v.shape, "| x[0, 0] is now", x[0, 0].item())  # i18n
x[0, 0] = 0                          # put it back

# %% [markdown]
# ### `permute` and `transpose`
#
# `permute` reorders all dimensions, `transpose(d0, d1)` swaps two. Both return views.
# PyTorch stores images as $(C, H, W)$ while matplotlib wants $(H, W, C)$:

# %%
image = torch.rand(3, 32, 48)        # (C, H, W)
print(image.permute(1, 2, 0).shape)  # (H, W, C)
print(image.transpose(1, 2).shape)   # (C, W, H)
batch = torch.rand(5, 2, 3)          # (B, n, m): a batch of matrices
print(batch.mT.shape)                # (B, m, n): transpose the last two dimensions

# %% [markdown]
# ### `squeeze`, `unsqueeze` and `flatten`
#
# `unsqueeze(d)` inserts a dimension of size 1 at position `d` (indexing with `None`
# does the same); `squeeze(d)` removes one. `flatten(start_dim)` merges dimensions into
# one, which is how a batch of images becomes a batch of vectors.

# %%
v = torch.tensor([1.0, 2.0, 3.0])                # (3,)
print(v.unsqueeze(0).shape, v[None, :].shape)    # (1, 3): a row
print(v.unsqueeze(1).shape, v[:, None].shape)    # (3, 1): a column
print(v[:, None].squeeze(1).shape)               # back to (3,)

images = torch.rand(8, 1, 28, 28)                # (B, C, H, W)
print(images.flatten(1).shape)                   # (B, C*H*W): one vector per image
print(images.squeeze(1).shape)                   # (B, H, W): drop the channel axis
print(images.flatten().shape)                    # everything in one dimension

# %% [markdown]
# Prefer `squeeze(d)` with an explicit dimension: a bare `squeeze()` also removes a batch
# dimension that happens to be 1.
#
# ### `cat` and `stack`
#
# `cat` joins tensors along an *existing* dimension; `stack` creates a *new* one, so its
# inputs must all have the same shape.

# %%
a, b = torch.zeros(2, 3), torch.ones(2, 3)
print("cat dim 0:  ", torch.cat([a, b], dim=0).shape)    # (4, 3)
print("cat dim 1:  ", torch.cat([a, b], dim=1).shape)    # (2, 6)
print("stack dim 0:", torch.stack([a, b], dim=0).shape)  # (2, 2, 3)
print("stack dim 2:", torch.stack([a, b], dim=2).shape)  # (2, 3, 2)

# %% [markdown]
# ## 3. Indexing
#
# Slicing works as in NumPy, one slice per dimension. A slice is a view: no copy.

# %%
x = torch.arange(20).view(4, 5)      # (4, 5)
print(x)
print(x[1])                          # row 1: (5,)
print(x[:, 2])                       # column 2: (4,)
print(x[1:3, ::2])                   # rows 1 and 2, every other column: (2, 3)
print(x[-1, -2:])                    # last row, last two columns: (2,)

# %% [markdown]
# A **boolean mask** of the same shape keeps the elements where it is `True`. The result
# is a new 1-d tensor (its length depends on the data). Assigning through a mask changes
# the elements in place.

# %%
mask = x % 3 == 0                    # (4, 5), dtype bool
print(x[mask])                       # 1-d: the multiples of 3
y = x.clone()
y[mask] = -1                         # write only where the mask is True
print(y)

# %% [markdown]
# A mask over the *first* dimension selects whole rows: `x[row_mask]` with `row_mask` of
# shape $(N,)$ gives a $(K, D)$ tensor.
#
# **Index tensors** ("fancy indexing") pick positions by number. Several index tensors
# are paired up element by element: `x[rows, cols]` gives `x[rows[0], cols[0]]`,
# `x[rows[1], cols[1]]`, ... Fancy indexing copies.

# %%
print(x[[0, 2]])                     # rows 0 and 2: (2, 5)
print(x[:, [4, 0]])                  # columns 4 and 0, in that order: (4, 2)
print(x[[0, 2], [1, 4]])             # the pairs (0, 1) and (2, 4): (2,)

# %% [markdown]
# `torch.where(condition, a, b)` takes `a` where the condition holds and `b` elsewhere,
# element by element (all three broadcast together). With the condition alone it returns
# the indices where the condition holds, one index tensor per dimension.

# %%
z = torch.tensor([-2.0, -0.5, 0.0, 1.5, 3.0])
print(torch.where(z > 0, z, 0.0))    # negative values replaced by 0
print(torch.where(z > 0))            # one argument: the indices where it holds

# %% [markdown]
# `gather(dim, index)` picks along one dimension with a different index in every
# position. For `dim=1`:
#
# $$\text{out}[i, j] = \text{src}\big[i,\ \text{index}[i, j]\big]$$
#
# The index has as many dimensions as the source, and the output has the shape of the
# index.

# %%
src = torch.tensor([[10, 11, 12],
                    [20, 21, 22]])   # (2, 3)
index = torch.tensor([[2, 0],
                      [1, 1]])       # (2, 2)
print(src.gather(1, index))          # [[src[0,2], src[0,0]], [src[1,1], src[1,1]]]

# %% [markdown]
# ### Exercise 1: select rows with a mask
# Write `rows_of_class(x, labels, k)`: `x` has shape $(N, D)$, `labels` shape $(N,)$
# (integers), `k` is an integer. Return the rows of `x` whose label is `k`, in their
# original order: shape $(K, D)$, where $K$ may be 0 or 1.

# %%
def rows_of_class(x, labels, k):
    ### BEGIN SOLUTION
    return x[labels == k]            # (N, D) with an (N,) mask -> (K, D)
    ### END SOLUTION


# %%
q.rows_of_class.check()

# %% tags=["author-test"]
q.rows_of_class.expect("incorrect", "the shape of",
                       rows_of_class=lambda x, labels, k: x * (labels == k)[:, None])
q.rows_of_class.expect("error in your code", "IndexError",
                       rows_of_class=lambda x, labels, k: x[:, labels == k])
q.rows_of_class.expect("passed")

# %% [markdown]
# Stuck? `q.rows_of_class.hint()` gives a hint, `q.rows_of_class.solution()` an answer.
#
# ### Exercise 2: one score per row
# A classifier gives `scores` of shape $(N, C)$: one row per sample, one column per
# class. `labels` of shape $(N,)$ holds each sample's true class. Write
# `pick_scores(scores, labels)` that returns the $(N,)$ tensor whose element $i$ is
# `scores[i, labels[i]]`, without a loop (the check reads your code, and that of any
# function it calls). (The cross-entropy loss of later chapters starts by picking the true
# class's score in just this way.)

# %%
def pick_scores(scores, labels):
    ### BEGIN SOLUTION
    index = labels[:, None]                    # (N, 1)
    return scores.gather(1, index).squeeze(1)  # (N, 1) -> (N,)
    ### END SOLUTION


# %%
q.pick_scores.check()

# %% tags=["author-test"]
q.pick_scores.expect("incorrect", "(N, N)", pick_scores=lambda scores, labels: scores[:, labels])
q.pick_scores.expect("incorrect", "the shape of",
                     pick_scores=lambda scores, labels: scores.gather(1, labels[:, None]))
q.pick_scores.expect("passed")

# %% [markdown]
# ### Exercise 3: one-hot encoding
# Write `one_hot(labels, num_classes)`: for `labels` of shape $(N,)$ return a `float32`
# tensor of shape $(N, C)$, with $C$ = `num_classes`, that is all zeros except a 1 in row
# $i$, column `labels[i]`. (`torch.nn.functional.one_hot` exists, but try building it
# yourself with indexing.)

# %%
def one_hot(labels, num_classes):
    ### BEGIN SOLUTION
    out = torch.zeros(len(labels), num_classes)      # (N, C), float32
    out[torch.arange(len(labels)), labels] = 1.0     # row i, column labels[i]
    return out
    ### END SOLUTION


# %%
q.one_hot.check()

# %% tags=["author-test"]
q.one_hot.expect("incorrect", "the dtype of",
                 one_hot=lambda labels, num_classes: torch.nn.functional.one_hot(
                     labels, num_classes))
q.one_hot.expect("incorrect", "not the largest label",
                 one_hot=lambda labels, num_classes: torch.nn.functional.one_hot(
                     labels).float())
q.one_hot.expect("passed")

# %% [markdown]
# ## 4. Products and reductions
#
# ### `*` is element-wise, `@` is the matrix product
#
# For two tensors of the same shape, `A * B` multiplies matching elements:
# $(A \odot B)_{ij} = A_{ij} B_{ij}$. The matrix product sums over the shared inner
# dimension: $(AB)_{ij} = \sum_k A_{ik} B_{kj}$, so an $(n, k)$ matrix times a $(k, m)$
# matrix gives $(n, m)$.

# %%
A = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])   # (2, 3)
B = torch.tensor([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])  # (2, 3)
print(A * B)                         # (2, 3), element-wise
print(A @ B.T)                       # (2, 3) @ (3, 2) -> (2, 2)
try:
    A @ B                            # (2, 3) @ (2, 3): inner sizes 3 and 2 differ
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# `@` (`torch.matmul`) also works on batches: all dimensions except the last two are
# batch dimensions, and they broadcast (section 5). A 1-d tensor on either side acts as a
# vector.

# %%
left = torch.rand(10, 2, 3)                  # (B, n, k)
right = torch.rand(10, 3, 4)                 # (B, k, m)
print((left @ right).shape)                  # (B, n, m): ten products at once
weight = torch.rand(3, 4)                    # (k, m): shared by the whole batch
print((left @ weight).shape)                 # (B, n, m): the batch dimension broadcasts
print((weight.T @ torch.rand(3)).shape)      # (m, k) @ (k,) -> (m,)

# %% [markdown]
# ### Exercise 4: a batched matrix product
# Attention layers compare every *query* with every *key*. For `queries` of shape
# $(B, T, D)$ and `keys` of shape $(B, S, D)$, write `batch_scores(queries, keys)`
# returning the $(B, T, S)$ tensor
#
# $$\text{out}[b, t, s] = \sum_{d} \text{queries}[b, t, d]\ \text{keys}[b, s, d].$$
#
# One expression, no loop.

# %%
def batch_scores(queries, keys):
    ### BEGIN SOLUTION
    return queries @ keys.transpose(1, 2)   # (B, T, D) @ (B, D, S) -> (B, T, S)
    ### END SOLUTION


# %%
q.batch_scores.check()

# %% tags=["author-test"]
q.batch_scores.expect("incorrect", "the shape of", batch_scores=lambda queries, keys: keys @ queries.mT)
q.batch_scores.expect("error in your code", "RuntimeError",
                      batch_scores=lambda queries, keys: queries @ keys)
q.batch_scores.expect("passed")

# %% [markdown]
# ### `einsum`: a product written with index names
#
# `torch.einsum` writes a product the way the formula above does: give every dimension of
# every input a letter. A letter that appears in the output is kept; a letter that appears
# in the inputs but not in the output is multiplied over and summed away. So
# `"ik,kj->ij"` is the matrix product $\sum_k A_{ik} B_{kj}$, and exercise 4 is
# `"btd,bsd->bts"`: sum over `d`, keep `b`, `t` and `s`.

# %%
A = torch.rand(2, 3)                              # (i, k)
B = torch.rand(3, 4)                              # (k, j)
same = torch.allclose(torch.einsum("ik,kj->ij", A, B), A @ B)
print("ik,kj->ij is A @ B:", same)  # i18n
queries, keys = torch.rand(2, 5, 8), torch.rand(2, 7, 8)   # (B, T, D), (B, S, D)
scores = torch.einsum("btd,bsd->bts", queries, keys)      # (B, T, S)
print(tuple(scores.shape), torch.allclose(scores, queries @ keys.mT))
u, v = torch.arange(3.0), torch.arange(4.0)
print(torch.einsum("i,j->ij", u, v).shape)        # outer product: nothing summed, (3, 4)
print(torch.einsum("ii->", torch.eye(3) * 2))      # the trace: the diagonal, summed
print(torch.einsum("bij->bji", batch).shape)      # a transpose: nothing summed

# %% [markdown]
# `einsum` turns the string into the same transposes and matrix products you would write
# by hand (with three or more inputs it also picks an order to multiply them in), and it
# says in one string which axes meet. Reach for it when a product has more than two axes
# to keep track of; for a plain matrix product, `@` is shorter.
#
# ### Exercise 5: a bilinear score with einsum
# Some models score a pair of vectors $x$ and $y$ with a matrix $W$ between them,
# $x^\top W y$. For a batch, `x` has shape $(B, I)$, `W` shape $(I, J)$ and `y` shape
# $(B, J)$; write `bilinear(x, W, y)` returning the $(B,)$ tensor
#
# $$\text{out}[b] = \sum_{i}\sum_{j} x[b, i]\ W[i, j]\ y[b, j].$$
#
# Work out the `einsum` string from the formula (any other expression without a loop is
# fine too).

# %%
def bilinear(x, W, y):
    ### BEGIN SOLUTION
    return torch.einsum("bi,ij,bj->b", x, W, y)   # sum over i and j, keep b: (B,)
    ### END SOLUTION


# %%
q.bilinear.check()

# %% tags=["author-test"]
q.bilinear.expect("incorrect", "the shape of",
                  bilinear=lambda x, W, y: torch.einsum("bi,ij,bj->", x, W, y))
q.bilinear.expect("incorrect", "the values of",
                  bilinear=lambda x, W, y: torch.einsum("bi,ji,bj->b", x, W, y))
q.bilinear.expect("passed")

# %% [markdown]
# ### Reductions along a dimension
#
# `sum`, `mean`, `std`, `max`, `argmax`, ... reduce over all elements, or along the
# dimension you name with `dim`, which then disappears from the shape. With
# `keepdim=True` it stays, with size 1.

# %%
m = torch.tensor([[1.0, 2.0, 3.0],
                  [4.0, 5.0, 6.0]])           # (2, 3)
print(m.sum())                                # all elements: a 0-d tensor
print(m.sum(dim=0))                           # down the columns: (3,)
print(m.sum(dim=1))                           # along each row: (2,)
print(m.sum(dim=1, keepdim=True).shape)       # (2, 1)
print(m.max(dim=1))                           # values and their positions
print(m.argmax(dim=1))                        # positions only: (2,)

# %% [markdown]
# `keepdim=True` is what lets a per-row statistic line up with the rows again. Dividing
# each row by its sum, $(2, 3) / (2, 1)$, works; $(2, 3) / (2,)$ fails, because
# dimensions are matched from the right: 3 against 2. The next section makes that rule
# precise.

# %%
print(m / m.sum(dim=1, keepdim=True))         # each row sums to 1
try:
    m / m.sum(dim=1)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# ## 5. Broadcasting
#
# An element-wise operation on two tensors of different shapes still works when the
# shapes are *compatible*:
# 1. line the shapes up on the right; a missing dimension counts as 1;
# 2. in each position the sizes must be equal, or one of them must be 1;
# 3. a size of 1 is stretched to match the other size, which the result takes.
#
# For example $(3, 1)$ and $(4,)$: $(4,)$ becomes $(1, 4)$, then both stretch to
# $(3, 4)$. In the picture, dashed boxes are missing dimensions counted as 1.

# %%
col = torch.tensor([[0], [10], [20]])         # (3, 1)
row = torch.tensor([1, 2, 3, 4])              # (4,)
print(col + row)                              # (3, 4): every sum of a row and a column
draw_broadcast((3, 1), (4,))

# %% [markdown]
# When some position has two different sizes and neither is 1, there is no result; the
# red column in the picture is the first clash, counting from the right:

# %%
draw_broadcast((2, 3), (2,))

# %% [markdown]
# `torch.broadcast_shapes` applies the rules without computing anything, and
# `widgets.broadcast_result` says the same thing in words:

# %%
for shape_a, shape_b in [((8, 1, 6, 1), (7, 1, 5)), ((5, 4), (1,)), ((2, 3), (2,))]:
    try:
        torch_says = tuple(torch.broadcast_shapes(shape_a, shape_b))
    except RuntimeError:
        torch_says = "error"  # i18n
    print(f"{shape_a} with {shape_b}: torch -> {torch_says}; "  # i18n
          f"rule -> {widgets.broadcast_result(shape_a, shape_b)}")  # i18n

# %% [markdown]
# Stretching copies nothing. `expand` shows what broadcasting does internally: a size-1
# dimension is read again and again with stride 0.

# %%
stretched = col.expand(3, 4)                  # (3, 4) view of a (3, 1) tensor
print(stretched)
print("stride:", stretched.stride(), "| same memory:", stretched.data_ptr() == col.data_ptr())  # i18n

# %% [markdown]
# **Try it.** Type two shapes (sizes separated by commas; leave a box empty for a
# single number) and see the result shape, or the exact reason they do not broadcast.
# Try `5, 1, 4` with `3, 1`; `2, 3` with `3`; `2, 3` with `2`; `8, 1, 6, 1` with
# `7, 1, 5`. Without a widget front end this cell draws the first pair once.

# %%
widgets.broadcast_explorer("5, 1, 4", "3, 1")

# %% [markdown]
# ### Exercise 6: standardise each row
# Write `standardize_rows(x)` for `x` of shape $(N, D)$ that returns, for every row $i$,
#
# $$\frac{x_{ij} - \mu_i}{\sigma_i}, \qquad
# \mu_i = \frac{1}{D}\sum_j x_{ij}, \qquad
# \sigma_i = \sqrt{\frac{1}{D}\sum_j (x_{ij} - \mu_i)^2},$$
#
# so every row ends up with mean 0 and variance 1. Note the $\frac1D$: `torch.std`
# divides by $D - 1$ unless you pass `correction=0`. Use reductions and broadcasting, no
# loop.

# %%
def standardize_rows(x):
    ### BEGIN SOLUTION
    mean = x.mean(dim=1, keepdim=True)               # (N, 1)
    std = x.std(dim=1, keepdim=True, correction=0)   # (N, 1)
    return (x - mean) / std                          # (N, D) op (N, 1) -> (N, D)
    ### END SOLUTION


# %%
q.standardize_rows.check()

# %% tags=["author-test"]
q.standardize_rows.expect(
    "incorrect", "D - 1",
    standardize_rows=lambda x: (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True))
q.standardize_rows.expect(
    "error in your code", "RuntimeError",
    standardize_rows=lambda x: (x - x.mean(1)) / x.std(1, correction=0))
q.standardize_rows.expect("passed")

# %% [markdown]
# ### Exercise 7: pairwise squared distances, no loops
# For points `a` of shape $(N, D)$ and `b` of shape $(M, D)$, write
# `pairwise_sq_dists(a, b)` returning the $(N, M)$ tensor
#
# $$\text{out}[i, j] = \lVert a_i - b_j \rVert^2 = \sum_d (a_{id} - b_{jd})^2 .$$
#
# Use broadcasting: no Python loop, no comprehension, also not in a helper function (the
# check looks). This is the core
# of nearest-neighbour search and of k-means.

# %%
def pairwise_sq_dists(a, b):
    ### BEGIN SOLUTION
    diff = a[:, None, :] - b[None, :, :]   # (N, 1, D) - (1, M, D) -> (N, M, D)
    return (diff ** 2).sum(dim=-1)          # (N, M)
    ### END SOLUTION


# %%
q.pairwise_sq_dists.check()

# %% tags=["author-test"]
def with_loops(a, b):
    out = torch.zeros(len(a), len(b))
    for i in range(len(a)):
        for j in range(len(b)):
            out[i, j] = ((a[i] - b[j]) ** 2).sum()
    return out


q.pairwise_sq_dists.expect("incorrect", "a loop over the data", pairwise_sq_dists=with_loops)
q.pairwise_sq_dists.expect("incorrect", "no square root",
                           pairwise_sq_dists=lambda a, b: torch.cdist(a, b))
q.pairwise_sq_dists.expect("passed")

# %% [markdown]
# ### Exercise 8: spot the bug
# Broadcasting has a dark side: a shape mistake often gives a wrong number instead of an
# error. A regression model with one output unit returns predictions of shape
# $(N, 1)$, while the targets usually come as $(N,)$. Here is a hand-written mean squared error, tried on predictions that are
# *perfect*:

# %%
def given_mse(pred, target):
    return ((pred - target) ** 2).mean()


pred = torch.tensor([[1.0], [2.0], [3.0]])    # (N, 1): what the model returns
target = torch.tensor([1.0, 2.0, 3.0])         # (N,): the true values
print("shape of pred - target:", (pred - target).shape)  # i18n
print(f"loss of perfect predictions: {given_mse(pred, target).item():.4f}")  # i18n

# %% [markdown]
# The loss of perfect predictions should be 0. Fix `mse` below so that it returns the
# mean over the $N$ samples of $(\text{pred}_{i,0} - \text{target}_i)^2$, a tensor of
# shape $()$. The check says "not attempted" until your version behaves differently from
# the given one.

# %%
def mse(pred, target):
    # pred: (N, 1), target: (N,)
    ### BEGIN SOLUTION
    return ((pred.squeeze(1) - target) ** 2).mean()   # (N,) - (N,) -> (N,) -> ()
    ### END SOLUTION
    ### BEGIN STUB
    return ((pred - target) ** 2).mean()
    ### END STUB


# %%
q.fix_mse.check()

# %% tags=["author-test"]
q.fix_mse.expect("not attempted", "buggy", mse=given_mse)
q.fix_mse.expect("incorrect", "the values of",
                 mse=lambda pred, target: ((pred.squeeze(1) - target) ** 2).sum())
q.fix_mse.expect("incorrect", "shape ()", mse=lambda pred, target: (pred.squeeze(1) - target) ** 2)
q.fix_mse.expect("incorrect", "cut off from the graph",
                 mse=lambda pred, target: ((pred.squeeze(1) - target) ** 2).mean().detach())
q.fix_mse.expect("passed")

# %% [markdown]
# PyTorch's `torch.nn.functional.mse_loss` notices this mistake: it computes the same
# wrong number, but warns. A hand-written loss gets no warning, so print shapes while
# you write one.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    loss = torch.nn.functional.mse_loss(pred, target)
print(f"mse_loss: {loss.item():.4f}")
print("warning:", caught[0].message)  # i18n

# %% [markdown]
# ## 6. In-place operations
#
# A method whose name ends in `_` (`add_`, `mul_`, `zero_`, `fill_`, ...) changes its
# tensor in place instead of returning a new one; so do `x += 1` and `x[0] = 5`. By
# contrast `x = x + 1` builds a new tensor and rebinds the name.

# %%
x = torch.ones(3)
address = x.data_ptr()
x.add_(1)                            # in place
x += 1                               # in place too
print(x, "| same memory:", x.data_ptr() == address)  # i18n
x = x + 1                            # a new tensor
print(x, "| same memory:", x.data_ptr() == address)  # i18n

# %% [markdown]
# In-place operations save memory, and an optimizer updates the weights in place. But
# autograd (chapter 02) needs the values it saw during the forward pass, and refuses some
# in-place changes; chapter 02 shows which. Rule of thumb: inside a model, write
# out-of-place code.
#
# ## 7. Speed: let PyTorch do the loop
#
# A Python loop over the elements of a tensor pays the interpreter and PyTorch's
# dispatch for every single element. One vectorised call runs a compiled loop over all
# of them. Let us time the dot product $\sum_i a_i b_i$ both ways for growing $n$.
#
# Timing needs care: the first calls are slower (memory is allocated, code is loaded),
# other programs on the machine interrupt some runs, and PyTorch may use a different
# number of threads from one machine to the next. `torch.utils.benchmark.Timer` deals with
# all three: it warms up, runs the code many times in blocks, reports the **median** block
# (one interrupted block does not move it), and runs at the number of threads you fix,
# here one. Every timing in this course follows the same rule: warm up, repeat, take the
# median, fix the threads.

# %%
def loop_dot(a, b):
    total = 0.0
    for i in range(len(a)):
        total += a[i] * b[i]
    return total


def median_seconds(fn, a, b):
    """The median time of fn(a, b) in seconds, on one thread, from torch.utils.benchmark."""
    timer = benchmark.Timer("fn(a, b)", globals={"fn": fn, "a": a, "b": b}, num_threads=1)
    measurement = timer.blocked_autorange(min_run_time=0.05 if settings.fast() else 0.3)
    return measurement.median


torch.manual_seed(0)
# The test suite (LABKIT_FAST=1) measures less: shorter runs, and no n = 10,000.
sizes = [10, 100, 1_000] if settings.fast() else [10, 100, 1_000, 10_000]
loop_times, vector_times = [], []
for n in sizes:
    a, b = torch.randn(n), torch.randn(n)
    assert torch.isclose(loop_dot(a, b), a @ b, rtol=1e-4, atol=1e-3)  # same answer
    loop_times.append(median_seconds(loop_dot, a, b))
    vector_times.append(median_seconds(torch.dot, a, b))

fig, ax = plt.subplots(figsize=(5, 3.2))
ax.loglog(sizes, loop_times, "o-", label="Python loop")  # i18n
ax.loglog(sizes, vector_times, "s-", label="torch.dot(a, b), vectorised")  # i18n
ax.set_xlabel("n (elements)")  # i18n
ax.set_ylabel("median time (seconds)")  # i18n
ax.legend()
plt.show()

# %% [markdown]
# The loop's time grows in proportion to $n$: ten times the elements, about ten times the
# time. The vectorised call costs mostly the fixed overhead of one call over this whole
# range, a few microseconds, so the gap grows with $n$, to more than a thousand times at
# $n$ = 10,000. The measured ratios of this run (your machine gives other numbers, but
# the same picture):

# %%
for n, slow, fast in zip(sizes, loop_times, vector_times, strict=True):
    print(f"n = {n:>6}: loop {slow * 1e6:>9,.1f} µs, torch.dot {fast * 1e6:5.1f} µs, "  # i18n
          f"the loop took {slow / fast:>7,.0f} times as long")  # i18n

# %% [markdown]
# Whenever you write `for i in range(len(x))` over tensor elements, look for the
# vectorised form: broadcasting, a reduction with `dim`, indexing or `@`.
#
# ## Summary
# - A tensor has a shape, a dtype and a device. Results follow type promotion and live on
#   the device of their inputs. `from_numpy` and `.numpy()` share memory; `torch.tensor`
#   copies.
# - A tensor is storage plus strides: `view`, `transpose`, `permute`, `expand` and
#   slices reuse memory; `reshape` copies only when it must; fancy and mask indexing copy.
# - Masks select, index tensors pair up, `where` chooses, `gather` picks per row.
# - Broadcasting aligns shapes on the right and stretches sizes of 1. It can hide
#   mistakes: `(N, 1) - (N,)` is `(N, N)`. Print shapes.
# - `*` is element-wise, `@` sums over the inner dimension; reductions take `dim` and
#   `keepdim`.
# - `einsum` names each axis with a letter: letters missing from the output are summed.
# - In-place operations (`add_`, `+=`) change a tensor's memory; `x = x + 1` makes a new
#   tensor.
# - Vectorised code runs far faster than a Python loop over elements. Time code with
#   `torch.utils.benchmark` (warm-up, many runs, the median, fixed threads).
#
# **Next:** chapter 02, autograd: how PyTorch computes gradients, and why it refuses some
# in-place operations.

# %%
q.summary()
