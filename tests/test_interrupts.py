"""Ctrl-C and other exceptions that cut a fit or a prediction short.

A long engine call stops between minibatches or chunks of rows when Ctrl-C
comes, and whatever ends a fit leaves coefs_, intercepts_, predict and a
pickle describing one model, with loss_curve_, history_ and n_iter_ agreeing.
SIGINT is only handled on a process's main thread, so the Ctrl-C tests run in
a fresh interpreter, which sends it to itself once the engine is under way.
"""

import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastdnn import MLPClassifier, MLPRegressor, _core
from numpy_reference import activation

# Signals to the process itself and /proc, which measures the work done.
posix_signals_and_proc = pytest.mark.skipif(
    sys.platform != "linux", reason="needs POSIX signals and Linux's /proc"
)


def numpy_predict(model, X):
    """The network's output from coefs_ and intercepts_, in NumPy."""
    activations = X
    layers = list(zip(model.coefs_, model.intercepts_, strict=True))
    for layer, (weight, bias) in enumerate(layers):
        z = activations @ weight + bias
        activations = z if layer == len(layers) - 1 else activation(model.activation, z)
    return activations


def consistency_report(model, X):
    """Whether coefs_, the arena predict uses and a pickle hold one model."""
    arena = [model._network.coef(i) for i in range(len(model.coefs_))]
    predicted = model.predict(X).reshape(len(X), -1)
    loaded = pickle.loads(pickle.dumps(model))
    return {
        "coefs_are_the_arena": all(
            np.array_equal(np.asarray(coef, np.float32), view)
            for coef, view in zip(model.coefs_, arena, strict=True)
        ),
        "predict_gap": float(np.max(np.abs(predicted - numpy_predict(model, X)))),
        "pickle_predicts_the_same": bool(
            np.array_equal(loaded.predict(X).reshape(len(X), -1), predicted)
        ),
        "pickle_coefs_the_same": all(
            np.array_equal(a, b)
            for a, b in zip(loaded.coefs_, model.coefs_, strict=True)
        ),
    }


def signal_once_under_way(model, signum):
    """Send signum to this process, from a thread, once model's fit has
    finished two minibatches of an epoch."""

    def send():
        while True:
            trainer = model.__dict__.get("_trainer")
            if trainer is not None and trainer.batches_done >= 2:
                break
            time.sleep(0.001)
        os.kill(os.getpid(), signum)

    threading.Thread(target=send, daemon=True).start()


def _run(script):
    """The last line a child interpreter prints running `script`, as JSON.

    The script can import this module's helpers.
    """
    package_root = str(Path(_core.__file__).resolve().parents[1])
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [package_root, str(Path(__file__).parent), environment.get("PYTHONPATH", "")]
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _assert_consistent(report):
    assert report["coefs_are_the_arena"]
    assert report["predict_gap"] < 1e-3
    assert report["pickle_predicts_the_same"]
    assert report["pickle_coefs_the_same"]


@posix_signals_and_proc
def test_ctrl_c_stops_an_epoch_between_minibatches():
    # 4,000 steps of a 256-1024-1 net in the first epoch: Ctrl-C after the
    # second must stop it long before the epoch's end, keeping the weights.
    report = _run("""
import json, signal, warnings
import numpy as np
from fastdnn import MLPRegressor
from test_interrupts import consistency_report, signal_once_under_way

rng = np.random.default_rng(0)
X = rng.standard_normal((4000, 256))
y = X[:, 0] - X[:, 1]
model = MLPRegressor(hidden_layer_sizes=(1024,), batch_size=1, max_iter=3,
                     random_state=0)
signal_once_under_way(model, signal.SIGINT)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model.fit(X, y)
trainer = model._trainer
report = consistency_report(model, X[:50])
report.update(
    warnings=[str(w.message) for w in caught],
    batches_done=trainer.batches_done,
    batches_in_epoch=trainer.batches_in_epoch,
    step=trainer.step,
    n_iter=model.n_iter_,
    loss_curve=len(model.loss_curve_),
    history=len(model.history_),
)
print(json.dumps(report))
""")
    assert "Training interrupted by user." in report["warnings"]
    assert 2 <= report["batches_done"] < report["batches_in_epoch"] // 2
    # The optimizer took exactly the finished minibatches' steps.
    assert report["step"] == report["batches_done"]
    # The cut epoch is not counted, in any of the three.
    assert report["n_iter"] == report["loss_curve"] == report["history"] == 0
    _assert_consistent(report)


