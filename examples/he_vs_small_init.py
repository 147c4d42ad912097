"""
He initialisation against small random weights
==============================================

He initialisation trains a deep ReLU net; small random initialisation
stalls (:doc:`/activations_and_initialization`).

He et al. (2015): with weights N(0, 2 / fan_in) a ReLU layer keeps the
variance of its input, so a signal (and its gradient) crosses ten layers
intact. With "small random" weights N(0, 0.01²) each layer multiplies the
variance by about 128 · 0.01² / 2 ≈ 0.006: after ten layers the output no
longer depends on the input, the first layer's gradient is about a millionth
of He's, and SGD stalls at the loss of a constant guess, ln 10 ≈ 2.303.
scikit-learn's Glorot bound ('auto') sits in between.

Run it as a script::

    PYTHONPATH=python python examples/he_vs_small_init.py
"""

import time
import warnings

import numpy as np
from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

DEPTH, WIDTH, EPOCHS = 10, 128, 15


def main():
    X_train, X_test, y_train, y_test = load_mnist_digits(n_train=8000)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    print(
        f"MNIST digits, 8000 train / 2000 test; {DEPTH} ReLU layers of {WIDTH}, "
        f"SGD (lr 0.01, momentum 0.9), {EPOCHS} epochs\n"
    )
    print(
        f"{'weight_init':<13}{'loss ep 1':>10}{'loss ep 5':>10}{'loss last':>10}"
        f"{'test acc':>10}{'|grad| layer 1':>16}{'seconds':>9}"
    )
    for weight_init in ("he_normal", "auto", "normal"):
        clf = MLPClassifier(
            hidden_layer_sizes=(WIDTH,) * DEPTH,
            activation="relu",
            weight_init=weight_init,
            solver="sgd",
            learning_rate_init=0.01,
            momentum=0.9,
            max_iter=EPOCHS,
            n_iter_no_change=EPOCHS,
            random_state=0,
            # One thread: at this size a second one gains little, and on a
            # busy machine OpenMP's spinning threads cost many times more.
            n_jobs=1,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        curve = clf.loss_curve_
        first_layer_grad = clf.history_[0]["layers"][0]["grad_norm"]
        accuracy = clf.score(X_test, y_test)
        print(
            f"{weight_init:<13}{curve[0]:>10.3f}{curve[4]:>10.3f}{curve[-1]:>10.3f}"
            f"{accuracy:>10.3f}{first_layer_grad:>16.2e}{seconds:>9.1f}"
        )
    print(f"\nln 10 = {np.log(10):.3f}: the loss of predicting the class frequencies.")


if __name__ == "__main__":
    main()
