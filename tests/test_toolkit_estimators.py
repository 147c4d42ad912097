"""The training toolkit's optimizer parameters on the estimators: validation,
cloning, solver equivalences, freezing, weight averaging (what the model is,
where training resumes, pickling) and regularisation with L-BFGS."""

import pickle

import numpy as np
import numpy_reference as ref
import pytest
from estimator_helpers import (
    assert_same_params,
    fitted_params,
    ignore_convergence,
    small_classification,
    small_regression,
)
from fastdnn import MLPClassifier, MLPRegressor, _core
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

TOOLKIT = dict(
    l1=1e-3, weight_decay=0.02, rho=0.8, rmsprop_momentum=0.3, clipvalue=1.0,
    clipnorm=5.0, averaging="ema", ema_decay=0.9, averaging_start=1,
    trainable_layers=[0, -1],
)  # fmt: skip


def small_regressor(**params):
    defaults = dict(hidden_layer_sizes=(8, 6), random_state=0, max_iter=5)
    return MLPRegressor(**{**defaults, **params})


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_toolkit_parameters_clone_and_set_params(Est):
    est = Est(**TOOLKIT)
    assert clone(est).get_params() == est.get_params()
    est.set_params(averaging="polyak", clipnorm=None)
    assert (est.averaging, est.clipnorm) == ("polyak", None)


def test_grid_search_over_toolkit_parameters():
    X, y = small_regression()
    search = GridSearchCV(
        small_regressor(max_iter=3),
        {"solver": ["nadam", "rmsprop"], "averaging": [None, "polyak"]},
        cv=2,
    )
    with ignore_convergence():
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"solver": "adamax"}, "solver"),
        ({"l1": -1.0}, "l1"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"rho": 1.0}, "rho"),
        ({"rmsprop_momentum": 1.5}, "rmsprop_momentum"),
        ({"clipvalue": 0.0}, "clipvalue"),
        ({"clipnorm": -1.0}, "clipnorm"),
        ({"averaging": "swa"}, "averaging"),
        ({"ema_decay": 1.0}, "ema_decay"),
        ({"averaging_start": -1}, "averaging_start"),
        ({"trainable_layers": 1}, "trainable_layers"),
        ({"trainable_layers": [3]}, "out of range"),
        ({"trainable_layers": [-4]}, "out of range"),
        ({"trainable_layers": []}, "non-empty"),
        ({"trainable_layers": [0.5]}, "integers"),
    ],
)
def test_invalid_toolkit_parameters_get_a_clear_error(params, match):
    X, y = small_regression()
    with pytest.raises(ValueError, match=match):
        small_regressor(**params).fit(X, y)


def fit(est, X, y):
    with ignore_convergence():
        return est.fit(X, y)


def test_adamw_is_adam_with_decoupled_decay_defaulting_to_001():
    X, y = small_regression()
    adamw = fit(small_regressor(solver="adamw"), X, y)
    adam_decay = fit(small_regressor(solver="adam", weight_decay=0.01), X, y)
    adam = fit(small_regressor(solver="adam"), X, y)
    adamw_no_decay = fit(small_regressor(solver="adamw", weight_decay=0.0), X, y)
    assert_same_params(adamw, adam_decay)
    assert_same_params(adamw_no_decay, adam)
    # The decay shrinks the weights: not a no-op.
    assert sum(np.sum(w**2) for w in adamw.coefs_) < sum(
        np.sum(w**2) for w in adam.coefs_
    )


@pytest.mark.parametrize("solver", ["adamw", "nadam", "rmsprop", "adagrad"])
def test_new_solvers_learn_and_are_reproducible(solver):
    X, y = small_classification()
    # Adagrad's steps shrink as its sum of squares grows: it starts larger.
    rate = 0.1 if solver == "adagrad" else 0.01
    params = dict(
        hidden_layer_sizes=(16,), random_state=1, max_iter=30, solver=solver,
        learning_rate_init=rate,
    )  # fmt: skip
    first = fit(MLPClassifier(**params), X, y)
    again = fit(MLPClassifier(**params), X, y)
    assert_same_params(first, again)
    assert first.loss_curve_[-1] < 0.5 * first.loss_curve_[0]
    assert first.score(X, y) > 0.9


@pytest.mark.parametrize("solver", ["sgd", "nadam", "lbfgs"])
def test_frozen_layers_do_not_move_in_fit(solver):
    X, y = small_regression()
    est = fit(small_regressor(solver=solver, max_iter=2), X, y)
    before = [np.array(a) for a in fitted_params(est)]
    est.set_params(warm_start=True, trainable_layers=[1], l1=0.01, weight_decay=0.1)
    fit(est, X, y)
    after = fitted_params(est)
    # fitted_params: coefs_ 0..2, then intercepts_ 0..2.
    for index in (0, 2, 3, 5):
        np.testing.assert_array_equal(after[index], before[index])
    for index in (1, 4):
        assert np.max(np.abs(after[index] - before[index])) > 1e-4


