"""Hidden activations against the float64 numpy reference: the elementwise
kernels on every instruction-set path (awkward sizes, NaN, ±inf, huge inputs),
gradients through the engine by finite differences, one activation per hidden
layer, and the estimators' `activation` / `leaky_relu_slope` parameters."""

import warnings

import numpy as np
import numpy_reference as ref
import pytest
from engine_helpers import (
    LOSSES,
    assert_close,
    make_inputs,
    make_targets,
    parameters64,
)
from fastdnn import MLPClassifier, MLPRegressor, _core
from fastdnn._options import HIDDEN_ACTIVATIONS
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

HIDDEN = list(HIDDEN_ACTIVATIONS)
NEW = HIDDEN[4:]  # the list starts with scikit-learn's four
SKLEARN_ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
# Where f' jumps (f is continuous there): finite differences must not cross 0.
KINKED = {"relu", "leaky_relu", "selu"}
ISAS = _core.supported_isas()
# Sizes that leave every vector width a remainder, and one below any width.
SHAPES = [(1, 1), (3, 7), (13, 17), (1201, 5)]


def inputs(shape, seed=0):
    """float32 values over the range where every activation bends and
    saturates, with exact zeros, tiny values and both tails mixed in."""
    rng = np.random.default_rng(seed)
    pool = np.concatenate(
        [
            [0.0, -0.0, 1e-7, -1e-7, 1e-3, -1e-3, 0.49, -0.51, 50.0, -50.0],
            np.linspace(-30.0, 30.0, 3001),
            rng.normal(scale=4.0, size=3000),
        ]
    )
    return np.resize(rng.permutation(pool), shape).astype(np.float32)


def forward(name, z, slope=ref.LEAKY_RELU_SLOPE):
    y = np.array(z, dtype=np.float32)
    _core.activation_forward(y, name, slope)
    return y


def backward(name, delta, z, y, slope=ref.LEAKY_RELU_SLOPE):
    out = np.array(delta, dtype=np.float32)
    _core.activation_backward(out, z, y, name, slope)
    return out


# ----------------------------------------------------------------------------
# 1. the kernels


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", HIDDEN)
def test_forward_matches_reference_on_every_path(isa, name, shape):
    z = inputs(shape)
    y = forward(name, z)
    expected = ref.activation(name, z.astype(np.float64))
    # ~10 float32 roundings of value-sized terms; gelu's x²/2 in its exponent
    # loses up to ~1e-6 relative at |x| ≈ 5 (and more where gelu < 1e-7).
    np.testing.assert_allclose(y, expected, rtol=3e-6, atol=2e-7)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", HIDDEN)
def test_backward_matches_reference_derivative_on_every_path(isa, name, shape):
    rng = np.random.default_rng(1)
    z = inputs(shape, seed=2)
    delta = (
        rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1, 1], size=shape)
    ).astype(np.float32)
    y = forward(name, z)
    got = backward(name, delta, z, y)
    expected = delta * ref.activation_derivative(name, z.astype(np.float64))
    # Derivatives read from y = f(z) carry y's rounding: where f' = y + c
    # cancels (elu, selu, tanh and logistic in their tails) the error is
    # ~ulp(c), absolute; silu's z·(1 − σ) multiplies σ's rounding by z.
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-6)


LIMITS = {  # f(-inf), f(+inf), f'(-inf), f'(+inf)
    "leaky_relu": (-np.inf, np.inf, ref.LEAKY_RELU_SLOPE, 1.0),
    "elu": (-1.0, np.inf, 0.0, 1.0),
    "selu": (-ref.SELU_SCALE * ref.SELU_ALPHA, np.inf, 0.0, ref.SELU_SCALE),
    "gelu": (0.0, np.inf, 0.0, 1.0),
    "silu": (0.0, np.inf, 0.0, 1.0),
    "softplus": (0.0, np.inf, 0.0, 1.0),
}


@pytest.mark.parametrize("name", NEW)
def test_infinities_give_the_limits_and_nan_propagates(isa, name):
    f_low, f_high, d_low, d_high = LIMITS[name]
    z = np.float32([[-np.inf, np.inf, -1e30, 1e30, np.nan]])
    y = forward(name, z)
    np.testing.assert_allclose(y[0, :2], [f_low, f_high], rtol=1e-6, atol=1e-30)
    huge = ref.activation(name, np.float64([-1e30, 1e30]))
    np.testing.assert_allclose(y[0, 2:4], huge, rtol=1e-6, atol=1e-30)
    assert np.isnan(y[0, 4])
    d = backward(name, np.ones_like(z), z, y)
    np.testing.assert_allclose(
        d[0, :4], [d_low, d_high, d_low, d_high], rtol=1e-6, atol=1e-30
    )


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.0])
def test_leaky_relu_uses_its_slope(isa, slope):
    z = inputs((31, 5), seed=3)
    y = forward("leaky_relu", z, slope)
    expected = ref.activation("leaky_relu", z.astype(np.float64), slope)
    np.testing.assert_allclose(y, expected, rtol=1.2e-7)  # one float32 rounding
    delta = np.ones_like(z)
    expected = ref.activation_derivative("leaky_relu", z.astype(np.float64), slope)
    np.testing.assert_allclose(
        backward("leaky_relu", delta, z, y, slope), expected, rtol=1.2e-7
    )
    if slope == 0.0:
        np.testing.assert_array_equal(y, forward("relu", z))


