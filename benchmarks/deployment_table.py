"""Chapter 06's table of formats: file size and latency of the CNN in each format.

    python benchmarks/deployment_table.py                  # batches 1 and 64, 1 and all threads
    python benchmarks/deployment_table.py --runs 100 --batches 1 8 64

The model is chapter 04's CNN (the class in cnn_mnist.py) with its initial weights in eval
mode: sizes and latencies do not depend on what the weights are. Each format is saved to
a temporary folder, loaded back as a deployment would, and timed with
labkit.measure.latencies (warm-up, then the median of many single calls, the formats
taking turns so that a busy spell of the machine slows them all alike). The load average
printed first tells whether the machine was busy. Keep the list of formats in step with
section 8 of notebooks/src/06_deployment.py.
"""

from __future__ import annotations

import argparse
import copy
import os
import tempfile
import warnings
from pathlib import Path

import torch
from cnn_mnist import CNN
from torch import nn
from torch.nn.utils import prune

from labkit.measure import all_threads, file_bytes, latencies


def pruned(model: nn.Module, amount: float) -> nn.Module:
    model = copy.deepcopy(model)
    targets = [(m, "weight") for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=amount)
    for module, name in targets:
        prune.remove(module, name)
    return model


def save_formats(net: nn.Module, folder: Path) -> list[tuple[str, Path, object]]:
    """Save `net` in every format; return (name, file, runner) with runner(x) -> output."""
    import onnxruntime as ort

    example = torch.randn(4, 1, 28, 28)
    batch = torch.export.Dim("batch")
    rows = []

    path = folder / "state.pt"
    torch.save(net.state_dict(), path)
    model = CNN()
    model.load_state_dict(torch.load(path, weights_only=True))
    rows.append(("state_dict (.pt), eager", path, model.eval()))

    path = folder / "pickled.pt"
    torch.save(net, path)
    rows.append(("pickled model (.pt), eager", path, torch.load(path, weights_only=False)))

    path = folder / "script.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript is deprecated
        torch.jit.save(torch.jit.script(net), path)
        rows.append(("TorchScript (.pt), legacy", path, torch.jit.load(path).eval()))

    path = folder / "program.pt2"
    program = torch.export.export(net, (example,), dynamic_shapes={"x": {0: batch}})
    torch.export.save(program, path)
    rows.append(("ExportedProgram (.pt2)", path, torch.export.load(path).module()))

    onnx_path = folder / "model.onnx"
    torch.onnx.export(net, (example,), onnx_path, dynamo=True, external_data=False, verbose=False,
                      dynamic_shapes={"x": {0: batch}}, input_names=["x"])
    sessions = {}

    def onnx_runner(x, threads):
        if threads not in sessions:
            options = ort.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
            sessions[threads] = ort.InferenceSession(str(onnx_path), options,
                                                     providers=["CPUExecutionProvider"])
        return sessions[threads].run(None, {"x": x.numpy()})

    rows.append(("ONNX (.onnx), ONNX Runtime", onnx_path, onnx_runner))

    path = folder / "int8.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated
        quantized = torch.ao.quantization.quantize_dynamic(net, {nn.Linear}, dtype=torch.qint8)
    torch.save(quantized.state_dict(), path)
    rows.append(("int8 dynamic Linear (.pt)", path, quantized))

    path = folder / "pruned90.pt"
    sparse = pruned(net, 0.9).eval()
    torch.save(sparse.state_dict(), path)
    rows.append(("pruned 90% (.pt)", path, sparse))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="thread counts to time (default: 1 and all cores)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    threads = args.threads or sorted({1, all_threads()})

    if hasattr(os, "getloadavg"):
        print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), f"on {all_threads()}"
              " cores; torch", torch.__version__)
    torch.manual_seed(0)
    net = CNN().eval()
    columns = [(b, t) for b in args.batches for t in threads]
    header = "| format | bytes | " + " | ".join(f"ms b{b} x{t}" for b, t in columns) + " |"
    print(header)
    print("|---|---:|" + "---:|" * len(columns))
    with tempfile.TemporaryDirectory() as folder:
        rows = save_formats(net, Path(folder))
        cells = {name: [] for name, _, _ in rows}
        for b, t in columns:
            x = torch.randn(b, 1, 28, 28)
            calls = {name: (runner, x, t) if name.startswith("ONNX") else (runner, x)
                     for name, _, runner in rows}
            found = latencies(calls, warmup=args.warmup, runs=args.runs, threads=t)
            for name, timing in found.items():
                cells[name].append(f"{timing.median_ms:.3f}")
        for name, path, _ in rows:
            print(f"| {name} | {file_bytes(path):,} | " + " | ".join(cells[name]) + " |")


if __name__ == "__main__":
    main()
