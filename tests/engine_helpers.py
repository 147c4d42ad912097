"""Shared helpers for the engine tests: small problems, networks, tolerances."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy_reference as ref
from fastdnn import _core

HIDDEN_ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
LOSSES = list(ref.OUTPUT_ACTIVATION)

# Two hidden layers, three outputs: every code path of backprop (input layer,
# hidden-to-hidden, output layer) and multi-output losses are exercised.
LAYER_UNITS = [4, 5, 3, 3]


def assert_close(actual, expected, rtol, atol_fraction=0.0, what=""):
    """allclose with an absolute floor proportional to the expected values'
    scale: float32 results carry an error ~eps32·(size of the terms summed),
    so entries far smaller than the largest one are only known to that floor."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(
        actual, expected, rtol=rtol, atol=atol_fraction * scale, err_msg=what
    )


def make_network(layer_units, hidden_activation, loss, seed=0):
    net = _core.Network(
        list(layer_units), hidden_activation, ref.OUTPUT_ACTIVATION[loss]
    )
    net.initialize(seed, 6.0)
    return net


def parameters64(net):
    """A float64 copy of the engine's float32 arena: the same parameter values."""
    return np.array(net.parameters, dtype=np.float64)


def make_inputs(rng, n_samples, n_features):
    return rng.normal(size=(n_samples, n_features)).astype(np.float32)


def make_targets(rng, loss, n_samples, n_outputs):
    """float32 targets of the kind each loss is used with."""
    if loss == "squared_error":
        y = rng.normal(size=(n_samples, n_outputs))
    elif loss == "poisson":
        # Counts, zeros included: the xlogy(y, y) term must treat 0·log 0 as 0.
        y = rng.poisson(1.5, size=(n_samples, n_outputs))
    elif loss == "log_loss":
        y = np.eye(n_outputs)[rng.integers(0, n_outputs, size=n_samples)]
    elif loss == "binary_log_loss":
        y = rng.integers(0, 2, size=(n_samples, n_outputs))
    else:
        raise ValueError(loss)
    return np.asarray(y, dtype=np.float32)


def make_sample_weight(rng, n_samples):
    # Far from uniform, so that a dropped or misplaced weight changes results.
    return rng.uniform(0.2, 3.0, size=n_samples).astype(np.float32)


def rows_away_from_relu_kinks(params, layer_units, X, margin):
    """Indices of rows whose hidden pre-activations all have |z| > margin, so
    that finite differences (and float32 vs float64 rounding) never cross
    relu's kink at 0, where the derivative is undefined."""
    weights, biases = ref.unpack(params, layer_units)
    keep = np.ones(X.shape[0], dtype=bool)
    a = X.astype(np.float64)
    for W, b in zip(weights[:-1], biases[:-1], strict=True):
        z = a @ W + b
        keep &= np.all(np.abs(z) > margin, axis=1)
        a = np.maximum(z, 0.0)
    return np.flatnonzero(keep)


SOLVER_OPTIONS = {
    "sgd_nesterov": dict(
        solver="sgd", learning_rate=0.1, momentum=0.9, nesterov=True,
        beta_1=0.9, beta_2=0.999, epsilon=1e-8,
    ),
    "sgd_momentum": dict(
        solver="sgd", learning_rate=0.1, momentum=0.9, nesterov=False,
        beta_1=0.9, beta_2=0.999, epsilon=1e-8,
    ),
    "adam": dict(
        solver="adam", learning_rate=0.01, momentum=0.9, nesterov=True,
        beta_1=0.9, beta_2=0.999, epsilon=1e-8,
    ),
}  # fmt: skip


def make_trainer(net, loss, alpha, options, **keywords):
    return _core.Trainer(net, loss=loss, alpha=alpha, **options, **keywords)


def run_with_threads(script, threads):
    """The stripped stdout of `script` run with OMP_NUM_THREADS=threads.

    OpenMP fixes its thread count when the runtime starts, so every count
    needs a fresh interpreter; it imports the fastdnn these tests import.
    """
    package_root = str(Path(_core.__file__).resolve().parents[1])
    environment = dict(os.environ, OMP_NUM_THREADS=threads)
    environment["PYTHONPATH"] = os.pathsep.join(
        [package_root, environment.get("PYTHONPATH", "")]
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()
