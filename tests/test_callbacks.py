"""Callbacks: stopping, restoring, logging, checkpoints, copies, output."""

import copy
import csv
import functools
import math
import threading

import joblib
import numpy as np
import pytest
from estimator_helpers import (
    assert_same_params,
    ignore_convergence,
    overfitting_model,
    overfitting_split,
)
from fastdnn.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    ProgressBar,
    TerminateOnNaN,
)
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

_model = functools.partial(
    overfitting_model,
    max_iter=40,
    n_iter_no_change=1000,  # only the callbacks stop these fits
    restore_best_weights=False,
)


def _stop_at_epoch_3(estimator, logs):
    return logs["epoch"] == 3


# ----------------------------------------------------------------------------
# Stopping


def test_lambda_callback_returning_true_stops_after_that_epoch():
    X, y, _, _ = overfitting_split()
    model = _model(callbacks=[LambdaCallback(on_epoch_end=_stop_at_epoch_3)])
    model.fit(X, y)  # no ConvergenceWarning: the callback stopped it
    assert model.n_iter_ == 3
    assert len(model.history_) == len(model.loss_curve_) == 3


def test_lambda_callback_hooks_run_in_order():
    X, y, _, _ = overfitting_split()
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda est: calls.append("begin"),
        on_epoch_end=lambda est, logs: calls.append(logs["epoch"]),
        on_train_end=lambda est: calls.append("end"),
    )
    with ignore_convergence():
        _model(max_iter=3, callbacks=[callback]).fit(X, y)
    assert calls == ["begin", 1, 2, 3, "end"]


def test_early_stopping_callback_stops_by_its_patience_and_restores_the_best():
    X, y, X_val, y_val = overfitting_split()
    callback = EarlyStopping(monitor="val_loss", patience=3, min_delta=0.0)
    model = _model(callbacks=[callback]).fit(X, y, eval_set=(X_val, y_val))
    val_losses = [h["val_loss"] for h in model.history_]
    # Replay Keras's rule: stop once `patience` epochs in a row did not beat
    # the best.
    best, best_epoch, wait = math.inf, None, 0
    for epoch, value in enumerate(val_losses, start=1):
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
        if wait >= 3:
            break
    assert model.n_iter_ == epoch < 40
    assert best_epoch == int(np.argmin(val_losses)) + 1
    with ignore_convergence():
        rerun = _model(max_iter=best_epoch).fit(X, y, eval_set=(X_val, y_val))
    np.testing.assert_array_equal(
        model.predict_proba(X_val), rerun.predict_proba(X_val)
    )


@pytest.mark.parametrize("validation", ["eval_set", "early_stopping"])
def test_early_stopping_callback_watches_validation_loss_when_there_is_some(
    validation,
):
    X, y, X_val, y_val = overfitting_split()
    if validation == "eval_set":
        X_train, y_train, fit_params = X, y, {"eval_set": (X_val, y_val)}
    else:
        X_train, y_train = np.vstack([X, X_val]), np.concatenate([y, y_val])
        fit_params = {}

    def stopped(monitor):
        model = _model(
            callbacks=[EarlyStopping(patience=3, **monitor)],
            early_stopping=validation == "early_stopping",
        )
        return model.fit(X_train, y_train, **fit_params)

    automatic = stopped({})
    explicit = stopped({"monitor": "val_loss"})
    assert automatic.n_iter_ == explicit.n_iter_ < 40
    assert_same_params(automatic, explicit)
    with ignore_convergence():
        assert stopped({"monitor": "train_loss"}).n_iter_ != explicit.n_iter_


def test_early_stopping_callback_watches_training_loss_without_validation():
    X, y, _, _ = overfitting_split()

    def stopped(monitor):
        return _model(
            callbacks=[EarlyStopping(patience=2, min_delta=0.05, **monitor)]
        ).fit(X, y)

    automatic = stopped({})
    explicit = stopped({"monitor": "train_loss"})
    assert automatic.n_iter_ == explicit.n_iter_ < 40
    assert_same_params(automatic, explicit)


