"""fit(X, y, init_from=fitted): a network's leading hidden layers reused."""

import pickle

import numpy as np
import pytest
from estimator_helpers import digits_split, ignore_convergence
from fastdnn import MLPAutoencoder, MLPClassifier, MLPRegressor
from sklearn.model_selection import GridSearchCV


@pytest.fixture(scope="module")
def source():
    """A batch-norm classifier of the ten digits: its layers carry weights,
    biases, gains, shifts and running statistics."""
    X, _, y, _ = digits_split()
    with ignore_convergence():
        return MLPClassifier(
            (32, 16), normalization="batch", max_iter=5, random_state=0
        ).fit(X, y)


def hidden_outputs(estimator, X, layer):
    from fastdnn._stochastic import as_dataset

    return estimator._network.predict_layers(as_dataset(X), 0, layer)


def frozen_target(**params):
    # Only the output layer trains and batch norm's running statistics do
    # not move (momentum 0): the hidden layers stay as init_from left them.
    return MLPClassifier(
        normalization="batch",
        batch_norm_momentum=0.0,
        trainable_layers=[-1],
        max_iter=2,
        random_state=1,
        **params,
    )


def test_matching_layers_are_copied_whole(source):
    X, X_test, y, _ = digits_split()
    with ignore_convergence():
        target = frozen_target(hidden_layer_sizes=(32, 16)).fit(
            X, y % 2, init_from=source
        )
    # Weights, bias, gain, shift and running statistics: the same layer.
    for layer in (0, 1):
        np.testing.assert_array_equal(
            hidden_outputs(target, X_test, layer), hidden_outputs(source, X_test, layer)
        )


def test_decorrelated_batch_norm_layers_are_copied_whole():
    # Their running statistics are a mean and whitening matrices, laid out
    # unlike batch norm's mean and variance.
    X, X_test, y, _ = digits_split()
    options = dict(
        hidden_layer_sizes=(32, 16),
        normalization="decorrelated_batch",
        norm_groups=4,
        batch_norm_momentum=0.0,
    )
    with ignore_convergence():
        source = MLPClassifier(**{**options, "batch_norm_momentum": 0.1}).set_params(
            max_iter=5, random_state=0
        )
        source.fit(X, y)
        target = MLPClassifier(
            **options, trainable_layers=[-1], max_iter=2, random_state=1
        ).fit(X, y % 2, init_from=source)
    for layer in (0, 1):
        np.testing.assert_array_equal(
            hidden_outputs(target, X_test, layer), hidden_outputs(source, X_test, layer)
        )


def test_copying_stops_at_the_first_layer_that_differs(source):
    X, X_test, y, _ = digits_split()
    with ignore_convergence():
        target = frozen_target(hidden_layer_sizes=(32, 8)).fit(
            X, y % 2, init_from=source
        )
        scratch = frozen_target(hidden_layer_sizes=(32, 8)).fit(X, y % 2)
    np.testing.assert_array_equal(
        hidden_outputs(target, X_test, 0), hidden_outputs(source, X_test, 0)
    )
    # The second layer is initialised as it would be without init_from.
    np.testing.assert_array_equal(target.coefs_[1], scratch.coefs_[1])


def test_an_autoencoder_gives_its_encoder():
    X, _, y, _ = digits_split()
    with ignore_convergence():
        autoencoder = MLPAutoencoder((32, 8), max_iter=3, random_state=0).fit(X)
        target = MLPRegressor(
            hidden_layer_sizes=(32, 8),
            trainable_layers=[-1],
            max_iter=2,
            random_state=0,
        ).fit(X, y, init_from=autoencoder)
    np.testing.assert_array_equal(target.coefs_[0], autoencoder.coefs_[0])
    np.testing.assert_array_equal(target.coefs_[1], autoencoder.coefs_[1])


def test_init_from_survives_grid_search_and_pickling(source):
    X, _, y, _ = digits_split()
    search = GridSearchCV(
        frozen_target(hidden_layer_sizes=(32,)),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
    )
    with ignore_convergence():
        search.fit(X, y % 2, init_from=source)
    best = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(best.coefs_[0], source.coefs_[0])


@pytest.mark.parametrize(
    ("init_from", "error", "match"),
    [
        (MLPClassifier(), ValueError, "not fitted"),
        ("a model", TypeError, "fitted fastdnn"),
    ],
)
def test_init_from_must_be_a_fitted_fastdnn_estimator(init_from, error, match):
    X, _, y, _ = digits_split()
    with pytest.raises(error, match=match):
        MLPClassifier(max_iter=1).fit(X, y, init_from=init_from)


def test_nothing_to_transfer_is_an_error(source):
    X, _, y, _ = digits_split()
    with pytest.raises(ValueError, match="nothing to transfer"):
        MLPClassifier((20,), max_iter=1).fit(X, y, init_from=source)


def test_init_from_refuses_to_continue_a_fitted_network(source):
    X, _, y, _ = digits_split()
    target = MLPClassifier((32,), warm_start=True, max_iter=1, random_state=0)
    with ignore_convergence():
        target.fit(X, y)
    with pytest.raises(ValueError, match="fit anew"):
        target.fit(X, y, init_from=source)
