"""Training epochs run their kernels on a worker team (cpp/kernels/parallel.h):
threads that stay awake between a minibatch's kernels. Whatever the team's
size, and with several teams at once, the model must be the one a single
thread trains."""

import threading

import fastdnn._base
import numpy as np
import pytest
from fastdnn import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 120)).astype(np.float32)
    y = (X[:, :5].sum(axis=1) > 0).astype(int) + (X[:, 5] > 1)
    return X, y


def fit(X, y, n_jobs, **params):
    # Wide enough that the GEMMs, the optimizer step and the row gathers all
    # split over the threads; clipping and averaging add arena passes.
    params = dict(
        hidden_layer_sizes=(300, 200),
        batch_size=100,
        max_iter=2,
        random_state=0,
        n_jobs=n_jobs,
        **params,
    )
    return MLPClassifier(**params).fit(X, y)


def assert_same_model(a, b):
    for left, right in zip(
        a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True
    ):
        assert left.tobytes() == right.tobytes()
    assert a.loss_curve_ == b.loss_curve_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params",
    [{}, dict(clipnorm=1.0, averaging="ema", solver="sgd", momentum=0.9)],
    ids=["adam", "sgd-clipnorm-ema"],
)
def test_any_team_size_trains_the_single_thread_model(data, params, monkeypatch):
    X, y = data
    single = fit(X, y, 1, **params)
    # More threads than this machine's cores: waiters must fall asleep, not
    # hold the cores the others need, and every share must still be done.
    # The estimators cap n_jobs at the usable CPUs; lift the cap to get them.
    monkeypatch.setattr(fastdnn._base, "_usable_cpus", lambda: 64)
    for n_jobs in (2, 7):
        assert_same_model(fit(X, y, n_jobs, **params), single)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_teams_of_several_python_threads_do_not_mix(data):
    X, y = data
    targets = X[:, :3].sum(axis=1)

    def fit_regressor(n_jobs):
        return MLPRegressor(
            hidden_layer_sizes=(300, 200), max_iter=2, random_state=1, n_jobs=n_jobs
        ).fit(X, targets)

    expected = [fit(X, y, 1), fit_regressor(1)]
    results = [None, None]
    barrier = threading.Barrier(2)

    def train(index):
        barrier.wait()
        results[index] = fit(X, y, 2) if index == 0 else fit_regressor(2)

    threads = [threading.Thread(target=train, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    for result, reference in zip(results, expected, strict=True):
        assert_same_model(result, reference)