def test_early_stopping_callback_on_missing_validation_values_raises():
    X, y, _, _ = overfitting_split()
    with pytest.raises(ValueError, match="not in this fit's logs"):
        _model(callbacks=[EarlyStopping(monitor="val_loss")]).fit(X, y)


def test_terminate_on_nan_stops_on_a_non_finite_loss_only():
    callback = TerminateOnNaN()
    assert callback.on_epoch_end(None, {"train_loss": math.nan})
    assert callback.on_epoch_end(None, {"train_loss": math.inf})
    assert not callback.on_epoch_end(None, {"train_loss": 0.5})
    X, y, _, _ = overfitting_split()
    # A healthy fit is not stopped by it.
    with ignore_convergence():
        model = _model(max_iter=4, callbacks=[TerminateOnNaN()]).fit(X, y)
    assert model.n_iter_ == 4


def test_terminate_on_nan_in_a_diverging_fit_ends_it_at_the_bad_epoch():
    X, y, _, _ = overfitting_split()
    model = _model(
        solver="sgd",
        learning_rate_init=1e4,
        diagnostics=False,
        max_iter=30,
        callbacks=[TerminateOnNaN()],
    )
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        model.fit(X, y)
    assert model.n_iter_ < 30
    assert not math.isfinite(model.history_[-1]["train_loss"])
    assert all(math.isfinite(h["train_loss"]) for h in model.history_[:-1])


# ----------------------------------------------------------------------------
# Logging and checkpoints


def test_csv_logger_writes_a_header_and_one_row_per_epoch(tmp_path):
    X, y, X_val, y_val = overfitting_split()
    path = tmp_path / "log.csv"
    model = _model(max_iter=5, callbacks=[CSVLogger(path)])
    with ignore_convergence():
        model.fit(X, y, eval_set=(X_val, y_val))
        # A second fit starts the file anew (append=False).
        model.fit(X, y, eval_set=(X_val, y_val))
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 5
    assert {"epoch", "train_loss", "val_loss", "val_score", "lr"} <= set(rows[0])
    assert "layers" not in rows[0]
    for row, entry in zip(rows, model.history_, strict=True):
        assert int(row["epoch"]) == entry["epoch"]
        assert float(row["train_loss"]) == entry["train_loss"]
        assert float(row["val_loss"]) == entry["val_loss"]
        assert float(row["lr"]) == entry["lr"]


def test_csv_logger_append_keeps_earlier_rows_and_one_header(tmp_path):
    X, y, _, _ = overfitting_split()
    path = tmp_path / "log.csv"
    with ignore_convergence():
        _model(max_iter=2, callbacks=[CSVLogger(path)]).fit(X, y)
        _model(max_iter=3, callbacks=[CSVLogger(path, append=True)]).fit(X, y)
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 1, 2, 3]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_model_checkpoint_save_best_only_holds_the_best_epochs_model(tmp_path, dtype):
    X, y, X_val, y_val = overfitting_split()
    X, X_val = X.astype(dtype), X_val.astype(dtype)
    path = tmp_path / "best.joblib"
    with ignore_convergence():
        model = _model(
            max_iter=25, callbacks=[ModelCheckpoint(path, monitor="val_loss")]
        ).fit(X, y, eval_set=(X_val, y_val))
    val_losses = [h["val_loss"] for h in model.history_]
    best_epoch = int(np.argmin(val_losses)) + 1
    assert best_epoch < 25  # the last epoch is not the best: a real test
    with ignore_convergence():
        rerun = _model(max_iter=best_epoch).fit(X, y, eval_set=(X_val, y_val))
    saved = joblib.load(path)
    np.testing.assert_array_equal(
        saved.predict_proba(X_val), rerun.predict_proba(X_val)
    )
    assert saved.n_iter_ == best_epoch


