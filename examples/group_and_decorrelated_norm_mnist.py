"""
Group norm and decorrelated batch norm
======================================

Group norm and decorrelated batch norm train a net on MNIST, and
decorrelated batch norm whitens each group of units
(:doc:`techniques in the engine </training_techniques_engine>`). Run it as a
script::

    python examples/group_and_decorrelated_norm_mnist.py

A 784-64-64-10 relu net on the 8,000-image MNIST split, 20 epochs of Adam,
with no normalization, batch norm, group norm (4 groups of 16 units, Wu &
He 2018) and decorrelated batch norm (ZCA whitening of 4 groups of 16
units over each minibatch, Huang et al. 2018). Then the decorrelation
itself: with the normalization after a tanh activation (relu's dead units
would have no variance to whiten), a hidden layer's output is
gain·x̂ + shift, and the covariance of x̂ over a 200-row batch in training
mode is the identity within each group for decorrelated batch norm, while
batch norm only makes its diagonal 1.
"""

import time
import warnings

import numpy as np
from fastdnn import MLPClassifier, _core
from fastdnn.datasets import load_mnist_digits
from sklearn.exceptions import ConvergenceWarning

GROUPS = 4


def whitened_covariance(model, X):
    """Covariance over the rows X of the first hidden layer's x̂, in training
    mode (X one minibatch), from the output gain·x̂ + shift."""
    network = model._network
    output = network.training_activations(_core.Dataset(X))[0].astype(np.float64)
    layout = network.layout(0)
    width = network.layer_units[1]
    gain = network.parameters[layout["norm_gain"] : layout["norm_gain"] + width]
    shift = network.parameters[layout["norm_shift"] : layout["norm_shift"] + width]
    x_hat = (output - shift) / gain
    x_hat -= x_hat.mean(axis=0)
    return x_hat.T @ x_hat / len(x_hat)


def main():
    X_train, X_test, y_train, y_test = load_mnist_digits()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"{'normalization':20s} {'train':>7s} {'test':>7s} {'s/epoch':>8s}")
    for normalization in (None, "batch", "group", "decorrelated_batch"):
        model = MLPClassifier(
            (64, 64),
            normalization=normalization,
            norm_groups=GROUPS,
            max_iter=20,
            random_state=0,
        )
        start = time.perf_counter()
        model.fit(X_train, y_train)
        per_epoch = (time.perf_counter() - start) / model.n_iter_
        print(
            f"{normalization or 'none':20s} {model.score(X_train, y_train):7.4f} "
            f"{model.score(X_test, y_test):7.4f} {per_epoch:8.3f}"
        )

    print("\nfirst hidden layer's x̂ over a 200-row training batch, 3 epochs in:")
    width = 64 // GROUPS
    inside = ~np.eye(width, dtype=bool)
    for normalization in ("batch", "decorrelated_batch"):
        model = MLPClassifier(
            (64, 64),
            activation="tanh",
            normalization=normalization,
            normalization_position="after",
            norm_groups=GROUPS,
            max_iter=3,
            random_state=0,
        ).fit(X_train, y_train)
        covariance = whitened_covariance(model, X_test[:200])
        blocks = [
            covariance[g * width : (g + 1) * width, g * width : (g + 1) * width]
            for g in range(GROUPS)
        ]
        diagonal = np.concatenate([np.diag(block) for block in blocks])
        off = np.concatenate([np.abs(block[inside]) for block in blocks])
        print(
            f"{normalization:20s} variances {diagonal.min():.3f}..{diagonal.max():.3f}"
            f"  |covariance| inside groups: mean {off.mean():.4f}, max {off.max():.4f}"
        )


if __name__ == "__main__":
    main()
