"""Behaviour of fastdnn.MLPRegressor, checked against scikit-learn's contract."""

import warnings

import numpy as np
import pytest
from estimator_helpers import (
    assert_fit_keeps_float_dtype,
    assert_same_params,
    diabetes_split,
    ignore_convergence,
    regression_split,
    small_regression,
)
from fastdnn import MLPRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

# --------------------------------------------------------------------------
# R² parity with scikit-learn
# --------------------------------------------------------------------------

PARITY_CASES = [
    ("make_regression", dict(solver="adam", learning_rate_init=0.01, max_iter=200)),
    ("make_regression", dict(solver="lbfgs", max_iter=200)),
    ("make_regression", dict(solver="sgd", learning_rate_init=0.01, max_iter=200)),
    (
        "make_regression",
        dict(
            solver="sgd",
            learning_rate="invscaling",
            learning_rate_init=0.05,
            power_t=0.25,
            max_iter=200,
        ),
    ),
    (
        "make_regression",
        dict(
            solver="sgd",
            learning_rate="adaptive",
            learning_rate_init=0.01,
            nesterovs_momentum=False,
            max_iter=200,
        ),
    ),
    ("diabetes", dict(solver="adam", learning_rate_init=0.01, alpha=1.0, max_iter=200)),
    ("diabetes", dict(solver="lbfgs", alpha=10.0, max_iter=200)),
    ("diabetes", dict(solver="sgd", learning_rate_init=0.01, alpha=1.0, max_iter=200)),
]


def _case_id(case):
    name, p = case
    return f"{name}-{p['solver']}-{p.get('learning_rate', '')}".rstrip("-")


@pytest.mark.parametrize("case", PARITY_CASES, ids=_case_id)
def test_test_r2_matches_sklearn_within_005(case):
    name, params = case
    split = regression_split() if name == "make_regression" else diabetes_split()
    X_tr, X_te, y_tr, y_te = split
    hidden = (32,) if name == "make_regression" else (16,)
    ours, theirs = [], []
    # Two-seed means: sklearn's own spread of such a mean is below 0.02 here.
    with ignore_convergence():
        for seed in (0, 1):
            kw = dict(hidden_layer_sizes=hidden, random_state=seed, **params)
            ours.append(MLPRegressor(**kw).fit(X_tr, y_tr).score(X_te, y_te))
            theirs.append(SkMLPRegressor(**kw).fit(X_tr, y_tr).score(X_te, y_te))
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.05, (ours, theirs)


# --------------------------------------------------------------------------
# Fitted attributes and outputs
# --------------------------------------------------------------------------


def test_single_output_attributes_and_1d_predictions():
    X, y = small_regression()
    with ignore_convergence():
        est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
        est.fit(X, y)
    assert est.out_activation_ == "identity"
    assert est.n_outputs_ == 1
    assert est.n_layers_ == 3
    assert [c.shape for c in est.coefs_] == [(5, 8), (8, 1)]
    assert [b.shape for b in est.intercepts_] == [(8,), (1,)]
    assert len(est.loss_curve_) == est.n_iter_ == 10
    assert est.t_ == 10 * X.shape[0]
    assert est.best_loss_ == pytest.approx(min(est.loss_curve_))
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert not hasattr(est, "classes_")
    assert est.predict(X).shape == (X.shape[0],)


def test_multi_output_regression_predicts_every_target():
    X, Y = small_regression(n_targets=3)
    est = MLPRegressor(solver="lbfgs", max_iter=500, random_state=0).fit(X, Y)
    assert est.n_outputs_ == 3
    assert est.coefs_[-1].shape == (100, 3)
    pred = est.predict(X)
    assert pred.shape == Y.shape
    # Each column is learned, not just their mean.
    for j in range(3):
        assert np.corrcoef(pred[:, j], Y[:, j])[0, 1] > 0.9


def test_column_vector_y_warns_like_sklearn_and_predicts_1d():
    X, y = small_regression()
    with pytest.warns(Warning, match="column-vector y"), ignore_convergence():
        est = MLPRegressor(max_iter=5, random_state=0).fit(X, y.reshape(-1, 1))
    assert est.n_outputs_ == 1
    assert est.predict(X).ndim == 1