def test_model_checkpoint_auto_follows_training_loss_without_validation(tmp_path):
    # 'auto' keeps the epoch of the lowest training loss when the fit has no
    # validation data (a fixed 'val_loss' would have nothing to follow).
    X, y, _, _ = overfitting_split()
    path = tmp_path / "best.joblib"
    callback = ModelCheckpoint(path)
    with ignore_convergence():
        model = _model(max_iter=6, learning_rate_init=0.05, callbacks=[callback])
        model.fit(X, y)
    best_epoch = int(np.argmin(model.loss_curve_)) + 1
    assert joblib.load(path).n_iter_ == best_epoch
    with pytest.raises(ValueError, match="monitor='val_loss' is not in this fit"):
        _model(max_iter=2, callbacks=[ModelCheckpoint(path, "val_loss")]).fit(X, y)


def test_model_checkpoint_every_epoch_formats_the_epoch_into_the_path(tmp_path):
    X, y, _, _ = overfitting_split()
    callback = ModelCheckpoint(tmp_path / "m-{epoch}.joblib", save_best_only=False)
    with ignore_convergence():
        model = _model(max_iter=3, callbacks=[callback]).fit(X, y)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m-1.joblib",
        "m-2.joblib",
        "m-3.joblib",
    ]
    last = joblib.load(tmp_path / "m-3.joblib")
    np.testing.assert_array_equal(last.predict_proba(X), model.predict_proba(X))


