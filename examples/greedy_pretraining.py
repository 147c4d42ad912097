"""
Greedy layer-wise pretraining trains a 10-layer sigmoid net
===========================================================

A 10-layer sigmoid net stalls from a random start and trains after greedy
layer-wise pretraining, supervised or by autoencoders
(:doc:`training techniques </training_techniques>`). Run it as a script::

    python examples/greedy_pretraining.py

Ten logistic hidden layers of 32 units on the 8,000-row MNIST split, Adam
at learning_rate_init=0.01 for 10 epochs: from a random start the gradient
vanishes on its way down and the net stays at chance (as in
:doc:`deep_sigmoid_batch_norm`). Greedy supervised pretraining first
trains each hidden layer for 5 epochs with a temporary output layer on top
of the fixed layers below, so every layer starts where it already separates
the classes. Greedy autoencoder pretraining trains each layer to
reconstruct the layer below instead, without the labels. The last row
shows the stages need a shallow net's rate: at the default 0.001, 5 epochs
per stage teach them little.
"""

import sys
import time
import warnings
from pathlib import Path

from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from sklearn.exceptions import ConvergenceWarning

# The script's path from sys.argv: sphinx-gallery runs the examples without
# __file__, with sys.argv[0] set to the script.
sys.path.insert(0, str(Path(sys.argv[0]).resolve().parents[1] / "benchmarks"))
from machine_description import commit_name, cpu_name  # noqa: E402


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    X_train, X_test, y_train, y_test = load_mnist_digits()
    header = ("pretraining", "rate", "loss", "train", "test", "s")
    print("{:20s} {:>6s} {:>8s} {:>7s} {:>7s} {:>6s}".format(*header))
    for pretraining, rate in (
        (None, 0.01),
        ("greedy_supervised", 0.01),
        ("greedy_autoencoder", 0.01),
        ("greedy_supervised", 0.001),
    ):
        model = MLPClassifier(
            (32,) * 10,
            activation="logistic",
            learning_rate_init=rate,
            pretraining=pretraining,
            pretraining_epochs=5,
            max_iter=10,
            random_state=0,
        )
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        print(
            f"{pretraining or 'none':20s} {rate:6g} {model.loss_:8.4f} "
            f"{model.score(X_train, y_train):7.3f} {model.score(X_test, y_test):7.3f} "
            f"{seconds:6.1f}"
        )
    print(f"\ncommit {commit_name()}, {cpu_name()}")


if __name__ == "__main__":
    main()
