"""eval_set, monitor, restore_best_weights, start_from_epoch, scoring, divergence.

Stopping is checked by replaying the documented rule on the logged history;
best weights by refitting the same random_state for exactly the best epoch's
number of epochs, which must give bit-identical predictions (the engine is
deterministic for a given seed).
"""

import functools
import math

import numpy as np
import pytest
from estimator_helpers import ignore_convergence, overfitting_model, overfitting_split
from fastdnn import MLPClassifier, MLPRegressor
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, get_scorer, log_loss

_model = functools.partial(overfitting_model, max_iter=200, n_iter_no_change=5)


def _replay_stop(values, *, higher_is_better, tol, n_iter_no_change, start=0):
    """The epoch (1-based) scikit-learn's rule stops at, and the best epoch.

    An epoch counts as no improvement unless it beats the best by tol; the
    best follows every strict improvement; epochs <= start are ignored.
    """
    best, best_epoch, count = -math.inf, None, 0
    for epoch, value in enumerate(values, start=1):
        if epoch <= start:
            continue
        quality = value if higher_is_better else -value
        count = count + 1 if quality < best + tol else 0
        if quality > best:
            best, best_epoch = quality, epoch
        if count > n_iter_no_change:
            return epoch, best_epoch
    return None, best_epoch


def _predictions(model, X):
    return (
        model.predict_proba(X)
        if hasattr(model, "predict_proba")
        else (model.predict(X))
    )


# ----------------------------------------------------------------------------
# Stopping on val_loss and restoring the best epoch


def test_val_loss_monitor_stops_after_n_iter_no_change_plus_one_bad_epochs():
    X, y, X_val, y_val = overfitting_split()
    model = _model(monitor="val_loss").fit(X, y, eval_set=(X_val, y_val))
    val_losses = [h["val_loss"] for h in model.history_]
    stop, best = _replay_stop(
        val_losses, higher_is_better=False, tol=0.0, n_iter_no_change=5
    )
    assert stop is not None and model.n_iter_ == stop
    # The last n_iter_no_change + 1 epochs were all worse than the best.
    assert stop - best == 6
    assert len(model.history_) == model.n_iter_
    # A best epoch in the middle: the test below is not about epoch 1.
    assert 3 <= best < stop


@pytest.mark.parametrize(
    ("restore", "normalization"),
    [(True, None), ("auto", None), (True, "batch")],
)
def test_restore_best_weights_returns_the_best_val_loss_epochs_model(
    restore, normalization
):
    # With batch norm, the best epoch's model includes its running statistics.
    X, y, X_val, y_val = overfitting_split()
    eval_set = (X_val, y_val)
    model = _model(
        monitor="val_loss", restore_best_weights=restore, normalization=normalization
    )
    model.fit(X, y, eval_set=eval_set)
    val_losses = [h["val_loss"] for h in model.history_]
    best_epoch = int(np.argmin(val_losses)) + 1
    assert best_epoch < model.n_iter_

    with ignore_convergence():
        rerun = _model(
            monitor="val_loss", max_iter=best_epoch, normalization=normalization
        ).fit(X, y, eval_set=eval_set)
    np.testing.assert_array_equal(
        model.predict_proba(X_val), rerun.predict_proba(X_val)
    )
    # The restored model's validation loss is the best logged one.
    assert log_loss(y_val, model.predict_proba(X_val)) == pytest.approx(
        min(val_losses), rel=1e-4
    )


def test_restore_best_weights_false_keeps_the_last_epochs_model():
    X, y, X_val, y_val = overfitting_split()
    eval_set = (X_val, y_val)
    model = _model(monitor="val_loss", restore_best_weights=False)
    model.fit(X, y, eval_set=eval_set)
    with ignore_convergence():
        rerun = _model(
            monitor="val_loss", restore_best_weights=False, max_iter=model.n_iter_
        ).fit(X, y, eval_set=eval_set)
    np.testing.assert_array_equal(
        model.predict_proba(X_val), rerun.predict_proba(X_val)
    )
    assert log_loss(y_val, model.predict_proba(X_val)) == pytest.approx(
        model.history_[-1]["val_loss"], rel=1e-4
    )


