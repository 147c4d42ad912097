"""int8 inference (inference_precision='int8'): exact integer products on
every kernel, quantization that matches a NumPy reference bit for bit, outputs
close to float32's, and the same bits whatever the batch or thread count."""

import pickle

import numpy as np
import numpy_reference as reference
import pytest
import scipy.sparse
from estimator_helpers import ignore_convergence, with_precision
from fastdnn import MLPClassifier, MLPRegressor, _core
from sklearn.utils._param_validation import InvalidParameterError

INT8_KERNELS = _core.int8_kernels()


# ----------------------------------------------------------------------------
# the integer product


@pytest.mark.parametrize("kernel", INT8_KERNELS)
@pytest.mark.parametrize(
    ("m", "k", "n"),
    [
        (1, 1, 1),
        (7, 63, 10),
        (17, 64, 31),
        (33, 65, 33),
        (16, 784, 256),
        (70, 130, 64),
        # Depths that a kernel may cover in stretches (AVX2: 1,024 at a time).
        (13, 1100, 40),
        (5, 2500, 32),
    ],
)
def test_int8_gemm_is_exact_on_every_kernel(kernel, m, k, n):
    rng = np.random.default_rng(m * 1000 + k + n)
    a = rng.integers(0, 256, (m, k), dtype=np.uint8)
    b = rng.integers(-127, 128, (k, n), dtype=np.int8)
    expected = a.astype(np.int64) @ b.astype(np.int64)
    np.testing.assert_array_equal(_core.int8_gemm(a, b, kernel), expected)


@pytest.mark.parametrize("kernel", INT8_KERNELS)
def test_int8_gemm_extreme_values_do_not_saturate(kernel):
    # 255 · 127 summed over 784 inputs: a kernel with 16-bit intermediate
    # sums (pmaddubsw) would saturate here.
    a = np.full((3, 784), 255, dtype=np.uint8)
    b = np.full((784, 5), 127, dtype=np.int8)
    b[:, 1] = -127
    expected = a.astype(np.int64) @ b.astype(np.int64)
    np.testing.assert_array_equal(_core.int8_gemm(a, b, kernel), expected)


@pytest.mark.parametrize("kernel", INT8_KERNELS)
def test_int8_gemm_does_not_depend_on_threads(kernel):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (300, 200), dtype=np.uint8)
    b = rng.integers(-127, 128, (200, 96), dtype=np.int8)
    one = _core.int8_gemm(a, b, kernel, n_threads=1)
    np.testing.assert_array_equal(_core.int8_gemm(a, b, kernel, n_threads=2), one)


def test_unknown_int8_kernel_is_named():
    a = np.zeros((1, 4), dtype=np.uint8)
    b = np.zeros((4, 1), dtype=np.int8)
    with pytest.raises(ValueError, match="unknown int8 kernel 'sse'"):
        _core.int8_gemm(a, b, "sse")


# ----------------------------------------------------------------------------
# quantization of a layer's input rows


def test_row_quantization_matches_the_reference_bit_for_bit(isa):
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [
            rng.standard_normal((5, 37)),
            np.abs(rng.standard_normal((3, 37))),  # ReLU outputs: zero point 0
            -np.abs(rng.standard_normal((2, 37))),
            np.zeros((1, 37)),
            rng.standard_normal((1, 37)) * 1e-30,
        ]
    ).astype(np.float32)
    codes, scale, zero_point = _core.quantize_rows(x)
    expected_codes, expected_scale, expected_zero = reference.quantize_rows(x)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(scale, expected_scale)
    np.testing.assert_array_equal(zero_point, expected_zero)
    # What the codes stand for is within half a step of x.
    decoded = scale[:, None] * (codes.astype(np.float32) - zero_point[:, None])
    assert np.all(np.abs(decoded - x) <= 0.5 * scale[:, None] * (1 + 1e-5))
    assert np.all(zero_point[5:8] == 0)


def test_a_row_holding_nan_or_inf_gets_a_nan_scale():
    x = np.ones((3, 20), dtype=np.float32)
    x[0, 4] = np.nan
    x[1, 19] = -np.inf
    _, scale, _ = _core.quantize_rows(x)
    assert np.isnan(scale[0]) and np.isnan(scale[1]) and scale[2] > 0


