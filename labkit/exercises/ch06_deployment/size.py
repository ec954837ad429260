"""Exercise: how many bytes a model's parameters and buffers take, each counted once."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.exercises.ch06_deployment.models import MixedNet, TiedNet, true_size
from labkit.i18n import N_, _


def _dtypes(model) -> list[str]:
    return sorted({str(t.dtype).removeprefix("torch.")
                   for t in [*model.parameters(), *model.buffers()]})


class ModelSize(Exercise):
    name = "model_size_bytes"
    title = N_("How many bytes is a model?")
    hints = (
        N_("A state_dict holds the parameters *and* the buffers (batch norm's running "
           "statistics, for example). Each element takes `tensor.element_size()` bytes: 4 for "
           "float32, 2 for float16 and bfloat16, 8 for int64, 1 for uint8."),
        N_("`sum(t.numel() * t.element_size() for t in [*model.parameters(), "
           "*model.buffers()])`"),
    )
    solution = '''\
def model_size_bytes(model):
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)'''

    def models(self) -> list[tuple[str, torch.nn.Module]]:
        """(words, model): two models of mixed dtypes, and a model whose output layer
        shares its weight with the embedding (one tensor, two state_dict entries).

        No model on the `meta` device: every tensor there has the data pointer 0, so an
        answer that counts each storage once by its pointer (right on any real device)
        would count one tensor in all."""
        out = []
        for _round in range(2):
            a, b, vocab = (int(self.randint(2, 40)), int(self.randint(2, 40)),
                           int(self.randint(5, 60)))
            model = MixedNet(a, b, vocab)
            out.append((_("a model with tensors of dtypes {dtypes}").format(
                dtypes=_dtypes(model)), model))
        out.append((_("a model whose output layer shares its weight with the embedding"),
                    TiedNet(int(self.randint(10, 50)), int(self.randint(3, 9)))))
        return out

    def check(self, model_size_bytes):
        for words, model in self.models():
            call = "model_size_bytes(model)"
            checked = _("`{call}` for {words}").format(call=call, words=words)
            found = self.call(model_size_bytes, model, during=checked)
            if isinstance(found, torch.Tensor) and found.numel() == 1 and not (
                    found.is_floating_point()):
                found = int(found)
            expect.is_type(found, int, subject=checked, hint=_("A whole number of bytes."))
            tensors = [*model.parameters(), *model.buffers()]
            params_only = sum(p.numel() * p.element_size() for p in model.parameters())
            four_bytes = sum(t.numel() * 4 for t in tensors)
            per_entry = sum(t.numel() * t.element_size() for t in model.state_dict().values())
            hint = _(self.hints[0])
            if found == params_only:
                hint = _("That is the parameters alone: add the buffers (`model.buffers()`), "
                         "which a state_dict saves too.")
            elif found == four_bytes:
                hint = _("That assumes 4 bytes per element: use `t.element_size()`, which "
                         "depends on the dtype.")
            elif found == per_entry != true_size(model):
                hint = _("That counts a shared weight twice: the state_dict lists it under "
                         "both names, but it is one tensor. `model.parameters()` gives each "
                         "tensor once.")
            expect.equal(found, true_size(model), subject=checked, hint=hint)
