"""Pickle / joblib round trips and cloning."""

import io
import pickle

import joblib
import numpy as np
import pytest
from estimator_helpers import (
    assert_same_params,
    ignore_convergence,
    small_classification,
    small_regression,
)
from fastdnn import MLPClassifier, MLPRegressor
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FITTED_ATTRS = [
    "n_layers_",
    "n_outputs_",
    "out_activation_",
    "n_iter_",
    "t_",
    "loss_",
    "best_loss_",
    "loss_curve_",
    "n_features_in_",
]


def _fitted(Est, **kw):
    X, y = small_classification() if Est is MLPClassifier else small_regression()
    params = dict(max_iter=8, shuffle=False, random_state=0)
    params.update(kw)
    with ignore_convergence():
        return Est(**params).fit(X, y), X, y


def _output(est, X):
    return est.predict_proba(X) if isinstance(est, MLPClassifier) else est.predict(X)


def _pickle_round_trip(est):
    return pickle.loads(pickle.dumps(est))


def _joblib_round_trip(est):
    buf = io.BytesIO()
    joblib.dump(est, buf)
    buf.seek(0)
    return joblib.load(buf)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize(
    "round_trip", [_pickle_round_trip, _joblib_round_trip], ids=["pickle", "joblib"]
)
def test_round_trip_keeps_predictions_and_fitted_attributes(Est, round_trip):
    est, X, _ = _fitted(Est)
    restored = round_trip(est)
    assert restored is not est
    assert restored.get_params() == est.get_params()
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    assert np.array_equal(_output(restored, X), _output(est, X))
    assert_same_params(restored, est)
    for name in FITTED_ATTRS:
        assert getattr(restored, name) == getattr(est, name), name
    if Est is MLPClassifier:
        np.testing.assert_array_equal(restored.classes_, est.classes_)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_after_unpickling_continues_like_the_original(Est, solver):
    # Optimizer state (Adam moments, SGD velocities, t_) must survive pickling:
    # otherwise the continued training would diverge from the original.
    est, X, y = _fitted(Est, solver=solver, learning_rate_init=0.01)
    restored = _pickle_round_trip(est)
    for _ in range(3):
        est.partial_fit(X, y)
        restored.partial_fit(X, y)
    assert_same_params(restored, est)
    assert restored.t_ == est.t_
    assert np.array_equal(_output(restored, X), _output(est, X))


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_pickled_model_is_independent_of_the_original(Est):
    est, X, y = _fitted(Est)
    before = _output(est, X).copy()
    restored = _pickle_round_trip(est)
    est.partial_fit(X, y)
    assert np.array_equal(_output(restored, X), before)
    assert not np.array_equal(_output(est, X), before)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_unfitted_estimator_pickles_and_fits_afterwards(Est):
    est = Est(hidden_layer_sizes=(7,), alpha=0.01, random_state=0)
    restored = _pickle_round_trip(est)
    assert restored.get_params() == est.get_params()
    assert not hasattr(restored, "coefs_")
    fitted, X, y = _fitted(Est)
    with ignore_convergence():
        restored.set_params(max_iter=8, shuffle=False).fit(X, y)
    assert restored.coefs_[0].shape == (X.shape[1], 7)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_clone_gives_unfitted_estimator_with_same_params(Est):
    est, X, y = _fitted(Est, hidden_layer_sizes=(9, 4), alpha=0.3)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert cloned.hidden_layer_sizes == (9, 4)
    for name in ("coefs_", "intercepts_", "n_iter_", "loss_curve_", "n_features_in_"):
        assert not hasattr(cloned, name), name
    # Cloned and original train identically (same params incl. random_state).
    with ignore_convergence():
        cloned.fit(X, y)
    assert_same_params(cloned, est)


def test_pickle_of_float32_model_keeps_dtype():
    X, y = small_regression()
    with ignore_convergence():
        est = MLPRegressor(max_iter=3, random_state=0).fit(X.astype(np.float32), y)
    restored = _pickle_round_trip(est)
    assert all(c.dtype == np.float32 for c in restored.coefs_)
    assert restored.predict(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_skops_round_trip_of_a_pipeline_trusts_only_fastdnn_types(Est):
    # skops.io rebuilds objects from their state without pickle, refusing
    # types it was not told to trust: fastdnn's estimators are the only
    # ones a pipeline of them needs (docs/model_format.md).
    sio = pytest.importorskip("skops.io")
    est, X, y = _fitted(Est, averaging="ema", normalization="batch")
    with ignore_convergence():
        pipeline = make_pipeline(StandardScaler(), clone(est)).fit(X, y)
    data = sio.dumps(pipeline)
    trusted = [f"fastdnn.{Est.__module__.split('.')[-1]}.{Est.__name__}"]
    assert sio.get_untrusted_types(data=data) == trusted
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(data)
    restored = sio.loads(data, trusted=trusted)
    assert np.array_equal(_output(restored, X), _output(pipeline, X))
    with ignore_convergence():
        restored.fit(X, y)
    assert np.array_equal(_output(restored, X), _output(pipeline, X))
