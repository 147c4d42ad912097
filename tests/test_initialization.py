"""Weight initialisation schemes: each against the float64 numpy reference
built from the same Philox words, their statistics (mean, spread, bounds,
orthogonality, sparsity), determinism per (seed, layer), and the estimators'
`weight_init` parameter."""

import warnings

import numpy as np
import numpy_reference as ref
import pytest
from fastdnn import MLPClassifier, MLPRegressor, _core
from fastdnn._options import WEIGHT_INITS
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

SCHEMES = [name for name in WEIGHT_INITS if name != "auto"]
INITIALIZATION_STREAM = 1  # RandomStream::initialization


def initialized(layer_units, scheme, seed=0, glorot_factor=6.0, n_threads=0):
    net = _core.Network(list(layer_units), "relu", "identity")
    net.initialize(seed, glorot_factor, scheme, n_threads=n_threads)
    return net


def philox_blocks(seed, layer, n):
    counter_high = (INITIALIZATION_STREAM << 32) | (2 * layer)
    return np.array(
        [_core.philox4x32(seed, counter_high, i) for i in range(n)], dtype=np.uint32
    )


@pytest.mark.parametrize("shape", [(7, 5), (5, 7), (6, 6), (20, 3)], ids=str)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_weights_match_reference_and_biases_are_zero(scheme, shape):
    fan_in, fan_out = shape
    net = initialized([3, fan_in, fan_out], scheme, seed=11)
    blocks = philox_blocks(11, 1, fan_in * fan_out)
    expected = ref.initial_weights(scheme, fan_in, fan_out, blocks)
    # float32 rounding of float64 values (orthogonal: plus Gram–Schmidt vs QR)
    np.testing.assert_allclose(net.coef(1), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(net.intercept(0), 0.0)
    np.testing.assert_array_equal(net.intercept(1), 0.0)


def test_auto_is_scikit_learns_glorot_uniform_with_drawn_biases():
    a = initialized([30, 20, 4], "auto", seed=3, glorot_factor=2.0)
    b = _core.Network([30, 20, 4], "relu", "identity")
    b.initialize(3, 2.0)  # the signature every earlier caller uses
    np.testing.assert_array_equal(a.parameters, b.parameters)
    for layer, (fan_in, fan_out) in enumerate([(30, 20), (20, 4)]):
        bound = np.sqrt(2.0 / (fan_in + fan_out))
        u = ref.uniform_from_words(*philox_blocks(3, layer, fan_in * fan_out)[:, :2].T)
        np.testing.assert_allclose(
            a.coef(layer).ravel(), (2 * u - 1) * bound, rtol=1e-6, atol=1e-8
        )
        assert np.all(np.abs(a.intercept(layer)) <= bound)
        assert np.any(a.intercept(layer) != 0)


UNIFORM_BOUND = {
    "glorot_uniform": lambda fi, fo: np.sqrt(6 / (fi + fo)),
    "he_uniform": lambda fi, fo: np.sqrt(6 / fi),
    "lecun_uniform": lambda fi, fo: np.sqrt(3 / fi),
}
NORMAL_STD = {
    "glorot_normal": lambda fi, fo: np.sqrt(2 / (fi + fo)),
    "he_normal": lambda fi, fo: np.sqrt(2 / fi),
    "lecun_normal": lambda fi, fo: np.sqrt(1 / fi),
    "normal": lambda fi, fo: 0.01,
}
FAN_IN, FAN_OUT = 300, 200  # 60,000 draws: the std is known to ~0.3%


@pytest.mark.parametrize("scheme", list(UNIFORM_BOUND))
def test_uniform_schemes_fill_their_interval_evenly(scheme):
    w = initialized([FAN_IN, FAN_OUT, 1], scheme, seed=5).coef(0).ravel()
    bound = UNIFORM_BOUND[scheme](FAN_IN, FAN_OUT)
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.999 * bound
    assert abs(w.mean()) < 4 * bound / np.sqrt(3 * w.size)
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.01)
    assert stats.kstest(w, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3


@pytest.mark.parametrize("scheme", list(NORMAL_STD))
def test_normal_schemes_are_gaussian_with_their_std(scheme):
    w = initialized([FAN_IN, FAN_OUT, 1], scheme, seed=6).coef(0).ravel()
    std = NORMAL_STD[scheme](FAN_IN, FAN_OUT)
    assert abs(w.mean()) < 4 * std / np.sqrt(w.size)
    assert w.std() == pytest.approx(std, rel=0.01)
    assert stats.kstest(w, stats.norm(0, std).cdf).pvalue > 1e-3


@pytest.mark.parametrize("shape", [(64, 64), (200, 30), (30, 200), (1, 5)], ids=str)
def test_orthogonal_has_orthonormal_columns_or_rows(shape):
    w = initialized([2, *shape], "orthogonal", seed=7).coef(1).astype(np.float64)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=2e-6)
    other = initialized([2, *shape], "orthogonal", seed=8).coef(1)
    assert not np.allclose(w, other)


