"""Curriculum learning: fit(X, y, difficulty=) with curriculum=."""

import math

import numpy as np
import pytest
from estimator_helpers import digits_split, ignore_convergence
from fastdnn import MLPClassifier, MLPRegressor
from fastdnn.curriculum import difficulty_by_loss, pacing
from sklearn.model_selection import GridSearchCV


def test_pacing_functions():
    assert pacing("linear", 0, 10) == pytest.approx(0.1)
    assert pacing("linear", 5, 10) == pytest.approx(0.55)
    assert pacing("root", 5, 10) == pytest.approx(math.sqrt(0.01 + 0.99 * 0.5))
    assert [pacing("step", e, 8) for e in range(9)] == pytest.approx(
        [0.1, 0.1, 0.325, 0.325, 0.55, 0.55, 0.775, 0.775, 1.0]
    )
    assert pacing("root", 12, 10) == 1.0


@pytest.mark.parametrize("curriculum", ["linear", "root", "step"])
def test_each_epoch_trains_on_the_paced_number_of_rows(curriculum):
    X, _, y, _ = digits_split()
    difficulty = np.random.default_rng(0).random(len(y))
    with ignore_convergence():
        model = MLPClassifier(
            (8,), curriculum=curriculum, curriculum_epochs=4, max_iter=6
        ).fit(X, y, difficulty=difficulty)
    expected = [math.ceil(pacing(curriculum, e, 4) * len(y)) for e in range(6)]
    assert [entry["samples"] for entry in model.history_] == expected
    assert model.t_ == sum(expected)


def test_an_epoch_draws_only_the_easiest_rows():
    """A curriculum's first epoch trains exactly as a fit on the easiest
    tenth of the data alone."""
    X, _, y, _ = digits_split()
    difficulty = np.random.default_rng(1).random(len(y))
    easiest = np.argsort(difficulty, kind="stable")[: math.ceil(0.1 * len(y))]
    params = {"hidden_layer_sizes": (8,), "max_iter": 1, "random_state": 0}
    with ignore_convergence():
        paced = MLPRegressor(curriculum="linear", **params).fit(
            X, y, difficulty=difficulty
        )
        subset = MLPRegressor(**params).fit(X[easiest], y[easiest])
    for a, b in zip(paced.coefs_, subset.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_difficulty_is_sliced_with_the_data_in_a_grid_search():
    X, _, y, _ = digits_split()
    difficulty = np.random.default_rng(0).random(len(y))
    search = GridSearchCV(
        MLPClassifier((8,), curriculum="linear", curriculum_epochs=2, max_iter=3),
        {"alpha": [1e-4, 1e-3]},
        cv=2,
    )
    with ignore_convergence():
        search.fit(X, y, difficulty=difficulty)
    assert search.best_estimator_.history_[0]["samples"] == math.ceil(0.1 * len(y))


def test_difficulty_by_loss_is_each_samples_log_loss():
    X, _, y, _ = digits_split()
    with ignore_convergence():
        model = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    probabilities = model.predict_proba(X)[np.arange(len(y)), y]
    np.testing.assert_allclose(
        difficulty_by_loss(model, X, y), -np.log(probabilities), rtol=1e-6
    )


def test_difficulty_by_loss_fits_an_unfitted_estimator():
    X, _, y, _ = digits_split()
    unfitted = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with ignore_convergence():
        scores = difficulty_by_loss(unfitted, X, y)
        fitted = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(
            X, y
        )
    np.testing.assert_allclose(scores, (fitted.predict(X) - y) ** 2, rtol=1e-6)
    assert not hasattr(unfitted, "coefs_")


@pytest.mark.parametrize(
    ("params", "difficulty", "match"),
    [
        ({"curriculum": "linear"}, None, "needs each sample's difficulty"),
        ({}, "ones", "set curriculum="),
        ({"curriculum": "linear"}, "short", "one score per sample"),
        ({"curriculum": "linear"}, "nan", "NaN"),
        ({"curriculum": "linear", "solver": "lbfgs"}, "ones", "stochastic"),
    ],
)
def test_bad_curricula_are_refused(params, difficulty, match):
    X, _, y, _ = digits_split()
    scores = {
        None: None,
        "ones": np.ones(len(y)),
        "short": np.ones(len(y) - 1),
        "nan": np.full(len(y), np.nan),
    }[difficulty]
    with pytest.raises(ValueError, match=match):
        MLPClassifier(max_iter=1, **params).fit(X, y, difficulty=scores)