def one_step_per_epoch(**params):
    X, y = small_regression(n_samples=40)
    return (
        X,
        y,
        small_regressor(
            solver="sgd",
            learning_rate_init=0.05,
            batch_size=40,
            shuffle=False,
            **params,
        ),
    )


def test_averaged_weights_are_the_model_and_raw_ones_keep_training():
    X, y, plain = one_step_per_epoch()
    _, _, averaged = one_step_per_epoch(averaging="polyak", averaging_start=2)
    iterates = []
    for _ in range(6):
        plain.partial_fit(X, y)
        averaged.partial_fit(X, y)
        iterates.append(np.array(plain._network.parameters, dtype=np.float64))
        # Averaging never feeds back into training: the raw iterates are the
        # plain run's, bit for bit, wherever they are kept.
        raw = averaged._parameter_mirror.raw_parameters
        raw = averaged._network.parameters if raw is None else raw
        np.testing.assert_array_equal(raw, plain._network.parameters)
    # The published model is the mean of the iterates after epoch 2.
    model = np.array(averaged._network.parameters, dtype=np.float64)
    expected = ref.polyak_average(iterates[2:])
    np.testing.assert_allclose(model, expected, rtol=1e-5, atol=1e-7)
    assert np.max(np.abs(model - iterates[-1])) > 1e-4
    np.testing.assert_array_equal(
        averaged.predict(X), averaged._forward_pass_fast(X)[:, 0]
    )
    assert not np.allclose(averaged.predict(X), plain.predict(X))


def test_validation_sees_the_averaged_weights():
    X, y, est = one_step_per_epoch(averaging="ema", ema_decay=0.5)
    est.set_params(max_iter=4, monitor="train_loss", restore_best_weights=False)
    with ignore_convergence():
        est.fit(X, y, eval_set=(X[:20], y[:20]))
    val_loss = _core.full_batch_loss(
        est._network, _core.Dataset(np.asarray(X[:20], np.float32)),
        np.asarray(y[:20], np.float32).reshape(-1, 1), None, "squared_error",
        est.alpha,
    )  # fmt: skip
    assert est.history_[-1]["val_loss"] == pytest.approx(val_loss, rel=1e-6)
    raw_loss = _core.full_batch_loss(
        _network_with(est, est._parameter_mirror.raw_parameters),
        _core.Dataset(np.asarray(X[:20], np.float32)),
        np.asarray(y[:20], np.float32).reshape(-1, 1), None, "squared_error",
        est.alpha,
    )  # fmt: skip
    assert raw_loss != pytest.approx(val_loss, rel=1e-4)


def _network_with(est, parameters):
    network = _core.Network(
        list(est._network.layer_units), est._network.hidden_activations,
        est._network.output_activation,
    )  # fmt: skip
    network.parameters[...] = parameters
    return network


def test_pickling_mid_training_keeps_raw_and_averaged_weights():
    X, y, est = one_step_per_epoch(averaging="ema", ema_decay=0.8)
    est.set_params(solver="nadam", learning_rate_init=0.01)
    for _ in range(3):
        est.partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    assert_same_params(copy, est)
    for _ in range(2):
        est.partial_fit(X, y)
        copy.partial_fit(X, y)
    assert_same_params(copy, est)
    np.testing.assert_array_equal(
        copy._parameter_mirror.raw_parameters, est._parameter_mirror.raw_parameters
    )


def test_lbfgs_minimises_the_l1_penalised_loss():
    X, y = small_regression()
    est = fit(small_regressor(solver="lbfgs", l1=0.5, alpha=0.0, max_iter=50), X, y)
    params = np.array(est._network.parameters, dtype=np.float64)
    units = list(est._network.layer_units)
    expected = ref.loss(
        params, units, "relu", "squared_error", np.asarray(X, np.float64),
        np.asarray(y, np.float64).reshape(-1, 1), None, 0.0, 0.5,
    )  # fmt: skip
    assert est.loss_ == pytest.approx(expected, rel=1e-5)
    plain = fit(small_regressor(solver="lbfgs", alpha=0.0, max_iter=50), X, y)
    assert sum(np.abs(w).sum() for w in est.coefs_) < 0.8 * sum(
        np.abs(w).sum() for w in plain.coefs_
    )


def test_clipnorm_bounds_each_step_of_a_fit():
    X, y, est = one_step_per_epoch(clipnorm=0.01, momentum=0.0)
    est.set_params(learning_rate_init=1.0, alpha=0.0)
    est.partial_fit(X, y)
    before = np.array(est._network.parameters, dtype=np.float64)
    est.partial_fit(X, y)
    step = np.array(est._network.parameters, dtype=np.float64) - before
    assert np.linalg.norm(step) == pytest.approx(0.01, rel=1e-4)