@pytest.mark.parametrize("fan_in", [1, 7, 15, 16, 400])
def test_sparse_gives_each_unit_fifteen_gaussian_inputs(fan_in):
    w = initialized([fan_in, 300, 1], "sparse", seed=9).coef(0)
    nonzero_per_unit = np.count_nonzero(w, axis=0)
    np.testing.assert_array_equal(nonzero_per_unit, min(15, fan_in))
    values = w[w != 0]
    assert stats.kstest(values, stats.norm(0, 1).cdf).pvalue > 1e-3
    if fan_in == 400:
        # 4,500 choices over 400 inputs: each input about equally often.
        chosen = np.count_nonzero(w, axis=1)
        assert stats.chisquare(chosen).pvalue > 1e-3


@pytest.mark.parametrize("scheme", ["glorot_uniform", "he_normal"])
def test_large_layers_match_reference_on_any_thread_count(scheme):
    # 300 x 257 weights: past the size from which the fill is shared between
    # threads, and neither a multiple of the 16 blocks made at once nor of the
    # 256 made per batch.
    fan_in, fan_out = 300, 257
    nets = [
        initialized([3, fan_in, fan_out], scheme, 5, n_threads=n) for n in (1, 2, 3)
    ]
    expected = ref.initial_weights(
        scheme, fan_in, fan_out, philox_blocks(5, 1, fan_in * fan_out)
    )
    np.testing.assert_allclose(nets[0].coef(1), expected, rtol=1e-6, atol=1e-7)
    for net in nets[1:]:
        np.testing.assert_array_equal(net.parameters, nets[0].parameters)


@pytest.mark.parametrize("scheme", ["auto", *SCHEMES])
def test_values_depend_on_seed_and_layer_only(scheme):
    a = initialized([10, 12, 9, 3], scheme, seed=21)
    again = initialized([10, 12, 9, 3], scheme, seed=21)
    np.testing.assert_array_equal(a.parameters, again.parameters)
    # The same first layer in another network: the same values.
    other = initialized([10, 12, 5], scheme, seed=21)
    np.testing.assert_array_equal(a.coef(0), other.coef(0))
    reseeded = initialized([10, 12, 9, 3], scheme, seed=22)
    assert not np.array_equal(a.coef(0), reseeded.coef(0))
    # Layers of the same shape differ: the layer is part of the key.
    square = initialized([8, 8, 8, 8], scheme, seed=21)
    assert not np.array_equal(square.coef(0), square.coef(1))


def test_unknown_scheme_raises_value_error():
    net = _core.Network([3, 4, 2], "relu", "identity")
    with pytest.raises(ValueError, match="unknown weight_init 'xavier'"):
        net.initialize(0, 6.0, "xavier")


# ----------------------------------------------------------------------------
# the estimators


def data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 8))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def initial_state(scheme):
    """The fitted model after one SGD step with a negligible learning rate."""
    X, y = data()
    clf = MLPClassifier(
        hidden_layer_sizes=(40, 30),
        solver="sgd",
        learning_rate_init=1e-12,
        max_iter=1,
        random_state=0,
        weight_init=scheme,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


def test_estimator_uses_the_scheme():
    he = initial_state("he_normal")
    assert np.abs(np.concatenate(he.intercepts_)).max() < 1e-9
    assert he.coefs_[1].std() == pytest.approx(np.sqrt(2 / 40), rel=0.15)
    orthogonal = initial_state("orthogonal")
    w = orthogonal.coefs_[1].astype(np.float64)
    np.testing.assert_allclose(w.T @ w, np.eye(30), atol=1e-5)
    auto = initial_state("auto")
    assert np.abs(auto.intercepts_[0]).max() > 0  # scikit-learn draws them


def test_weight_init_is_a_parameter_clone_and_grid_search_see():
    clf = MLPRegressor(weight_init="lecun_normal", activation="selu")
    assert clone(clf).get_params()["weight_init"] == "lecun_normal"
    X, y = data(1)
    search = GridSearchCV(
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
        {"weight_init": ["he_uniform", "sparse"]},
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y.astype(float))
    assert search.best_params_["weight_init"] in ("he_uniform", "sparse")


@pytest.mark.parametrize("bad", ["xavier", "Auto", None])
def test_estimator_rejects_an_unknown_scheme(bad):
    X, y = data()
    with pytest.raises(ValueError, match="weight_init"):
        MLPClassifier(weight_init=bad).fit(X, y)
