"""The setting of the mixed-precision exercise: the model, optimizer and scaler a step
runs on, the reference step (and its common mistakes), and the probes that run the
learner's ``amp_step`` on the CPU and on a simulated GPU."""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from labkit.check import probes
from labkit.check.describe import cut

# The step trains the model and moves the optimizer and scaler; x and y stay as given.
WRITES = (0, 3, 4)


def amp_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


def amp_optimizer(model, setup: dict):
    optimizer = torch.optim.SGD(model.parameters(), lr=setup["lr"])
    scaler = torch.amp.GradScaler("cpu", init_scale=setup["init_scale"], growth_interval=1)
    return optimizer, scaler


def stale_grads(model) -> None:
    for p in model.parameters():
        p.grad = torch.full_like(p, 1000.0)  # left over from an earlier step


def reference_step(model, x, y, optimizer, scaler, *, amp_dtype, max_norm, variant="right"):
    """One step; ``variant`` names a known mistake, to recognise it in a learner's answer."""
    if variant != "stale":
        optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype,
                        enabled=variant != "no-autocast"):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    if variant == "clip-first":
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        scaler.unscale_(optimizer)
    elif variant != "no-clip":
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    if variant == "two-steps":
        optimizer.step()
    scaler.update()
    return loss.item()


def _watch_forward(model, seen: list) -> None:
    """Record, at each forward pass, the autocast state of every device type."""
    def hook(module, args, out):
        seen.append({kind: (torch.is_autocast_enabled(kind),
                            str(torch.get_autocast_dtype(kind)).removeprefix("torch."))
                     for kind in ("cpu", "cuda")})
    model.register_forward_hook(hook)


def amp_step_probe(amp_step, state, x, y, setup: dict, spec: dict) -> dict:
    """One ``amp_step`` on a fresh model, SGD and CPU GradScaler, guarded: the reply, the
    weights and scale afterwards, and the autocast state at each forward pass."""
    model = amp_model()
    model.load_state_dict(state)
    optimizer, scaler = amp_optimizer(model, setup)
    stale_grads(model)
    seen: list = []
    _watch_forward(model, seen)
    reply, _args, _value = probes.guarded(
        amp_step, (model, x, y, optimizer, scaler),
        {"amp_dtype": setup["dtype"], "max_norm": setup["max_norm"]}, spec)
    if "value" in reply:
        reply["weights"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        reply["scale"] = scaler.get_scale()
        reply["forwards"] = seen
    return reply


def fake_gpu_forwards(amp_step, setup: dict) -> dict | None:
    """``{"forwards": ..., "error": ...}``: the autocast state at each forward pass of
    ``amp_step`` on a simulated GPU, and the error it raised before the model ran, if it
    did. The model, the batch and the scaler are fake tensors on 'cuda' (no GPU and no
    work is needed), so ``x.device.type`` is 'cuda'. The step cannot finish on fake
    tensors (its ``loss.item()`` has no value): what it does until the model has run is
    all this looks at. None where this torch cannot simulate a GPU."""
    try:
        from torch._subclasses.fake_tensor import FakeTensorMode
    except ImportError:  # pragma: no cover - a torch without fake tensors
        return None
    seen: list = []
    error = None
    # Nothing is fingerprinted (fake tensors have no values); the real runs watch x, y.
    spec = {"writes": (0, 1, 2, 3, 4)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "CUDA is not available, disabling autocast"
        try:
            mode = FakeTensorMode(allow_non_fake_inputs=True)
            with mode:
                model = amp_model()
                for module in model.modules():
                    for name, p in list(module.named_parameters(recurse=False)):
                        setattr(module, name, nn.Parameter(torch.empty(p.shape, device="cuda")))
                x = torch.empty(6, 8, device="cuda")
                y = torch.zeros(6, dtype=torch.long, device="cuda")
                optimizer = torch.optim.SGD(model.parameters(), lr=setup["lr"])
                scaler = torch.amp.GradScaler("cuda", init_scale=setup["init_scale"])
                _watch_forward(model, seen)
        except Exception:  # noqa: BLE001 - this torch cannot fake a GPU: nothing to say
            return None
        with mode:
            try:
                probes.guarded(amp_step, (model, x, y, optimizer, scaler),
                               {"amp_dtype": setup["dtype"], "max_norm": setup["max_norm"]},
                               spec)
            except Exception as err:  # noqa: BLE001 - expected once the model has run
                if not seen:
                    error = f"{type(err).__name__}: {cut(str(err).strip(), 160)}"
    return {"forwards": seen, "error": error}
