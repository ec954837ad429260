"""Exercises of chapter 03, Multilayer perceptrons, in notebook order: one module each,
none importing another, so the chapter can be split by moving files."""

from labkit.exercises.ch03_mlp.activation_grads import ActivationGrads
from labkit.exercises.ch03_mlp.bce_fix import BceFix
from labkit.exercises.ch03_mlp.mlp_forward import MlpForward
from labkit.exercises.ch03_mlp.mnist_mlp import MnistMlpModule
from labkit.exercises.ch03_mlp.per_class_accuracy import PerClassAccuracy
from labkit.exercises.ch03_mlp.train_step import TrainStep

EXERCISES = [ActivationGrads, MlpForward, MnistMlpModule, BceFix, TrainStep, PerClassAccuracy]

__all__ = ["EXERCISES", "ActivationGrads", "BceFix", "MlpForward", "MnistMlpModule",
           "PerClassAccuracy", "TrainStep"]
