"""
SELU normalises itself
======================

SELU with LeCun-normal weights keeps every layer's activations near zero
mean and unit variance; ReLU with Glorot weights lets them drift with depth
(:doc:`/activations_and_initialization`).

Klambauer et al. (2017): with weights N(0, 1 / fan_in) and standardised
inputs, (mean, variance) = (0, 1) is an attracting fixed point of a SELU
layer, so a deep SELU net normalises itself without batch normalization.
A ReLU layer with Glorot weights (scikit-learn's 'auto') multiplies the
second moment by fan_in · 2 / (fan_in + fan_out) / 2 = 1/2 for a square
layer, so the spread shrinks by √2 per layer. The tables are the engine's
per-layer statistics over an epoch's minibatches (``history_``): at
initialisation (one epoch at a learning rate of 1e-9) and in the last epoch.

Dropout: the statistics are taken in training mode, masks on. Alpha dropout
(rate 0.1) sends a dropped unit to SELU's saturation −λα and rescales, so
mean and variance stay at the fixed point; Bernoulli dropout's 1/(1 − rate)
rescaling keeps the mean of a unit but inflates its second moment, so the
spread drifts away from 1 with depth.

Run it as a script::

    PYTHONPATH=python python examples/selu_self_normalizing.py
"""

import time
import warnings

from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

DEPTH, WIDTH, EPOCHS = 16, 128, 10
# (activation, weight_init, dropout_kind or None): dropout 0.1 when set.
CONFIGS = [
    ("selu", "lecun_normal", None),
    ("selu", "lecun_normal", "alpha"),
    ("selu", "lecun_normal", "bernoulli"),
    ("relu", "auto", None),
]


def name(config):
    activation, weight_init, kind = config
    return f"{activation} + {weight_init}" + (f" + {kind} 0.1" if kind else "")


def main():
    X_train, X_test, y_train, y_test = load_mnist_digits(n_train=8000)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    print(
        f"MNIST digits, standardised; {DEPTH} layers of {WIDTH}, SGD (lr 0.01, "
        f"momentum 0.9), {EPOCHS} epochs\n"
    )
    fits, probes = {}, {}
    for config in CONFIGS:
        activation, weight_init, kind = config
        dropout = {"dropout": 0.1, "dropout_kind": kind} if kind else {}
        for learning_rate, max_iter, store in ((1e-9, 1, probes), (0.01, EPOCHS, fits)):
            clf = MLPClassifier(
                hidden_layer_sizes=(WIDTH,) * DEPTH,
                activation=activation,
                weight_init=weight_init,
                solver="sgd",
                learning_rate_init=learning_rate,
                momentum=0.9,
                max_iter=max_iter,
                n_iter_no_change=EPOCHS,
                random_state=0,
                n_jobs=1,  # see he_vs_small_init.py
                **dropout,
            )
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(X_train, y_train)
            store[config] = (clf, time.perf_counter() - start)

    header = "".join(f"{name(config):>38}" for config in CONFIGS)
    for title, source, epoch in (
        ("at initialisation", probes, 0),
        (f"epoch {EPOCHS}", fits, -1),
    ):
        print(f"{title}: activation mean / std per hidden layer\n{'layer':<6}{header}")
        for layer in range(DEPTH):
            row = ""
            for config in CONFIGS:
                stats = source[config][0].history_[epoch]["layers"][layer]
                row += f"{stats['mean']:>29.3f} / {stats['std']:<6.3f}"
            print(f"{layer + 1:<6}{row}")
        print()
    for config, (clf, seconds) in fits.items():
        print(
            f"{name(config):<36} loss epoch 1 {clf.loss_curve_[0]:.3f}, "
            f"last {clf.loss_curve_[-1]:.4f}, test accuracy "
            f"{clf.score(X_test, y_test):.3f} ({seconds:.1f} s)"
        )


if __name__ == "__main__":
    main()
