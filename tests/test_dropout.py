"""Dropout (three kinds, per layer, on the inputs), input noise and MC
dropout: the masks' laws, the gradient through them against finite
differences of the float64 reference, and the estimators' documented
behaviour (off at prediction, MC dropout spread, thread independence)."""

import numpy as np
import numpy_reference as ref
import pytest
from engine_helpers import assert_close
from fastdnn import MLPClassifier, MLPRegressor, _core
from sklearn.datasets import make_classification, make_regression
from toolkit_helpers import (
    SEED,
    STEP,
    UNITS,
    perturbed_network,
    step_masks,
    step_noise,
    toolkit_options,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SELU_SATURATION = -1.0507009873554805 * 1.6732632423543772


@pytest.mark.parametrize("kind", ["bernoulli", "gaussian", "alpha"])
def test_masks_keep_the_expected_activation(kind):
    rate = 0.3
    scale, shift = _core.dropout_scales(400, 250, rate, kind, 1, 0, 1)
    if kind == "bernoulli":
        assert set(np.unique(scale)) == {0.0, np.float32(1 / 0.7)}
        assert np.mean(scale == 0) == pytest.approx(rate, abs=0.01)
        assert scale.mean() == pytest.approx(1.0, abs=0.01)
    elif kind == "gaussian":
        assert scale.mean() == pytest.approx(1.0, abs=0.01)
        assert scale.std() == pytest.approx(np.sqrt(rate / (1 - rate)), rel=0.02)
    else:
        # A standard normal input keeps zero mean and unit variance.
        x = np.random.default_rng(0).normal(size=scale.shape)
        y = scale * x + shift
        assert np.mean(scale == 0) == pytest.approx(rate, abs=0.01)
        assert y.mean() == pytest.approx(0.0, abs=0.02)
        assert y.var() == pytest.approx(1.0, abs=0.02)
        a = scale.max()
        dropped = shift[scale == 0]
        assert np.allclose(dropped, a * SELU_SATURATION + shift[scale > 0][0])


def test_masks_depend_on_step_and_layer_not_on_the_chunk():
    whole, _ = _core.dropout_scales(10, 7, 0.5, "bernoulli", 3, 4, 2)
    tail, _ = _core.dropout_scales(4, 7, 0.5, "bernoulli", 3, 4, 2, first_row=6)
    np.testing.assert_array_equal(whole[6:], tail)
    other_step, _ = _core.dropout_scales(10, 7, 0.5, "bernoulli", 3, 5, 2)
    other_layer, _ = _core.dropout_scales(10, 7, 0.5, "bernoulli", 3, 4, 1)
    assert not np.array_equal(whole, other_step)
    assert not np.array_equal(whole, other_layer)


def test_bernoulli_mask_is_the_documented_function_of_the_philox_words():
    # Element e of a pass takes the 16-bit half e mod 2 of word (e mod 8) // 2
    # of Philox block e // 8 (key seed + step·golden, counter (dropout, layer));
    # it is dropped when that integer u satisfies u·2⁻¹⁶ < rate. 19 columns and
    # first_row 3 put blocks across row and chunk boundaries.
    seed, step, layer, rate, rows, cols, first_row = 5, 9, 2, 0.3, 40, 19, 3
    key = (seed + step * 0x9E3779B97F4A7C15) % 2**64
    elements = np.arange(first_row * cols, (first_row + rows) * cols)
    words = np.array(
        [
            _core.philox4x32(key, (3 << 32) | layer, b)
            for b in range(elements[-1] // 8 + 1)
        ],
        dtype=np.uint32,
    )
    halves = words[elements // 8, (elements % 8) // 2] >> (16 * (elements % 2)) & 0xFFFF
    expected = np.where(halves * 2.0**-16 < rate, 0.0, np.float32(1 / 0.7))
    scale, _ = _core.dropout_scales(
        rows, cols, rate, "bernoulli", seed, step, layer, first_row
    )
    np.testing.assert_array_equal(scale.ravel(), expected.astype(np.float32))


def test_input_noise_is_gaussian_with_the_given_std():
    noise = _core.gaussian_noise(500, 200, 0.5, 1, 0)
    assert noise.mean() == pytest.approx(0.0, abs=0.01)
    assert noise.std() == pytest.approx(0.5, rel=0.01)


CONFIGURATIONS = [
    dict(dropout=[0.3, 0.2, 0.5]),
    dict(dropout=[0.3, 0.0, 0.5], dropout_kind="gaussian"),
    dict(dropout=[0.3, 0.2, 0.5], dropout_kind="alpha", input_dropout=0.2),
    dict(input_dropout=0.3, input_noise=0.5),
    dict(
        dropout=[0.2, 0.2, 0.2], normalization="layer", normalization_position="after"
    ),
]


@pytest.mark.parametrize("options", CONFIGURATIONS, ids=str)
def test_gradient_through_the_masks_matches_finite_differences(options):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, UNITS[0])).astype(np.float32)
    # log_loss: its engine gradient is the exact gradient of its loss value
    # (squared_error's follows scikit-learn, which drops the 1/n_outputs).
    y = np.eye(UNITS[-1])[rng.integers(0, UNITS[-1], 7)].astype(np.float32)
    net = perturbed_network("tanh", "softmax", rng, **options)
    full = toolkit_options(**options)
    masks, noise = step_masks(full, len(X)), step_noise(full, len(X))
    params = np.array(net.parameters, dtype=np.float64)

    def objective(p):
        return ref.toolkit_loss(
            p, UNITS, "tanh", full, "log_loss", X, y, None, 0.0, masks, noise
        )

    loss, gradient = net.loss_and_gradient(
        _core.Dataset(X), y, None, "log_loss", 0.0, 0, SEED, STEP
    )
    assert loss == pytest.approx(objective(params), rel=1e-5)
    expected = ref.finite_difference_gradient(objective, params)
    assert_close(gradient, expected, rtol=1e-3, atol_fraction=1e-5)


def test_mc_pass_matches_the_reference_with_its_masks():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(9, UNITS[0])).astype(np.float32)
    options = dict(dropout=[0.3, 0.2, 0.5], input_dropout=0.1)
    net = perturbed_network("tanh", "identity", rng, **options)
    out = net.predict(_core.Dataset(X), 0, dropout_seed=0, dropout_sample=3)
    masks = {}
    for index, rate in enumerate([0.1, 0.3, 0.2, 0.5]):
        scale, shift = _core.dropout_scales(
            9, UNITS[index], rate, "bernoulli", 0, 3, index
        )
        masks[index] = (scale.astype(np.float64), shift.astype(np.float64))
    _, z = ref.toolkit_forward(
        np.array(net.parameters, dtype=np.float64),
        UNITS,
        "tanh",
        toolkit_options(**options),
        X,
        masks,
    )
    assert_close(out, z, rtol=1e-5, atol_fraction=1e-6)