@posix_signals_and_proc
def test_ctrl_c_stops_a_prediction_between_chunks():
    # 100,000 rows whose outputs take 100 MB: the output pages written tell
    # how far the prediction got before it stopped.
    report = _run("""
import json, os, signal, threading, time, warnings
import numpy as np
from fastdnn import MLPRegressor
from test_interrupts import consistency_report

rng = np.random.default_rng(0)
warnings.simplefilter("ignore")
model = MLPRegressor(hidden_layer_sizes=(1024,), max_iter=1, random_state=0)
model.fit(rng.standard_normal((200, 64)), rng.standard_normal((200, 256)))
X = rng.standard_normal((100_000, 64), dtype=np.float32)
model.predict(X[:4096])  # workspaces in place
output_kib = X.shape[0] * 256 * 4 // 1024

def memory_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])

def peak_kib():
    return memory_kib("VmHWM")

with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")  # the peak starts again from here
before = memory_kib("VmRSS")

def interrupt_once_under_way():
    while peak_kib() - before < 4096:
        time.sleep(0.001)
    os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=interrupt_once_under_way, daemon=True).start()
try:
    model.predict(X)
    outcome = "finished"
except KeyboardInterrupt:
    outcome = "interrupted"
written_kib = peak_kib() - before
report = consistency_report(model, X[:50])
report.update(outcome=outcome, written_kib=written_kib, output_kib=output_kib)
print(json.dumps(report))
""")
    assert report["outcome"] == "interrupted"
    assert report["written_kib"] < report["output_kib"] // 2
    _assert_consistent(report)


def _raise_on_call(monkeypatch, call, exception):
    """Make the engine's loss_and_gradient raise on its call-th call, after
    L-BFGS has put the point to evaluate into the arena."""
    original = _core.Network.loss_and_gradient
    calls = []

    def loss_and_gradient(network, *args, **kwargs):
        calls.append(None)
        if len(calls) == call:
            raise exception
        return original(network, *args, **kwargs)

    monkeypatch.setattr(_core.Network, "loss_and_gradient", loss_and_gradient)
    return original


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exception", [KeyboardInterrupt(), RuntimeError("engine")])
def test_interrupted_lbfgs_keeps_the_best_point_it_evaluated(
    monkeypatch, dtype, exception
):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 6)).astype(dtype)
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    model = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0)
    original = _raise_on_call(monkeypatch, 12, exception)
    with pytest.raises(type(exception)):
        model.fit(X, y)
    monkeypatch.undo()

    # coefs_ and intercepts_ are the model predict uses, and a pickle keeps it.
    for layer, (coef, intercept) in enumerate(
        zip(model.coefs_, model.intercepts_, strict=True)
    ):
        assert coef.dtype == dtype
        np.testing.assert_array_equal(coef, model._network.coef(layer))
        np.testing.assert_array_equal(intercept, model._network.intercept(layer))
    probabilities = model.predict_proba(X)[:, 1]
    expected = 1.0 / (1.0 + np.exp(-numpy_predict(model, X.astype(np.float64))))
    np.testing.assert_allclose(probabilities, expected.ravel(), atol=1e-5)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))

    # loss_ is the model's loss, and the model has trained: it is the best
    # point of the eleven evaluated, not the start nor the unevaluated twelfth.
    targets = y.reshape(-1, 1).astype(np.float32)
    loss, _ = original(
        model._network,
        _core.Dataset(X.astype(np.float32)),
        targets,
        None,
        model._engine_loss(),
        float(model.alpha),
    )
    assert model.loss_ == pytest.approx(loss, rel=1e-6)
    assert 0 < model.n_iter_ < 11
    assert model.score(X, y) > 0.6


