"""The parameter mirror: coefs_ / intercepts_ published from the arena, edits
taken back, and fits that other threads cannot disturb."""

import functools
import pickle
import threading

import numpy as np
import pytest
from estimator_helpers import (
    assert_threads_predict_alike,
    digits_split,
    ignore_convergence,
)
from fastdnn import MLPClassifier, MLPRegressor
from fastdnn.callbacks import LambdaCallback

N_PREDICTING_THREADS = 4
# Bounds each predicting thread's work even if the fit it races ended early.
MAX_PREDICTIONS_PER_THREAD = 5_000


def _digits(dtype=np.float64):
    X, _, y, _ = digits_split()
    return np.ascontiguousarray(X, dtype=dtype), y


_model = functools.partial(
    MLPClassifier,
    hidden_layer_sizes=(48,),
    max_iter=6,
    batch_size=32,
    random_state=0,
    n_iter_no_change=1000,
)


def _fit_while_other_threads_predict(model, X, y, predict):
    """Fit model on X, y while N_PREDICTING_THREADS threads call predict(model)
    in a loop; returns what they predicted, the errors they raised and how
    many predictions ran while the fit did."""
    fitting = threading.Event()
    fit_done = threading.Event()
    outputs, errors = [], []
    during_fit = [0] * N_PREDICTING_THREADS

    def serve(index):
        fitting.wait()
        for _ in range(MAX_PREDICTIONS_PER_THREAD):
            if fit_done.is_set():
                break
            try:
                outputs.append(predict(model))
            except Exception as error:  # noqa: BLE001 - reported by the test
                errors.append(error)
                break
            during_fit[index] += 1

    threads = [
        threading.Thread(target=serve, args=(index,))
        for index in range(N_PREDICTING_THREADS)
    ]
    for thread in threads:
        thread.start()
    try:
        fitting.set()
        with ignore_convergence():
            model.fit(X, y)
    finally:
        fit_done.set()
        for thread in threads:
            thread.join()
    return outputs, errors, sum(during_fit)


def _keep_training(estimator, logs):
    return False


@pytest.mark.parametrize(
    "params",
    [
        {"callbacks": [LambdaCallback(on_epoch_end=_keep_training)]},
        {"progress_bar": True},
        {"averaging": "ema", "ema_decay": 0.5, "early_stopping": True},
        {"inference_precision": "int8", "progress_bar": True},
    ],
    ids=["callbacks", "progress_bar", "averaging", "int8"],
)
def test_a_refit_is_bit_identical_while_other_threads_predict(params, capsys):
    X, y = _digits()
    # Epochs enough that other threads get to predict while the fit runs,
    # even on a loaded machine.
    params = {"max_iter": 20, **params}
    with ignore_convergence():
        serial = _model(**params).fit(X, y)
    rows = X[:20]

    def use(estimator):
        # Whatever a user may call while a fit runs elsewhere.
        estimator.get_params()
        assert 0.0 <= estimator.score(rows, y[:20]) <= 1.0
        pickle.loads(pickle.dumps(estimator)).predict_proba(rows)
        return estimator.predict_proba(rows)

    # A refit of a fitted model; again, should the fit end before any other
    # thread got to predict (the scheduler's choice, rare).
    for _ in range(5):
        with ignore_convergence():
            model = _model(**params).fit(X, y)
        outputs, errors, during_fit = _fit_while_other_threads_predict(model, X, y, use)
        if errors or during_fit > 0:
            break
    assert errors == []
    assert during_fit > 0
    for output in outputs:
        # Whatever weights a prediction saw, it saw a model: probabilities.
        assert np.isfinite(output).all()
        np.testing.assert_allclose(output.sum(axis=1), 1.0, rtol=1e-5)
    for trained, reference in zip(
        model.coefs_ + model.intercepts_,
        serial.coefs_ + serial.intercepts_,
        strict=True,
    ):
        assert trained.tobytes() == reference.tobytes()
    assert model.predict_proba(X).tobytes() == serial.predict_proba(X).tobytes()


def test_a_second_fit_from_another_thread_is_refused_while_one_runs():
    X, y = _digits()
    refused = []

    attempts = []

    def fit_from_another_thread(estimator, logs):
        if attempts:  # once: were the fit let through, its callbacks would recurse
            return
        attempts.append(logs["epoch"])

        def fit():
            try:
                estimator.fit(X, y)
            except RuntimeError as error:
                refused.append(str(error))

        thread = threading.Thread(target=fit)
        thread.start()
        thread.join()

    with ignore_convergence():
        serial = _model(max_iter=2).fit(X, y)
        model = _model(
            max_iter=2, callbacks=[LambdaCallback(on_epoch_end=fit_from_another_thread)]
        ).fit(X, y)
    assert len(refused) == 1
    assert "being fitted by another thread" in refused[0]
    for trained, reference in zip(model.coefs_, serial.coefs_, strict=True):
        assert trained.tobytes() == reference.tobytes()
    # The fit over, the estimator fits from any thread again.
    thread = threading.Thread(target=lambda: model.set_params(callbacks=None).fit(X, y))
    with ignore_convergence():
        thread.start()
        thread.join()
    assert model.predict_proba(X).tobytes() == serial.predict_proba(X).tobytes()


