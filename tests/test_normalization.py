"""Batch, layer and weight normalization, residual connections and activity
L1 in the engine: arena layout, forward against a float64 numpy reference,
gradients against finite differences of that reference; and the estimators'
documented behaviour (running statistics, single-row prediction, training a
deep sigmoid net, pickling, thread independence)."""

import pickle

import numpy as np
import numpy_reference as ref
import pytest
from engine_helpers import assert_close
from fastdnn import MLPClassifier, MLPRegressor, _core
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from toolkit_helpers import (
    SEED,
    STEP,
    UNITS,
    layer_fields,
    perturbed_network,
    step_masks,
    step_noise,
    toolkit_options,
)

# Short fits are deliberate: the behaviour under test shows in a few epochs.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CONFIGURATIONS = [
    dict(normalization="batch"),
    dict(normalization="batch", normalization_position="after"),
    dict(normalization="layer"),
    dict(normalization="layer", normalization_position="after"),
    dict(normalization="weight"),
    dict(residual=True),
    dict(activity_l1=0.02),
    dict(
        normalization="batch", residual=True, dropout=[0.2, 0.1, 0.3], activity_l1=0.01
    ),
]


def problem(rng, rows=7):
    X = rng.normal(size=(rows, UNITS[0])).astype(np.float32)
    y = np.eye(UNITS[-1])[rng.integers(0, UNITS[-1], rows)].astype(np.float32)
    sample_weight = rng.uniform(0.2, 3.0, rows).astype(np.float32)
    return X, y, sample_weight


@pytest.mark.parametrize("options", CONFIGURATIONS, ids=str)
def test_layer_parameters_sit_inside_the_layer_range(options):
    net = _core.Network(UNITS, "tanh", "softmax", **layer_fields(options))
    expected = ref.toolkit_layout(UNITS, toolkit_options(**options))
    previous_end = 0
    for layer, blocks in enumerate(expected):
        layout = net.layout(layer)
        assert layout["weight"] == previous_end
        for name, value in blocks.items():
            assert layout[name] == (value if name == "end" else value[0]), name
        previous_end = layout["end"]
        # coefs_ / intercepts_ keep scikit-learn's shapes and places.
        assert net.coef(layer).shape == (UNITS[layer], UNITS[layer + 1])
    assert previous_end == net.n_parameters


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
@pytest.mark.parametrize("options", CONFIGURATIONS, ids=str)
def test_gradient_matches_finite_differences_of_the_reference(options, activation):
    rng = np.random.default_rng(0)
    X, y, sample_weight = problem(rng)
    net = perturbed_network(activation, "softmax", rng, **options)
    full = toolkit_options(**options)
    masks, noise = step_masks(full, len(X)), step_noise(full, len(X))
    params = np.array(net.parameters, dtype=np.float64)

    def objective(p):
        return ref.toolkit_loss(
            p,
            UNITS,
            activation,
            full,
            "log_loss",
            X,
            y,
            sample_weight,
            0.01,
            masks,
            noise,
        )

    loss, gradient = net.loss_and_gradient(
        _core.Dataset(X), y, sample_weight, "log_loss", 0.01, 0, SEED, STEP
    )
    assert loss == pytest.approx(objective(params), rel=1e-5)
    expected = ref.finite_difference_gradient(objective, params)
    assert_close(gradient, expected, rtol=1e-3, atol_fraction=1e-5)


def test_batch_norm_cancels_the_bias_before_the_activation_only():
    rng = np.random.default_rng(1)
    X, y, sample_weight = problem(rng)
    for position, cancelled in (("before", True), ("after", False)):
        net = _core.Network(
            UNITS,
            "tanh",
            "softmax",
            normalization="batch",
            normalize_after_activation=position == "after",
        )
        net.initialize(0, 6.0)
        assert (np.all(net.intercept(0) == 0)) == cancelled
        _, gradient = net.loss_and_gradient(
            _core.Dataset(X), y, sample_weight, "log_loss", 0.0
        )
        bias = net.layout(0)["bias"]
        bias_gradient = gradient[bias : bias + UNITS[1]]
        assert np.all(bias_gradient == 0) == cancelled


@pytest.mark.parametrize(
    "options",
    [dict(normalization="layer"), dict(normalization="weight"), dict(residual=True)],
    ids=str,
)
def test_prediction_matches_the_reference_forward(options):
    rng = np.random.default_rng(2)
    X, _, _ = problem(rng, rows=9)
    net = perturbed_network("tanh", "softmax", rng, **options)
    _, z = ref.toolkit_forward(
        np.array(net.parameters, dtype=np.float64),
        UNITS,
        "tanh",
        toolkit_options(**options),
        X,
    )
    expected = ref.activation("softmax", z)
    assert_close(net.predict(_core.Dataset(X)), expected, rtol=1e-5, atol_fraction=1e-6)