# ----------------------------------------------------------------------------
# the estimators


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 20)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    return X, y


@pytest.fixture(scope="module")
def classifier(data):
    X, y = data
    with ignore_convergence():
        return MLPClassifier((48, 24), max_iter=40, random_state=0).fit(X, y)


def as_int8(estimator):
    return with_precision(estimator, "int8")


def test_int8_predictions_match_the_numpy_reference(classifier, data):
    X, _ = data
    model = as_int8(classifier)
    expected = reference.int8_predict(
        model._network.parameters,
        [X.shape[1], 48, 24, 3],
        "relu",
        "softmax",
        X,
    )
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=0, atol=2e-6)


def test_int8_predictions_stay_close_to_float32(classifier, data):
    X, _ = data
    model = as_int8(classifier)
    float32 = classifier.predict_proba(X)
    int8 = model.predict_proba(X)
    assert not np.array_equal(int8, float32)  # it does run in int8
    assert np.abs(int8 - float32).max() < 0.05
    assert np.mean(int8.argmax(axis=1) == float32.argmax(axis=1)) >= 0.99


def test_a_row_predicts_the_same_bits_alone_and_in_any_batch(classifier, data):
    X, _ = data
    model = as_int8(classifier)
    batch = model.predict_proba(X)
    for row in (0, 15, 16, 33, 399):
        np.testing.assert_array_equal(
            model.predict_proba(X[row : row + 1]), batch[row : row + 1]
        )
    np.testing.assert_array_equal(model.predict_proba(X[17:50]), batch[17:50])


def test_int8_outputs_do_not_depend_on_threads(classifier, data):
    X = np.tile(data[0], (8, 1))  # enough rows for the work to be shared
    model = as_int8(classifier)
    one = model.set_params(n_jobs=1).predict_proba(X)
    np.testing.assert_array_equal(model.set_params(n_jobs=2).predict_proba(X), one)


def test_int8_layers_do_not_depend_on_the_cpu_path(data, isa):
    # Integer products and unfused float epilogues: generic, AVX2 (the
    # portable loop) and AVX-512 (AMX or VNNI) give the same bits. ReLU and
    # an identity output add no rounding of their own (softmax and the
    # smooth activations use each path's float kernels).
    X, _ = data
    with ignore_convergence():
        model = MLPRegressor(
            hidden_layer_sizes=(40, 24), max_iter=5, random_state=0
        ).fit(X, X[:, 0] - X[:, 1])
    model.set_params(inference_precision="int8")
    previous = _core.active_isa()
    _core.set_isa("generic")
    try:
        portable = model.predict(X)
    finally:
        _core.set_isa(previous)
    np.testing.assert_array_equal(model.predict(X), portable)


def test_float64_sparse_and_float32_inputs_predict_alike(classifier, data):
    X, _ = data
    model = as_int8(classifier)
    expected = model.predict_proba(X)
    np.testing.assert_array_equal(
        model.predict_proba(scipy.sparse.csr_matrix(X)), expected
    )
    np.testing.assert_allclose(
        model.predict_proba(X.astype(np.float64)), expected, rtol=1e-6
    )
    np.testing.assert_array_equal(model.predict_proba(np.asfortranarray(X)), expected)


def test_switching_precision_needs_no_refit(classifier, data):
    X, _ = data
    model = pickle.loads(pickle.dumps(classifier))
    float32 = model.predict_proba(X)
    int8 = model.set_params(inference_precision="int8").predict_proba(X)
    assert not np.array_equal(int8, float32)
    np.testing.assert_array_equal(
        model.set_params(inference_precision="float32").predict_proba(X), float32
    )
    assert model.score(X, data[1]) == classifier.score(X, data[1])


