"""
Batch norm trains a 10-layer sigmoid net
========================================

A 10-layer sigmoid net trains with batch norm and stalls without. Ten
logistic hidden layers of 32 units on the 8,000-row MNIST split: the
gradient vanishes on its way down the plain net, which stays near chance;
batch normalization before each activation keeps every layer in the
sigmoid's responsive range (:doc:`/normalization_and_dropout`).

Run it as a script::

    python examples/deep_sigmoid_batch_norm.py
"""

import time
import warnings

from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from sklearn.exceptions import ConvergenceWarning


def main():
    X_train, X_test, y_train, y_test = load_mnist_digits()
    header = ("normalization", "epochs", "loss", "train", "test", "s")
    print("{:14s} {:>6s} {:>8s} {:>7s} {:>7s} {:>6s}".format(*header))
    for normalization in (None, "batch", "layer"):
        model = MLPClassifier(
            (32,) * 10,
            activation="logistic",
            normalization=normalization,
            max_iter=10,
            random_state=0,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        print(
            f"{normalization or 'none':14s} {model.n_iter_:6d} {model.loss_:8.4f} "
            f"{model.score(X_train, y_train):7.3f} {model.score(X_test, y_test):7.3f} "
            f"{seconds:6.1f}"
        )


if __name__ == "__main__":
    main()
