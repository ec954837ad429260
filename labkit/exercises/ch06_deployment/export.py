"""Exercise: export a model with ``torch.export`` for any batch size."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import cut, describe
from labkit.exercises.ch06_deployment.models import conv_net
from labkit.i18n import N_, _

RUN = Contract()  # the exported program only reads its input


def run_exported(program, inputs: list, spec: dict) -> list:
    """``program.module()(x)`` for each input, guarded; a reply each, or the text of the
    error a shape guard of the program raised."""
    module = program.module()
    replies = []
    for x in inputs:
        try:
            with torch.no_grad():
                reply, _args, _value = probes.guarded(module, (x,), {}, spec)
            replies.append(reply)
        except Exception as err:  # a shape guard of the exported program
            replies.append(f"{type(err).__name__}: {cut(str(err).strip().splitlines()[0], 90)}")
    return replies


class ExportDynamic(Exercise):
    name = "export_dynamic_batch"
    title = N_("Export with a dynamic batch size")
    hints = (
        N_("Without `dynamic_shapes`, `torch.export` fixes every size to the example's: the "
           "program then refuses any other batch size."),
        N_("`batch = torch.export.Dim('batch')`, then `torch.export.export(model, (example,), "
           "dynamic_shapes=({0: batch},))`: a tuple with one entry per argument, like "
           "`(example,)`. A dict must use the name of `forward`'s argument, which is "
           "`input` for an `nn.Sequential`, not `x`."),
    )
    solution = '''\
def export_dynamic_batch(model, example):
    batch = torch.export.Dim("batch")
    # one entry per positional argument, whatever forward() calls it
    return torch.export.export(model.eval(), (example,), dynamic_shapes=({0: batch},))'''

    def check(self, export_dynamic_batch):
        channels, side = int(self.randint(1, 4)), 2 * int(self.randint(3, 6))
        torch.manual_seed(int(self.randint(0, 10_000)))
        model = conv_net(channels, side, int(self.randint(2, 6))).eval()
        example = self.randn(int(self.randint(2, 6)), channels, side, side)
        # torch.export traces the model itself: a plain guarded call (no tool ruled out,
        # so no dispatch mode in the way), the model and the example watched.
        program = self.call(export_dynamic_batch, model, example,
                            during=_("`export_dynamic_batch(model, example)` with an "
                                     "`nn.Sequential` model and an example of shape "
                                     "{shape}").format(shape=tuple(example.shape)))
        expect.that(self.is_instance(program, torch.export.ExportedProgram),
                    checked=_("what `export_dynamic_batch` returns"),
                    expected=_("a `torch.export.ExportedProgram`"), found=describe(program),
                    hint=_("Return what `torch.export.export(...)` returns, not `.module()`."))
        # A batch of one, and batches beyond any small bound the learner may have set.
        sizes = (1, int(self.randint(7, 40)), int(self.randint(257, 700)), len(example))
        inputs = [self.randn(b, channels, side, side) for b in sizes]
        during = _("the exported program, run on batches of {sizes}").format(
            sizes=", ".join(map(str, sizes)))
        outputs = self.probe(run_exported, program, inputs, RUN.spec(), during=during)
        with torch.no_grad():
            for x, found in zip(inputs, outputs, strict=True):
                name = _("the exported program on a batch of shape {shape}").format(
                    shape=tuple(x.shape))
                hint = _("{hint} Mark dimension 0 as dynamic.").format(hint=_(self.hints[0]))
                if isinstance(found, str) and ("<=" in found or ">=" in found):
                    hint = _("The batch dimension is dynamic but bounded: leave out `min` and "
                             "`max` of `torch.export.Dim`, so any batch size runs.")
                expect.that(not isinstance(found, str), checked=name,
                            expected=_("it runs"),
                            found=_("it raised `{error}`").format(error=found), hint=hint)
                expect.close(RUN.judge(found, name), model(x), subject=name, atol=1e-4,
                             rtol=1e-4, hint=_("Export the model in eval mode, as it is."))
