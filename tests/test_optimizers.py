"""Minibatch epochs: the engine's train_epoch against scikit-learn's
_fit_stochastic loop with its SGD/Nesterov and Adam rules, and shuffling."""

import numpy as np
import numpy_reference as ref
import pytest
from engine_helpers import (
    SOLVER_OPTIONS,
    assert_close,
    make_inputs,
    make_network,
    make_sample_weight,
    make_targets,
    make_trainer,
    parameters64,
)
from fastdnn import _core

LAYER_UNITS = [4, 6, 5, 3]
ALPHA = 0.05


def run_both(
    options, loss, hidden_activation, n_samples, batch_size, weighted, n_epochs=2
):
    """n_epochs unshuffled epochs by the engine and by the reference, from the
    same initial parameters; returns everything there is to compare."""
    rng = np.random.default_rng(30)
    net = make_network(LAYER_UNITS, hidden_activation, loss, seed=31)
    X = make_inputs(rng, n_samples, LAYER_UNITS[0])
    y = make_targets(rng, loss, n_samples, LAYER_UNITS[-1])
    sw = make_sample_weight(rng, n_samples) if weighted else None

    params = parameters64(net)
    state = ref.new_optimizer_state(options["solver"], params.size)
    trainer = make_trainer(net, loss, ALPHA, options)
    data = _core.Dataset(X)
    engine_losses, ref_losses = [], []
    for epoch in range(n_epochs):
        engine_losses.append(
            trainer.train_epoch(data, y, sw, batch_size, False, 0, epoch)
        )
        params, epoch_loss = ref.train_epoch(
            params, state, options, LAYER_UNITS, hidden_activation, loss,
            X.astype(np.float64), y.astype(np.float64),
            None if sw is None else sw.astype(np.float64), ALPHA, batch_size,
        )  # fmt: skip
        ref_losses.append(epoch_loss)
    return net, trainer, params, state, engine_losses, ref_losses


CASES = [("squared_error", "relu"), ("log_loss", "tanh")]


