"""fit and predict read a memory-mapped X where it lies, never copying it whole.

The engine gathers each minibatch's rows (and L-BFGS each chunk of rows)
from the map, rounding float64 to float32 as it goes, and reads rows that
lie apart (the leading columns of a wider array) in place.
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from fastdnn import MLPClassifier, MLPRegressor, _core
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

N_ROWS, N_FEATURES = 20_000, 40


def _memory_map(path, dtype, n_columns):
    rng = np.random.default_rng(0)
    X = np.lib.format.open_memmap(
        path, mode="w+", dtype=dtype, shape=(N_ROWS, n_columns)
    )
    X[:] = rng.normal(size=(N_ROWS, n_columns))
    X.flush()
    del X
    return np.load(path, mmap_mode="r")


@pytest.fixture(
    params=["float64", "float32 leading columns"],
)
def mapped(request, tmp_path):
    """A read-only memory map: float64 rows, or float32 rows whose first
    N_FEATURES columns are X (rows apart by more than X's width)."""
    if request.param == "float64":
        return _memory_map(tmp_path / "X.npy", np.float64, N_FEATURES)
    wide = _memory_map(tmp_path / "X.npy", np.float32, N_FEATURES + 24)
    return wide[:, :N_FEATURES]


def _labels(X):
    return (np.asarray(X[:, 0]) + np.asarray(X[:, 1]) > 0).astype(int)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_fit_on_a_memory_map_allocates_far_less_than_the_map(mapped, solver):
    y = _labels(mapped)
    estimator = MLPClassifier(
        hidden_layer_sizes=(8,), solver=solver, max_iter=2, random_state=0
    )
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(mapped, y)
        estimator.predict_proba(mapped)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A copy of X (float32, half the float64 map) would be 3.2 MB; the
    # probabilities themselves are 0.32 MB.
    assert peak < mapped.nbytes / 8, (peak, mapped.nbytes)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_fit_on_a_memory_map_equals_fit_on_its_float32_copy(mapped, solver):
    y = _labels(mapped)
    in_memory = np.ascontiguousarray(mapped, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        parameters = dict(
            hidden_layer_sizes=(8,), solver=solver, max_iter=2, random_state=0
        )
        from_map = MLPRegressor(**parameters).fit(mapped, y)
        from_copy = MLPRegressor(**parameters).fit(in_memory, y)
    for mapped_weights, copied_weights in zip(
        from_map.coefs_, from_copy.coefs_, strict=True
    ):
        np.testing.assert_array_equal(mapped_weights.astype(np.float32), copied_weights)
    np.testing.assert_array_equal(
        from_map.predict(mapped).astype(np.float32), from_copy.predict(in_memory)
    )


def test_dataset_reads_rows_that_lie_apart_in_place():
    wide = np.arange(60, dtype=np.float32).reshape(6, 10)
    network = _core.Network([4, 3], [], "identity")
    network.initialize(0, 6.0, "auto")
    from_view = network.predict(_core.Dataset(wide[:, :4]), 1)
    from_copy = network.predict(_core.Dataset(np.ascontiguousarray(wide[:, :4])), 1)
    np.testing.assert_array_equal(from_view, from_copy)


def test_engine_thread_count_follows_threadpoolctl():
    with threadpool_limits(limits=1, user_api="openmp"):
        assert _core.thread_count() == 1
    assert _core.thread_count(1) == 1
