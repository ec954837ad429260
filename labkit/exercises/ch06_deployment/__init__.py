"""Exercises of chapter 06, Deployment, in notebook order.

The checks build models and files of their own inside probes, call the learner's
functions there through the guarded call, and get back plain tensors and numbers; every
comparison happens in ``check``.
"""

from labkit.exercises.ch06_deployment.checkpoint import Checkpoint
from labkit.exercises.ch06_deployment.export import ExportDynamic
from labkit.exercises.ch06_deployment.models import TiedNet, true_size
from labkit.exercises.ch06_deployment.parity import Parity
from labkit.exercises.ch06_deployment.safe_files import (
    SafeLoading,
    given_load_model,
    given_save_model,
)
from labkit.exercises.ch06_deployment.size import ModelSize

EXERCISES = [SafeLoading, ModelSize, Checkpoint, ExportDynamic, Parity]

__all__ = ["EXERCISES", "Checkpoint", "ExportDynamic", "ModelSize", "Parity", "SafeLoading",
           "TiedNet", "given_load_model", "given_save_model", "true_size"]
