"""Loss values: the engine's loss is scikit-learn's own LOSS_FUNCTIONS applied
to the network's output, plus sklearn's L2 term."""

import numpy as np
import numpy_reference as ref
import pytest
from engine_helpers import (
    LOSSES,
    make_inputs,
    make_network,
    make_sample_weight,
    make_targets,
    parameters64,
)
from fastdnn import _core
from sklearn.neural_network._base import LOSS_FUNCTIONS

LAYER_UNITS = [5, 6, 4, 3]
ALPHA = 0.2


def sklearn_loss(loss, y, output, sample_weight, params, alpha):
    """What sklearn's _backprop returns as the loss for this batch."""
    value = LOSS_FUNCTIONS[loss](y, output, sample_weight)
    sw_sum = y.shape[0] if sample_weight is None else sample_weight.sum()
    weights, _ = ref.unpack(params, LAYER_UNITS)
    squared_norm = sum(np.dot(W.ravel(), W.ravel()) for W in weights)
    return value + 0.5 * alpha * squared_norm / sw_sum


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", LOSSES)
def test_loss_equals_sklearn_loss_of_network_output_plus_l2(loss, weighted):
    rng = np.random.default_rng(20)
    net = make_network(LAYER_UNITS, "tanh", loss, seed=21)
    X = make_inputs(rng, 25, LAYER_UNITS[0])
    y = make_targets(rng, loss, 25, LAYER_UNITS[-1])
    sw = make_sample_weight(rng, 25) if weighted else None
    data = _core.Dataset(X)
    # sklearn computes from the activated output; the engine from the
    # pre-activation. Given the same float32 output they agree to rounding.
    output = net.predict(data).astype(np.float64)
    sw64 = None if sw is None else sw.astype(np.float64)
    expected = sklearn_loss(
        loss, y.astype(np.float64), output, sw64, parameters64(net), ALPHA
    )
    value, _ = net.loss_and_gradient(data, y, sw, loss, ALPHA)
    assert value == pytest.approx(expected, rel=1e-5)
    # And without the L2 term: the penalty is not double-counted or dropped.
    value_no_l2, _ = net.loss_and_gradient(data, y, sw, loss, 0.0)
    expected_no_l2 = LOSS_FUNCTIONS[loss](y.astype(np.float64), output, sw64)
    assert value_no_l2 == pytest.approx(expected_no_l2, rel=1e-5)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", LOSSES)
def test_reference_losses_equal_sklearn_loss_functions(loss, weighted):
    # Guards the reference the other tests lean on: computed from z, it must
    # give sklearn's value (away from sklearn's eps clipping).
    rng = np.random.default_rng(22)
    z = rng.normal(size=(15, 3))
    y = make_targets(rng, loss, 15, 3).astype(np.float64)
    sw = make_sample_weight(rng, 15).astype(np.float64) if weighted else None
    output = ref.activation(ref.OUTPUT_ACTIVATION[loss], z)
    assert ref.data_loss(loss, z, y, sw) == pytest.approx(
        LOSS_FUNCTIONS[loss](y, output, sw), rel=1e-12
    )


def test_squared_error_averages_over_outputs_like_sklearn():
    # sklearn's squared_loss is ½·mean over samples *and* outputs: a net with
    # every output off by 1 has loss 0.5 whatever the number of outputs.
    for n_outputs in (1, 4):
        net = _core.Network([2, n_outputs], "identity", "identity")
        net.parameters[:] = 0.0
        data = _core.Dataset(np.zeros((3, 2), np.float32))
        y = np.ones((3, n_outputs), np.float32)
        value, _ = net.loss_and_gradient(data, y, None, "squared_error", 0.0)
        assert value == pytest.approx(0.5)


def test_poisson_loss_is_zero_at_the_exact_mean():
    # Half deviance: 0 when exp(z) = y, zeros in y included (0·log 0 = 0).
    y = np.array([[0.0, 1.0, 3.0]], np.float32)
    net = _core.Network([1, 3], "identity", "exp")
    net.parameters[:] = 0.0
    # z = bias; y = 0 needs z → -inf, so use a tiny mean and check the limit.
    net.intercept(0)[:] = np.log(np.maximum(y[0], 1e-30))
    value, gradient = net.loss_and_gradient(
        _core.Dataset(np.zeros((1, 1), np.float32)), y, None, "poisson", 0.0
    )
    assert value == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(gradient, 0.0, atol=1e-6)
