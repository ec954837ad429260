"""Chapter 05's figures, CPU against GPU: matmul speed, mixed precision, DDP.

    python benchmarks/gpu_ch05.py                 # everything this machine can run
    python benchmarks/gpu_ch05.py --quick         # smaller sizes, fewer epochs
    python benchmarks/gpu_ch05.py --skip-ddp
    python benchmarks/gpu_ch05.py --threads 1     # CPU parts on one thread (a busy machine)

Prints three tables:
1. matrix multiplication in GFLOP/s for growing n: CPU float32 with 1 thread and with
   every core; with CUDA, float32, TF32, bfloat16 and float16 (median of
   torch.utils.benchmark.Timer, which synchronises and warms up);
2. MNIST (the offline subset unless full MNIST is on disk) with the chapter's MLP and a
   wide MLP: seconds per epoch (median) and test accuracy, float32 against bfloat16
   autocast on the CPU and float32, float16 + GradScaler and bfloat16 on CUDA;
3. DistributedDataParallel launched with torchrun: gloo on 2 CPU processes, and nccl on
   every GPU when there are at least two; one DDP step is compared with one ordinary
   step on the whole batch, and the training throughput is measured.

Runs on a CPU-only machine too: every GPU part then prints one line saying it was
skipped. On one GPU it takes about two minutes; on a shared 2-core laptop, longer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils import benchmark

ROOT = Path(__file__).resolve().parent.parent


def header():
    print(f"PyTorch {torch.__version__}, Python {sys.version.split()[0]}")
    print(f"CPU: {os.cpu_count()} logical cores, load average "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            print(f"GPU {i}: {props.name}, {props.total_memory / 2**30:.0f} GiB")
    else:
        print("GPU: none (CUDA not available); GPU parts are skipped")


# --- 1. matmul ---------------------------------------------------------------------------

def gflops(n: int, device: str, dtype: torch.dtype, threads: int, min_time: float) -> float:
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    timer = benchmark.Timer(stmt="a @ b", globals={"a": a, "b": b}, num_threads=threads)
    return 2 * n**3 / timer.blocked_autorange(min_run_time=min_time).median / 1e9


def matmul_table(quick: bool, threads: int):
    print("\n## 1. Matrix multiplication, GFLOP/s (median; 2 n^3 operations)")
    cpu_sizes = [128, 512, 1024] if quick else [128, 256, 512, 1024, 2048]
    gpu_sizes = [512, 2048, 4096] if quick else [256, 1024, 2048, 4096, 8192]
    rows = []
    for count in sorted({1, threads}):
        rows.append((f"CPU float32, {count} thread(s)", cpu_sizes,
                     [gflops(n, "cpu", torch.float32, count, 0.2) for n in cpu_sizes]))
    if torch.cuda.is_available():
        for words, dtype, precision in [("float32", torch.float32, "highest"),
                                        ("TF32", torch.float32, "high"),
                                        ("bfloat16", torch.bfloat16, "highest"),
                                        ("float16", torch.float16, "highest")]:
            torch.set_float32_matmul_precision(precision)
            rows.append((f"GPU {words}", gpu_sizes,
                         [gflops(n, "cuda", dtype, 1, 0.2) for n in gpu_sizes]))
        torch.set_float32_matmul_precision("highest")
    else:
        print("GPU rows skipped: no CUDA device")
    for label, sizes, values in rows:
        print(f"{label:26s} " + "  ".join(f"n={n}: {v:9.1f}" for n, v in zip(sizes, values,
                                                                             strict=True)))
    return rows


# --- 2. mixed precision on MNIST -----------------------------------------------------------

def mnist_tensors():
    sys.path.insert(0, str(ROOT))
    import torchvision

    from labkit import data

    root = data.ensure_mnist()
    train = torchvision.datasets.MNIST(root, train=True)
    test = torchvision.datasets.MNIST(root, train=False)
    return ((train.data.float() / 255).unsqueeze(1), train.targets,
            (test.data.float() / 255).unsqueeze(1), test.targets)


def make_model(kind: str) -> nn.Module:
    width = {"mlp": (128, 64), "wide": (2048, 2048)}[kind]
    return nn.Sequential(nn.Flatten(), nn.Linear(784, width[0]), nn.ReLU(),
                         nn.Linear(width[0], width[1]), nn.ReLU(), nn.Linear(width[1], 10))


def train(kind, tensors, device, amp_dtype, epochs, batch_size=128):
    train_x, train_y, test_x, test_y = tensors
    torch.manual_seed(0)
    model = make_model(kind).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    xs, ys = train_x.to(device), train_y.to(device)
    times = []
    for epoch in range(epochs):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        order = torch.randperm(len(ys), generator=torch.Generator().manual_seed(epoch))
        for i in range(0, len(ys), batch_size):
            index = order[i:i + batch_size].to(device)
            optimizer.zero_grad()
            with torch.autocast(device.type, dtype=amp_dtype or torch.float32,
                                enabled=amp_dtype is not None):
                loss = F.cross_entropy(model(xs[index]), ys[index])
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad(), torch.autocast(device.type, dtype=amp_dtype or torch.float32,
                                         enabled=amp_dtype is not None):
        accuracy = (model(test_x.to(device)).argmax(1) == test_y.to(device)).float().mean()
    # The first epoch pays the warm-up; the median of the rest is the steady speed.
    steady = times[1:] if len(times) > 1 else times
    return statistics.median(steady), accuracy.item()


def amp_table(quick: bool):
    tensors = mnist_tensors()
    print(f"\n## 2. Mixed precision on MNIST ({len(tensors[1])} training, {len(tensors[3])} "
          f"test images, batch 128, Adam; median s/epoch after the first epoch)")
    epochs = 2 if quick else 4
    cpu, runs = torch.device("cpu"), []
    for kind in ("mlp", "wide"):
        runs += [(kind, "CPU", "float32", cpu, None), (kind, "CPU", "bfloat16 autocast", cpu,
                                                       torch.bfloat16)]
        if torch.cuda.is_available():
            gpu = torch.device("cuda")
            runs += [(kind, "GPU", "float32", gpu, None),
                     (kind, "GPU", "float16 autocast + GradScaler", gpu, torch.float16),
                     (kind, "GPU", "bfloat16 autocast", gpu, torch.bfloat16)]
    if not torch.cuda.is_available():
        print("GPU rows skipped: no CUDA device")
    print(f"{'model':6s} {'device':6s} {'precision':31s} {'s/epoch':>9s} {'accuracy':>9s}")
    results = []
    for kind, where, words, device, amp_dtype in runs:
        seconds, accuracy = train(kind, tensors, device, amp_dtype, epochs)
        results.append((kind, where, words, seconds, accuracy))
        print(f"{kind:6s} {where:6s} {words:31s} {seconds:9.3f} {accuracy:9.3f}", flush=True)
    return results


# --- 3. DDP ----------------------------------------------------------------------------------

DDP_SCRIPT = r'''
import copy, json, os, sys, time
import torch, torch.distributed as dist, torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

world = int(os.environ["WORLD_SIZE"])
use_cuda = torch.cuda.is_available() and torch.cuda.device_count() >= world
dist.init_process_group("nccl" if use_cuda else "gloo")
rank, local = dist.get_rank(), int(os.environ["LOCAL_RANK"])
device = torch.device("cuda", local) if use_cuda else torch.device("cpu")
if use_cuda:
    torch.cuda.set_device(device)
per_rank = int(sys.argv[2])
torch.manual_seed(0)
width = 2048 if use_cuda else 256
model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                      nn.Linear(width, 10)).to(device)
single = copy.deepcopy(model)
ddp = DDP(model, device_ids=[local] if use_cuda else None)
opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
x_all = torch.randn(per_rank * world, 784, device=device)
y_all = torch.randint(0, 10, (per_rank * world,), device=device)
mine = slice(rank * per_rank, (rank + 1) * per_rank)
opt.zero_grad()
F.cross_entropy(ddp(x_all[mine]), y_all[mine]).backward()
F.cross_entropy(single(x_all), y_all).backward()
diff = max((p.grad - q.grad).abs().max().item() for p, q in zip(model.parameters(),
                                                                   single.parameters()))
scale = max(q.grad.abs().max().item() for q in single.parameters())

def step():
    opt.zero_grad()
    F.cross_entropy(ddp(x_all[mine]), y_all[mine]).backward()
    opt.step()

for _ in range(5):
    step()
times = []
for _ in range(20):
    if use_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    step()
    if use_cuda:
        torch.cuda.synchronize()
    times.append(time.perf_counter() - start)
times.sort()
if rank == 0:
    with open(sys.argv[1], "w") as f:
        json.dump({"backend": dist.get_backend(), "world": world, "grad_diff": diff,
                   "grad_scale": scale, "step_s": times[len(times) // 2]}, f)
dist.barrier()  # leave together
del ddp
dist.destroy_process_group()
'''


def launch(nproc: int, per_rank: int, timeout: float) -> dict | None:
    folder = Path(tempfile.mkdtemp(prefix="gpu-ch05-"))
    script, out = folder / "ddp_bench.py", folder / "result.json"
    script.write_text(DDP_SCRIPT)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={nproc}", str(script), str(out), str(per_rank)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0 or not out.exists():
        print(f"torchrun with {nproc} process(es) failed (exit {done.returncode}):\n"
              f"{done.stderr[-1500:]}")
        return None
    return json.loads(out.read_text())


def ddp_table():
    print("\n## 3. DistributedDataParallel with torchrun (784-W-W-10 MLP, SGD; one DDP step "
          "vs one process on the whole batch; median step time of 20 after 5 warm-up)")
    per_rank = 64
    print(f"{'backend':8s} {'processes':>9s} {'grad diff':>10s} {'grad max':>9s} "
          f"{'ms/step':>8s} {'examples/s':>11s}")
    setups = [2]
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus >= 2:
        setups = [1, min(gpus, 8)]
        # CUDA visible: the script picks nccl for these; the gloo row comes from a run
        # with CUDA hidden.
    results = []
    cpu_env = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    try:
        cpu = launch(2, per_rank, 300)
    finally:
        if cpu_env is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES")
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = cpu_env
    runs = [cpu] + ([launch(n, per_rank, 300) for n in setups] if gpus >= 2 else [])
    for r in runs:
        if r is None:
            continue
        results.append(r)
        print(f"{r['backend']:8s} {r['world']:9d} {r['grad_diff']:10.1e} {r['grad_scale']:9.1e} "
              f"{r['step_s'] * 1e3:8.2f} {per_rank * r['world'] / r['step_s']:11.0f}")
    if gpus < 2:
        print(f"nccl rows skipped: {gpus} CUDA GPU(s) here, DDP over nccl needs at least 2")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer epochs")
    parser.add_argument("--skip-ddp", action="store_true", help="no torchrun runs")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="CPU threads for the CPU parts (default: every core)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    header()
    print(f"CPU parts use {args.threads} thread(s); a load average above the core count "
          "makes CPU figures unreliable")
    matmul_table(args.quick, args.threads)
    amp_table(args.quick)
    if not args.skip_ddp:
        ddp_table()
    print(f"\ntotal time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
