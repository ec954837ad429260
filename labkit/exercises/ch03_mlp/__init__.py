"""Exercises of chapter 03, Multilayer perceptrons, in notebook order: one module each,
none importing another, so the chapter can be split by moving files."""

from labkit.exercises.ch03_mlp.accuracy import Accuracy
from labkit.exercises.ch03_mlp.activation_grads import ActivationGrads
from labkit.exercises.ch03_mlp.batch_loss import BatchLoss
from labkit.exercises.ch03_mlp.bce_fix import BceFix
from labkit.exercises.ch03_mlp.cross_entropy import CrossEntropy
from labkit.exercises.ch03_mlp.mlp_forward import MlpForward
from labkit.exercises.ch03_mlp.mnist_mlp import MnistMlpModule
from labkit.exercises.ch03_mlp.mnist_transform import MnistTransform
from labkit.exercises.ch03_mlp.sigmoid_mse_grad import SigmoidMseGrad
from labkit.exercises.ch03_mlp.train_epoch import TrainEpoch
from labkit.exercises.ch03_mlp.train_step import TrainStep
from labkit.exercises.ch03_mlp.window_dataset import WindowDataset

EXERCISES = [ActivationGrads, MlpForward, MnistMlpModule, BceFix, TrainStep, Accuracy,
             WindowDataset, MnistTransform, TrainEpoch, CrossEntropy, SigmoidMseGrad,
             BatchLoss]

__all__ = ["EXERCISES", "Accuracy", "ActivationGrads", "BatchLoss", "BceFix", "CrossEntropy",
           "MlpForward", "MnistMlpModule", "MnistTransform", "SigmoidMseGrad", "TrainEpoch",
           "TrainStep", "WindowDataset"]
