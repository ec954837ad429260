"""One exercise per chapter, solved in the browser: which one, and a known wrong answer.

The right answer is not written here: it is the reference solution of that exercise in
the chapter source (`notebooks/src/NN_name.py`), the code cell right before
`q.<name>.check()` in the solved notebook. The wrong answer replaces the same cell and
must be judged "incorrect", with an explanation that mentions `mentions` (leave it empty
to require only that some explanation is shown).

Chosen for stable names and verdicts: exercises whose checks are not being reworked.
A new chapter needs a row here; its test says so until it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Solve:
    exercise: str
    wrong: str
    mentions: str = ""
    mentions_zh: str = ""  # what the Chinese explanation must mention

    def fragment(self, language: str) -> str:
        return self.mentions_zh if language == "zh" else self.mentions


SOLVE = {
    "00_setup": Solve(
        "split_indices",
        "def split_indices(n, val_fraction, seed):\n"
        "    order = torch.randperm(n)  # forgets the seed\n"
        "    return order[int(n * val_fraction):], order[:int(n * val_fraction)]\n",
        "the same split", "相同的划分"),
    "01_tensors": Solve(
        "one_hot",
        "def one_hot(labels, num_classes):\n"
        "    return torch.nn.functional.one_hot(labels, num_classes)  # int64, not float32\n",
        "dtype", "的数据类型"),
    "02_autograd": Solve(
        "finite_diff",
        "def finite_diff_grad(f, x, h=1e-6):\n"
        "    grad = torch.zeros_like(x)\n"
        "    for i in range(x.numel()):  # a forward difference, not a central one\n"
        "        plus = x.clone()\n"
        "        plus.view(-1)[i] += h\n"
        "        grad.view(-1)[i] = (f(plus) - f(x)) / h\n"
        "    return grad\n"),
    "03_mlp": Solve(
        "mlp_forward",
        "def mlp_forward(x, W1, b1, W2, b2):\n"
        "    return (x @ W1.T + b1) @ W2.T + b2  # no ReLU between the layers\n",
        "values of", "的值"),
    "03b_data_and_losses": Solve(
        "cross_entropy",
        "def my_cross_entropy(logits, labels):\n"
        "    m = logits.max()  # one maximum for the whole batch, not one per row\n"
        "    lse = m + (logits - m).exp().sum(dim=1).log()\n"
        "    return (lse - logits[torch.arange(len(labels)), labels]).mean()\n",
        "values of", "的值"),
    "04_cnn": Solve(
        "conv_params",
        "def conv_params(in_channels, out_channels, kernel_size, bias=True):\n"
        "    return out_channels * kernel_size * kernel_size + out_channels  # no in_channels\n",
        "conv_params(", "conv_params("),
    "04b_optimizers": Solve(
        "sgd_momentum_step",
        "def sgd_momentum_step(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):\n"
        "    # dampens the first step too (PyTorch copies the gradient there)\n"
        "    buf = (0 if buf is None else momentum * buf) + (1 - dampening) * grad\n"
        "    return param - lr * (grad + momentum * buf if nesterov else buf), buf\n"),
    "05_gpu_and_ddp": Solve(
        "shard_indices",
        "def shard_indices(n, rank, world_size):\n"
        "    return list(range(n))[rank::world_size]  # no padding\n",
        "padding", "填充"),
    "06_deployment": Solve(
        "model_size_bytes",
        "def model_size_bytes(model):\n"
        "    return sum(p.numel() * p.element_size() for p in model.parameters())  # no buffers\n",
        "the parameters alone", "缓冲区"),
}


def reference_answer(repo: Path, chapter: str, exercise: str) -> str:
    """The solved exercise cell from the chapter source (author tests left out)."""
    from labkit.notebook.build import AUTHOR_TEST, solved_notebook

    notebook = solved_notebook(repo / "notebooks" / "src" / f"{chapter}.py", url="")
    code = [c for c in notebook.cells if c.cell_type == "code"
            and AUTHOR_TEST not in c.metadata.get("tags", [])]
    for before, cell in zip(code, code[1:], strict=False):
        if cell.source.strip() == f"q.{exercise}.check()":
            return before.source + "\n"
    raise LookupError(f"{chapter}: no cell `q.{exercise}.check()` in the chapter source")
