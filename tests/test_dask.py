"""fastdnn on Dask: joblib's dask backend, dask-ml's Incremental, and
fastdnn.distributed's data-parallel estimators, on a LocalCluster of two
single-threaded worker processes that this module starts and closes."""

import os
import pickle
import signal
import threading
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")

import fastdnn  # noqa: E402
import fastdnn.distributed  # noqa: E402
import joblib  # noqa: E402
from fastdnn import MLPClassifier, MLPRegressor, _core  # noqa: E402
from fastdnn.distributed import (  # noqa: E402
    DistributedMLPClassifier,
    DistributedMLPRegressor,
)
from sklearn.experimental import enable_halving_search_cv  # noqa: E402, F401
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
)

# Dask's own informational warnings (a worker's restart, a large graph) and
# scikit-learn's ConvergenceWarning of small fits are not what these tests
# check.
pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:distributed"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore:.*[Pp]ort.*:UserWarning"),
]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _classification(n_rows=600, n_features=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)
    return X, y


# ----------------------------------------------------------------------
# Distributed search through joblib


@pytest.mark.parametrize(
    "make_search",
    [
        lambda estimator: GridSearchCV(
            estimator,
            {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (8,)]},
            cv=3,
        ),
        lambda estimator: RandomizedSearchCV(
            estimator,
            {"alpha": [1e-4, 1e-3, 1e-2, 1e-1], "learning_rate_init": [1e-3, 1e-2]},
            n_iter=4,
            random_state=0,
            cv=3,
        ),
        lambda estimator: HalvingRandomSearchCV(
            estimator,
            {"alpha": [1e-4, 1e-3, 1e-2, 1e-1], "hidden_layer_sizes": [(4,), (8,)]},
            n_candidates=4,
            random_state=0,
            min_resources=150,
            cv=3,
        ),
    ],
    ids=["grid", "randomized", "halving"],
)
def test_search_on_dask_equals_the_local_search(client, make_search):
    X, y = _classification()
    estimator = MLPClassifier(max_iter=15, random_state=0)
    local = make_search(estimator).fit(X, y)
    remote = make_search(estimator).set_params(n_jobs=2)
    with joblib.parallel_config(backend="dask"):
        remote.fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))


def _fit_and_count_threads():
    X, y = _classification(n_rows=100)
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    worker = distributed.get_worker()
    return _core.thread_count(), worker.state.nthreads


def test_a_workers_engine_runs_on_that_workers_threads(client):
    results = client.gather(
        [
            client.submit(_fit_and_count_threads, workers=[address], pure=False)
            for address in client.scheduler_info()["workers"]
        ]
    )
    for engine_threads, worker_threads in results:
        assert engine_threads == worker_threads == 1


def test_search_on_ray_equals_the_local_search():
    ray_joblib = pytest.importorskip("ray.util.joblib")
    ray_joblib.register_ray()
    X, y = _classification()
    grid = {"alpha": [1e-4, 1e-1]}
    estimator = MLPClassifier(hidden_layer_sizes=(4,), max_iter=10, random_state=0)
    local = GridSearchCV(estimator, grid).fit(X, y)
    remote = GridSearchCV(estimator, grid, n_jobs=2)
    with joblib.parallel_config(backend="ray"):
        remote.fit(X, y)
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


# ----------------------------------------------------------------------
# Streaming: dask-ml's Incremental


def test_incremental_streams_blocks_through_partial_fit(client):
    X, y = _classification()
    Xd, yd = da.from_array(X, chunks=200), da.from_array(y, chunks=200)
    incremental = dask_ml_wrappers.Incremental(
        MLPClassifier(hidden_layer_sizes=(8,), random_state=0), shuffle_blocks=False
    )
    incremental.fit(Xd, yd, classes=[0, 1, 2])
    expected = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    for begin in range(0, len(X), 200):
        expected.partial_fit(
            X[begin : begin + 200], y[begin : begin + 200], classes=[0, 1, 2]
        )
    for streamed, local in zip(
        incremental.estimator_.coefs_, expected.coefs_, strict=True
    ):
        np.testing.assert_array_equal(streamed, local)
    predicted = incremental.predict(Xd)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), expected.predict(X))


# ----------------------------------------------------------------------
# fastdnn.distributed


