"""Learning-rate schedules: closed forms, validation, copying, use in a fit.

Each schedule's ``rate`` is checked against a reference written here from the
formula in its docstring, one scalar ``t`` at a time with ``math``, so that a
vectorisation slip (np.floor vs np.round, side of searchsorted, clip bounds)
shows up as a mismatch.
"""

import copy
import math
import pickle

import numpy as np
import pytest
from estimator_helpers import ignore_convergence
from fastdnn import MLPClassifier
from fastdnn.schedules import (
    Constant,
    CosineAnnealing,
    ExponentialDecay,
    InverseSqrtDecay,
    InverseTimeDecay,
    LinearDecay,
    MultiStepDecay,
    OneCycle,
    PolynomialDecay,
    ReduceLROnPlateau,
    StepDecay,
    Warmup,
    _PlateauState,
)
from sklearn.base import clone
from sklearn.datasets import make_classification

ETA0 = 0.3
T = np.arange(0, 41)

# ----------------------------------------------------------------------------
# Independent scalar references (from the docstrings)


def ref_step(t, eta0, step_size, gamma):
    return eta0 * gamma ** (t // step_size)


def ref_multistep(t, eta0, milestones, gamma):
    return eta0 * gamma ** sum(1 for m in milestones if m <= t)


def ref_exponential(t, eta0, decay_rate, decay_steps):
    return eta0 * decay_rate ** (t / decay_steps)


def ref_inverse_time(t, eta0, decay_rate, decay_steps, power):
    return eta0 / (1 + decay_rate * t / decay_steps) ** power


def ref_inverse_sqrt(t, eta0, warmup):
    if warmup == 0:
        return eta0 / math.sqrt(t + 1)
    return eta0 * min((t + 1) / warmup, math.sqrt(warmup / (t + 1)))


def ref_linear(t, eta0, end_lr, steps):
    return eta0 + (end_lr - eta0) * min(t, steps) / steps


def ref_polynomial(t, eta0, end_lr, steps, power):
    return (eta0 - end_lr) * (1 - min(t, steps) / steps) ** power + end_lr


def ref_cosine(t, eta0, t_max, eta_min, restarts):
    phase = t % t_max if restarts else min(t, t_max)
    return eta_min + (eta0 - eta_min) * (1 + math.cos(math.pi * phase / t_max)) / 2


def ref_one_cycle(t, max_lr, total, pct, div, final_div):
    start, end = max_lr / div, max_lr / (div * final_div)
    t = min(t, total)
    rise = pct * total
    if t < rise:
        return start + (max_lr - start) * (1 - math.cos(math.pi * t / rise)) / 2
    fall = (t - rise) / (total - rise)
    return end + (max_lr - end) * (1 + math.cos(math.pi * fall)) / 2


CASES = [
    (Constant(), lambda t: ETA0),
    (StepDecay(step_size=3, gamma=0.5), lambda t: ref_step(t, ETA0, 3, 0.5)),
    (StepDecay(step_size=1, gamma=0.9), lambda t: ref_step(t, ETA0, 1, 0.9)),
    (
        MultiStepDecay(milestones=[2, 5, 5, 11], gamma=0.3),
        lambda t: ref_multistep(t, ETA0, [2, 5, 5, 11], 0.3),
    ),
    (MultiStepDecay(milestones=[], gamma=0.3), lambda t: ETA0),
    (
        ExponentialDecay(decay_rate=0.8, decay_steps=4),
        lambda t: ref_exponential(t, ETA0, 0.8, 4),
    ),
    (
        InverseTimeDecay(decay_rate=0.5, decay_steps=2, power=1.5),
        lambda t: ref_inverse_time(t, ETA0, 0.5, 2, 1.5),
    ),
    (InverseSqrtDecay(), lambda t: ref_inverse_sqrt(t, ETA0, 0)),
    (InverseSqrtDecay(warmup=7), lambda t: ref_inverse_sqrt(t, ETA0, 7)),
    (LinearDecay(end_lr=0.01, steps=17), lambda t: ref_linear(t, ETA0, 0.01, 17)),
    (
        PolynomialDecay(end_lr=0.02, steps=13, power=2.0),
        lambda t: ref_polynomial(t, ETA0, 0.02, 13, 2.0),
    ),
    (CosineAnnealing(t_max=10), lambda t: ref_cosine(t, ETA0, 10, 0.0, False)),
    (
        CosineAnnealing(t_max=7, eta_min=0.05, restarts=True),
        lambda t: ref_cosine(t, ETA0, 7, 0.05, True),
    ),
    (
        OneCycle(max_lr=2.0, total_steps=30, pct_start=0.25),
        lambda t: ref_one_cycle(t, 2.0, 30, 0.25, 25.0, 1e4),
    ),
    (
        Warmup(StepDecay(step_size=4, gamma=0.5), steps=5),
        lambda t: ETA0 * (t + 1) / 5 if t < 5 else ref_step(t - 5, ETA0, 4, 0.5),
    ),
    (ReduceLROnPlateau(), lambda t: ETA0),
]
IDS = [repr(schedule) for schedule, _ in CASES]


@pytest.mark.parametrize(("schedule", "reference"), CASES, ids=IDS)
def test_rate_matches_closed_form_reference(schedule, reference):
    expected = np.array([reference(int(t)) for t in T])
    np.testing.assert_allclose(schedule.rate(T, ETA0), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("schedule", "reference"), CASES, ids=IDS)
def test_vector_and_scalar_rates_agree(schedule, reference):
    vector = schedule.rate(T, ETA0)
    assert isinstance(vector, np.ndarray) and vector.shape == T.shape
    scalars = [schedule.rate(int(t), ETA0) for t in T]
    # A scalar t gives a plain float, so the estimator can log it as is.
    assert all(type(s) is float for s in scalars)
    assert scalars == vector.tolist()


def test_cosine_annealing_endpoints_with_and_without_restarts():
    plain = CosineAnnealing(t_max=4, eta_min=0.1)
    assert plain.rate(0, 1.0) == 1.0
    assert plain.rate(2, 1.0) == pytest.approx(0.55)
    # Without restarts the rate rests at eta_min after t_max ...
    assert plain.rate(np.array([4, 5, 9]), 1.0).tolist() == pytest.approx([0.1] * 3)
    # ... with restarts it jumps back to eta0 at every multiple of t_max.
    restarting = CosineAnnealing(t_max=4, eta_min=0.1, restarts=True)
    assert restarting.rate(np.array([4, 8, 12]), 1.0).tolist() == [1.0] * 3
    assert restarting.rate(3, 1.0) == pytest.approx(plain.rate(3, 1.0))


def test_one_cycle_endpoints_and_shape():
    schedule = OneCycle(
        max_lr=1.0, total_steps=20, pct_start=0.3, div_factor=10.0, final_div_factor=100
    )
    # eta0 plays no part: max_lr sets the scale.
    assert schedule.rate(0, 123.0) == pytest.approx(0.1)
    assert schedule.rate(6, 123.0) == pytest.approx(1.0)  # 0.3 * 20
    assert schedule.rate(20, 123.0) == pytest.approx(1e-3)
    assert schedule.rate(50, 123.0) == pytest.approx(1e-3)
    rates = schedule.rate(np.arange(21), 0.0)
    assert np.all(np.diff(rates[:7]) > 0)
    assert np.all(np.diff(rates[6:]) < 0)
    assert rates.max() == pytest.approx(1.0)


def test_warmup_rises_linearly_to_the_wrapped_schedules_first_rate():
    inner = ExponentialDecay(decay_rate=0.5)
    schedule = Warmup(inner, steps=4)
    assert schedule.unit == "epoch"
    assert Warmup(Constant(unit="step"), steps=2).unit == "step"
    np.testing.assert_allclose(
        schedule.rate(np.arange(7), 2.0), [0.5, 1.0, 1.5, 2.0, 2.0, 1.0, 0.5]
    )


INVALID = [
    lambda: StepDecay(step_size=0),
    lambda: StepDecay(step_size=1.5),
    lambda: StepDecay(step_size=True),
    lambda: StepDecay(step_size=2, gamma=-0.1),
    lambda: StepDecay(step_size=2, unit="batch"),
    lambda: MultiStepDecay(milestones=[5, 2]),
    lambda: MultiStepDecay(milestones=[-1, 2]),
    lambda: MultiStepDecay(milestones=[2], gamma=0),
    lambda: ExponentialDecay(decay_rate=0),
    lambda: ExponentialDecay(decay_rate=0.5, decay_steps=0),
    lambda: InverseTimeDecay(decay_rate=-1),
    lambda: InverseTimeDecay(decay_rate=1, power=-1),
    lambda: InverseSqrtDecay(warmup=-1),
    lambda: InverseSqrtDecay(warmup=2.5),
    lambda: LinearDecay(end_lr=-0.1, steps=5),
    lambda: LinearDecay(end_lr=0.0, steps=0),
    lambda: PolynomialDecay(end_lr=0.0, steps=5, power=0),
    lambda: CosineAnnealing(t_max=0),
    lambda: CosineAnnealing(t_max=5, eta_min=-1.0),
    lambda: CosineAnnealing(t_max=5, unit="minibatch"),
    lambda: OneCycle(max_lr=0, total_steps=10),
    lambda: OneCycle(max_lr=1, total_steps=0),
    lambda: OneCycle(max_lr=1, total_steps=10, pct_start=0.0),
    lambda: OneCycle(max_lr=1, total_steps=10, pct_start=1.0),
    lambda: OneCycle(max_lr=1, total_steps=10, div_factor=0),
    lambda: OneCycle(max_lr=1, total_steps=10, final_div_factor=-2),
    lambda: Warmup("constant", steps=3),
    lambda: Warmup(Constant(), steps=0),
    lambda: Warmup(ReduceLROnPlateau(), steps=3),
    lambda: ReduceLROnPlateau(monitor="accuracy"),
    lambda: ReduceLROnPlateau(factor=1.0),
    lambda: ReduceLROnPlateau(factor=0.0),
    lambda: ReduceLROnPlateau(patience=-1),
    lambda: ReduceLROnPlateau(cooldown=-1),
    lambda: ReduceLROnPlateau(min_delta=-1e-3),
    lambda: ReduceLROnPlateau(min_lr=-1e-3),
]


@pytest.mark.parametrize("make", INVALID, ids=range(len(INVALID)))
def test_invalid_schedule_arguments_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize("schedule", [s for s, _ in CASES], ids=IDS)
def test_schedules_pickle_deepcopy_and_clone_to_equal_objects(schedule):
    copies = [
        pickle.loads(pickle.dumps(schedule)),
        copy.deepcopy(schedule),
        clone(MLPClassifier(learning_rate=schedule)).learning_rate,
    ]
    for other in copies:
        assert other == schedule
        assert hash(other) == hash(schedule)
        assert repr(other) == repr(schedule)
        np.testing.assert_array_equal(other.rate(T, ETA0), schedule.rate(T, ETA0))


def test_schedules_with_different_arguments_are_not_equal():
    assert StepDecay(step_size=2) != StepDecay(step_size=3)
    assert StepDecay(step_size=2) != StepDecay(step_size=2, unit="step")
    assert CosineAnnealing(t_max=5) != CosineAnnealing(t_max=5, restarts=True)
    assert Warmup(Constant(), steps=2) != Warmup(Constant(unit="step"), steps=2)
    assert Constant() != "constant"


# ----------------------------------------------------------------------------
# ReduceLROnPlateau's state machine on designed sequences


def test_plateau_state_follows_hand_computed_rates_on_a_loss():
    schedule = ReduceLROnPlateau(
        monitor="train_loss",
        factor=0.5,
        patience=2,
        min_delta=0.1,
        cooldown=1,
        min_lr=0.2,
    )
    state = _PlateauState(schedule, 1.0)
    values = [1.0, 0.95, 0.92, 0.91, 0.91, 0.5, 0.45, 0.45, 0.45]
    values += [0.45] * 4 + [0.45] * 4
    # Worked by hand: improvement needs a drop of more than 0.1; the rate
    # halves on the 3rd epoch without one (patience 2), then one epoch of
    # cooldown during which nothing is counted; min_lr floors it at 0.2.
    expected = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]
    expected += [0.25, 0.25, 0.25, 0.2] + [0.2] * 4
    assert [state.update(v) for v in values] == expected


