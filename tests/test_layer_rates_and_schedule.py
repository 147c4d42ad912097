"""layer_learning_rates (one multiplier per weight layer) and
layer_schedule='cyclic' (block coordinate descent: one layer per epoch)."""

import pickle

import numpy as np
import pytest
from fastdnn import MLPClassifier, _core, from_bytes
from sklearn.base import clone
from sklearn.datasets import make_classification

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

UNITS = [6, 8, 7, 3]
SOLVERS = {
    "sgd": dict(solver="sgd", momentum=0.9, nesterov=True),
    "adam": dict(solver="adam"),
    "nadam": dict(solver="nadam"),
    "rmsprop": dict(solver="rmsprop"),
    "adagrad": dict(solver="adagrad"),
    "adamw": dict(solver="adam", weight_decay=0.1),
}


def _problem(rows=24):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, UNITS[0])).astype(np.float32)
    y = np.eye(UNITS[-1], dtype=np.float32)[rng.integers(0, UNITS[-1], rows)]
    return X, y


def _network(**layer_options):
    net = _core.Network(UNITS, "tanh", "softmax", **layer_options)
    net.initialize(1, 6.0)
    return net


def _layer_changes(net, before):
    return [
        net.parameters[begin:end] - before[begin:end]
        for begin, end in (net.layer_range(layer) for layer in range(len(UNITS) - 1))
    ]


@pytest.mark.parametrize("solver", SOLVERS)
def test_each_layers_first_step_scales_with_its_multiplier(solver):
    """One step from the same start: every update rule's first step is linear
    in the learning rate, so layer l moves multiplier_l times as far."""
    X, y = _problem()
    rates = [0.25, 1.0, 3.0]
    steps = []
    for multipliers in ([], rates):
        net = _network(normalization="layer")
        before = net.parameters.copy()
        trainer = _core.Trainer(
            net,
            loss="log_loss",
            learning_rate=0.01,
            layer_learning_rates=multipliers,
            **SOLVERS[solver],
        )
        trainer.train_epoch(_core.Dataset(X), y, None, len(X), False, 0, 0)
        steps.append(_layer_changes(net, before))
    # Differences of float32 parameters near 1 carry their rounding (2**-24).
    for plain, scaled, rate in zip(*steps, rates, strict=True):
        np.testing.assert_allclose(scaled, rate * plain, rtol=2e-4, atol=3e-7)


def test_multipliers_of_one_train_bit_identically_to_none():
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    base = MLPClassifier((8, 7), max_iter=3, random_state=0)
    plain = clone(base).fit(X, y)
    ones = clone(base).set_params(layer_learning_rates=[1.0, 1.0, 1.0]).fit(X, y)
    np.testing.assert_array_equal(plain._network.parameters, ones._network.parameters)


@pytest.mark.parametrize(
    "rates, message",
    [
        ([1.0, 1.0], r"one positive, finite multiplier per weight layer \(3"),
        ([1.0, -1.0, 1.0], "positive, finite"),
        ([1.0, np.nan, 1.0], "positive, finite"),
        ([1.0, np.inf, 1.0], "positive, finite"),
    ],
)
def test_bad_multipliers_raise_clear_errors(rates, message):
    X, y = make_classification(n_samples=40, n_features=6, random_state=0)
    clf = MLPClassifier((8, 7), max_iter=2, layer_learning_rates=rates)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "params", [dict(layer_learning_rates=[1.0, 0.1]), dict(layer_schedule="cyclic")]
)
def test_lbfgs_refuses_step_shaping_options(params):
    X, y = make_classification(n_samples=40, n_features=6, random_state=0)
    with pytest.raises(ValueError, match="stochastic solver"):
        MLPClassifier((8,), solver="lbfgs", **params).fit(X, y)


def test_cyclic_schedule_trains_one_layer_per_epoch_and_freezes_the_rest():
    X, y = _problem()
    net = _network(normalization="batch")
    trainer = _core.Trainer(
        net, loss="log_loss", layer_schedule="cyclic", trainable_layers=[0, 2]
    )
    trained = []
    for epoch in range(4):
        before = net.parameters.copy()
        trainer.train_epoch(_core.Dataset(X), y, None, 8, True, 0, epoch)
        changes = _layer_changes(net, before)
        trained.append([layer for layer, c in enumerate(changes) if np.any(c != 0)])
        # Weights, bias and normalization parameters of the others: exactly as before.
        for layer, change in enumerate(changes):
            if layer not in trained[-1]:
                assert not np.any(change), (epoch, layer)
    assert trained == [[0], [2], [0], [2]]


def test_cyclic_estimator_moves_layer_after_layer():
    X, y = make_classification(n_samples=90, n_features=6, random_state=0)
    snapshots = []

    class Record:
        def on_train_begin(self, estimator):
            snapshots.append(estimator._network.parameters.copy())

        def on_epoch_end(self, estimator, logs):
            snapshots.append(estimator._network.parameters.copy())
            return False

        def on_train_end(self, estimator):
            pass

    clf = MLPClassifier(
        (8, 7),
        layer_schedule="cyclic",
        normalization="layer",
        max_iter=4,
        random_state=0,
        callbacks=[Record()],
    ).fit(X, y)
    network = clf._network
    for epoch in range(4):
        moved = [
            layer
            for layer in range(3)
            if np.any(
                snapshots[epoch + 1][slice(*network.layer_range(layer))]
                != snapshots[epoch][slice(*network.layer_range(layer))]
            )
        ]
        assert moved == [epoch % 3]


def test_the_options_survive_clone_pickle_and_the_model_file():
    X, y = make_classification(n_samples=60, n_features=6, random_state=0)
    params = dict(
        layer_learning_rates=[0.1, 1.0, 2.0],
        layer_schedule="cyclic",
        label_smoothing=0.1,
        distillation_weight=0.3,
        distillation_temperature=2.0,
    )
    model = MLPClassifier((8, 7), max_iter=3, random_state=0, **params).fit(X, y)
    copies = (
        clone(model),
        pickle.loads(pickle.dumps(model)),
        from_bytes(model.to_bytes()),
    )
    for copy in copies:
        assert {name: copy.get_params()[name] for name in params} == params
    for copy in copies[1:]:
        np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))
    refit = clone(model).fit(X, y)
    np.testing.assert_array_equal(refit._network.parameters, model._network.parameters)
