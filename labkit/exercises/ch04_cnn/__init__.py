"""Exercises of chapter 04, Convolutional networks, in notebook order."""

from labkit.exercises.ch04_cnn.cnn_accuracy import (
    ACCURACY_THRESHOLD,
    CnnAccuracy,
    held_out_digits,
)
from labkit.exercises.ch04_cnn.conv2d_loops import Conv2dLoops
from labkit.exercises.ch04_cnn.conv_sizes import ConvOutputSize, ConvParams
from labkit.exercises.ch04_cnn.seed_net import GivenSeedNet, SeedNet
from labkit.exercises.ch04_cnn.train_model import TinyNet, TrainModel, given_train_model

EXERCISES = [Conv2dLoops, ConvParams, ConvOutputSize, SeedNet, TrainModel, CnnAccuracy]

__all__ = ["ACCURACY_THRESHOLD", "EXERCISES", "CnnAccuracy", "Conv2dLoops", "ConvOutputSize",
           "ConvParams", "GivenSeedNet", "SeedNet", "TinyNet", "TrainModel", "given_train_model",
           "held_out_digits"]
