"""The tools an exercise can rule out, in named groups, described at the depth where no
spelling of them escapes.

An exercise says ``rule_out=("autograd",)``; the guard (``labkit.check.guard``) then
watches the learner's call at two depths at once:

- **operators**: the ATen operators the dispatcher runs. Every Python spelling ends
  here: an alias (``torch.special.logsumexp``), a name captured before the check
  (``from torch.nn.functional import conv2d as corr``), ``torch.ops.aten.*``, a private
  fused op (``torch._fused_adam_``), a layer whose ``forward`` calls the operator.
- **code**: the library's own Python code that runs, matched by the function's code
  object or the file it comes from, so a class or a function captured early is seen
  when it runs (``from torch.optim import SGD``, ``from torch.func import jvp``).

Compiled code (``torch.compile``) cannot hide an operator: while a dispatch mode is
active, compiled functions run their operators one by one, as in eager mode (the guard
always installs one when something is ruled out).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from labkit.i18n import N_


@dataclass(frozen=True)
class Group:
    name: str
    words: str  # what the message says is ruled out (a marked constant)
    operators: frozenset[str] = frozenset()  # ATen operator names, without overload
    operator_prefixes: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()  # "module:qualname" of library functions
    files: tuple[str, ...] = ()  # paths below torch/ whose code is ruled out
    except_files: tuple[str, ...] = ()


GROUPS = {group.name: group for group in (
    Group("autograd", N_("autograd (`backward()`, `torch.autograd`, `torch.func`)"),
          operators=frozenset({"_make_dual", "_unpack_dual"}),
          functions=("torch._tensor:Tensor.backward", "torch.autograd:grad",
                     "torch.autograd:backward", "torch.func:grad", "torch.func:grad_and_value",
                     "torch.func:vjp", "torch.func:jvp", "torch.func:jacrev",
                     "torch.func:jacfwd", "torch.func:hessian", "torch.func:linearize"),
          files=("autograd/functional.py", "autograd/forward_ad.py",
                 "autograd/gradcheck.py")),
    Group("optimizers", N_("`torch.optim` (its optimizers and their update functions)"),
          operator_prefixes=("_fused_",),
          files=("optim/",), except_files=("optim/lr_scheduler.py", "optim/swa_utils.py")),
    Group("schedulers", N_("`torch.optim.lr_scheduler`"),
          files=("optim/lr_scheduler.py",)),
    Group("clip_grad", N_("gradient clipping from `torch.nn.utils`"),
          files=("nn/utils/clip_grad.py",)),
    Group("convolution", N_("the library's convolution (`F.conv2d`, `nn.Conv2d`, "
                            "`unfold`)"),
          operators=frozenset({
              "convolution", "_convolution", "conv1d", "conv2d", "conv3d", "conv_tbc",
              "cudnn_convolution", "mkldnn_convolution", "miopen_convolution",
              "_slow_conv2d_forward", "slow_conv3d_forward", "slow_conv_dilated2d",
              "thnn_conv2d", "_nnpack_spatial_convolution", "conv_transpose1d",
              "conv_transpose2d", "conv_transpose3d", "im2col", "unfold", "as_strided",
              "_conv_depthwise2d", "convolution_overrideable"}),
          files=("nn/modules/conv.py",)),
    Group("log_sum_exp", N_("the library's cross-entropy, log-softmax and log-sum-exp"),
          # logaddexp and logcumsumexp are the same trick for two terms and for running
          # sums: a reduction over them is a log-sum-exp the library computed.
          operators=frozenset({"logsumexp", "_log_softmax", "log_softmax",
                               "cross_entropy_loss", "special_logsumexp",
                               "special_log_softmax", "_log_softmax_backward_data",
                               "logaddexp", "logaddexp2", "logcumsumexp",
                               "_logcumsumexp"})),
)}


def group(name: str) -> Group:
    if name not in GROUPS:
        raise ValueError(f"unknown tool group {name!r}; groups: {', '.join(GROUPS)}")
    return GROUPS[name]


@dataclass(frozen=True)
class Watch:
    """What one guarded call looks out for, resolved to operator names and code objects."""

    operators: dict[str, str]  # operator name -> group name
    prefixes: tuple[tuple[str, str], ...]  # (prefix, group name)
    codes: dict[object, tuple[str, str]]  # code object -> (group name, public name)
    files: tuple[tuple[str, str], ...]  # (absolute path prefix, group name)
    excluded: tuple[str, ...]

    @property
    def active(self) -> bool:
        return bool(self.operators or self.prefixes or self.codes or self.files)

    def group_of_code(self, code) -> tuple[str, str | None] | None:
        """(group, public name or None) when ``code`` belongs to a ruled-out tool."""
        if code.co_name == "<module>":  # a module imported during the call, not a use
            return None
        hit = self.codes.get(code)
        if hit is not None:
            return hit
        filename = code.co_filename
        for prefix, name in self.files:
            if filename.startswith(prefix) and not filename.startswith(self.excluded):
                return name, None
        return None

    def group_of_operator(self, name: str) -> str | None:
        hit = self.operators.get(name)
        if hit is not None:
            return hit
        for prefix, group_name in self.prefixes:
            if name.startswith(prefix):
                return group_name
        return None


@functools.cache
def watch(names: tuple[str, ...]) -> Watch:
    """The operators, code objects and files of the named groups (and torch.compile)."""
    root = _torch_root()
    operators, prefixes, codes, files, excluded = {}, [], {}, [], []
    for name in names:
        found = group(name)
        operators.update(dict.fromkeys(found.operators, name))
        prefixes += [(p, name) for p in found.operator_prefixes]
        for spec in found.functions:
            code = _code_of(spec)
            if code is not None:
                codes[code] = (name, spec.replace(":", ".").replace("torch._tensor.",
                                                                    "torch."))
        files += [(str(root / f), name) for f in found.files]
        excluded += [str(root / f) for f in found.except_files]
    return Watch(operators, tuple(prefixes), codes, tuple(files), tuple(excluded))


def _torch_root() -> Path:
    import torch

    return Path(torch.__file__).parent  # as code objects name their files


def _code_of(spec: str):
    import importlib

    module_name, _colon, qualname = spec.partition(":")
    try:
        target = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        return None
    target = getattr(target, "__func__", target)
    while hasattr(target, "__wrapped__"):
        target = target.__wrapped__
    return getattr(target, "__code__", None)


def words_of(group_name: str) -> str:
    """The marked words for a group."""
    return group(group_name).words