@posix_signals_and_proc
def test_any_exception_a_signal_handler_raises_stops_the_epoch(monkeypatch):
    # Any handler's exception, not only Ctrl-C's, stops the engine between
    # minibatches; it propagates, and the float64 model is published whole.
    # An epoch long enough that the signal, sent after its second
    # minibatch, lands well inside it whatever the machine's speed.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 64))
    y = X[:, 0] - X[:, 1]
    model = MLPRegressor(
        hidden_layer_sizes=(512,), batch_size=1, max_iter=2, random_state=0
    )

    def raise_error(signum, frame):
        raise RuntimeError("stop")

    previous = signal.signal(signal.SIGUSR1, raise_error)
    try:
        signal_once_under_way(model, signal.SIGUSR1)
        with pytest.raises(RuntimeError, match="stop"):
            model.fit(X, y)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    trainer = model._trainer
    assert trainer.batches_done < trainer.batches_in_epoch
    assert trainer.step == trainer.batches_done
    assert model.n_iter_ == len(model.loss_curve_) == len(model.history_) == 0
    for layer, (coef, intercept) in enumerate(
        zip(model.coefs_, model.intercepts_, strict=True)
    ):
        assert coef.dtype == np.float64
        np.testing.assert_array_equal(coef, model._network.coef(layer))
        np.testing.assert_array_equal(intercept, model._network.intercept(layer))
    np.testing.assert_allclose(
        model.predict(X[:20]), numpy_predict(model, X[:20]).ravel(), atol=1e-5
    )


def test_ctrl_c_during_validation_leaves_the_epoch_uncounted():
    # The interrupt comes after the epoch's training and its loss_curve_
    # entry, before its history_ entry: the three still agree.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    y = X[:, 0]
    calls = []

    def scorer(estimator, X_val, y_val):
        calls.append(None)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return -float(np.mean((estimator.predict(X_val) - y_val) ** 2))

    model = MLPRegressor(
        hidden_layer_sizes=(8,), max_iter=10, random_state=0, scoring=scorer
    )
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        model.fit(X, y, eval_set=(X[:50], y[:50]))
    assert model.n_iter_ == len(model.loss_curve_) == len(model.history_) == 2
    assert len(model.validation_scores_) == 2
    assert model.loss_ == model.loss_curve_[-1] == model.history_[-1]["train_loss"]


def _mapped_kib(path):
    """How much of the file at path this process's mapping holds in memory."""
    with open("/proc/self/smaps") as smaps:
        in_mapping = False
        for line in smaps:
            if line.split()[-1:] == [str(path)]:
                in_mapping = True
            elif in_mapping and line.startswith("Rss:"):
                return int(line.split()[1])
    return 0


@posix_signals_and_proc
def test_a_signal_stops_a_full_batch_gradient_between_chunks(tmp_path):
    # The rows are a memory-mapped file, which the engine reads in place a
    # chunk at a time: the part of it mapped in tells how far it got.
    path = tmp_path / "rows.float32"
    rows = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(200_000, 64)
    )
    rows[...] = np.random.default_rng(0).standard_normal(rows.shape, np.float32)
    rows.flush()
    del rows
    X = np.load(path, mmap_mode="r")
    network = _core.Network([64, 256, 1], "relu", "identity")
    network.initialize(0)
    targets = np.zeros((len(X), 1), np.float32)
    data = _core.Dataset(X)
    file_kib = X.nbytes // 1024

    def raise_error(signum, frame):
        raise RuntimeError("stop")

    def signal_once_under_way():
        while _mapped_kib(path) < 2048:
            time.sleep(0.001)
        os.kill(os.getpid(), signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, raise_error)
    try:
        threading.Thread(target=signal_once_under_way, daemon=True).start()
        with pytest.raises(RuntimeError, match="stop"):
            network.loss_and_gradient(data, targets, None, "squared_error", 0.0)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert _mapped_kib(path) < file_kib // 2