@pytest.fixture(scope="module")
def regression():
    return make_regression(n_samples=300, n_features=6, noise=5.0, random_state=0)


def test_dropout_is_off_at_prediction(regression):
    X, y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(32, 32), dropout=0.5, max_iter=5, random_state=0
    ).fit(X, y)
    first = reg.predict(X)
    np.testing.assert_array_equal(reg.predict(X), first)
    # The same weights without dropout predict the same.
    plain = MLPRegressor(hidden_layer_sizes=(32, 32), max_iter=1, random_state=0).fit(
        X, y
    )
    plain.coefs_ = [c.copy() for c in reg.coefs_]
    plain.intercepts_ = [b.copy() for b in reg.intercepts_]
    np.testing.assert_array_equal(plain.predict(X), first)


def test_mc_dropout_regressor_gives_mean_and_nonzero_std(regression):
    X, y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(32, 32), dropout=[0.2, 0.3], max_iter=20, random_state=0
    )
    reg.fit(X, y)
    mean, std = reg.predict(X[:50], mc_samples=30, return_std=True)
    assert mean.shape == std.shape == (50,)
    assert np.all(std > 0)
    # Averaging stochastic passes lands near the deterministic prediction.
    deterministic = reg.predict(X[:50])
    assert np.median(np.abs(mean - deterministic)) < np.median(std)
    # The same model gives the same MC predictions.
    np.testing.assert_array_equal(reg.predict(X[:50], mc_samples=30), mean)