def test_int8_models_publish_read_only_coefs_and_take_replacements(classifier, data):
    X, _ = data
    model = as_int8(classifier)
    before = model.predict_proba(X)
    with pytest.raises(ValueError, match="read-only"):
        model.coefs_[0][0, 0] = 1.0
    # Replacing a layer is seen, and requantized.
    model.coefs_[-1] = np.zeros_like(model.coefs_[-1])
    after = model.predict_proba(X)
    assert not np.array_equal(after, before)
    expected = np.exp(model.intercepts_[-1]) / np.exp(model.intercepts_[-1]).sum()
    np.testing.assert_allclose(after, np.broadcast_to(expected, after.shape), rtol=1e-6)
    # Back in float32 the views are writeable again.
    model.set_params(inference_precision="float32")
    model.predict_proba(X[:1])
    model.coefs_[0][0, 0] = 1.0


def test_refitting_requantizes(data):
    X, y = data
    with ignore_convergence():
        model = MLPClassifier(
            (16,), max_iter=3, random_state=0, inference_precision="int8"
        )
        first = model.fit(X, y).predict_proba(X)
        model.set_params(max_iter=20, random_state=1)
        second = model.fit(X, y).predict_proba(X)
    assert not np.array_equal(first, second)
    expected = reference.int8_predict(
        model._network.parameters, [X.shape[1], 16, 3], "relu", "softmax", X
    )
    np.testing.assert_allclose(second, expected, rtol=0, atol=2e-6)


def test_pickled_int8_models_predict_the_same_bits(classifier, data):
    X, _ = data
    model = as_int8(classifier)
    expected = model.predict_proba(X)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.inference_precision == "int8"
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


@pytest.mark.parametrize(
    "options",
    [
        {"normalization": "batch"},
        {"normalization": "layer", "normalization_position": "after"},
        {"normalization": "weight"},
        {"residual": True, "activation": "tanh"},
    ],
)
def test_normalized_and_residual_networks_predict_in_int8(data, options):
    X, _ = data
    y = X[:, 0] - 2 * X[:, 1] + X[:, 2] * X[:, 3]
    with ignore_convergence():
        model = MLPRegressor(
            hidden_layer_sizes=(32, 32, 16), max_iter=60, random_state=0, **options
        ).fit(X, y)
    float32 = model.predict(X)
    int8 = model.set_params(inference_precision="int8").predict(X)
    assert not np.array_equal(int8, float32)
    assert np.abs(int8 - float32).max() < 0.05 * np.abs(float32).max()


def test_nan_input_is_named_in_int8_too(classifier, data):
    X = data[0][:3].copy()
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        as_int8(classifier).predict(X)


def test_unknown_precision_is_rejected(data):
    X, y = data
    with pytest.raises(InvalidParameterError, match="inference_precision"):
        MLPClassifier(inference_precision="int4").fit(X, y)


def test_mc_dropout_passes_stay_float32(data):
    X, y = data
    with ignore_convergence():
        model = MLPClassifier((16,), dropout=0.2, max_iter=3, random_state=0).fit(X, y)
    float32 = model.predict_proba(X, mc_samples=3)
    int8 = model.set_params(inference_precision="int8").predict_proba(X, mc_samples=3)
    np.testing.assert_array_equal(int8, float32)


def test_layers_too_wide_for_int32_sums_are_refused():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((4, 65537)).astype(np.float32)
    with ignore_convergence():
        model = MLPRegressor(hidden_layer_sizes=(1,), max_iter=1, random_state=0).fit(
            X, np.arange(4.0)
        )
    model.set_params(inference_precision="int8")
    with pytest.raises(ValueError, match="at most 65536 inputs"):
        model.predict(X)


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize(
    ("array", "layer"), [("coefs_", 1), ("intercepts_", 0), ("coefs_", 0)]
)
def test_non_finite_weights_are_refused_naming_the_layer(data, value, array, layer):
    # A unit's scale is its largest weight: a NaN one used to be passed over
    # and quantized into finite probabilities.
    X, y = data
    with ignore_convergence():
        model = MLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    getattr(model, array)[layer].flat[3] = value
    model.set_params(inference_precision="int8")
    message = rf"finite weights, but {array}\[{layer}\] holds NaN or infinity"
    for predict in (model.predict, model.predict_proba):
        for rows in (X[:1], X.astype(np.float64), scipy.sparse.csr_matrix(X)):
            with pytest.raises(ValueError, match=message):
                predict(rows)
