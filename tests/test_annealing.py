"""Annealed regularizers: input_noise, dropout and input_dropout taking
fastdnn.schedules.Anneal."""

import math
import pickle

import numpy as np
import pytest
from estimator_helpers import digits_split, ignore_convergence
from fastdnn import MLPClassifier
from fastdnn.schedules import Anneal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV


def fit(**params):
    X, _, y, _ = digits_split()
    model = MLPClassifier((16,), random_state=0, **params)
    with ignore_convergence():
        return model.fit(X, y)


def test_each_epoch_value_is_recorded():
    model = fit(
        max_iter=5,
        input_noise=Anneal(0.4, 0.0, 4),
        dropout=Anneal(0.0, 0.5, 2, shape="cosine"),
    )
    noise = [entry["input_noise"] for entry in model.history_]
    assert noise == pytest.approx([0.4, 0.3, 0.2, 0.1, 0.0])
    dropout = [entry["dropout"] for entry in model.history_]
    assert dropout == pytest.approx([0.0, 0.25, 0.5, 0.5, 0.5])
    # The network ends at the last value (MC dropout uses it).
    assert model._network.layer_options["dropout"] == pytest.approx([0.5])


def test_a_constant_anneal_trains_as_the_constant():
    plain = fit(max_iter=3, input_noise=0.2, input_dropout=0.1)
    annealed = fit(
        max_iter=3, input_noise=Anneal(0.2, 0.2, 2), input_dropout=Anneal(0.1, 0.1, 1)
    )
    for a, b in zip(plain.coefs_, annealed.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def engine_epoch(built_with, trained_with):
    """The parameters after one epoch of a network built with dropout rates
    built_with and given trained_with before training."""
    from fastdnn import _core
    from fastdnn._stochastic import as_dataset

    X, _, y, _ = digits_split()
    network = _core.Network([64, 16, 10], "relu", "softmax", dropout=built_with)
    network.initialize(0)
    trainer = _core.Trainer(network, loss="log_loss")
    network.set_layer_options(dropout=trained_with)
    targets = np.eye(10, dtype=np.float32)[y]
    trainer.train_epoch(as_dataset(X), targets, None, 64, True, 1, 0)
    return network.parameters.copy()


@pytest.mark.parametrize(("built_with", "trained_with"), [([], [0.5]), ([0.5], [])])
def test_a_changed_rate_trains_as_a_network_built_with_it(built_with, trained_with):
    """The trainer's workspace follows the network's options: dropout's
    buffers appear when a rate leaves 0 and go when it returns there."""
    np.testing.assert_array_equal(
        engine_epoch(built_with, trained_with), engine_epoch(trained_with, trained_with)
    )


def test_an_anneal_from_zero_starts_as_no_dropout():
    without = fit(max_iter=1)
    annealed = fit(max_iter=1, dropout=Anneal(0.0, 0.5, 1))
    np.testing.assert_array_equal(without.coefs_[0], annealed.coefs_[0])


def test_anneal_clones_pickles_and_searches():
    anneal = Anneal(0.3, 0.0, 5, shape="cosine")
    model = MLPClassifier(input_noise=anneal)
    assert clone(model).input_noise == anneal
    assert pickle.loads(pickle.dumps(anneal)) == anneal
    assert anneal.value(5) == 0.0
    assert anneal.value(1) == pytest.approx(0.15 + 0.15 * math.cos(math.pi / 5))
    X, _, y, _ = digits_split()
    search = GridSearchCV(
        MLPClassifier((8,), max_iter=2),
        {"input_noise": [0.0, Anneal(0.3, 0.0, 2)]},
        cv=2,
    )
    with ignore_convergence():
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"dropout": Anneal(0.2, 1.0, 3)}, "its end is invalid"),
        ({"input_noise": Anneal(-0.1, 0.0, 3)}, "start must be a finite number"),
        ({"input_dropout": Anneal(0.1, 0.0, 0)}, "epochs must be > 0"),
        ({"input_noise": Anneal(0.1, 0.0, 2, shape="step")}, "shape"),
        ({"input_noise": Anneal(0.1, 0.0, 2), "solver": "lbfgs"}, "stochastic"),
    ],
)
def test_bad_anneals_are_refused(params, match):
    X, _, y, _ = digits_split()
    with pytest.raises(ValueError, match=match):
        MLPClassifier(max_iter=1, **params).fit(X, y)


def test_a_trainer_option_anneals_once_listed(monkeypatch):
    """Adding a TrainerOptions parameter (here alpha) to ANNEALABLE is all
    it takes: the trainer gets each epoch's value."""
    from fastdnn import _annealing, _options

    monkeypatch.setattr(_options, "ANNEALABLE", (*_options.ANNEALABLE, "alpha"))
    monkeypatch.setattr(_annealing, "ANNEALABLE", _options.ANNEALABLE)

    @_options.with_parameters(
        tuple(map(_options._annealable, _options.SHARED_OPTIONS)), n_positional=2
    )
    class AnnealedAlpha(MLPClassifier):
        pass

    X, _, y, _ = digits_split()

    def fitted(model_class, alpha, max_iter):
        model = model_class((16,), alpha=alpha, max_iter=max_iter, random_state=0)
        with ignore_convergence():
            return model.fit(X, y)

    first = fitted(AnnealedAlpha, Anneal(0.0, 1.0, 1), 1)
    np.testing.assert_array_equal(
        first.coefs_[0], fitted(MLPClassifier, 0.0, 1).coefs_[0]
    )
    constant = fitted(AnnealedAlpha, Anneal(0.5, 0.5, 2), 2)
    np.testing.assert_array_equal(
        constant.coefs_[0], fitted(MLPClassifier, 0.5, 2).coefs_[0]
    )
    moved = fitted(AnnealedAlpha, Anneal(0.0, 1.0, 1), 2)
    assert [entry["alpha"] for entry in moved.history_] == [0.0, 1.0]
    assert moved._trainer.options["alpha"] == 1.0


def test_the_engine_refuses_changes_that_rebuild_what_it_made():
    from fastdnn import _core

    network = _core.Network([4, 3, 2], "relu", "softmax", normalization="batch")
    with pytest.raises(ValueError, match="cannot change on a built network"):
        network.set_layer_options(normalization="layer")
    with pytest.raises(ValueError, match="dropout must be in"):
        network.set_layer_options(dropout=[1.5])
    assert network.layer_options["dropout"] == []
    trainer = _core.Trainer(network, loss="log_loss")
    with pytest.raises(ValueError, match="fixed when the trainer was made"):
        trainer.set_options(solver="sgd")
    trainer.set_options(alpha=0.5)
    assert trainer.options["alpha"] == 0.5
