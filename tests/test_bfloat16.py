"""bfloat16 training (training_precision) and inference (inference_precision):
a training step against a NumPy reference that rounds the products' operands,
the same bits whatever the threads or the batch, the setting's round trips,
ONNX's refusal and the one warning where the CPU has no bf16 instructions."""

import warnings

import fastdnn
import numpy as np
import numpy_reference as ref
import pytest
from engine_helpers import make_network
from fastdnn import MLPClassifier, MLPRegressor, _bfloat16, _core
from fastdnn.onnx import to_onnx
from sklearn.exceptions import ConvergenceWarning
from test_bf16_gemm import to_bf16

rng = np.random.default_rng(0)
X = rng.normal(size=(96, 12)).astype(np.float32)
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int) + (X[:, 3] > 0.5)


def quiet(estimator_class, **params):
    """An estimator fitted briefly, convergence warnings silenced."""
    estimator = estimator_class(
        hidden_layer_sizes=(40, 24), max_iter=4, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        return estimator.fit(X, y)


def product(a, b, bf16):
    """a·b summed in float64, then float32; the operands rounded in bf16."""
    if bf16:
        a, b = to_bf16(a), to_bf16(b)
    return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)


def sgd_step_reference(params, layer_units, X, Y, learning_rate, bf16):
    """One full-batch SGD step of a relu net with a softmax output and the
    log-loss, in float32 but for the products (float64 sums)."""
    weights, biases = ref.unpack(params.astype(np.float32), layer_units)
    hidden, pre_activations = [X], []
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = product(hidden[-1], W, bf16) + b
        pre_activations.append(z)
        if layer < len(weights) - 1:
            hidden.append(np.maximum(z, 0))
    z = pre_activations[-1]
    probabilities = np.exp(z - z.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    # Rows a power of two: dividing by their count commutes with rounding.
    delta = ((probabilities - Y) / X.shape[0]).astype(np.float32)
    gradient = [None] * (2 * len(weights))
    for layer in range(len(weights) - 1, -1, -1):
        gradient[2 * layer] = product(hidden[layer].T, delta, bf16)
        gradient[2 * layer + 1] = delta.sum(axis=0)
        if layer > 0:
            delta = product(delta, weights[layer].T, bf16) * (
                pre_activations[layer - 1] > 0
            )
    flat = np.concatenate([g.ravel() for g in gradient]).astype(np.float64)
    return params - learning_rate * flat


def test_a_bf16_training_step_rounds_the_operands_of_every_product(isa):
    layer_units = [12, 40, 24, 3]
    net = make_network(layer_units, "relu", "log_loss", seed=1)
    before = np.array(net.parameters, dtype=np.float64)
    X32 = rng.normal(size=(32, 12)).astype(np.float32)
    Y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]
    trainer = _core.Trainer(
        net,
        loss="log_loss",
        solver="sgd",
        learning_rate=0.5,
        momentum=0.0,
        alpha=0.0,
        training_precision="bfloat16",
    )
    trainer.train_epoch(_core.Dataset(X32), Y, None, 32, False, 0, 0)
    update = np.array(net.parameters, dtype=np.float64) - before
    bf16 = sgd_step_reference(before, layer_units, X32, Y, 0.5, True) - before
    float32 = sgd_step_reference(before, layer_units, X32, Y, 0.5, False) - before
    # The bf16 reference explains the step to float32's rounding; float32's
    # step is a hundred times further from it.
    scale = np.abs(bf16).max()
    assert np.abs(update - bf16).max() < 1e-6 * scale
    assert np.abs(float32 - bf16).max() > 1e-4 * scale


def test_bf16_training_is_close_to_float32_and_not_equal():
    float32 = quiet(MLPClassifier)
    bf16 = quiet(MLPClassifier, training_precision="bfloat16")
    assert not np.array_equal(float32.coefs_[0], bf16.coefs_[0])
    np.testing.assert_allclose(bf16.coefs_[0], float32.coefs_[0], atol=2e-2)
    assert abs(bf16.score(X, y) - float32.score(X, y)) <= 0.05


def test_bf16_is_bit_identical_across_threads_and_batches():
    # Wide enough that the products are split between two threads.
    X_wide = rng.normal(size=(256, 128)).astype(np.float32)
    y_wide = (X_wide[:, 0] > 0).astype(int)
    models = [
        MLPClassifier(
            hidden_layer_sizes=(128,),
            batch_size=128,
            max_iter=2,
            random_state=0,
            training_precision="bfloat16",
            inference_precision="bfloat16",
            n_jobs=n_jobs,
        )
        for n_jobs in (1, 2)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        for model in models:
            model.fit(X_wide, y_wide)
    np.testing.assert_array_equal(models[0].coefs_[0], models[1].coefs_[0])
    batch = models[0].predict_proba(X_wide)
    np.testing.assert_array_equal(batch, models[1].predict_proba(X_wide))
    for i in (0, 77, 255):
        np.testing.assert_array_equal(
            models[0].predict_proba(X_wide[i : i + 1])[0], batch[i]
        )


def test_bf16_inference_is_set_on_a_fitted_model_and_round_trips(tmp_path):
    regressor = MLPRegressor(hidden_layer_sizes=(40,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        regressor.fit(X, X[:, 0])
    float32 = regressor.predict(X)
    regressor.set_params(inference_precision="bfloat16")
    bf16 = regressor.predict(X)
    assert not np.array_equal(bf16, float32)
    np.testing.assert_allclose(bf16, float32, atol=3e-2 * np.abs(float32).max())
    # Each layer's operands rounded: the NumPy reference with to_bf16.
    hidden = np.maximum(
        product(X, regressor.coefs_[0], True) + regressor.intercepts_[0], 0
    )
    expected = product(hidden, regressor.coefs_[1], True) + regressor.intercepts_[1]
    np.testing.assert_allclose(bf16, expected.ravel(), rtol=1e-4, atol=1e-5)
    path = tmp_path / "model.fastdnn"
    regressor.save(path)
    restored = fastdnn.load(path)
    assert restored.inference_precision == "bfloat16"
    np.testing.assert_array_equal(restored.predict(X), bf16)
    restored.set_params(inference_precision="float32")
    np.testing.assert_array_equal(restored.predict(X), float32)


def test_onnx_export_refuses_bf16_inference():
    classifier = quiet(MLPClassifier, inference_precision="bfloat16")
    with pytest.raises(ValueError, match="cannot export inference_precision='bf"):
        to_onnx(classifier)


def test_bf16_without_bf16_instructions_warns_once(monkeypatch):
    previous = _core.active_isa()
    monkeypatch.setattr(_bfloat16, "_warned", False)
    try:
        _core.set_isa("generic")  # as FASTDNN_ISA=generic forces it
        with pytest.warns(UserWarning, match="without AMX or AVX512-BF16"):
            classifier = quiet(MLPClassifier, training_precision="bfloat16")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            classifier.set_params(inference_precision="bfloat16").predict(X)
    finally:
        _core.set_isa(previous)


@pytest.mark.skipif(not _core.bf16_is_accelerated(), reason="no bf16 instructions")
def test_bf16_with_bf16_instructions_does_not_warn(monkeypatch):
    monkeypatch.setattr(_bfloat16, "_warned", False)
    classifier = quiet(MLPClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        classifier.set_params(inference_precision="bfloat16").predict(X)
