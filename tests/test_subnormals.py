"""The engine counts subnormal floats as zero (cpp/kernels/floating_point_mode.h)
on every thread that works for it, and leaves the caller's floating-point mode
as it found it."""

import numpy as np
import pytest
from engine_helpers import run_with_threads
from fastdnn import MLPClassifier

# A net whose hidden unit sums 2048 products of 1e-20 · 1e-20 = 1e-40, each
# below float32's normal range (1.2e-38), and whose output scales that by
# 1e30: 2e-7 under IEEE gradual underflow, exactly 0 with subnormals counted
# as zero. A chunk of 1024 rows (prediction's) or 2048 (one minibatch) is a
# product big enough to share between threads.
TINY_PRODUCTS_NET = """
import warnings
import numpy as np
from fastdnn import MLPRegressor

X = np.full((2048, 2048), 1e-20, np.float32)
y = np.ones(2048)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = MLPRegressor(
        hidden_layer_sizes=(1,), activation="identity", max_iter=1, random_state=0
    ).fit(X, y)
model.coefs_[0][:] = 1e-20
model.coefs_[1][:] = 1e30
model.intercepts_[0][:] = 0.0
model.intercepts_[1][:] = 0.0
"""


def _numpy_keeps_subnormals():
    return np.float32(1e-38) * np.float32(1e-2) != 0


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_fit_and_predict_leave_the_callers_mode(n_jobs):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, n_jobs=n_jobs)
    with pytest.warns(Warning):
        model.fit(X, y)
    assert _numpy_keeps_subnormals()
    model.predict_proba(X)
    model.predict_proba(X[:1])
    assert _numpy_keeps_subnormals()


def test_products_below_the_normal_range_count_as_zero():
    namespace = {}
    exec(TINY_PRODUCTS_NET, namespace)
    model, X = namespace["model"], namespace["X"]
    assert not model.predict(X).any()
    assert not model.predict(X[:1]).any()
    assert not model.predict(X[:3].astype(np.float64)).any()


# Prediction shares the rows between threads; a training step's forward pass
# (batch_size covers every row, so the loss is that of the hand-set weights)
# shares them within the worker team. A thread left in the caller's mode
# would give its rows 2e-7.
TINY_PRODUCTS_EVERY_THREAD = (
    """
import numpy as np
from fastdnn import _core

# OpenMP's threads start in the mode of the thread that creates them: start
# them outside the engine's mode (the kernel binding sets none), so that only
# a job's own setting can put them in it.
square = np.ones((512, 512), np.float32)
_core.sgemm(square, square, np.zeros_like(square))
"""
    + TINY_PRODUCTS_NET
    + """
assert not model.predict(X).any()
model.set_params(warm_start=True, batch_size=2048, learning_rate_init=1e-12, alpha=0.0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model.fit(X, y)
print(repr(model.loss_curve_[-1]))
"""
)


def test_every_thread_counts_subnormals_as_zero():
    losses = {run_with_threads(TINY_PRODUCTS_EVERY_THREAD, t) for t in ("1", "2")}
    # Σ (1 - 0)² / 2 over the rows' mean, exactly: no row predicted 2e-7.
    assert losses == {"0.5"}