def test_start_from_epoch_delays_stopping_and_the_choice_of_best_epoch():
    X, y, X_val, y_val = overfitting_split()
    eval_set = (X_val, y_val)
    plain = _model(monitor="val_loss").fit(X, y, eval_set=eval_set)
    start = plain.n_iter_ + 2  # past the point where the plain run stopped
    delayed = _model(monitor="val_loss", start_from_epoch=start)
    delayed.fit(X, y, eval_set=eval_set)
    val_losses = [h["val_loss"] for h in delayed.history_]
    stop, best = _replay_stop(
        val_losses, higher_is_better=False, tol=0.0, n_iter_no_change=5, start=start
    )
    assert delayed.n_iter_ == stop
    assert delayed.n_iter_ > start > plain.n_iter_
    # The best epoch is chosen among the counted epochs only, so it is not the
    # overall minimum of the validation loss (which lies before start).
    assert best > start
    with ignore_convergence():
        rerun = _model(monitor="val_loss", start_from_epoch=start, max_iter=best)
        rerun.fit(X, y, eval_set=eval_set)
    np.testing.assert_array_equal(
        delayed.predict_proba(X_val), rerun.predict_proba(X_val)
    )


def test_start_from_epoch_beyond_max_iter_keeps_the_trained_weights():
    # No epoch is ever monitored, so there is no best epoch to restore: the
    # model must be the trained one, not the random initialisation.
    X, y, X_val, y_val = overfitting_split()
    eval_set = (X_val, y_val)
    params = dict(monitor="val_loss", start_from_epoch=10, max_iter=5)
    with ignore_convergence():
        restoring = _model(restore_best_weights=True, **params)
        restoring.fit(X, y, eval_set=eval_set)
        keeping = _model(restore_best_weights=False, **params)
        keeping.fit(X, y, eval_set=eval_set)
    np.testing.assert_array_equal(
        restoring.predict_proba(X_val), keeping.predict_proba(X_val)
    )


# ----------------------------------------------------------------------------
# Scoring


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scoring_name_is_the_logged_val_score(dtype):
    X, y, X_val, y_val = overfitting_split()
    X, X_val = X.astype(dtype), X_val.astype(dtype)
    with ignore_convergence():
        model = _model(
            scoring="neg_log_loss", alpha=0.0, restore_best_weights=False, max_iter=6
        ).fit(X, y, eval_set=(X_val, y_val))
    last = model.history_[-1]
    scorer = get_scorer("neg_log_loss")
    assert last["val_score"] == pytest.approx(scorer(model, X_val, y_val), rel=1e-6)
    # With alpha=0 the validation loss is the log loss of the same weights, so
    # the score must be its negative: both describe the epoch's model.
    assert last["val_score"] == pytest.approx(-last["val_loss"], rel=1e-4)
    assert model.validation_scores_ == [h["val_score"] for h in model.history_]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scoring_does_not_change_the_training(dtype):
    # The scorer only reads the model: the weights after each epoch must be
    # the same whatever the validation score is.
    X, y, X_val, y_val = overfitting_split()
    X, X_val = X.astype(dtype), X_val.astype(dtype)
    with ignore_convergence():
        models = [
            _model(scoring=scoring, restore_best_weights=False, max_iter=4).fit(
                X, y, eval_set=(X_val, y_val)
            )
            for scoring in (None, "accuracy")
        ]
    assert [h["train_loss"] for h in models[0].history_] == [
        h["train_loss"] for h in models[1].history_
    ]
    np.testing.assert_array_equal(models[0].coefs_[0], models[1].coefs_[0])


