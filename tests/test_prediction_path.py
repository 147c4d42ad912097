"""Prediction as a server uses it: the fast path for a C-contiguous float32
array must give exactly what the general path gives, fall back wherever the
input needs validation, allocate nothing once warm, and be safe to call from
several threads at once."""

from itertools import pairwise

import numpy as np
import numpy_reference as reference
import pandas as pd
import pytest
import scipy.sparse
from engine_helpers import run_with_threads
from estimator_helpers import (
    assert_threads_predict_alike,
    ignore_convergence,
    with_precision,
)
from fastdnn import MLPClassifier, MLPRegressor, _core

N_FEATURES = 12


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, N_FEATURES)).astype(np.float32)
    y_class = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    y_reg = np.stack([X[:, 0] - X[:, 3], X[:, 1] * 2], axis=1)
    return X, y_class, y_reg


@pytest.fixture(scope="module")
def classifier(data):
    X, y, _ = data
    with ignore_convergence():
        return MLPClassifier((32, 16), max_iter=5, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def regressor(data):
    X, _, y = data
    with ignore_convergence():
        return MLPRegressor(
            hidden_layer_sizes=(32, 16), max_iter=5, random_state=0
        ).fit(X, y)


def general_path_copy(X):
    # Same values, Fortran order: not eligible for the fast path.
    return np.asfortranarray(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_path_matches_the_general_path_bit_for_bit(
    data, classifier, regressor, dtype
):
    # float64 rows are converted in the engine, a chunk at a time, rather
    # than by numpy first: the same rounding, so the same bits.
    X = data[0].astype(dtype)
    for method in (classifier.predict_proba, classifier.predict, regressor.predict):
        fast = method(X)
        general = method(general_path_copy(X))
        assert fast.dtype == general.dtype
        assert fast.tobytes() == general.tobytes()
        assert method(X[:1]).tobytes() == general[:1].tobytes()
    # float64 takes the same float32 network up to the output layer, and its
    # output activation in float64: float32's numbers, to float32's precision.
    np.testing.assert_allclose(
        classifier.predict_proba(X),
        classifier.predict_proba(X.astype(np.float32)),
        rtol=1e-6,
    )


def test_a_row_predicts_the_same_alone_and_in_any_batch(data, classifier):
    X = data[0]
    whole = classifier.predict_proba(X)
    alone = np.concatenate([classifier.predict_proba(X[i : i + 1]) for i in range(50)])
    assert alone.tobytes() == whole[:50].tobytes()
    assert classifier.predict_proba(X[37:211]).tobytes() == whole[37:211].tobytes()


def test_the_engine_fast_path_matches_the_dataset_path(classifier, data):
    X = data[0]
    network = classifier._network
    fast = network.predict_serving(X, 0)
    assert fast.tobytes() == network.predict(_core.Dataset(X), 0).tobytes()


def test_the_engine_fast_path_returns_x_dtype_and_declines_what_needs_validating(
    classifier, data
):
    X = data[0][:20]
    network = classifier._network
    expected = network.predict(_core.Dataset(X), 0, float64=True)
    as_float64 = network.predict_serving(X.astype(np.float64), 0)
    assert as_float64.dtype == np.float64
    np.testing.assert_array_equal(as_float64, expected)
    unaligned = np.frombuffer(b"\0" + X.tobytes(), np.float32, X.size, 1).reshape(
        X.shape
    )
    assert not unaligned.flags.aligned
    declined = {
        "Fortran order": np.asfortranarray(X),
        "big-endian": X.astype(">f4"),
        "float16": X.astype(np.float16),
        "integers": X.astype(np.int64),
        "1-D": X[0],
        "3-D": X[None],
        "wider": np.ones((3, N_FEATURES + 1), np.float32),
        "no rows": X[:0],
        "unaligned": unaligned,
        "a list": X.tolist(),
        "None": None,
    }
    for name, candidate in declined.items():
        assert network.predict_serving(candidate, 0) is None, name
    # Each still predicts through the estimator's validating path, in float64
    # unless it is float32.
    for name in ("Fortran order", "big-endian", "float16", "integers", "unaligned"):
        candidate = declined[name]
        as_float32 = np.ascontiguousarray(candidate, np.float32)
        float64 = candidate.dtype != np.float32
        np.testing.assert_array_equal(
            classifier.predict_proba(candidate),
            network.predict(_core.Dataset(as_float32), 0, float64=float64),
            err_msg=name,
        )


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_finite_input_raises_the_validation_error(
    classifier, regressor, data, bad, dtype
):
    X = data[0][:5].astype(dtype)
    X[3, 7] = bad
    message = "NaN" if np.isnan(bad) else "infinity"
    for method in (classifier.predict_proba, classifier.predict, regressor.predict):
        with pytest.raises(ValueError, match=message):
            method(X)
    assert classifier._network.predict_serving(X, 0) is None


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("position", [0, 4095, 4096, 4111, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_path_finds_a_non_finite_value_anywhere(classifier, bad, position, dtype):
    # The scan runs in blocks of 4096 values, a vector at a time: a value at a
    # block's edge or in the last, partial vector must not slip through.
    X = np.ones((400, N_FEATURES), dtype)
    X.reshape(-1)[position] = bad
    assert classifier._network.predict_serving(X, 0) is None
    X.reshape(-1)[position] = np.finfo(np.float32).max
    assert classifier._network.predict_serving(X, 0) is not None
    if dtype == np.float64:
        # Finite, but infinity once rounded to the engine's float32.
        X.reshape(-1)[position] = np.finfo(np.float64).max
        assert classifier._network.predict_serving(X, 0) is None


def test_wrong_width_raises_the_same_error_as_the_general_path(classifier):
    X = np.ones((3, N_FEATURES + 1), np.float32)
    expected = f"X has {N_FEATURES + 1} features, but MLPClassifier is expecting"
    with pytest.raises(ValueError, match=expected):
        classifier.predict_proba(X)
    with pytest.raises(ValueError, match=expected):
        classifier.predict_proba(general_path_copy(X))


def test_non_contiguous_sparse_and_list_inputs_fall_back(classifier, data):
    X = data[0][:40]
    expected = classifier.predict_proba(X)
    wider = np.zeros((40, 2 * N_FEATURES), np.float32)
    wider[:, ::2] = X
    strided = wider[:, ::2]
    assert not strided.flags.c_contiguous
    assert classifier.predict_proba(strided).tobytes() == expected.tobytes()
    sparse = classifier.predict_proba(scipy.sparse.csr_matrix(X))
    assert sparse.tobytes() == expected.tobytes()
    from_list = classifier.predict_proba(X.tolist())
    np.testing.assert_array_equal(from_list, classifier.predict_proba(X.astype(float)))


def test_feature_names_are_still_checked(data):
    X, y, _ = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(N_FEATURES)])
    with ignore_convergence():
        model = MLPClassifier((8,), max_iter=2, random_state=0).fit(frame, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        unnamed = model.predict_proba(X)
    assert model.predict_proba(frame).tobytes() == unnamed.tobytes()


def test_edits_to_coefs_are_honoured_on_the_fast_path(data):
    X, y, _ = data
    with ignore_convergence():
        model = MLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)
    before = model.predict_proba(X[:10])
    model.coefs_[1] = np.zeros_like(model.coefs_[1])
    model.intercepts_[1] = np.zeros_like(model.intercepts_[1])
    uniform = np.full_like(before, 1 / before.shape[1])
    np.testing.assert_allclose(model.predict_proba(X[:10]), uniform, rtol=1e-6)


def test_replaced_coefs_that_do_not_fit_the_network_are_named(data):
    X, y, _ = data
    with ignore_convergence():  # binary: the output intercept has one element
        model = MLPClassifier((8,), max_iter=2, random_state=0).fit(X, y > 0)
    expected = model.predict_proba(X[:10])
    model.coefs_[0] = np.ones((N_FEATURES, 9))
    with pytest.raises(ValueError, match=r"coefs_\[0\] has shape \(12, 9\)"):
        model.predict_proba(X[:10])
    model.coefs_ = model.coefs_[:1]
    with pytest.raises(ValueError, match="coefs_ must hold 2 arrays"):
        model.predict_proba(X[:10])
    # Equal values in new arrays, a 1-element one among them: the same model.
    model.coefs_ = [np.array(model._network.coef(i)) for i in range(2)]
    model.intercepts_ = [np.array(model._network.intercept(i)) for i in range(2)]
    assert model.predict_proba(X[:10]).tobytes() == expected.tobytes()


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_prediction_allocates_nothing_once_warm(classifier, data, precision):
    X = data[0]
    classifier = with_precision(classifier, precision)
    for rows in (1, 300):
        classifier.predict_proba(X[:rows])
        before = _core.buffer_allocation_count()
        for _ in range(20):
            classifier.predict_proba(X[:rows])
        assert _core.buffer_allocation_count() == before, rows


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_predicting_from_several_threads_at_once(classifier, data, precision):
    X = data[0]
    classifier = with_precision(classifier, precision)
    slices = [X[start : start + 60] for start in range(0, 240, 60)]
    expected = [classifier.predict_proba(rows) for rows in slices]
    assert_threads_predict_alike(classifier.predict_proba, slices, expected, calls=30)


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("n_features", [3, 37])
def test_fused_layers_match_the_reference_on_every_path(isa, activation, n_features):
    # Bias and activation run inside the forward GEMM, f' inside dX's and the
    # bias gradient inside dW's: compare both passes with float64 numpy. Three
    # input features send dW through the GEMM's few-rows path.
    layer_units = [n_features, 300, 70, 3]
    rng = np.random.default_rng(n_features)
    network = _core.Network(layer_units, activation, "identity")
    network.initialize(1, 6.0)
    params = network.parameters.astype(np.float64)
    X = rng.standard_normal((130, n_features)).astype(np.float32)
    y = rng.standard_normal((130, 3)).astype(np.float32)
    expected = reference.predict(params, layer_units, activation, "identity", X)
    np.testing.assert_allclose(
        network.predict_serving(X, 0), expected, rtol=1e-4, atol=1e-5
    )
    loss, gradient = network.loss_and_gradient(
        _core.Dataset(X), y, None, "squared_error", 0.0
    )
    expected_loss, expected_gradient = reference.loss_and_gradient(
        params, layer_units, activation, "squared_error", X, y, None, 0.0
    )
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
def test_fused_layers_predict_a_row_the_same_in_any_batch(isa, activation):
    network = _core.Network([37, 300, 70, 5], activation, "softmax")
    network.initialize(2, 6.0)
    X = np.random.default_rng(5).standard_normal((400, 37)).astype(np.float32)
    whole = network.predict_serving(X, 0)
    bounds = [0, 1, 5, 6, 140, 141, 400]
    pieces = [network.predict_serving(X[i:j], 0) for i, j in pairwise(bounds)]
    assert np.concatenate(pieces).tobytes() == whole.tobytes()


# Training with fused kernels and predicting, on every path, hashed so that
# runs with different thread counts can be compared.
TRAIN_AND_PREDICT = """
import hashlib, warnings
import numpy as np
from fastdnn import MLPClassifier, MLPRegressor, _core
from sklearn.exceptions import ConvergenceWarning

warnings.simplefilter("ignore", ConvergenceWarning)
rng = np.random.default_rng(3)
X = rng.standard_normal((700, 37)).astype(np.float32)
y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
digest = hashlib.sha256()
for isa in _core.supported_isas():
    _core.set_isa(isa)
    for activation in ("relu", "tanh"):
        # Over 65,536 parameters: the optimizer and penalty passes split too.
        model = MLPClassifier((300, 200), activation=activation, batch_size=200,
                              max_iter=1, random_state=0).fit(X, y)
        digest.update(model._network.parameters.tobytes())
        digest.update(model.predict_proba(X).tobytes())
        digest.update(np.float64(model.loss_).tobytes())  # the chunked L2 sum
    # The global gradient norm is a chunked sum too.
    model = MLPClassifier((300, 200), clipnorm=0.5, batch_size=200, max_iter=1,
                          random_state=0).fit(X, y)
    digest.update(model._network.parameters.tobytes())
    model = MLPRegressor(hidden_layer_sizes=(300,), solver="lbfgs", max_iter=2,
                         random_state=0)
    model.fit(X, X[:, :3])
    digest.update(model._network.parameters.tobytes())
print(digest.hexdigest())
"""


def test_training_and_prediction_independent_of_thread_count():
    # One thread against three: three split every parallel product unevenly.
    digests = {run_with_threads(TRAIN_AND_PREDICT, t) for t in ("1", "3")}
    assert len(digests) == 1


@pytest.mark.parametrize("n_classes", [2, 3])
def test_float64_outputs_keep_probabilities_beyond_float32s_range(n_classes):
    """A float64 model's output activation runs in float64, as scikit-learn's:
    a probability float32 would round to 0 stays positive, so its log is
    finite, and it equals the float64 activation of the network's logits."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = np.arange(30) % n_classes
    with ignore_convergence():
        model = MLPClassifier((4,), max_iter=1, random_state=0).fit(X, y)
    model.coefs_[1] = np.full_like(model.coefs_[1], 0.0)
    model.intercepts_[1] = np.linspace(-300.0, 0.0, model.intercepts_[1].size)
    for rows in (X, X[:1], scipy.sparse.csr_matrix(X)):
        probabilities = model.predict_proba(rows)
        assert probabilities.dtype == np.float64
        assert np.all(probabilities > 0)
        assert np.all(np.isfinite(model.predict_log_proba(rows)))
    logits = model.intercepts_[1].astype(np.float32).astype(np.float64)
    if n_classes == 2:
        expected = 1.0 / (1.0 + np.exp(-logits[0]))
        np.testing.assert_allclose(model.predict_proba(X)[:, 1], expected, rtol=1e-12)
    else:
        expected = np.exp(logits - logits.max())
        expected /= expected.sum()
        np.testing.assert_allclose(
            model.predict_proba(X), np.tile(expected, (30, 1)), rtol=1e-12
        )
    as_float32 = model.predict_proba(X.astype(np.float32))
    assert as_float32.dtype == np.float32
    # float64 outputs go far below what float32 can hold.
    assert model.predict_proba(X).min() < float(np.finfo(np.float32).smallest_subnormal)
