"""fastdnn.check_gradients: the engine's gradient against central differences
of its loss, for every activation and normalization, fitted or fresh; and a
planted wrong derivative that it must catch."""

import numpy as np
import pytest
from fastdnn import MLPClassifier, MLPRegressor, _core, check_gradients, gradient_check
from sklearn.datasets import make_classification, make_regression

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=24, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


@pytest.mark.parametrize("activation", _core.enum_names()["hidden_activation"])
def test_every_activation_passes(data, activation):
    X, y = data
    result = check_gradients(
        MLPClassifier((8, 6), activation=activation, random_state=0), X, y
    )
    assert result.passed
    assert result.max_relative_error < 3e-3
    assert [entry["layer"] for entry in result.layers] == [0, 1, 2]


@pytest.mark.parametrize(
    "params",
    [
        dict(normalization="batch"),
        dict(normalization="layer", normalization_position="after"),
        dict(normalization="weight"),
        dict(normalization="group", norm_groups=2),
        dict(normalization="decorrelated_batch", norm_groups=2),
        dict(normalization="decorrelated_batch", norm_groups=1, activation="relu"),
        dict(dropout=0.3, residual=True, activity_l1=1e-3, l1=1e-3),
        dict(label_smoothing=0.1, alpha=0.1),
    ],
    ids=str,
)
def test_every_normalization_and_toolkit_option_passes(data, params):
    X, y = data
    params = {"activation": "tanh", **params}
    result = check_gradients(MLPClassifier((8, 6), random_state=0, **params), X, y)
    assert result.passed, str(result)


def test_a_fitted_regressor_passes_and_is_left_as_it_was():
    X, y = make_regression(n_samples=30, n_features=4, random_state=0)
    model = MLPRegressor(
        hidden_layer_sizes=(6,), normalization="batch", max_iter=20, random_state=0
    ).fit(X, y)
    parameters = model._network.parameters.copy()
    running = model._network.running_statistics.copy()
    result = check_gradients(model, X, y)
    assert result.passed
    np.testing.assert_array_equal(model._network.parameters, parameters)
    np.testing.assert_array_equal(model._network.running_statistics, running)


@pytest.mark.parametrize(
    "plant",
    [
        pytest.param(lambda g, begin, end: g[begin:end].__imul__(1.05), id="5% off"),
        pytest.param(lambda g, begin, end: g[end - 6 : end].fill(0.0), id="no bias"),
    ],
)
def test_a_planted_wrong_derivative_fails(data, monkeypatch, plant):
    """The hook the check reads the engine's gradient through, replaced by one
    whose derivative of layer 1 is wrong: only that layer is flagged."""
    X, y = data
    engine = gradient_check._engine_loss_and_gradient

    def wrong(model, network, *arguments):
        loss, gradient = engine(model, network, *arguments)
        plant(gradient, *network.layer_range(1))
        return loss, gradient

    monkeypatch.setattr(gradient_check, "_engine_loss_and_gradient", wrong)
    result = check_gradients(MLPClassifier((8, 6), activation="tanh"), X, y)
    assert not result.passed
    errors = [entry["relative_error"] for entry in result.layers]
    assert errors[1] > 1e-2 and errors[0] < 1e-2 and errors[2] < 1e-2
    assert "SUSPICIOUS" in str(result) and "<-- suspicious" in str(result)


def test_the_summary_reads_as_a_table_with_the_guidance(data):
    X, y = data
    result = check_gradients(MLPClassifier((5,), random_state=0), X, y)
    text = repr(result)
    assert "max relative error" in text and "CS231n" in text
    assert "layer  parameters  checked" in text
    assert text.count("\n") >= 4


def test_entries_at_relu_kinks_are_left_out(data):
    X, y = data
    result = check_gradients(
        MLPClassifier((8, 6), activation="relu", random_state=0), X, y
    )
    assert sum(entry["skipped_at_kinks"] for entry in result.layers) > 0
    assert result.passed


def test_bad_epsilon_raises(data):
    X, y = data
    with pytest.raises(ValueError, match="epsilon must be positive"):
        check_gradients(MLPClassifier((5,)), X, y, epsilon=0.0)
