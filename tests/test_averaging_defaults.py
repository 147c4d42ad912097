"""Weight averaging with its default options helps rather than hurts."""

import pickle

import numpy as np
import pytest
from estimator_helpers import ignore_convergence, small_classification
from fastdnn import MLPClassifier


def classifier(**params):
    # One full-batch step per epoch: a step count is an epoch count.
    return MLPClassifier(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0, **params
    )


def test_default_ema_follows_the_weights_not_their_initial_values():
    X, y = small_classification()
    with ignore_convergence():
        plain = classifier(max_iter=30).fit(X, y)
        averaged = classifier(max_iter=30, averaging="ema").fit(X, y)
        initial = classifier(max_iter=1).fit(X, y)  # one step: near the start
    assert plain.score(X, y) > initial.score(X, y) + 0.2
    # ema_decay=0.999 without a warm-up would still be ~97% the first iterate.
    assert averaged.score(X, y) >= plain.score(X, y) - 0.05
    raw = averaged._parameter_mirror.raw_parameters
    model = np.asarray(averaged._network.parameters)
    start = np.asarray(initial._network.parameters)
    assert np.linalg.norm(model - raw) < 0.5 * np.linalg.norm(model - start)


@pytest.mark.parametrize("max_iter, first_averaged", [(8, 6), (10, 7), (1, 0)])
def test_default_polyak_averages_the_last_quarter_of_the_fit(max_iter, first_averaged):
    X, y = small_classification()
    with ignore_convergence():
        est = classifier(max_iter=max_iter, averaging="polyak").fit(X, y)
    assert est._trainer.averaged_count == max_iter - first_averaged


def test_default_polyak_counts_partial_fit_calls_against_max_iter():
    X, y = small_classification()
    est = classifier(max_iter=4, averaging="polyak")
    counts = []
    for _ in range(6):
        est.partial_fit(X, y, classes=np.unique(y))
        counts.append(est._trainer.averaged_count)
    assert counts == [0, 0, 0, 1, 2, 3]


def test_an_integer_averaging_start_still_counts_epochs():
    X, y = small_classification()
    with ignore_convergence():
        est = classifier(max_iter=8, averaging="polyak", averaging_start=0).fit(X, y)
    assert est._trainer.averaged_count == 8


def test_a_model_pickled_with_averaging_from_the_start_keeps_it():
    # What a model pickled before averaging_start='auto' holds.
    X, y = small_classification()
    est = classifier(max_iter=8, averaging="polyak", averaging_start=0)
    for _ in range(2):
        est.partial_fit(X, y, classes=np.unique(y))
    loaded = pickle.loads(pickle.dumps(est))
    loaded.partial_fit(X, y)
    est.partial_fit(X, y)
    assert loaded._trainer.averaged_count == est._trainer.averaged_count == 3
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