def _balanced_error(estimator, X, y):
    # A callable scorer that no built-in default could be mistaken for.
    predictions = estimator.predict(X)
    return -float(np.mean([np.mean(predictions[y == c] != c) for c in (0, 1)]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_callable_scoring_drives_monitoring_and_best_weights(dtype):
    X, y, X_val, y_val = overfitting_split()
    X, X_val = X.astype(dtype), X_val.astype(dtype)
    with ignore_convergence():
        model = _model(
            scoring=_balanced_error,
            monitor="val_score",
            restore_best_weights=True,
            tol=1e-3,
            max_iter=60,
        ).fit(X, y, eval_set=(X_val, y_val))
    scores = [h["val_score"] for h in model.history_]
    stop, best = _replay_stop(
        scores, higher_is_better=True, tol=1e-3, n_iter_no_change=5
    )
    assert model.n_iter_ == (stop or 60)
    assert _balanced_error(model, X_val, y_val) == max(scores)
    assert model.best_validation_score_ == max(scores)
    # It learned something: the best balanced error beats the first epoch's.
    assert max(scores) > scores[0]


def test_scoring_uses_the_eval_set_sample_weights():
    # eval_set's third element weights the validation loss and the default
    # score; an explicit scoring must weight the score the same way.
    # (float32 inputs keep this independent of the float64 scoring bug.)
    X, y, X_val, y_val = overfitting_split()
    X, X_val = X.astype(np.float32), X_val.astype(np.float32)
    weights = np.where(y_val == 1, 10.0, 0.1)
    for scoring in (None, "accuracy"):
        with ignore_convergence():
            model = _model(scoring=scoring, restore_best_weights=False, max_iter=3).fit(
                X, y, eval_set=(X_val, y_val, weights)
            )
        predictions = model.predict(X_val)
        weighted = accuracy_score(y_val, predictions, sample_weight=weights)
        assert weighted != accuracy_score(y_val, predictions)  # tells them apart
        assert model.history_[-1]["val_score"] == pytest.approx(weighted), scoring


def test_regressor_eval_set_logs_r2_and_weighted_loss():
    X, y = make_regression(n_samples=160, n_features=6, noise=1.0, random_state=0)
    y = y / y.std()
    X_val, y_val = X[120:], y[120:]
    with ignore_convergence():
        model = MLPRegressor(
            hidden_layer_sizes=(16,),
            solver="adam",
            learning_rate_init=0.01,
            max_iter=5,
            random_state=0,
            restore_best_weights=False,
        ).fit(X[:120], y[:120], eval_set=(X_val, y_val))
    last = model.history_[-1]
    assert last["val_score"] == pytest.approx(model.score(X_val, y_val), rel=1e-6)
    # scikit-learn's squared error is half the mean squared residual (+ the L2
    # term, which is alpha/(2n) * ||W||^2).
    residual = 0.5 * np.mean((model.predict(X_val) - y_val) ** 2)
    penalty = 0.5 * model.alpha * sum(np.sum(w**2) for w in model.coefs_) / len(y_val)
    assert last["val_loss"] == pytest.approx(residual + penalty, rel=1e-4)


# ----------------------------------------------------------------------------
# Errors and scikit-learn's defaults


@pytest.mark.parametrize("monitor", ["val_loss", "val_score"])
def test_validation_monitor_without_validation_data_raises(monitor):
    X, y, _, _ = overfitting_split()
    with pytest.raises(ValueError, match="needs validation data"):
        _model(monitor=monitor).fit(X, y)


def test_eval_set_with_unseen_labels_raises():
    X, y, X_val, y_val = overfitting_split()
    y_val = np.where(np.arange(len(y_val)) == 0, 7, y_val)
    with pytest.raises(ValueError, match="not seen in training"):
        _model().fit(X, y, eval_set=(X_val, y_val))


@pytest.mark.parametrize(
    "eval_set",
    [
        "not a tuple",
        (np.zeros((3, 20)),),
        (np.zeros((3, 20)), np.zeros(4)),
        (np.zeros((3, 5)), np.zeros(3)),
    ],
    ids=["string", "one-element", "row-mismatch", "feature-mismatch"],
)
def test_malformed_eval_set_raises(eval_set):
    X, y, _, _ = overfitting_split()
    with pytest.raises(ValueError):
        _model().fit(X, y, eval_set=eval_set)


def test_early_stopping_alone_keeps_scikit_learn_attributes():
    X, y, _, _ = overfitting_split()
    # scikit-learn's tol: with tol=0 an unchanged accuracy counts as progress.
    model = _model(early_stopping=True, n_iter_no_change=3, tol=1e-4).fit(X, y)
    assert model.best_loss_ is None
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    # The validation split is 10% of the training data: only 90 rows train.
    assert model.t_ == 90 * model.n_iter_
    assert [h["val_score"] for h in model.history_] == model.validation_scores_
    # Monitoring is on the validation score (accuracy), which stopped.
    stop, _ = _replay_stop(
        model.validation_scores_, higher_is_better=True, tol=1e-4, n_iter_no_change=3
    )
    assert model.n_iter_ == stop


def test_no_validation_keeps_scikit_learn_attributes():
    X, y, _, _ = overfitting_split()
    with ignore_convergence():
        model = _model(max_iter=4).fit(X, y)
    assert model.validation_scores_ is None
    assert model.best_validation_score_ is None
    assert model.best_loss_ == min(model.loss_curve_)
    assert all(h["val_loss"] is None and h["val_score"] is None for h in model.history_)


def test_eval_set_replaces_the_early_stopping_split():
    X, y, X_val, y_val = overfitting_split()
    model = _model(early_stopping=True, n_iter_no_change=3, tol=1e-4)
    model.fit(X, y, eval_set=(X_val, y_val))
    assert model.t_ == 100 * model.n_iter_  # every training row was used
    assert model.history_[-1]["val_score"] is not None


# ----------------------------------------------------------------------------
# Divergence


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_divergence_raises_and_keeps_the_last_finite_weights(Estimator):
    X, y, X_val, _ = overfitting_split()
    params = dict(
        hidden_layer_sizes=(32,),
        solver="sgd",
        learning_rate_init=1e4,
        momentum=0.9,
        max_iter=30,
        random_state=0,
        # Diagnostics of huge weights have their own test (test_diagnostics).
        diagnostics=False,
    )
    model = Estimator(**params)
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        model.fit(X, y)
    assert all(np.isfinite(w).all() for w in model.coefs_ + model.intercepts_)
    # The diverged epoch is recorded (its loss may still be finite when only
    # the weights overflowed) and n_iter_ counts it.
    assert model.history_[-1]["epoch"] == model.n_iter_
    assert np.isfinite(model.predict(X_val).astype(float)).all()
    # The kept weights are those after the last epoch with a finite loss.
    diverged_at = model.n_iter_
    if diverged_at > 1:
        with ignore_convergence():
            rerun = Estimator(**{**params, "max_iter": diverged_at - 1}).fit(X, y)
        np.testing.assert_array_equal(
            _predictions(model, X_val), _predictions(rerun, X_val)
        )


def test_huge_inputs_raise_non_finite_weights_error_and_model_still_predicts():
    X, y, X_val, _ = overfitting_split()
    model = MLPClassifier(
        hidden_layer_sizes=(8,), solver="sgd", max_iter=5, random_state=0
    )
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        model.fit(X * 1e20, y)
    assert all(np.isfinite(w).all() for w in model.coefs_ + model.intercepts_)
    assert model.predict(X_val).shape == (len(X_val),)


# Settings under which overfitting_split diverges after several finite epochs.
_DIVERGING = {
    MLPClassifier: dict(learning_rate_init=10.0),
    MLPRegressor: dict(learning_rate_init=0.3),
}


def _diverging_model(Estimator, **params):
    defaults = dict(
        hidden_layer_sizes=(16,),
        solver="sgd",
        momentum=0.9,
        max_iter=30,
        n_iter_no_change=30,
        random_state=0,
        **_DIVERGING[Estimator],
    )
    return Estimator(**{**defaults, **params})


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_divergence_with_early_stopping_warns_and_keeps_the_best_weights(Estimator):
    # scikit-learn's issue 29504: with early_stopping it does not raise, it
    # scores the non-finite model NaN and restores the best weights.
    X, y, X_val, _ = overfitting_split()
    model = _diverging_model(Estimator, early_stopping=True)
    with pytest.warns(ConvergenceWarning, match="Training diverged in epoch"):
        model.fit(X, y)
    assert 1 < model.n_iter_ < 30
    assert math.isnan(model.validation_scores_[-1])
    assert isinstance(model.validation_scores_[-1], float)
    best_epoch = int(np.nanargmax(model.validation_scores_)) + 1
    assert model.best_validation_score_ == model.validation_scores_[best_epoch - 1]
    with ignore_convergence():
        rerun = _diverging_model(Estimator, early_stopping=True, max_iter=best_epoch)
        rerun.fit(X, y)
    np.testing.assert_array_equal(
        _predictions(model, X_val), _predictions(rerun, X_val)
    )


def test_divergence_with_eval_set_raises_and_keeps_the_best_weights():
    # Without early_stopping scikit-learn raises; restore_best_weights still
    # decides which finite weights the model keeps.
    X, y, X_val, y_val = overfitting_split()
    model = _diverging_model(MLPClassifier)
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        model.fit(X, y, eval_set=(X_val, y_val))
    assert math.isnan(model.history_[-1]["val_score"])
    best_epoch = int(np.nanargmax(model.validation_scores_)) + 1
    with ignore_convergence():
        rerun = _diverging_model(MLPClassifier, max_iter=best_epoch)
        rerun.fit(X, y, eval_set=(X_val, y_val))
    np.testing.assert_array_equal(model.predict_proba(X), rerun.predict_proba(X))


# ----------------------------------------------------------------------------
# partial_fit and fit: one path


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "batch_size, shuffle", [(100, True), (100, False), (16, True), (16, False)]
)
def test_n_partial_fit_calls_are_bit_identical_to_fit_for_n_epochs(
    Estimator, solver, dtype, batch_size, shuffle
):
    X, y, _, _ = overfitting_split()
    X = X.astype(dtype)
    params = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        batch_size=batch_size,
        shuffle=shuffle,
        learning_rate_init=0.01,
        tol=0.0,
        n_iter_no_change=1000,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        full = Estimator(max_iter=10, **params).fit(X, y)
    incremental = Estimator(**params)
    classes = {"classes": np.unique(y)} if Estimator is MLPClassifier else {}
    for _ in range(10):
        incremental.partial_fit(X, y, **classes)
    assert incremental.n_iter_ == 1  # one epoch per call, as in scikit-learn
    assert incremental.t_ == full.t_
    assert incremental.loss_curve_ == full.loss_curve_
    for a, b in zip(
        full.coefs_ + full.intercepts_,
        incremental.coefs_ + incremental.intercepts_,
        strict=True,
    ):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)