@pytest.mark.parametrize(
    ("n_samples", "batch_size"), [(32, 8), (30, 8)], ids=["full-batches", "partial"]
)
@pytest.mark.parametrize(("loss", "hidden_activation"), CASES)
@pytest.mark.parametrize("solver", list(SOLVER_OPTIONS))
def test_epoch_matches_sklearn_minibatch_loop(
    solver, loss, hidden_activation, n_samples, batch_size
):
    options = SOLVER_OPTIONS[solver]
    net, trainer, params, state, engine_losses, ref_losses = run_both(
        options, loss, hidden_activation, n_samples, batch_size, weighted=False
    )
    # Two epochs of 4 steps each: momentum / moments carry across epochs.
    # float32 rounding (~1e-7) is amplified a little by each step, hence 1e-4.
    assert_close(net.parameters, params, rtol=1e-4, atol_fraction=1e-5)
    # sklearn's loss_: Σ batch loss × batch rows / n, each batch's loss at the
    # parameters before its step, L2 term included.
    assert_close(engine_losses, ref_losses, rtol=1e-5)
    assert trainer.step == state["t"] == 2 * -(-n_samples // batch_size)
    engine_state = [np.asarray(s, dtype=np.float64) for s in trainer.optimizer_state]
    if options["solver"] == "sgd":
        (velocity,) = engine_state
        assert_close(velocity, state["velocity"], rtol=1e-3, atol_fraction=1e-4)
    else:
        m, v = engine_state
        assert_close(m, state["m"], rtol=1e-3, atol_fraction=1e-4)
        assert_close(v, state["v"], rtol=1e-3, atol_fraction=1e-4)


@pytest.mark.parametrize("solver", ["sgd_nesterov", "adam"])
def test_epoch_with_sample_weight_matches_sklearn_minibatch_loop(solver):
    # Each batch normalises by its own Σw (loss, gradient and L2 term).
    net, _, params, _, engine_losses, ref_losses = run_both(
        SOLVER_OPTIONS[solver], "binary_log_loss", "logistic", 30, 7, weighted=True
    )
    assert_close(net.parameters, params, rtol=1e-4, atol_fraction=1e-5)
    assert_close(engine_losses, ref_losses, rtol=1e-5)


def test_epoch_loss_weights_batches_by_row_count_not_equally():
    # With a partial last batch, a mean of batch losses differs from sklearn's
    # Σ batch_loss·rows / n; the learning rate is 0 so each batch loss is just
    # the loss of its rows at the initial parameters, computed independently.
    rng = np.random.default_rng(32)
    net = make_network(LAYER_UNITS, "tanh", "squared_error", seed=33)
    X = make_inputs(rng, 10, LAYER_UNITS[0])
    y = make_targets(rng, "squared_error", 10, LAYER_UNITS[-1])
    y[8:] += 50.0  # the 2-row last batch has a much larger loss
    trainer = make_trainer(
        net,
        "squared_error",
        ALPHA,
        {**SOLVER_OPTIONS["sgd_nesterov"], "learning_rate": 0.0},
    )
    epoch_loss = trainer.train_epoch(_core.Dataset(X), y, None, 4, False, 0, 0)
    batch_losses = [
        net.loss_and_gradient(_core.Dataset(X[s]), y[s], None, "squared_error", ALPHA)[
            0
        ]
        for s in (slice(0, 4), slice(4, 8), slice(8, 10))
    ]
    expected = (4 * batch_losses[0] + 4 * batch_losses[1] + 2 * batch_losses[2]) / 10
    assert epoch_loss == pytest.approx(expected, rel=1e-6)
    assert epoch_loss != pytest.approx(np.mean(batch_losses), rel=1e-2)


def test_changing_learning_rate_between_epochs_takes_effect():
    # The estimators' 'adaptive' and 'invscaling' schedules set the rate
    # between epochs; the next epoch must use it.
    options = SOLVER_OPTIONS["sgd_momentum"]
    rng = np.random.default_rng(34)
    net = make_network(LAYER_UNITS, "tanh", "log_loss", seed=35)
    X = make_inputs(rng, 16, LAYER_UNITS[0])
    y = make_targets(rng, "log_loss", 16, LAYER_UNITS[-1])
    params = parameters64(net)
    state = ref.new_optimizer_state("sgd", params.size)
    trainer = make_trainer(net, "log_loss", ALPHA, options)
    data = _core.Dataset(X)
    for learning_rate in (0.1, 0.02):
        trainer.learning_rate = learning_rate
        trainer.train_epoch(data, y, None, 4, False, 0, 0)
        params, _ = ref.train_epoch(
            params, state, {**options, "learning_rate": learning_rate},
            LAYER_UNITS, "tanh", "log_loss", X.astype(np.float64),
            y.astype(np.float64), None, ALPHA, 4,
        )  # fmt: skip
    assert trainer.learning_rate == 0.02
    assert_close(net.parameters, params, rtol=1e-4, atol_fraction=1e-5)


def test_adam_resumes_from_a_set_step_count():
    # partial_fit / warm starts restore Adam's t: the bias correction of the
    # next step must use t + 1, not restart at 1.
    options = SOLVER_OPTIONS["adam"]
    rng = np.random.default_rng(36)
    net = make_network(LAYER_UNITS, "tanh", "log_loss", seed=37)
    X = make_inputs(rng, 8, LAYER_UNITS[0])
    y = make_targets(rng, "log_loss", 8, LAYER_UNITS[-1])
    params = parameters64(net)
    state = ref.new_optimizer_state("adam", params.size)
    state["t"] = 5
    trainer = make_trainer(net, "log_loss", ALPHA, options)
    trainer.step = 5
    trainer.train_epoch(_core.Dataset(X), y, None, 8, False, 0, 0)
    params, _ = ref.train_epoch(
        params, state, options, LAYER_UNITS, "tanh", "log_loss",
        X.astype(np.float64), y.astype(np.float64), None, ALPHA, 8,
    )  # fmt: skip
    assert trainer.step == 6
    assert_close(net.parameters, params, rtol=1e-4, atol_fraction=1e-5)


# ----------------------------------------------------------------------------
# 5. shuffling


def shuffled_run(seed, epoch, batch_size=5, sample_weight=None, n_samples=23):
    rng = np.random.default_rng(40)
    net = make_network(LAYER_UNITS, "tanh", "squared_error", seed=41)
    X = make_inputs(rng, n_samples, LAYER_UNITS[0])
    y = make_targets(rng, "squared_error", n_samples, LAYER_UNITS[-1])
    trainer = make_trainer(net, "squared_error", ALPHA, SOLVER_OPTIONS["sgd_nesterov"])
    shuffle = seed is not None
    loss = trainer.train_epoch(
        _core.Dataset(X), y, sample_weight, batch_size, shuffle, seed or 0, epoch
    )
    return np.array(net.parameters), loss


def test_shuffled_epoch_is_a_pure_function_of_seed_and_epoch():
    first, first_loss = shuffled_run(seed=3, epoch=2)
    again, again_loss = shuffled_run(seed=3, epoch=2)
    np.testing.assert_array_equal(again, first)  # bit-identical
    assert again_loss == first_loss


def test_shuffled_order_changes_with_epoch_and_seed():
    base, _ = shuffled_run(seed=3, epoch=2)
    unshuffled, _ = shuffled_run(seed=None, epoch=0)
    for other in (shuffled_run(3, 3)[0], shuffled_run(4, 2)[0], unshuffled):
        # A different batch order gives a visibly different trajectory, not a
        # rounding difference.
        assert np.max(np.abs(other - base)) > 1e-3


def test_epoch_numbers_past_32_bits_give_new_orders():
    # The epoch's high bits enter the counter too: epoch and epoch + 2**32
    # must not replay the same order.
    low, _ = shuffled_run(seed=3, epoch=5)
    high, _ = shuffled_run(seed=3, epoch=5 + 2**32)
    assert np.max(np.abs(low - high)) > 1e-3


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_full_batch_shuffled_step_equals_unshuffled_step(weighted):
    # With batch_size = n, one epoch is one step on a gradient that sums over
    # all rows: if the shuffled order visits every sample exactly once (and
    # carries each sample's target and weight with it), only the order of
    # floating-point summation differs, a ~1e-7 relative effect.
    n = 23
    sw = make_sample_weight(np.random.default_rng(42), n) if weighted else None
    unshuffled, unshuffled_loss = shuffled_run(None, 0, n, sw, n)
    for epoch in range(3):
        shuffled, shuffled_loss = shuffled_run(9, epoch, n, sw, n)
        assert_close(shuffled, unshuffled, rtol=1e-5, atol_fraction=1e-6)
        assert shuffled_loss == pytest.approx(unshuffled_loss, rel=1e-6)


@pytest.mark.parametrize("batch_size", [1, 3, 7, 20])
def test_shuffled_epoch_visits_every_sample_exactly_once(batch_size):
    # With a zero learning rate and no L2 or weights, each batch's loss times
    # its rows is the sum of its samples' losses, so the epoch loss is the
    # mean over the samples visited. Per-sample losses are made all distinct
    # and far apart (targets 0, 10, 20, ...), so a sample seen twice or never
    # changes the epoch loss far beyond rounding.
    n = 20
    rng = np.random.default_rng(43)
    net = make_network(LAYER_UNITS, "tanh", "squared_error", seed=44)
    X = make_inputs(rng, n, LAYER_UNITS[0])
    y = np.repeat(10.0 * np.arange(n, dtype=np.float32)[:, None], 3, axis=1)
    options = {**SOLVER_OPTIONS["sgd_momentum"], "learning_rate": 0.0}
    trainer = make_trainer(net, "squared_error", 0.0, options)
    data = _core.Dataset(X)
    full_mean, _ = net.loss_and_gradient(data, y, None, "squared_error", 0.0)
    for epoch in range(5):
        epoch_loss = trainer.train_epoch(data, y, None, batch_size, True, 11, epoch)
        assert epoch_loss == pytest.approx(full_mean, rel=1e-9)