# ----------------------------------------------------------------------------
# Edits that are not weights


def _fitted(dtype=np.float64, **params):
    X, y = _digits(dtype)
    with ignore_convergence():
        return _model(max_iter=2, **params).fit(X, y), X


NOT_REAL_NUMBERS = {
    "object": lambda a: a.astype(object),
    "string": lambda a: a.astype(str),
    "complex": lambda a: a.astype(np.complex128),
    "bool": lambda a: a > 0,
}


@pytest.mark.parametrize("item", ["coefs_", "intercepts_"])
@pytest.mark.parametrize("convert", NOT_REAL_NUMBERS.values(), ids=NOT_REAL_NUMBERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_replacing_an_item_by_an_array_of_non_numbers_is_named(item, convert, dtype):
    model, X = _fitted(dtype)
    expected = model.predict_proba(X[:10])
    arena = np.array(model._network.parameters)
    # A valid edit of the other layer alongside: nothing is taken in either.
    zeros = np.zeros_like(model.coefs_[1])
    model.coefs_[1] = zeros
    original = np.array(getattr(model, item)[0])
    bad = convert(original)
    getattr(model, item)[0] = bad
    for _ in range(2):  # refused at every use, until the user fixes it
        with pytest.raises(ValueError, match=rf"{item}\[0\] holds .* values"):
            model.predict_proba(X[:10])
    np.testing.assert_array_equal(model._network.parameters, arena)
    # The user's lists are as the user left them.
    assert getattr(model, item)[0] is bad
    assert model.coefs_[1] is zeros
    getattr(model, item)[0] = original
    # Now both edits are taken: a silent last layer gives every row the same.
    output = model.predict_proba(X[:10])
    np.testing.assert_array_equal(output, output[:1].repeat(10, axis=0))
    assert not np.allclose(output, expected)


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e39])
@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_replacing_an_item_by_non_finite_weights_is_named(value, precision):
    model, X = _fitted(inference_precision=precision)
    expected = model.predict_proba(X[:10])
    weights = np.array(model.intercepts_[1])
    weights[3] = value
    model.intercepts_[1] = weights
    with pytest.raises(ValueError, match=r"intercepts_\[1\] holds NaN or infinity"):
        model.predict_proba(X[:10])
    # Nothing was taken in.
    model.intercepts_[1] = np.asarray(model._network.intercept(1))
    assert model.predict_proba(X[:10]).tobytes() == expected.tobytes()


def test_integer_weights_are_taken_exactly():
    model, X = _fitted()
    reference, _ = _fitted()
    model.coefs_[1] = np.arange(model.coefs_[1].size).reshape(model.coefs_[1].shape)
    reference.coefs_[1] = model.coefs_[1].astype(np.float64)
    assert model.predict_proba(X).tobytes() == reference.predict_proba(X).tobytes()


# ----------------------------------------------------------------------------
# What is published, and what pickling keeps


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_pickled_model_keeps_replaced_items(dtype):
    model, X = _fitted(dtype)
    model.coefs_[1] = np.zeros_like(model.coefs_[1])
    restored = pickle.loads(pickle.dumps(model))
    assert restored.predict_proba(X).tobytes() == model.predict_proba(X).tobytes()
    assert restored.coefs_[0].dtype == dtype
    np.testing.assert_array_equal(restored.coefs_[1], 0.0)


def test_pickled_state_holds_the_arena_not_the_mirror():
    X, y = _digits()
    model = MLPRegressor(
        hidden_layer_sizes=(8,), averaging="ema", ema_decay=0.5, random_state=0
    )
    for _ in range(3):
        model.partial_fit(X, y)
    state = model.__getstate__()
    for name in ("_parameter_mirror", "coefs_", "intercepts_"):
        assert name not in state
    raw = model._parameter_mirror.raw_parameters
    assert raw is not None
    np.testing.assert_array_equal(state["_raw_parameters"], raw)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored._parameter_mirror.raw_parameters, raw)
    assert restored.predict(X).tobytes() == model.predict(X).tobytes()


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_eight_threads_serve_an_edited_model_at_once(precision):
    # Every call syncs the replaced item and, in int8, fetches the cache
    # that the first call fills: eight threads doing so at once.
    model, X = _fitted(inference_precision=precision)
    model.coefs_[1] = np.asarray(model.coefs_[1]) * 0.5
    slices = [X[start : start + 20] for start in range(0, 160, 20)]
    expected = [model.predict_proba(rows) for rows in slices]
    # A second edit: the int8 weights are made again, by the first thread in.
    model.coefs_[0] = np.array(model.coefs_[0])
    assert_threads_predict_alike(model.predict_proba, slices, expected)
