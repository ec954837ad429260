"""Exercises of chapter 03b, Data and losses under the hood, in notebook order: one module
each, none importing another."""

from labkit.exercises.ch03b_data_and_losses.batch_loss import BatchLoss
from labkit.exercises.ch03b_data_and_losses.cross_entropy import CrossEntropy
from labkit.exercises.ch03b_data_and_losses.mnist_transform import MnistTransform
from labkit.exercises.ch03b_data_and_losses.pixel_stats import PixelStats
from labkit.exercises.ch03b_data_and_losses.sigmoid_mse_grad import SigmoidMseGrad
from labkit.exercises.ch03b_data_and_losses.train_epoch import TrainEpoch
from labkit.exercises.ch03b_data_and_losses.window_dataset import WindowDataset

EXERCISES = [WindowDataset, MnistTransform, PixelStats, CrossEntropy, SigmoidMseGrad,
             BatchLoss, TrainEpoch]

__all__ = ["EXERCISES", "BatchLoss", "CrossEntropy", "MnistTransform", "PixelStats",
           "SigmoidMseGrad",
           "TrainEpoch", "WindowDataset"]
