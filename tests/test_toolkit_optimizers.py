"""The training toolkit's optimizer step in the engine: nadam, rmsprop,
adagrad, AdamW's decoupled decay, L1, gradient clipping, weight averaging and
frozen layers, each against the float64 reference in numpy_reference.py."""

import numpy as np
import numpy_reference as ref
import pytest
from engine_helpers import (
    assert_close,
    make_inputs,
    make_network,
    make_targets,
    parameters64,
)
from fastdnn import _core

LAYER_UNITS = [4, 6, 5, 3]
ALPHA = 0.05
LOSS = "log_loss"
HIDDEN = "tanh"

BASE = dict(
    momentum=0.9, nesterov=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
    rho=0.9, rmsprop_momentum=0.0,
)  # fmt: skip

CASES = {
    "sgd_nesterov": dict(solver="sgd", learning_rate=0.1),
    "sgd_momentum": dict(solver="sgd", learning_rate=0.1, nesterov=False),
    "adam": dict(solver="adam", learning_rate=0.01),
    "adamw": dict(solver="adam", learning_rate=0.01, weight_decay=0.5),
    "sgdw": dict(solver="sgd", learning_rate=0.1, weight_decay=0.3),
    "nadam": dict(solver="nadam", learning_rate=0.01),
    "nadam_betas": dict(solver="nadam", learning_rate=0.02, beta_1=0.8, beta_2=0.99),
    "rmsprop": dict(solver="rmsprop", learning_rate=0.01),
    "rmsprop_momentum": dict(
        solver="rmsprop", learning_rate=0.005, rho=0.8, rmsprop_momentum=0.5
    ),
    "adagrad": dict(solver="adagrad", learning_rate=0.05),
    "adam_l1": dict(solver="adam", learning_rate=0.01, l1=0.2),
    "sgd_clipped": dict(solver="sgd", learning_rate=0.5, clipvalue=0.05, clipnorm=0.3),
    "rmsprop_frozen": dict(
        solver="rmsprop", learning_rate=0.01, trainable_layers=[0, 2], clipnorm=0.2
    ),
    # Without clipping or decay the L2 term joins the gradient inside the step,
    # which returns the penalty's sum; frozen layers' weights still count in it.
    "adam_frozen": dict(solver="adam", learning_rate=0.01, trainable_layers=[1]),
}

# The reference's option names that are engine fields, and the two that the
# engine spells its own way.
REFERENCE_KEYS = (
    "solver", "learning_rate", "momentum", "nesterov", "beta_1", "beta_2",
    "epsilon", "l1", "weight_decay", "rho", "rmsprop_momentum", "clipvalue",
    "clipnorm", "averaging", "ema_decay", "trainable_layers",
)  # fmt: skip
ENGINE_NAMES = {"clipvalue": "clip_value", "clipnorm": "clip_norm"}


def make_trainer(net, options, alpha=ALPHA):
    fields = {
        ENGINE_NAMES.get(key, key): value
        for key, value in options.items()
        if key in REFERENCE_KEYS and value is not None
    }
    return _core.Trainer(net, loss=LOSS, alpha=alpha, **fields)


def reference_options(options):
    """The reference's view of the engine options: masks instead of layers."""
    options = dict(options)
    options["weight_mask"] = ref.weight_mask(LAYER_UNITS)
    if options.get("trainable_layers") is not None:
        options["trainable"] = ref.layer_mask(LAYER_UNITS, options["trainable_layers"])
    return options


def problem(n_samples=30, seed=50):
    rng = np.random.default_rng(seed)
    net = make_network(LAYER_UNITS, HIDDEN, LOSS, seed=seed + 1)
    X = make_inputs(rng, n_samples, LAYER_UNITS[0])
    y = make_targets(rng, LOSS, n_samples, LAYER_UNITS[-1])
    return net, X, y


@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_matches_reference(case):
    # Two epochs of 4 steps (the last one partial): every step's state
    # (moments, accumulators, Nadam's momentum product) carries over.
    options = {**BASE, **CASES[case]}
    net, X, y = problem()
    params = parameters64(net)
    state = ref.new_optimizer_state(options["solver"], params.size)
    trainer = make_trainer(net, options)
    data = _core.Dataset(X)
    ref_options = reference_options(options)
    for epoch in range(2):
        engine_loss = trainer.train_epoch(data, y, None, 8, False, 0, epoch)
        params, ref_loss = ref.train_epoch(
            params, state, ref_options, LAYER_UNITS, HIDDEN, LOSS,
            X.astype(np.float64), y.astype(np.float64), None, ALPHA, 8,
            l1=options.get("l1", 0.0),
        )  # fmt: skip
        assert engine_loss == pytest.approx(ref_loss, rel=1e-5)
    assert_close(net.parameters, params, rtol=1e-4, atol_fraction=1e-5)
    assert trainer.step == state["t"] == 8
    # And the trajectory really moved: a reference that does nothing fails.
    assert np.max(np.abs(params - parameters64(problem()[0]))) > 1e-3


