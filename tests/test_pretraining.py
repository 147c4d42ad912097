"""Greedy layer-wise pretraining (pretraining='greedy_supervised' and
'greedy_autoencoder')."""

import numpy as np
import pytest
from estimator_helpers import digits_split, ignore_convergence
from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits


def pretrained_hidden_layers(pretraining, X, y):
    # Only the output layer trains after pretraining: the hidden layers are
    # the pretraining's.
    model = MLPClassifier(
        (16, 8),
        pretraining=pretraining,
        pretraining_epochs=2,
        trainable_layers=[-1],
        max_iter=1,
        random_state=0,
    )
    with ignore_convergence():
        model.fit(X, y)
    return model.coefs_[:2]


def test_greedy_autoencoder_pretraining_does_not_read_the_targets():
    X, _, y, _ = digits_split()
    shuffled = np.random.default_rng(0).permutation(y)
    pretrained = pretrained_hidden_layers("greedy_autoencoder", X, y)
    for a, b in zip(
        pretrained,
        pretrained_hidden_layers("greedy_autoencoder", X, shuffled),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(pretrained, pretrained_hidden_layers(None, X, y), strict=True):
        assert not np.array_equal(a, b)


def test_greedy_supervised_pretraining_learns_from_the_targets():
    X, _, y, _ = digits_split()
    shuffled = np.random.default_rng(0).permutation(y)
    for a, b in zip(
        pretrained_hidden_layers("greedy_supervised", X, y),
        pretrained_hidden_layers("greedy_supervised", X, shuffled),
        strict=True,
    ):
        assert not np.array_equal(a, b)


def test_greedy_supervised_pretraining_trains_a_deep_sigmoid_net():
    """Ten logistic layers stall at chance from a random start; trained one
    layer at a time first, they learn (examples/greedy_pretraining.py)."""
    X, X_test, y, y_test = load_mnist_digits(n_train=3000)
    X_test, y_test = X_test[:2000], y_test[:2000]
    scores = {}
    for pretraining in (None, "greedy_supervised"):
        model = MLPClassifier(
            (32,) * 10,
            activation="logistic",
            learning_rate_init=0.01,
            pretraining=pretraining,
            pretraining_epochs=5,
            max_iter=5,
            random_state=0,
        )
        with ignore_convergence():
            model.fit(X, y)
        scores[pretraining] = model.score(X_test, y_test)
    assert scores[None] < 0.2
    assert scores["greedy_supervised"] > 0.7


def test_pretraining_needs_a_stochastic_solver():
    X, _, y, _ = digits_split()
    with pytest.raises(ValueError, match="stochastic solver"):
        MLPClassifier(pretraining="greedy_supervised", solver="lbfgs").fit(X, y)


def test_pretraining_and_init_from_exclude_each_other():
    X, _, y, _ = digits_split()
    with ignore_convergence():
        source = MLPClassifier((16,), max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="use one of them"):
        MLPClassifier((16,), pretraining="greedy_supervised").fit(
            X, y, init_from=source
        )


def test_a_model_pickled_before_these_parameters_refits():
    X, _, y, _ = digits_split()
    with ignore_convergence():
        model = MLPClassifier((8,), max_iter=1).fit(X, y)
    state = model.__getstate__()
    for name in (
        "pretraining",
        "pretraining_epochs",
        "curriculum",
        "curriculum_epochs",
    ):
        del state[name]
    older = MLPClassifier.__new__(MLPClassifier)
    older.__setstate__(state)
    assert older.get_params()["pretraining"] is None
    with ignore_convergence():
        older.fit(X, y)
