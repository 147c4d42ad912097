"""Shared data and helpers for the estimator-level tests.

Everything here is small on purpose: the whole suite must stay well under three
minutes on two cores. Data sets are cached because several test modules use them.
"""

import functools
import pickle
import threading
import warnings
from contextlib import contextmanager

import numpy as np
from fastdnn import MLPClassifier
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


@contextmanager
def ignore_convergence():
    """Silence the ConvergenceWarning a deliberately short fit emits.

    pyproject turns every warning into an error; tests that cap max_iter on
    purpose use this so that only *unexpected* warnings fail them.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _readonly(*arrays):
    # Cached arrays are shared between tests: make accidental in-place edits fail.
    for a in arrays:
        a.setflags(write=False)
    return arrays


@functools.cache
def digits_split():
    """load_digits scaled to [0, 1]; 10 classes, 64 features."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return _readonly(*train_test_split(X, y, test_size=0.3, random_state=0, stratify=y))


@functools.cache
def breast_cancer_split():
    """load_breast_cancer standardised (fitted on the training part); binary."""
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_tr)
    return _readonly(scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te)


@functools.cache
def regression_split():
    """make_regression with a standardised target (MLPs want y of order 1)."""
    X, y = make_regression(
        n_samples=400, n_features=10, n_informative=8, noise=5.0, random_state=0
    )
    y = (y - y.mean()) / y.std()
    return _readonly(*train_test_split(X, y, test_size=0.3, random_state=0))


@functools.cache
def diabetes_split():
    """load_diabetes with standardised X and y."""
    X, y = load_diabetes(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    mu, sd = y_tr.mean(), y_tr.std()
    return _readonly(
        scaler.transform(X_tr),
        scaler.transform(X_te),
        (y_tr - mu) / sd,
        (y_te - mu) / sd,
    )


@functools.cache
def small_classification(n_samples=120, n_features=6, n_classes=3, random_state=0):
    """A tiny well-separated multiclass problem for behavioural tests."""
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=random_state,
    )
    return _readonly(X, y)


@functools.cache
def small_regression(n_samples=120, n_features=5, n_targets=1, random_state=0):
    X, y = make_regression(
        n_samples=n_samples,
        n_features=n_features,
        n_targets=n_targets,
        noise=1.0,
        random_state=random_state,
    )
    y = y / y.std(axis=0)
    return _readonly(X, y)


@functools.cache
def overfitting_split():
    """100 noisy binary training rows (20 features), 200 validation rows.

    Fitted on it, overfitting_model's validation loss falls for about a
    dozen epochs and then rises, so there is a best epoch in the middle.
    """
    X, y = make_classification(300, 20, n_informative=6, flip_y=0.1, random_state=0)
    return _readonly(X[:100], y[:100], X[100:], y[100:])


# The settings under which overfitting_split's validation loss turns.
OVERFITTING_PARAMS = {
    "hidden_layer_sizes": (64,),
    "solver": "adam",
    "learning_rate_init": 0.003,
    "batch_size": 25,
    "tol": 0.0,
    "random_state": 0,
}


def overfitting_model(**params):
    """The MLPClassifier that overfits overfitting_split; params override."""
    return MLPClassifier(**{**OVERFITTING_PARAMS, **params})


def fitted_params(est):
    """All learned arrays, flattened in a fixed order, for equality checks."""
    return [np.asarray(a) for a in (*est.coefs_, *est.intercepts_)]


def assert_same_params(est_a, est_b, **allclose_kw):
    pa, pb = fitted_params(est_a), fitted_params(est_b)
    assert len(pa) == len(pb)
    for a, b in zip(pa, pb, strict=True):
        assert a.shape == b.shape
        if allclose_kw:
            np.testing.assert_allclose(a, b, **allclose_kw)
        else:
            np.testing.assert_array_equal(a, b)


def assert_fit_keeps_float_dtype(est, X, y, dtype, predict_method):
    """Fitted on X in dtype, est's weights and predictions are in dtype too."""
    with ignore_convergence():
        est.fit(X.astype(dtype), y)
    assert all(c.dtype == dtype for c in est.coefs_ + est.intercepts_)
    assert getattr(est, predict_method)(X.astype(dtype)).dtype == dtype


def with_precision(estimator, precision):
    """A fitted copy of estimator predicting in `precision` (pickling copies
    the fitted state)."""
    return pickle.loads(pickle.dumps(estimator)).set_params(
        inference_precision=precision
    )


def assert_threads_predict_alike(predict, row_slices, expected, calls=20):
    """One thread per slice of rows, all started at once, each calling
    predict on its rows `calls` times: every answer must be, bit for bit,
    the slice's expected output (predicted alone beforehand)."""
    results = [[] for _ in row_slices]
    barrier = threading.Barrier(len(row_slices))

    def serve(index):
        barrier.wait()
        for _ in range(calls):
            results[index].append(predict(row_slices[index]))

    threads = [
        threading.Thread(target=serve, args=(index,))
        for index in range(len(row_slices))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, outputs in enumerate(results):
        assert len(outputs) == calls
        for output in outputs:
            assert output.tobytes() == expected[index].tobytes()