def test_nadam_resumes_from_a_set_step_count():
    # The momentum product Π μ_i must be rebuilt for a restored step count.
    options = {**BASE, **CASES["nadam"]}
    net, X, y = problem(8)
    params = parameters64(net)
    state = ref.new_optimizer_state("nadam", params.size)
    state["t"] = 7
    trainer = make_trainer(net, options)
    trainer.step = 7
    trainer.train_epoch(_core.Dataset(X), y, None, 4, False, 0, 0)
    params, _ = ref.train_epoch(
        params, state, options, LAYER_UNITS, HIDDEN, LOSS,
        X.astype(np.float64), y.astype(np.float64), None, ALPHA, 4,
    )  # fmt: skip
    assert_close(net.parameters, params, rtol=1e-4, atol_fraction=1e-5)


def test_l1_gradient_matches_finite_differences():
    net, X, y = problem(12)
    params = parameters64(net)
    l1 = 0.3
    loss, gradient = net.loss_and_gradient(
        _core.Dataset(X), y, None, LOSS, ALPHA, l1=l1
    )
    X64, y64 = X.astype(np.float64), y.astype(np.float64)

    def objective(p):
        return ref.loss(p, LAYER_UNITS, HIDDEN, LOSS, X64, y64, None, ALPHA, l1)

    assert loss == pytest.approx(objective(params), rel=1e-6)
    numeric = ref.finite_difference_gradient(objective, params)
    assert_close(gradient, numeric, rtol=1e-4, atol_fraction=1e-5)
    # The L1 term is really there: sign(W)·l1/n on every weight.
    _, plain = net.loss_and_gradient(_core.Dataset(X), y, None, LOSS, ALPHA)
    expected = ref.weight_mask(LAYER_UNITS) * np.sign(params) * l1 / X.shape[0]
    assert_close(gradient - plain, expected, rtol=1e-4, atol_fraction=1e-6)
    assert loss - net.loss_and_gradient(_core.Dataset(X), y, None, LOSS, ALPHA)[
        0
    ] == pytest.approx(ref.l1_penalty(params, LAYER_UNITS, l1, X.shape[0]), rel=1e-6)


def raw_gradient(net, X, y):
    return net.loss_and_gradient(_core.Dataset(X), y, None, LOSS, ALPHA)[1]


def one_plain_sgd_step(clip, trainable_layers=None):
    """The update of one step of sgd without momentum at lr 1: −(clipped g)."""
    net, X, y = problem(16)
    before = np.array(net.parameters)
    gradient = raw_gradient(net, X, y)
    options = {**BASE, "solver": "sgd", "learning_rate": 1.0, "momentum": 0.0}
    trainer = make_trainer(
        net, {**options, **clip, "trainable_layers": trainable_layers}
    )
    trainer.train_epoch(_core.Dataset(X), y, None, 16, False, 0, 0)
    return np.asarray(net.parameters, np.float64) - before, gradient


def test_clipvalue_bounds_every_element_of_the_update():
    update, gradient = one_plain_sgd_step({"clipvalue": 0.02})
    assert np.max(np.abs(gradient)) > 0.1  # the bound is active
    assert np.max(np.abs(update)) <= 0.02 * (1 + 1e-6)
    clipped = np.abs(gradient) > 0.02
    assert_close(np.abs(update[clipped]), np.full(clipped.sum(), 0.02), rtol=1e-5)
    assert_close(update[~clipped], -gradient[~clipped], rtol=1e-5, atol_fraction=1e-4)


def test_clipnorm_bounds_the_global_norm_and_keeps_the_direction():
    update, gradient = one_plain_sgd_step({"clipnorm": 0.1})
    assert np.linalg.norm(gradient) > 0.3
    assert np.linalg.norm(update) == pytest.approx(0.1, rel=1e-5)
    assert_close(update, -gradient * 0.1 / np.linalg.norm(gradient), rtol=1e-4,
                 atol_fraction=1e-5)  # fmt: skip
    # Below the bound, nothing changes.
    update, gradient = one_plain_sgd_step({"clipnorm": 1e3})
    assert_close(update, -gradient, rtol=1e-5, atol_fraction=1e-6)


def test_clipnorm_takes_the_norm_over_trainable_layers_only():
    update, gradient = one_plain_sgd_step({"clipnorm": 0.05}, trainable_layers=[1])
    mask = ref.layer_mask(LAYER_UNITS, [1])
    assert np.all(update[~mask] == 0.0)
    assert np.linalg.norm(update[mask]) == pytest.approx(0.05, rel=1e-5)
    assert_close(update[mask], -gradient[mask] * 0.05 / np.linalg.norm(gradient[mask]),
                 rtol=1e-4, atol_fraction=1e-5)  # fmt: skip