# ----------------------------------------------------------------------------
# What callbacks see and may change


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_callbacks_see_the_live_coefs_of_each_epoch(dtype):
    X, y, _, _ = overfitting_split()
    X = X.astype(dtype)
    snapshots = []

    def record(estimator, logs):
        snapshots.append([c.copy() for c in estimator.coefs_])

    with ignore_convergence():
        model = _model(max_iter=3, callbacks=[LambdaCallback(on_epoch_end=record)])
        model.fit(X, y)
    assert len(snapshots) == 3
    assert not np.array_equal(snapshots[0][0], snapshots[1][0])
    for a, b in zip(snapshots[-1], model.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_callback_edits_to_coefs_reach_the_training(dtype):
    X, y, _, _ = overfitting_split()
    X = X.astype(dtype)
    seen = []

    def zero_first_layer(estimator, logs):
        if logs["epoch"] == 2:
            estimator.coefs_[0][...] = 0.0
            estimator.intercepts_[0][...] = 0.0
        if logs["epoch"] == 3:
            seen.append(estimator.coefs_[0].copy())

    with ignore_convergence():
        model = _model(
            max_iter=3,
            solver="sgd",
            learning_rate_init=1e-6,
            callbacks=[LambdaCallback(on_epoch_end=zero_first_layer)],
        ).fit(X, y)
    # Epoch 3 started from the zeroed weights: with a tiny rate they are
    # still about zero after it (they were of order 0.1 before).
    assert np.abs(seen[0]).max() < 1e-4
    np.testing.assert_array_equal(seen[0], model.coefs_[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_callback_edits_on_the_last_epoch_are_in_the_fitted_model(dtype):
    X, y, _, _ = overfitting_split()
    X = X.astype(dtype)

    def zero_and_stop(estimator, logs):
        estimator.coefs_[0][...] = 0.0
        estimator.intercepts_[0][...] = 0.0
        return True

    model = _model(callbacks=[LambdaCallback(on_epoch_end=zero_and_stop)]).fit(X, y)
    np.testing.assert_array_equal(model.coefs_[0], 0.0)
    # With a silent first layer every input gets the same output.
    probabilities = model.predict_proba(X)
    np.testing.assert_array_equal(probabilities, probabilities[:1].repeat(len(X), 0))


def test_fit_does_not_mutate_the_callbacks_it_was_given(tmp_path):
    X, y, X_val, y_val = overfitting_split()
    callbacks = [
        EarlyStopping(monitor="val_loss", patience=2),
        CSVLogger(tmp_path / "log.csv"),
        ModelCheckpoint(tmp_path / "best.joblib"),
        TerminateOnNaN(),
        LambdaCallback(on_epoch_end=_stop_at_epoch_3),
    ]
    before = [copy.deepcopy(c.__dict__) for c in callbacks]
    model = _model(callbacks=callbacks).fit(X, y, eval_set=(X_val, y_val))
    assert model.callbacks is callbacks
    assert all(a is b for a, b in zip(model.callbacks, callbacks, strict=True))
    after = [c.__dict__ for c in callbacks]
    assert repr(after) == repr(before)
    assert "best_" not in callbacks[0].__dict__


class _CountingCallback(Callback):
    """Module level so that it pickles into GridSearchCV's workers."""

    def __init__(self, limit=4):
        self.limit = limit

    def on_train_begin(self, estimator):
        self.epochs_ = 0

    def on_epoch_end(self, estimator, logs):
        self.epochs_ += 1
        return self.epochs_ >= self.limit


def test_estimator_with_callbacks_clones_and_grid_searches():
    X, y, _, _ = overfitting_split()
    model = _model(
        hidden_layer_sizes=(8,),
        callbacks=[_CountingCallback(limit=3), EarlyStopping(monitor="train_loss")],
    )
    cloned = clone(model)
    assert cloned.callbacks is not model.callbacks
    assert repr(cloned.callbacks) == repr(model.callbacks)
    search = GridSearchCV(model, {"alpha": [1e-4, 1e-2]}, cv=3, n_jobs=2)
    search.fit(X, y)
    assert search.best_estimator_.n_iter_ == 3
    assert set(search.cv_results_["param_alpha"]) == {1e-4, 1e-2}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


# ----------------------------------------------------------------------------
# Output


def test_progress_bar_writes_to_stderr_only(capsys):
    X, y, _, _ = overfitting_split()
    with ignore_convergence():
        _model(max_iter=3, progress_bar=True).fit(X, y)
    out, err = capsys.readouterr()
    assert out == ""
    # tqdm's bar over max_iter epochs, closed after the 3rd.
    assert "3/3" in err and "epoch" in err


def test_batch_progress_bar_follows_the_minibatches_and_stops_its_thread(
    capsys, monkeypatch
):
    monkeypatch.setattr(ProgressBar, "POLL_SECONDS", 0.001)
    X, y, _, _ = overfitting_split()
    X = np.repeat(X, 20, axis=0)  # 2,000 rows in minibatches of 1: long epochs
    y = np.repeat(y, 20)
    threads_before = set(threading.enumerate())
    with ignore_convergence():
        _model(max_iter=2, batch_size=1, progress_bar="batch").fit(X, y)
    out, err = capsys.readouterr()
    assert out == ""
    assert "2/2" in err and "epoch" in err
    # The inner bar counted minibatches of the 2,000-batch epoch.
    assert "/2000" in err and "batch" in err
    # tqdm starts one monitor thread per process at its first bar, and keeps it.
    from tqdm._monitor import TMonitor

    new_threads = set(threading.enumerate()) - threads_before
    assert all(isinstance(thread, TMonitor) for thread in new_threads)


def test_on_train_end_runs_when_fit_raises():
    events = []
    callback = LambdaCallback(
        on_epoch_end=lambda estimator, logs: 1 / 0,
        on_train_end=lambda estimator: events.append("end"),
    )
    X, y, _, _ = overfitting_split()
    with pytest.raises(ZeroDivisionError):
        _model(callbacks=[callback]).fit(X, y)
    assert events == ["end"]


def test_fit_is_silent_without_verbose_or_progress_bar(capsys):
    X, y, X_val, y_val = overfitting_split()
    with ignore_convergence():
        _model(max_iter=3).fit(X, y, eval_set=(X_val, y_val))
        _model(max_iter=3, early_stopping=True).fit(X, y)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_verbose_prints_one_line_per_epoch_to_stdout(capsys):
    X, y, _, _ = overfitting_split()
    with ignore_convergence():
        _model(max_iter=3, verbose=True).fit(X, y)
    out, _ = capsys.readouterr()
    assert [line.split(",")[0] for line in out.splitlines()] == [
        "Iteration 1",
        "Iteration 2",
        "Iteration 3",
    ]
