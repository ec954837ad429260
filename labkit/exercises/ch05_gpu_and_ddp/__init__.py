"""Exercises of chapter 05, GPUs, mixed precision and data parallelism, in notebook order.

Each exercise's probes build the setting on the learner's side (a simulated asynchronous
device, a model with its optimizer and scaler, a ``gloo`` group of processes) and call
the learner's function through the guarded call; the checks judge the plain data that
comes back.
"""

from labkit.exercises.ch05_gpu_and_ddp.amp_plan import AmpPlan, reference_plan
from labkit.exercises.ch05_gpu_and_ddp.amp_step import AmpStep
from labkit.exercises.ch05_gpu_and_ddp.average_gradients import AverageGradients
from labkit.exercises.ch05_gpu_and_ddp.shard_indices import ShardIndices, reference_shard
from labkit.exercises.ch05_gpu_and_ddp.time_it import TimeIt
from labkit.exercises.ch05_gpu_and_ddp.to_device import Pair, ToDevice, reference_to_device

EXERCISES = [ToDevice, TimeIt, AmpPlan, AmpStep, ShardIndices, AverageGradients]

__all__ = ["EXERCISES", "AmpPlan", "AmpStep", "AverageGradients", "Pair", "ShardIndices", "TimeIt",
           "ToDevice", "reference_plan", "reference_shard", "reference_to_device"]