@pytest.mark.parametrize("solver", ["sgd", "adam", "nadam", "rmsprop", "adagrad"])
def test_frozen_layers_stay_bit_identical_while_the_others_train(solver):
    # Every per-step mechanism that could touch a frozen layer is on.
    options = {
        **BASE, "solver": solver, "learning_rate": 0.05, "weight_decay": 0.1,
        "l1": 0.1, "clipnorm": 1.0, "clipvalue": 0.5, "trainable_layers": [1],
        "averaging": "ema", "ema_decay": 0.9,
    }  # fmt: skip
    net, X, y = problem()
    before = np.array(net.parameters)
    trainer = make_trainer(net, options)
    trainer.averaging_active = True
    for epoch in range(3):
        trainer.train_epoch(_core.Dataset(X), y, None, 7, True, 5, epoch)
    after = np.array(net.parameters)
    frozen = ~ref.layer_mask(LAYER_UNITS, [1])
    np.testing.assert_array_equal(after[frozen], before[frozen])
    np.testing.assert_array_equal(np.array(trainer.averaged_parameters)[frozen],
                                  before[frozen])  # fmt: skip
    assert np.min(np.abs(after[~frozen] - before[~frozen])) > 0  # all of it moved


def averaging_run(averaging, start, n_epochs=6, ema_decay=0.7):
    """One full-batch step per epoch; returns (trainer, raw iterates, net)."""
    options = {**BASE, **CASES["adam"], "averaging": averaging, "ema_decay": ema_decay}
    net, X, y = problem(12)
    trainer = make_trainer(net, options)
    iterates = []
    for epoch in range(n_epochs):
        trainer.averaging_active = epoch >= start
        trainer.train_epoch(_core.Dataset(X), y, None, 12, False, 0, epoch)
        iterates.append(np.array(net.parameters, dtype=np.float64))
    return trainer, iterates, net


@pytest.mark.parametrize("start", [0, 2])
def test_polyak_average_is_the_mean_of_the_iterates_from_the_start(start):
    trainer, iterates, _ = averaging_run("polyak", start)
    assert trainer.averaged_count == len(iterates) - start
    expected = ref.polyak_average(iterates[start:])
    assert_close(trainer.averaged_parameters, expected, rtol=1e-5, atol_fraction=1e-6)
    # Not the last iterate, nor the mean of all of them.
    assert np.max(np.abs(expected - iterates[-1])) > 1e-3
    if start:
        assert np.max(np.abs(expected - ref.polyak_average(iterates))) > 1e-4


@pytest.mark.parametrize("start", [0, 3])
def test_ema_follows_the_recursion_from_the_first_averaged_iterate(start):
    trainer, iterates, _ = averaging_run("ema", start)
    expected = ref.ema_average(iterates[start:], 0.7)
    assert_close(trainer.averaged_parameters, expected, rtol=1e-5, atol_fraction=1e-6)
    assert np.max(np.abs(expected - iterates[-1])) > 1e-4


def test_averaging_leaves_the_raw_trajectory_untouched():
    _, averaged_iterates, _ = averaging_run("ema", 0)
    options = {**BASE, **CASES["adam"]}
    net, X, y = problem(12)
    trainer = make_trainer(net, options)
    for epoch in range(len(averaged_iterates)):
        trainer.train_epoch(_core.Dataset(X), y, None, 12, False, 0, epoch)
    np.testing.assert_array_equal(
        net.parameters, averaged_iterates[-1].astype(np.float32)
    )


def test_no_allocation_per_epoch_with_every_option_on():
    options = {
        **BASE, "solver": "nadam", "learning_rate": 0.01, "weight_decay": 0.1,
        "l1": 0.1, "clipnorm": 1.0, "clipvalue": 0.5, "trainable_layers": [0, 2],
        "averaging": "polyak",
    }  # fmt: skip
    net, X, y = problem()
    trainer = make_trainer(net, options)
    trainer.averaging_active = True
    data = _core.Dataset(X)
    trainer.train_epoch(data, y, None, 8, True, 1, 0)
    before = _core.buffer_allocation_count()
    for epoch in range(1, 4):
        trainer.train_epoch(data, y, None, 8, True, 1, epoch)
    assert _core.buffer_allocation_count() == before


def test_invalid_engine_options_are_rejected():
    net, _, _ = problem()
    options = {**BASE, **CASES["adam"]}
    with pytest.raises(IndexError, match="trainable_layers"):
        make_trainer(net, {**options, "trainable_layers": [3]})
    with pytest.raises(ValueError, match="averaging"):
        make_trainer(net, {**options, "averaging": "swa"})
    with pytest.raises(ValueError, match="ema_decay"):
        make_trainer(net, {**options, "averaging": "ema", "ema_decay": 1.0})
    with pytest.raises(RuntimeError, match="without weight averaging"):
        make_trainer(net, options).averaging_active = True
