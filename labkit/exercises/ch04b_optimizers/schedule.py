"""Exercise: a warm-up + cosine learning-rate schedule, compared with torch's schedulers."""

from __future__ import annotations

import torch
from torch import nn

from labkit.check import Exercise, expect
from labkit.i18n import N_, _


def reference_schedule(warmup_steps: int, total_steps: int, base_lr: float, min_lr: float):
    """The learning rate at steps 0..total_steps from real torch schedulers."""
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

    p = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=base_lr)
    warmup = LinearLR(optimizer, start_factor=1 / warmup_steps, end_factor=1.0,
                      total_iters=warmup_steps - 1)
    cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=min_lr)
    scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])
    rates = []
    for _step in range(total_steps + 1):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


class WarmupCosine(Exercise):
    name = "warmup_cosine"
    title = N_("A warm-up + cosine schedule")
    hints = (
        N_("Warm-up: `base_lr * (step + 1) / warmup_steps` for step < warmup_steps. After it, "
           "progress p = (step - warmup_steps) / (total_steps - warmup_steps) goes from 0 "
           "to 1."),
        N_("`min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * p)) / 2` for the cosine "
           "part."),
    )
    solution = '''\
def warmup_cosine(step, warmup_steps, total_steps, base_lr, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    p = (step - warmup_steps) / (total_steps - warmup_steps)   # 0 -> 1
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * p)) / 2'''

    def configs(self) -> list[tuple[int, int, float, float]]:
        """(warmup, total, base_lr, min_lr): one with the default min_lr of 0, one with a
        min_lr of its own; warm-ups, lengths and rates drawn."""
        return [(int(self.randint(3, 7)), int(self.randint(15, 30)),
                 self.pick((0.1, 0.3, 1.0)), 0.0),
                (int(self.randint(2, 9)), int(self.randint(30, 80)),
                 self.pick((0.5, 0.05)), self.pick((0.01, 0.002)))]

    def check(self, warmup_cosine):
        name = "warmup_cosine"
        for warmup, total, base, low in self.configs():
            rates = reference_schedule(warmup, total, base, low)
            steps = sorted({0, 1, warmup - 1, warmup, warmup + 1, total - 1, total,
                            *(int(s) for s in self.randint(0, total + 1, 5))})
            for step in steps:
                call = f"{name}({step}, {warmup}, {total}, base_lr={base}, min_lr={low})"
                found = self.call(warmup_cosine, step, warmup, total, base, min_lr=low,
                                  during=f"`{call}`")
                expect.close(found, rates[step], name=call, atol=1e-7, rtol=1e-5,
                             hint=_schedule_hint(step, warmup, total))


def _schedule_hint(step: int, warmup: int, total: int) -> str:
    if step < warmup:
        return _("Step {step} is warm-up step number {number} of {warmup}: the rate is "
                 "base_lr * {number} / {warmup}, which reaches base_lr at the last "
                 "warm-up step.").format(step=step, number=step + 1, warmup=warmup)
    return _("Step {step} is in the cosine part: progress p = ({step} - {warmup}) / "
             "({total} - {warmup}), from 0 at the end of the warm-up to 1 at step {total}, "
             "where the rate reaches min_lr.").format(step=step, warmup=warmup, total=total)
