"""Exercise: a timing function that is right on a GPU, run on a simulated one."""

from __future__ import annotations

import math
import statistics

import torch

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.exercises.ch05_gpu_and_ddp import simulated_device
from labkit.i18n import N_, _

CONTRACT = Contract(returns=float)  # "return the median in seconds"


def simulated_run(time_it, device_type: str, durations: list[float], warmup: int, repeats: int,
          spec: dict) -> dict:
    """``time_it(fn, device, warmup=..., repeats=...)`` on the simulated device, guarded;
    the reply and every event the simulation saw (calls, syncs, clock readings)."""
    with simulated_device.simulation(time_it, device_type, durations) as sim:
        reply, _args, _value = probes.guarded(
            time_it, (sim.fn, torch.device(device_type)),
            {"warmup": warmup, "repeats": repeats}, spec)
    reply["events"] = list(sim.events)
    return reply


class TimeIt(Exercise):
    name = "time_it"
    title = N_("A timing function that is right on a GPU")
    hints = (
        N_("Three parts: call `fn()` `warmup` times without timing; then, `repeats` times: "
           "synchronise, read the clock, call `fn()`, synchronise, read the clock; return "
           "the median of the differences. Synchronise only when "
           "`device.type != \"cpu\"`."),
        N_("`statistics.median(times)` gives the median; `time.perf_counter()` is the "
           "clock."),
    )
    solution = '''\
def time_it(fn, device, *, warmup=2, repeats=5):
    def sync():
        if device.type != "cpu":  # an accelerator: wait for the work queued on it
            torch.accelerator.synchronize(device)

    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)'''

    def _durations(self, warmup: int, repeats: int) -> list[float]:
        slow = [0.4 + 0.1 * float(v) for v in torch.rand(warmup, generator=self.rng)]
        timed = [0.010 + 0.01 * float(v) for v in torch.rand(repeats, generator=self.rng)]
        timed[int(self.randint(0, repeats, 1))] = 0.25  # one run disturbed by something else
        return slow + timed

    def configs(self) -> list[tuple[str, int, int]]:
        """(device type, warmup, repeats): the CPU and the simulated GPU twice, with
        warm-ups and (odd) repeat counts that differ from one another, drawn."""
        warmups = [(1, 2, 3, 4)[int(i)] for i in torch.randperm(4, generator=self.rng)]
        repeats = [(3, 5, 7, 9)[int(i)] for i in torch.randperm(4, generator=self.rng)]
        return list(zip(("cpu", "cuda", "cuda"), warmups, repeats, strict=False))

    def check(self, time_it):
        for device_type, warmup, repeats in self.configs():
            durations = self._durations(warmup, repeats)
            call = f"time_it(fn, torch.device({device_type!r}), warmup={warmup}, " \
                   f"repeats={repeats})"
            during = (_("`{call}` on a simulated GPU, where `fn()` returns at once and the "
                        "work runs until the next `torch.accelerator.synchronize()`")
                      if device_type == "cuda" else _("`{call}` on the CPU")).format(call=call)
            reply = self.probe(simulated_run, time_it, device_type, durations, warmup, repeats,
                               CONTRACT.spec(), during=during)
            result, events = CONTRACT.judge(reply, during), reply["events"]
            calls = events.count("call")
            expect.that(calls == warmup + repeats,
                        checked=_("how often `{call}` called `fn`").format(call=call),
                        expected=_("{total} calls ({warmup} warm-up, {repeats} timed)").format(
                            total=warmup + repeats, warmup=warmup, repeats=repeats),
                        found=_("{calls} calls").format(calls=calls), hint=self.hints[0])
            expect.that("clock" in events, checked=_("the clock in `{call}`").format(call=call),
                        expected=_("readings of `time.perf_counter()` around each timed call"),
                        found=_("no reading of `time.perf_counter()` (or another wall clock)"),
                        hint=_("`time.perf_counter()` is the clock for timing; "
                               "`time.process_time()` counts only this process's CPU time, "
                               "not the time spent waiting for a GPU."))
            first_clock = events.index("clock")
            before = events[:first_clock].count("call")
            expect.that(before == warmup,
                        checked=_("the warm-up of `{call}`").format(call=call),
                        expected=_("{warmup} untimed calls of `fn()` before the first clock "
                                   "reading").format(warmup=warmup),
                        found=f"{before}", hint=self.hints[0])
            timed = durations[warmup:]
            if device_type == "cuda":
                self._check_sync(events, call)
            median = statistics.median(timed)
            if not math.isclose(result, median, rel_tol=1e-6):
                wrong = {N_("the mean"): statistics.fmean(timed), N_("the minimum"): min(timed),
                         N_("the total"): sum(timed), N_("the median of every call, warm-up "
                                                         "included"): statistics.median(durations)}
                named = next((k for k, v in wrong.items()
                              if math.isclose(result, v, rel_tol=1e-6)), None)
                expect.that(False, checked=_("the value of `{call}`").format(call=call),
                            expected=_("the median of the {repeats} timed runs, "
                                       "{median:.6f} s").format(repeats=repeats, median=median),
                            found=(_("{result:.6f} s, {named}").format(result=result,
                                                                        named=_(named))
                                   if named else f"{result:.6f} s"),
                            hint=_("The median ignores the one disturbed run; the mean does "
                                   "not.") if named == "the mean" else self.hints[1])

    def _check_sync(self, events, call):
        pending = False
        for event in events:
            if event == "call":
                pending = True
            elif event == "sync":
                pending = False
            elif event == "clock" and pending:
                expect.that(False, checked=_("the order of calls in `{call}`").format(call=call),
                            expected=_("`torch.accelerator.synchronize()` between every `fn()` "
                                       "and the next clock reading"),
                            found=_("a clock reading while the GPU was still working"),
                            hint=_("On a GPU `fn()` only queues work; synchronise before each "
                                   "clock reading so the time includes that work."))