def test_every_path_gives_nearly_the_same_values():
    # Different vector widths may round differently, but never by more
    # than a few ulp: a path computing another formula would show.
    z = inputs((101, 9), seed=4)
    previous = _core.active_isa()
    try:
        results = {}
        for path in ISAS:
            _core.set_isa(path)
            results[path] = {name: forward(name, z) for name in NEW}
    finally:
        _core.set_isa(previous)
    for path in ISAS:
        for name in NEW:
            np.testing.assert_allclose(
                results[path][name], results["generic"][name], rtol=2e-6, atol=1e-7
            )


# ----------------------------------------------------------------------------
# 2. gradients through the engine

LAYER_UNITS = [4, 6, 5, 3]
ALPHA = 0.3


def network(layer_units, hidden_activation, loss, seed):
    net = _core.Network(
        list(layer_units), hidden_activation, ref.OUTPUT_ACTIVATION[loss]
    )
    net.initialize(seed, 6.0)
    return net


def rows_away_from_kinks(params, layer_units, hidden_activation, X, margin):
    """Rows whose hidden pre-activations all have |z| > margin wherever the
    layer's activation has a kink at 0, so finite differences never cross it."""
    _, pre_activations = ref.forward_with_pre_activations(
        params, layer_units, hidden_activation, X.astype(np.float64)
    )
    names = ref.hidden_activation_list(hidden_activation, len(layer_units) - 2)
    keep = np.ones(X.shape[0], dtype=bool)
    for name, z in zip(names, pre_activations[:-1], strict=True):
        if name in KINKED:
            keep &= np.all(np.abs(z) > margin, axis=1)
    return np.flatnonzero(keep)


def check_gradient(layer_units, hidden_activation, loss, seed):
    rng = np.random.default_rng(seed)
    net = network(layer_units, hidden_activation, loss, seed)
    params = parameters64(net)
    X = make_inputs(rng, 60, layer_units[0])
    rows = rows_away_from_kinks(params, layer_units, hidden_activation, X, 1e-2)
    assert rows.size >= 10, "too few rows away from the kinks"
    X = np.ascontiguousarray(X[rows[:10]])
    y = make_targets(rng, loss, X.shape[0], layer_units[-1])
    args = (
        layer_units,
        hidden_activation,
        loss,
        X.astype(np.float64),
        y.astype(np.float64),
    )
    args = (*args, None, ALPHA)

    value, gradient = net.loss_and_gradient(_core.Dataset(X), y, None, loss, ALPHA)
    ref_value, ref_gradient = ref.loss_and_gradient(params, *args)
    numerical = ref.finite_difference_gradient(
        lambda p: ref.objective_of_gradient(p, *args), params
    )
    assert_close(
        ref_gradient, numerical, rtol=1e-6, atol_fraction=1e-7, what="ref vs FD"
    )
    assert_close(gradient, ref_gradient, rtol=1e-4, atol_fraction=1e-5, what="vs ref")
    assert_close(gradient, numerical, rtol=1e-4, atol_fraction=1e-5, what="vs FD")
    assert value == pytest.approx(ref_value, rel=1e-5)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("name", NEW)
def test_gradient_matches_finite_differences(name, loss):
    check_gradient(LAYER_UNITS, name, loss, seed=5)


PER_LAYER = ["gelu", "leaky_relu", "softplus", "selu", "silu", "elu", "tanh"]
PER_LAYER_UNITS = [5, 6, 5, 7, 4, 6, 5, 4, 3]


def test_one_activation_per_hidden_layer_gradient():
    check_gradient(PER_LAYER_UNITS, PER_LAYER, "log_loss", seed=6)


def test_one_activation_per_hidden_layer_forward():
    rng = np.random.default_rng(7)
    net = network(PER_LAYER_UNITS, PER_LAYER, "log_loss", seed=7)
    X = make_inputs(rng, 50, PER_LAYER_UNITS[0])
    expected = ref.predict(parameters64(net), PER_LAYER_UNITS, PER_LAYER, "softmax", X)
    assert net.hidden_activations == PER_LAYER
    assert_close(net.predict(_core.Dataset(X)), expected, rtol=1e-5, atol_fraction=1e-6)