def test_early_stopping_attributes_for_regression():
    X, y = small_regression()
    with ignore_convergence():
        est = MLPRegressor(
            early_stopping=True, max_iter=15, learning_rate_init=0.01, random_state=0
        ).fit(X, y)
    assert est.best_loss_ is None
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    # Validation scores are R² values, which improve as training proceeds.
    assert est.validation_scores_[-1] > est.validation_scores_[0]


def test_lbfgs_regressor_converges_to_low_loss_without_loss_curve():
    X, y = small_regression()
    est = MLPRegressor(solver="lbfgs", max_iter=300, random_state=0).fit(X, y)
    assert not hasattr(est, "loss_curve_")
    assert est.score(X, y) > 0.99


# --------------------------------------------------------------------------
# Poisson loss
# --------------------------------------------------------------------------


def test_poisson_loss_uses_exp_output_and_predicts_positive_values():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(200, 3))
    y = rng.poisson(np.exp(0.5 + X[:, 0] - X[:, 1])).astype(float)
    with ignore_convergence():
        est = MLPRegressor(
            loss="poisson", learning_rate_init=0.01, max_iter=100, random_state=0
        ).fit(X, y)
    assert est.out_activation_ == "exp"
    pred = est.predict(X)
    assert np.all(pred > 0)
    # Far-out inputs still map to positive means (exp link, not identity).
    assert np.all(est.predict(X * 50) > 0)
    assert np.corrcoef(np.log(pred), 0.5 + X[:, 0] - X[:, 1])[0, 1] > 0.8


def test_poisson_loss_with_negative_y_raises():
    # The Poisson deviance is undefined for y < 0. sklearn 1.9 does not check
    # and trains on NaN losses (loss_ and loss_curve_ are NaN); fastdnn's
    # promise is the stricter, explicit ValueError.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = np.abs(rng.normal(size=60))
    y[7] = -0.5
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor(loss="poisson", max_iter=20, random_state=0).fit(X, y)
    # Zero targets are fine.
    y[7] = 0.0
    with ignore_convergence():
        est = MLPRegressor(loss="poisson", max_iter=20, random_state=0).fit(X, y)
    assert np.isfinite(est.loss_)


# --------------------------------------------------------------------------
# dtype, coefficients, determinism
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_of_X_is_kept_in_weights_and_predictions(dtype):
    X, y = small_regression()
    est = MLPRegressor(max_iter=5, random_state=0)
    assert_fit_keeps_float_dtype(est, X, y, dtype, "predict")


def test_float32_and_float64_fits_agree_closely():
    X, y = small_regression()
    kw = dict(solver="sgd", shuffle=False, max_iter=10, random_state=0)
    with ignore_convergence():
        p32 = MLPRegressor(**kw).fit(X.astype(np.float32), y).predict(X)
        p64 = MLPRegressor(**kw).fit(X, y).predict(X)
    np.testing.assert_allclose(p32, p64, rtol=1e-3, atol=1e-3)


def test_assigning_coefs_makes_the_network_a_known_linear_function():
    X, y = small_regression()
    with ignore_convergence():
        est = MLPRegressor(hidden_layer_sizes=(3,), activation="relu", max_iter=3)
        est.fit(X, y)
    # hidden = relu(X[:, :1] + 10), output = 2 * hidden - 5: with X of order 1
    # the relu is inactive, so predict(X) == 2 * X[:, 0] + 15.
    W0 = np.zeros((5, 3))
    W0[0, 0] = 1.0
    est.coefs_ = [W0, np.array([[2.0], [0.0], [0.0]])]
    est.intercepts_ = [np.array([10.0, 0.0, 0.0]), np.array([-5.0])]
    np.testing.assert_allclose(est.predict(X), 2 * X[:, 0] + 15, rtol=1e-6)