def test_distributed_lbfgs_matches_a_local_fit_and_repeats_exactly(client):
    X, y = _classification(n_rows=1200)
    Xd = da.from_array(X, chunks=300).persist()
    yd = da.from_array(y, chunks=300)
    parameters = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=25)
    first = DistributedMLPClassifier(**parameters, random_state=0).fit(Xd, yd)
    again = DistributedMLPClassifier(**parameters, random_state=0).fit(Xd, yd)
    local = MLPClassifier(**parameters, random_state=0).fit(X, y)
    for a, b in zip(first.coefs_, again.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    # The partitions' float32 gradients are summed in another order than a
    # local fit's chunks: the same path, apart by rounding.
    assert first.n_iter_ == local.n_iter_
    assert first.loss_ == pytest.approx(local.loss_, rel=1e-3)
    for a, b in zip(first.coefs_, local.coefs_, strict=True):
        np.testing.assert_allclose(a, b, atol=2e-3)
    assert (first.predict(X) == local.predict(X)).mean() > 0.99
    # The caller's persisted X is still there: the fits released only their own.
    assert all(f.status == "finished" for f in distributed.futures_of(Xd))


def test_distributed_regressor_takes_a_dataframe_and_keeps_its_names(client):
    pandas = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    X = pandas.DataFrame(rng.normal(size=(800, 4)), columns=["a", "b", "c", "d"])
    frame = X.assign(target=2 * X["a"] - X["c"] + 0.1 * rng.normal(size=800))
    ddf = dd.from_pandas(frame, npartitions=4)
    regressor = DistributedMLPRegressor(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0
    ).fit(ddf[["a", "b", "c", "d"]], ddf["target"])
    local = MLPRegressor(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0
    ).fit(X, frame["target"])
    assert list(regressor.feature_names_in_) == ["a", "b", "c", "d"]
    assert regressor.loss_ == pytest.approx(local.loss_, rel=1e-2)
    predicted = regressor.predict(ddf[["a", "b", "c", "d"]])
    assert isinstance(predicted, da.Array)
    np.testing.assert_allclose(
        predicted.compute(), regressor.estimator_.predict(X), rtol=1e-6
    )
    assert regressor.score(ddf[["a", "b", "c", "d"]], ddf["target"]) > 0.95


@pytest.mark.parametrize("sync_every", [4, 16])
def test_local_sgd_reaches_a_local_fits_accuracy(client, sync_every):
    X, y = _classification(n_rows=2000)
    X_test, y_test = _classification(n_rows=1000, seed=1)
    Xd, yd = da.from_array(X, chunks=500), da.from_array(y, chunks=500)
    parameters = dict(
        hidden_layer_sizes=(16,), learning_rate_init=1e-2, max_iter=30, random_state=0
    )
    distributed_fit = DistributedMLPClassifier(**parameters, sync_every=sync_every)
    distributed_fit.fit(Xd, yd)
    local = MLPClassifier(**parameters).fit(X, y)
    assert len(distributed_fit.loss_curve_) == 30
    assert distributed_fit.loss_curve_[-1] < distributed_fit.loss_curve_[0]
    assert distributed_fit.score(X_test, y_test) > local.score(X_test, y_test) - 0.03


def test_fitted_model_is_a_plain_estimator(client, tmp_path):
    X, y = _classification()
    Xd, yd = da.from_array(X, chunks=300), da.from_array(y, chunks=300)
    fitted = DistributedMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, random_state=0
    ).fit(Xd, yd)
    assert type(fitted.estimator_) is MLPClassifier
    probabilities = fitted.predict_proba(Xd)
    assert isinstance(probabilities, da.Array)
    np.testing.assert_array_equal(
        probabilities.compute(), fitted.estimator_.predict_proba(X)
    )
    unpickled = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(unpickled.predict(X), fitted.predict(X))
    fitted.save(tmp_path / "model.fdnn")
    loaded = fastdnn.load(tmp_path / "model.fdnn")
    assert type(loaded) is MLPClassifier
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


def test_distributed_fit_refuses_what_it_cannot_do(client):
    X, y = _classification()
    Xd, yd = da.from_array(X, chunks=300), da.from_array(y, chunks=300)
    with pytest.raises(TypeError, match="dask arrays or dataframes"):
        DistributedMLPClassifier().fit(X, y)
    with pytest.raises(ValueError, match="early_stopping=True"):
        DistributedMLPClassifier(early_stopping=True).fit(Xd, yd)
    with pytest.raises(ValueError, match="sync_every"):
        DistributedMLPClassifier(sync_every=0).fit(Xd, yd)
    X_nan = X.copy()
    X_nan[450, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        DistributedMLPClassifier(max_iter=2).fit(da.from_array(X_nan, chunks=300), yd)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_a_worker_killed_mid_fit_does_not_stop_the_fit(client, solver, monkeypatch):
    X, y = _classification(n_rows=4000)
    Xd, yd = da.from_array(X, chunks=1000), da.from_array(y, chunks=1000)
    estimator = DistributedMLPClassifier(
        hidden_layer_sizes=(32,), solver=solver, max_iter=12, random_state=0
    )
    gather = fastdnn.distributed._gather
    calls = []

    def gather_after_killing_a_worker(client, futures):
        # The third wait of the fit (its tasks running on both workers) is
        # the moment one worker process dies; its nanny starts a new one.
        calls.append(len(futures))
        if len(calls) == 3:
            os.kill(sorted(client.run(os.getpid).values())[0], signal.SIGKILL)
        return gather(client, futures)

    monkeypatch.setattr(fastdnn.distributed, "_gather", gather_after_killing_a_worker)
    outcome = []

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(Xd, yd)
        outcome.append("fitted")

    fitter = threading.Thread(target=fit)
    fitter.start()
    fitter.join(timeout=120)
    assert not fitter.is_alive(), "the fit hung after a worker died"
    assert outcome == ["fitted"]
    assert len(calls) > 3
    assert estimator.score(X, y) > 0.7
    client.wait_for_workers(2, timeout=30)


def _wait_for_event(name):
    return distributed.Event(name).wait(timeout=30)


def test_a_fit_left_without_workers_raises_instead_of_waiting(client, monkeypatch):
    # A task that cannot finish while the cluster (as the client is told)
    # has no worker: the wait gives up after NO_WORKER_TIMEOUT_S.
    release = distributed.Event("release-the-waiting-task", client=client)
    future = client.submit(_wait_for_event, "release-the-waiting-task", pure=False)
    with monkeypatch.context() as patch:
        patch.setattr(fastdnn.distributed, "NO_WORKER_TIMEOUT_S", 0.5)
        patch.setattr(client, "scheduler_info", lambda **_: {"workers": {}})
        with pytest.raises(RuntimeError, match="no worker for 0.5 s"):
            fastdnn.distributed._gather(client, [future])
    release.set()
    assert future.result() is True
