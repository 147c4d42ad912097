"""The elementwise kernels on every instruction-set path, and the engine's
promise that a training epoch allocates nothing once its workspace is sized.

The GEMM has its own file, test_gemm.py.
"""

import numpy as np
import pytest
from engine_helpers import SOLVER_OPTIONS, make_trainer
from fastdnn import _core


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_activation_kernels_match_numpy_on_every_path(isa, activation):
    # One hidden unit with weight 1 and bias 0, identity output with weight 1:
    # the network's output is the activation of its input.
    x = np.concatenate(
        [
            np.linspace(-30, 30, 20001, dtype=np.float32),
            np.float32([1e-6, -1e-6, 0.0, 88.0, -88.0, 100.0, -100.0]),
        ]
    ).reshape(-1, 1)
    network = _core.Network([1, 1, 1], activation, "identity")
    network.parameters[:] = [1.0, 0.0, 1.0, 0.0]
    out = network.predict(_core.Dataset(x)).ravel().astype(np.float64)
    z = x.ravel().astype(np.float64)
    expected = {
        "logistic": lambda v: 1 / (1 + np.exp(-v)),
        "tanh": np.tanh,
        "relu": lambda v: np.maximum(v, 0),
        "identity": lambda v: v,
    }[activation](z)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=2e-7)


def test_nan_propagates_through_activations(isa):
    for activation in ("logistic", "tanh", "relu"):
        network = _core.Network([1, 1, 1], activation, "identity")
        network.parameters[:] = [1.0, 0.0, 1.0, 0.0]
        out = network.predict(_core.Dataset(np.float32([[np.nan]])))
        assert np.isnan(out).all(), activation


def test_training_epochs_allocate_nothing_once_the_workspace_is_sized():
    rng = np.random.default_rng(4)
    X = rng.random((1000, 64), dtype=np.float32)
    y = rng.random((1000, 3), dtype=np.float32)
    network = _core.Network([64, 128, 128, 3], "relu", "identity")
    network.initialize(0, 6.0)
    adam = {**SOLVER_OPTIONS["adam"], "learning_rate": 1e-3}
    trainer = make_trainer(
        network, "squared_error", 1e-4, adam, collect_statistics=True
    )
    data = _core.Dataset(X)
    trainer.train_epoch(data, y, None, 32, True, 1, 0)
    before = _core.buffer_allocation_count()
    for epoch in range(1, 4):
        trainer.train_epoch(data, y, None, 32, True, 1, epoch)
    # 32 batches per epoch: one allocation per batch would show as ~100.
    assert _core.buffer_allocation_count() == before