def test_mc_dropout_classifier_averages_probabilities():
    X, y = make_classification(
        n_samples=200, n_features=6, n_classes=3, n_informative=4, random_state=0
    )
    clf = MLPClassifier((32,), dropout=0.3, max_iter=20, random_state=0).fit(X, y)
    proba = clf.predict_proba(X, mc_samples=10)
    assert proba.shape == (200, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert not np.allclose(proba, clf.predict_proba(X))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, X: m.predict(X, mc_samples=0), "mc_samples"),
        (lambda m, X: m.predict(X, return_std=True), "return_std"),
    ],
)
def test_bad_mc_arguments_raise_value_error(regression, call, message):
    X, y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(8,), dropout=0.2, max_iter=2, random_state=0
    ).fit(X, y)
    with pytest.raises(ValueError, match=message):
        call(reg, X)


def test_mc_dropout_without_dropout_raises(regression):
    X, y = regression
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        reg.predict(X, mc_samples=5)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(dropout=1.0), "dropout"),
        (dict(dropout=[0.1, 0.2, 0.3]), "one rate or one per layer"),
        (dict(dropout=[0.1, 1.5]), r"\[0, 1\)"),
        (dict(input_dropout=-0.1), "input_dropout"),
        (dict(dropout_kind="spatial"), "dropout_kind"),
        (dict(dropout=0.2, solver="lbfgs"), "sgd"),
    ],
)
def test_invalid_dropout_parameters_raise_value_error(regression, params, message):
    X, y = regression
    with pytest.raises(ValueError, match=message):
        MLPRegressor(hidden_layer_sizes=(4, 4), max_iter=2, **params).fit(X, y)


@pytest.mark.parametrize("kind", ["bernoulli", "gaussian", "alpha"])
def test_dropout_training_is_identical_whatever_the_thread_count(regression, kind):
    X, y = regression
    models = [
        MLPRegressor(
            hidden_layer_sizes=(64, 64),
            dropout=0.3,
            input_dropout=0.1,
            dropout_kind=kind,
            input_noise=0.05,
            max_iter=3,
            random_state=0,
            n_jobs=n_jobs,
        ).fit(X, y)
        for n_jobs in (1, 2)
    ]
    for a, b in zip(models[0].coefs_, models[1].coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        models[0].predict(X, mc_samples=3), models[1].predict(X, mc_samples=3)
    )


def test_training_steps_allocate_nothing():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(64, UNITS[0])).astype(np.float32)
    y = rng.normal(size=(64, UNITS[-1])).astype(np.float32)
    net = _core.Network(
        UNITS,
        "tanh",
        "identity",
        normalization="batch",
        dropout=[0.2, 0.2, 0.2],
        input_dropout=0.1,
        input_noise=0.1,
        residual=True,
        activity_l1=0.01,
    )
    net.initialize(0, 6.0)
    trainer = _core.Trainer(net, loss="squared_error", solver="adam", alpha=0.0)
    data = _core.Dataset(X)
    trainer.train_epoch(data, y, None, 8, True, 0, 0)  # sizes the workspace
    before = _core.buffer_allocation_count()
    trainer.train_epoch(data, y, None, 8, True, 0, 1)  # eight more steps
    assert _core.buffer_allocation_count() == before