def test_batch_norm_predicts_with_running_statistics_updated_by_training():
    rng = np.random.default_rng(3)
    X, y, _ = problem(rng, rows=32)
    net = _core.Network(
        UNITS, "tanh", "softmax", normalization="batch", batch_norm_momentum=0.25
    )
    net.initialize(0, 6.0)
    params_before = np.array(net.parameters, dtype=np.float64)
    trainer = _core.Trainer(
        net,
        loss="log_loss",
        solver="sgd",
        alpha=0.0,
        learning_rate=1e-12,
        momentum=0.0,
        nesterov=False,
    )
    trainer.train_epoch(_core.Dataset(X), y, None, 32, False, 0, 0)
    # One step of a negligible learning rate: the running averages moved a
    # quarter of the way from (0, 1) to the batch's mean and unbiased variance.
    hiddens_z = []
    a = X.astype(np.float64)
    blocks = ref.toolkit_blocks(
        params_before, UNITS, toolkit_options(normalization="batch")
    )
    for block in blocks[:-1]:
        z = a @ block["weight"] + block["bias"]
        hiddens_z.append(z)
        a = np.tanh(
            ref.normalize(z, block["norm_gain"], block["norm_shift"], "batch", 1e-5)
        )
    running = net.running_statistics
    offset = 0
    expected_running = []
    for z in hiddens_z:
        units = z.shape[1]
        mean = 0.75 * 0 + 0.25 * z.mean(axis=0)
        variance = 0.75 * 1 + 0.25 * z.var(axis=0, ddof=1)
        assert_close(
            running[offset : offset + units], mean, rtol=1e-4, atol_fraction=1e-4
        )
        assert_close(running[offset + units : offset + 2 * units], variance, rtol=1e-4)
        expected_running.append((mean, variance))
        offset += 2 * units
    _, z = ref.toolkit_forward(
        np.array(net.parameters, dtype=np.float64),
        UNITS,
        "tanh",
        toolkit_options(normalization="batch"),
        X,
        running=expected_running,
    )
    assert_close(
        net.predict(_core.Dataset(X)),
        ref.activation("softmax", z),
        rtol=1e-4,
        atol_fraction=1e-5,
    )


@pytest.fixture(scope="module")
def blobs():
    return make_classification(
        n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0
    )


@pytest.mark.parametrize(
    "normalization", ["batch", "layer", "weight", "group", "decorrelated_batch"]
)
def test_a_single_row_predicts_as_in_the_batch(blobs, normalization):
    X, y = blobs
    clf = MLPClassifier(
        (16, 16), normalization=normalization, max_iter=5, random_state=0
    ).fit(X, y)
    batch = clf.predict_proba(X[:20])
    alone = np.vstack([clf.predict_proba(X[i : i + 1]) for i in range(20)])
    np.testing.assert_array_equal(alone, batch)


@pytest.mark.parametrize(
    "params",
    [
        dict(normalization="batch", dropout=0.2, residual=True),
        dict(normalization="layer", input_noise=0.1, activity_l1=1e-3),
        dict(normalization="decorrelated_batch", norm_groups=4),
    ],
    ids=str,
)
def test_models_are_identical_whatever_the_thread_count(blobs, params):
    X, y = blobs
    models = [
        MLPClassifier(
            (32, 32), max_iter=3, random_state=0, n_jobs=n_jobs, **params
        ).fit(X, y)
        for n_jobs in (1, 2)
    ]
    for a, b in zip(models[0].coefs_, models[1].coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        models[0]._network.running_statistics, models[1]._network.running_statistics
    )


def test_pickle_keeps_options_running_statistics_and_predictions(blobs):
    X, y = blobs
    clf = MLPClassifier(
        (16,),
        normalization="batch",
        dropout=0.3,
        residual=True,
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(
        loaded._network.running_statistics, clf._network.running_statistics
    )
    assert loaded._network.layer_options == clf._network.layer_options


def test_deep_sigmoid_net_trains_with_batch_norm_and_stalls_without():
    X, y = make_classification(
        n_samples=400, n_features=10, n_informative=6, random_state=0
    )
    scores = {}
    for normalization in (None, "batch"):
        clf = MLPClassifier(
            (16,) * 10,
            activation="logistic",
            normalization=normalization,
            max_iter=60,
            learning_rate_init=0.01,
            random_state=0,
        )
        scores[normalization] = clf.fit(X, y).score(X, y)
    assert scores[None] < 0.6  # vanishing gradients: about chance
    assert scores["batch"] > 0.85


def test_defaults_keep_the_plain_network(blobs):
    X, y = blobs
    clf = MLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)
    assert clf._network.n_parameters == sum(
        c.size + b.size for c, b in zip(clf.coefs_, clf.intercepts_, strict=True)
    )
    assert clf._network.running_statistics.size == 0


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(normalization="spectral"), "normalization"),
        (dict(normalization_position="inside"), "normalization_position"),
        (dict(batch_norm_momentum=1.5), "batch_norm_momentum"),
        (dict(norm_epsilon=0.0), "norm_epsilon"),
        (dict(input_noise=-1.0), "input_noise"),
        (dict(activity_l1=-1.0), "activity_l1"),
        (dict(residual="yes"), "residual"),
        (dict(normalization="batch", solver="lbfgs"), "stochastic|sgd"),
        (dict(normalization="group", norm_groups=3), "norm_groups=3 must divide"),
        (dict(normalization="decorrelated_batch", norm_groups=8), "norm_groups=8"),
        (dict(normalization="group", norm_groups=0), "norm_groups"),
        (dict(normalization="decorrelated_batch", solver="lbfgs"), "stochastic"),
    ],
)
def test_invalid_parameters_raise_clear_value_errors(params, message):
    X, y = make_regression(n_samples=20, n_features=3, random_state=0)
    with pytest.raises(ValueError, match=message):
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, **params).fit(X, y)


def test_parameters_clone_and_set_params():
    reg = MLPRegressor(normalization="layer", residual=True, activity_l1=0.1)
    copy = clone(reg).set_params(normalization="batch")
    assert copy.get_params()["residual"] is True
    assert copy.normalization == "batch" and reg.normalization == "layer"


def test_changing_layer_options_on_warm_start_raises(blobs):
    X, y = blobs
    clf = MLPClassifier((8,), max_iter=2, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="normalization changed"):
        clf.set_params(normalization="layer").fit(X, y)