def test_network_rejects_a_negative_leaky_relu_slope():
    with pytest.raises(ValueError, match="leaky_relu_slope"):
        _core.Network([3, 4, 2], "leaky_relu", "identity", -0.1)


# ----------------------------------------------------------------------------
# 3. the estimators


def regression_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(80, 5))
    return X, np.sin(X[:, 0]) + X[:, 1] * X[:, 2]


def fitted_parameters(estimator):
    return np.concatenate(
        [
            a.ravel()
            for pair in zip(estimator.coefs_, estimator.intercepts_, strict=True)
            for a in pair
        ]
    ).astype(np.float64)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_estimator_with_one_activation_per_layer_predicts_as_the_reference(solver):
    X, y = regression_data()
    activation = ["gelu", "selu", "leaky_relu"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = MLPRegressor(
            hidden_layer_sizes=(9, 7, 6),
            activation=activation,
            leaky_relu_slope=0.3,
            solver=solver,
            max_iter=30,
            random_state=0,
        ).fit(X, y)
    units = [5, 9, 7, 6, 1]
    params = fitted_parameters(reg)
    _, pre_activations = ref.forward_with_pre_activations(params, units, activation, X)
    hidden = ref.activation("gelu", pre_activations[0])
    hidden = ref.activation("selu", hidden @ reg.coefs_[1] + reg.intercepts_[1])
    hidden = ref.activation(
        "leaky_relu", hidden @ reg.coefs_[2] + reg.intercepts_[2], 0.3
    )
    expected = (hidden @ reg.coefs_[3] + reg.intercepts_[3]).ravel()
    assert_close(reg.predict(X), expected, rtol=1e-5, atol_fraction=1e-5)
    assert (
        reg.loss_curve_[-1] < reg.loss_curve_[0] if solver == "adam" else reg.loss_ < 1
    )


def test_leaky_relu_slope_changes_the_model():
    X, y = regression_data(1)
    fits = [
        MLPRegressor(
            hidden_layer_sizes=(10,),
            activation="leaky_relu",
            leaky_relu_slope=slope,
            max_iter=5,
            random_state=0,
        )
        for slope in (0.0, 0.5)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        relu = MLPRegressor(hidden_layer_sizes=(10,), max_iter=5, random_state=0)
        predictions = [est.fit(X, y).predict(X) for est in [*fits, relu]]
    np.testing.assert_array_equal(predictions[0], predictions[2])  # slope 0 is relu
    assert not np.allclose(predictions[0], predictions[1])


@pytest.mark.parametrize("name", NEW)
def test_every_new_activation_learns_a_classifier(name):
    # XOR of two signs: a linear model (identity) scores about 0.6 here.
    X = np.random.default_rng(2).normal(size=(200, 2))
    labels = X[:, 0] * X[:, 1] > 0
    clf = MLPClassifier(
        hidden_layer_sizes=(16,),
        activation=name,
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, labels)
    assert clf.score(X, labels) > 0.95


def test_activation_parameters_survive_clone_and_grid_search():
    est = MLPClassifier(activation=["elu", "silu"], leaky_relu_slope=0.2)
    params = clone(est).get_params()
    assert params["activation"] == ["elu", "silu"]
    assert params["leaky_relu_slope"] == 0.2
    X, y = regression_data(3)
    search = GridSearchCV(
        MLPRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0),
        {"activation": ["softplus", ["gelu"]], "leaky_relu_slope": [0.1]},
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    assert search.best_params_["activation"] in ("softplus", ["gelu"])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"activation": "swish"}, "'activation' parameter"),
        ({"activation": ["relu"]}, "list of 1 names, but the network has 2 hidden"),
        ({"activation": ["relu", "relu", "tanh"]}, "list of 3 names"),
        ({"activation": ["relu", "sigmoid"]}, r"activation\[1\] is 'sigmoid'"),
        ({"activation": ["relu", "softmax"]}, r"activation\[1\] is 'softmax'"),
        ({"leaky_relu_slope": -0.1}, "'leaky_relu_slope' parameter"),
        ({"leaky_relu_slope": 1.5}, "'leaky_relu_slope' parameter"),
    ],
)
def test_estimator_rejects_bad_activation_parameters(params, message):
    X, y = regression_data()
    with pytest.raises(ValueError, match=message):
        MLPRegressor(hidden_layer_sizes=(4, 3), **params).fit(X, y)


def test_public_list_starts_with_scikit_learns_activations():
    assert HIDDEN[:4] == SKLEARN_ACTIVATIONS
    assert len(NEW) == len(set(NEW)) and not set(NEW) & set(SKLEARN_ACTIVATIONS)


def test_kernel_bindings_write_only_into_float32_arrays():
    # A converted copy would take the result and the caller's array would not.
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="x must be a float32 numpy array"):
        _core.activation_forward(x, "relu")
    z = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="delta must be a float32 numpy array"):
        _core.activation_backward(x, z, z, "relu")