def test_float64_model_predicts_like_a_float64_forward_pass_to_float32_precision():
    # fastdnn computes in float32 by design (scikit-learn would use float64):
    # a float64 model returns float64 predictions that equal a numpy float64
    # forward pass through its coefs_ to float32 precision.
    X, y = small_regression()
    with ignore_convergence():
        est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
        est.fit(X, y)
    W0, W1 = est.coefs_
    b0, b1 = est.intercepts_
    expected = (np.maximum(X @ W0 + b0, 0.0) @ W1 + b1).ravel()
    pred = est.predict(X)
    assert pred.dtype == np.float64
    np.testing.assert_allclose(pred, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_same_random_state_gives_identical_regressor(solver):
    X, y = small_regression()
    with ignore_convergence():
        fits = [
            MLPRegressor(solver=solver, max_iter=20, random_state=s).fit(X, y)
            for s in (5, 5, 6)
        ]
    assert_same_params(fits[0], fits[1])
    np.testing.assert_array_equal(fits[0].predict(X), fits[1].predict(X))
    assert not np.array_equal(fits[0].predict(X), fits[2].predict(X))


def test_row_prediction_does_not_depend_on_the_batch_it_is_in():
    # fastdnn's own promise (sklearn's BLAS path does not keep it bit-exactly).
    X_fit, y_fit = small_regression()
    with ignore_convergence():
        est = MLPRegressor(hidden_layer_sizes=(64, 32), max_iter=5, random_state=0)
        est.fit(X_fit, y_fit)
    X = np.random.RandomState(1).normal(size=(1000, X_fit.shape[1]))
    full = est.predict(X)
    singles = np.concatenate([est.predict(X[i : i + 1]) for i in range(1000)])
    assert np.array_equal(full, singles)


def test_partial_fit_with_early_stopping_raises():
    X, y = small_regression()
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)


def test_warm_start_continues_and_resets_n_iter():
    X, y = small_regression()
    params = dict(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.01,
        shuffle=False,
        random_state=0,
    )
    with ignore_convergence():
        warm = MLPRegressor(warm_start=True, max_iter=4, **params).fit(X, y)
        warm.fit(X, y)
        ref = MLPRegressor(max_iter=8, **params).fit(X, y)
    assert warm.n_iter_ == 4
    assert warm.t_ == 8 * X.shape[0]
    assert_same_params(warm, ref, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------
# sample_weight
# --------------------------------------------------------------------------


def test_zero_sample_weight_equals_dropping_rows_lbfgs():
    X, y = small_regression()
    sw = np.ones(len(y))
    sw[::4] = 0
    keep = sw > 0
    kw = dict(solver="lbfgs", hidden_layer_sizes=(6,), max_iter=30, random_state=0)
    with ignore_convergence():
        a = MLPRegressor(**kw).fit(X, y, sample_weight=sw)
        b = MLPRegressor(**kw).fit(X[keep], y[keep])
    assert_same_params(a, b, rtol=1e-6, atol=1e-8)


def test_integer_sample_weight_equals_repeating_rows_full_batch_sgd():
    X, y = small_regression()
    sw = np.random.RandomState(1).randint(1, 4, size=len(y))
    kw = dict(solver="sgd", shuffle=False, max_iter=15, random_state=0)
    with ignore_convergence():
        a = MLPRegressor(batch_size=len(y), **kw).fit(X, y, sample_weight=sw)
        b = MLPRegressor(batch_size=int(sw.sum()), **kw).fit(
            np.repeat(X, sw, axis=0), np.repeat(y, sw)
        )
    assert_same_params(a, b, rtol=1e-6, atol=1e-8)


def test_partial_fit_integer_sample_weight_equals_repeating_rows():
    X, y = small_regression()
    sw = np.random.RandomState(2).randint(1, 3, size=len(y))
    kw = dict(solver="sgd", shuffle=False, random_state=0)
    a = MLPRegressor(batch_size=len(y), **kw)
    b = MLPRegressor(batch_size=int(sw.sum()), **kw)
    for _ in range(5):
        a.partial_fit(X, y, sample_weight=sw)
        b.partial_fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert_same_params(a, b, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------
# Divergence and verbose output
# --------------------------------------------------------------------------


@pytest.mark.parametrize("nesterovs_momentum", [True, False])
def test_overflowing_sgd_raises_non_finite_weights_error(nesterovs_momentum):
    # Huge inputs and step size overflow the weights within a few epochs;
    # sklearn refuses to return such a model instead of silently keeping NaNs.
    X, y = small_regression()
    est = MLPRegressor(
        solver="sgd",
        learning_rate_init=10.0,
        nesterovs_momentum=nesterovs_momentum,
        max_iter=5,
        random_state=0,
    )
    with warnings.catch_warnings():
        # The reference implementation's numpy overflows on the way there.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(
            ValueError, match="Solver produced non-finite parameter weights"
        ):
            est.fit(X * 1e10, y)


def test_verbose_prints_iteration_lines(capsys):
    X, y = small_regression()
    with ignore_convergence():
        MLPRegressor(max_iter=2, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(",")[0] for ln in lines if ln.startswith("Iteration")] == [
        "Iteration 1",
        "Iteration 2",
    ]