def test_plateau_state_on_a_score_improves_upwards():
    schedule = ReduceLROnPlateau(
        monitor="val_score", factor=0.1, patience=0, min_delta=0.02
    )
    state = _PlateauState(schedule, 1.0)
    # 0.5 -> 0.55 is an improvement (> 0.02 upwards); 0.56 is not; a falling
    # score never is; patience 0 reduces on the first epoch without one.
    rates = [state.update(v) for v in [0.5, 0.55, 0.56, 0.2]]
    np.testing.assert_allclose(rates, [1.0, 1.0, 0.1, 0.01])


def test_plateau_state_without_cooldown_keeps_reducing_every_patience_epochs():
    schedule = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    state = _PlateauState(schedule, 8.0)
    rates = [state.update(1.0) for _ in range(7)]
    assert rates == [8.0, 8.0, 4.0, 4.0, 2.0, 2.0, 1.0]


# ----------------------------------------------------------------------------
# Schedules inside a fit


@pytest.fixture(scope="module")
def small_data():
    X, y = make_classification(
        n_samples=240, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    return X, y


def assert_same_parameters(a, b):
    for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(x, y)


def _sgd(**params):
    defaults = dict(
        hidden_layer_sizes=(12,),
        solver="sgd",
        momentum=0.0,
        batch_size=40,
        learning_rate_init=0.1,
        random_state=0,
        n_iter_no_change=1000,
        max_iter=8,
    )
    defaults.update(params)
    return MLPClassifier(**defaults)


@pytest.mark.parametrize(
    "schedule",
    [
        StepDecay(step_size=2, gamma=0.5),
        MultiStepDecay(milestones=[1, 4], gamma=0.2),
        CosineAnnealing(t_max=3, eta_min=0.01, restarts=True),
        Warmup(ExponentialDecay(decay_rate=0.7), steps=3),
        OneCycle(max_lr=0.5, total_steps=6, unit="epoch"),
    ],
    ids=repr,
)
def test_history_lr_is_the_epoch_schedules_rate(small_data, schedule):
    X, y = small_data
    with ignore_convergence():
        model = _sgd(learning_rate=schedule).fit(X, y)
    lrs = [h["lr"] for h in model.history_]
    assert lrs == [schedule.rate(i, 0.1) for i in range(8)]


def test_step_schedule_history_lr_is_the_rate_of_each_epochs_first_step(
    small_data,
):
    X, y = small_data  # 240 samples, batch 40: 6 steps per epoch
    schedule = ExponentialDecay(decay_rate=0.9, unit="step")
    with ignore_convergence():
        model = _sgd(learning_rate=schedule).fit(X, y)
    assert [h["lr"] for h in model.history_] == [
        schedule.rate(6 * i, 0.1) for i in range(8)
    ]


def test_constant_step_schedule_trains_identically_to_constant(small_data):
    X, y = small_data
    with ignore_convergence():
        reference = _sgd(learning_rate="constant").fit(X, y)
        scheduled = _sgd(learning_rate=Constant(unit="step")).fit(X, y)
    for a, b in zip(reference.coefs_, scheduled.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_step_decay_every_epochs_worth_of_steps_equals_epoch_decay(small_data):
    # 6 minibatches per epoch: decaying every 6 steps is decaying every epoch,
    # so the weights must match bit for bit (the per-step rates are indexed by
    # the trainer's global step, which must advance across epochs).
    X, y = small_data
    with ignore_convergence():
        by_epoch = _sgd(learning_rate=StepDecay(step_size=1, gamma=0.6)).fit(X, y)
        by_step = _sgd(learning_rate=StepDecay(step_size=6, gamma=0.6, unit="step"))
        by_step.fit(X, y)
        undecayed = _sgd(learning_rate=StepDecay(step_size=60, gamma=0.6, unit="step"))
        undecayed.fit(X, y)
    for a, b in zip(by_epoch.coefs_, by_step.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    # And the step schedule really changed the training.
    assert not np.array_equal(by_step.coefs_[0], undecayed.coefs_[0])


def test_step_schedule_reaching_zero_mid_epoch_freezes_the_rest_of_it(small_data):
    # Rate 0 from step 9 on (the 4th step of epoch 2) under plain SGD: the
    # weights after 2 epochs equal those after 5, but differ from those after
    # 1 epoch (its steps 0..5 all had a rate > 0).
    X, y = small_data
    schedule = LinearDecay(end_lr=0.0, steps=9, unit="step")
    with ignore_convergence():
        one, two, five = (
            _sgd(learning_rate=schedule, shuffle=False, max_iter=n).fit(X, y)
            for n in (1, 2, 5)
        )
    assert not np.array_equal(one.coefs_[0], two.coefs_[0])
    assert_same_parameters(two, five)


@pytest.mark.parametrize("k", [2, 4])
def test_weights_stop_changing_once_an_epoch_schedule_reaches_zero(small_data, k):
    X, y = small_data
    schedule = LinearDecay(end_lr=0.0, steps=k)  # rate 0 from epoch k on
    with ignore_convergence():
        before = _sgd(learning_rate=schedule, shuffle=False, max_iter=k - 1).fit(X, y)
        at_k = _sgd(learning_rate=schedule, shuffle=False, max_iter=k).fit(X, y)
        later = _sgd(learning_rate=schedule, shuffle=False, max_iter=k + 3).fit(X, y)
    assert not np.array_equal(before.coefs_[0], at_k.coefs_[0])
    assert_same_parameters(at_k, later)
    assert [h["lr"] for h in later.history_][k:] == [0.0, 0.0, 0.0]


def test_reduce_lr_on_plateau_drops_the_rate_after_a_validation_plateau(small_data):
    X, y = small_data
    # Labels the network cannot learn from X: the validation loss stops
    # improving within a few epochs, so the plateau rule must fire.
    rng = np.random.RandomState(1)
    X_val, y_val = X[:80], rng.permutation(y[:80])
    schedule = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    with ignore_convergence():
        model = MLPClassifier(
            hidden_layer_sizes=(32,),
            solver="adam",
            learning_rate=schedule,
            learning_rate_init=0.02,
            max_iter=15,
            n_iter_no_change=1000,
            random_state=0,
        ).fit(X, y, eval_set=(X_val, y_val))
    history = model.history_
    # Replay the documented rule (with its default min_delta) on the logged
    # validation losses: the rate of epoch i+1 follows from epochs 1..i.
    rate, best, waited = 0.02, math.inf, 0
    expected = [rate]
    for entry in history[:-1]:
        if entry["val_loss"] < best - 1e-4:
            best, waited = entry["val_loss"], 0
        else:
            waited += 1
        if waited > 1:
            rate, waited = rate * 0.5, 0
        expected.append(rate)
    lrs = [h["lr"] for h in history]
    assert lrs == pytest.approx(expected, rel=1e-12)
    assert min(lrs) < 0.02


def test_reduce_lr_on_plateau_on_validation_without_validation_data_fails_early(
    small_data,
):
    X, y = small_data
    model = _sgd(learning_rate=ReduceLROnPlateau(monitor="val_loss"))
    with pytest.raises(ValueError, match="needs validation data"):
        model.fit(X, y)
    assert not hasattr(model, "history_") or model.history_ == []


def test_one_cycle_without_total_steps_spans_max_iter_epochs(small_data):
    X, y = small_data
    with ignore_convergence():
        model = _sgd(learning_rate=OneCycle(max_lr=0.5, unit="epoch")).fit(X, y)
    spanning = OneCycle(max_lr=0.5, total_steps=8, unit="epoch")
    assert [h["lr"] for h in model.history_] == [
        spanning.rate(i, 0.1) for i in range(8)
    ]


def test_one_cycle_without_total_steps_spans_every_step_of_the_fit(small_data):
    X, y = small_data  # 240 samples, batch 40: 6 steps per epoch
    with ignore_convergence():
        model = _sgd(learning_rate=OneCycle()).fit(X, y)
    # max_lr=None peaks at learning_rate_init.
    spanning = OneCycle(max_lr=0.1, total_steps=48)
    assert [h["lr"] for h in model.history_] == [
        spanning.rate(6 * i, 0.1) for i in range(8)
    ]
    with ignore_convergence():
        explicit = _sgd(learning_rate=spanning).fit(X, y)
    assert_same_parameters(model, explicit)


def test_warmed_up_one_cycle_spans_the_rest_of_the_fit(small_data):
    X, y = small_data
    schedule = Warmup(OneCycle(max_lr=0.5, unit="epoch"), steps=2)
    with ignore_convergence():
        model = _sgd(learning_rate=schedule).fit(X, y)
    spanning = Warmup(OneCycle(max_lr=0.5, total_steps=6, unit="epoch"), steps=2)
    assert [h["lr"] for h in model.history_] == [
        spanning.rate(i, 0.1) for i in range(8)
    ]


def test_one_cycle_without_total_steps_needs_a_fit(small_data):
    X, y = small_data
    with pytest.raises(ValueError, match="total_steps"):
        OneCycle().rate(0, 0.1)
    model = _sgd(learning_rate=OneCycle())
    with pytest.raises(ValueError, match="partial_fit has no length"):
        model.partial_fit(X, y, classes=np.unique(y))
