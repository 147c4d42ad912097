"""Input formats the estimators accept, and the errors they give for bad input."""

import re

import fastdnn._base
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from estimator_helpers import ignore_convergence, small_classification, small_regression
from fastdnn import MLPClassifier, MLPRegressor
from sklearn import neural_network
from sklearn.utils._param_validation import InvalidParameterError

ESTIMATORS = [MLPClassifier, MLPRegressor]
SKLEARN_TWIN = {
    MLPClassifier: neural_network.MLPClassifier,
    MLPRegressor: neural_network.MLPRegressor,
}


def _data(Est):
    return small_classification() if Est is MLPClassifier else small_regression()


def _output(est, X):
    return est.predict_proba(X) if isinstance(est, MLPClassifier) else est.predict(X)


def _lbfgs(Est):
    # Full-batch deterministic solver: equal inputs must give equal models.
    return Est(solver="lbfgs", hidden_layer_sizes=(6,), max_iter=40, random_state=0)


def _fit(est, X, y, **kw):
    with ignore_convergence():
        return est.fit(X, y, **kw)


# --------------------------------------------------------------------------
# Accepted input formats
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_dataframe_input_sets_feature_names_and_matches_numpy(Est):
    X, y = _data(Est)
    cols = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=cols)
    est_df = _fit(_lbfgs(Est), df, pd.Series(y))
    est_np = _fit(_lbfgs(Est), X, y)
    np.testing.assert_array_equal(est_df.feature_names_in_, cols)
    assert est_df.feature_names_in_.dtype == object
    assert not hasattr(est_np, "feature_names_in_")
    np.testing.assert_allclose(_output(est_df, df), _output(est_np, X), rtol=1e-10)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_dataframe_with_other_column_names_at_predict_raises(Est):
    X, y = _data(Est)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = _fit(_lbfgs(Est), df, y)
    renamed = df.rename(columns={"f0": "zzz"})
    with pytest.raises(ValueError, match="feature names"):
        est.predict(renamed)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_predicting_numpy_after_dataframe_fit_warns_like_sklearn(Est):
    X, y = _data(Est)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = _fit(_lbfgs(Est), df, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        est.predict(X)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_int_arrays_and_lists_are_converted_like_float64(Est):
    X, y = _data(Est)
    X_int = np.round(X * 3).astype(np.int64)
    ref = _fit(_lbfgs(Est), X_int.astype(np.float64), y)
    from_int = _fit(_lbfgs(Est), X_int, y)
    from_list = _fit(_lbfgs(Est), X_int.tolist(), y.tolist())
    assert from_int.coefs_[0].dtype == np.float64
    np.testing.assert_allclose(
        _output(from_int, X_int), _output(ref, X_int), rtol=1e-10
    )
    np.testing.assert_allclose(
        _output(from_list, X_int.tolist()), _output(ref, X_int), rtol=1e-10
    )


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_same_model_as_dense(Est, fmt):
    X, y = _data(Est)
    X = X.copy()
    X[np.abs(X) < 0.7] = 0.0  # genuinely sparse
    X_sp = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    dense = _fit(_lbfgs(Est), X, y)
    sparse = _fit(_lbfgs(Est), X_sp, y)
    np.testing.assert_allclose(_output(sparse, X_sp), _output(dense, X), rtol=1e-6)
    # A sparse-fitted model also predicts dense input, and vice versa.
    np.testing.assert_allclose(_output(sparse, X), _output(dense, X_sp), rtol=1e-6)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sparse_input_with_stochastic_solver_and_shuffling(Est):
    X, y = _data(Est)
    X_sp = sp.csr_matrix(np.where(np.abs(X) < 0.7, 0.0, X))
    kw = dict(max_iter=5, random_state=0)
    a = _fit(Est(**kw), X_sp, y)
    b = _fit(Est(**kw), X_sp.toarray(), y)
    np.testing.assert_allclose(_output(a, X_sp), _output(b, X_sp.toarray()), rtol=1e-6)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_readonly_memmap_input(Est, tmp_path):
    X, y = _data(Est)
    path = tmp_path / "X.dat"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    X_ro = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    y_ro = y.copy()
    y_ro.setflags(write=False)
    est = _fit(_lbfgs(Est), X_ro, y_ro)
    ref = _fit(_lbfgs(Est), X, y)
    np.testing.assert_allclose(_output(est, X_ro), _output(ref, X), rtol=1e-10)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_non_contiguous_input(Est):
    X, y = _data(Est)
    X_f = np.asfortranarray(X)
    X_strided = np.repeat(X, 2, axis=1)[:, ::2]
    ref = _fit(_lbfgs(Est), X, y)
    for Xv in (X_f, X_strided):
        est = _fit(_lbfgs(Est), Xv, y)
        np.testing.assert_allclose(_output(est, Xv), _output(ref, X), rtol=1e-10)


def unaligned_copy(array):
    """array's values in a C-contiguous array one byte off its element size,
    as a view into a byte buffer can be."""
    raw = np.frombuffer(b"\0" + array.tobytes(), array.dtype, array.size, 1)
    unaligned = raw.reshape(array.shape)
    assert not unaligned.flags.aligned
    return unaligned


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unaligned_input_gives_the_same_model(Est, dtype):
    # The engine reads elements as floats: an unaligned array is copied
    # first (the sanitized CI build reports a misaligned read otherwise).
    X, y = _data(Est)
    X = X.astype(dtype)
    weights = np.linspace(0.5, 1.5, len(y))
    ref = _fit(_lbfgs(Est), X, y, sample_weight=weights)
    est = _fit(_lbfgs(Est), unaligned_copy(X), y, sample_weight=unaligned_copy(weights))
    assert _output(est, unaligned_copy(X)).tobytes() == _output(ref, X).tobytes()
    stochastic = [
        _fit(Est(hidden_layer_sizes=(6,), max_iter=3, random_state=0), data, y)
        for data in (X, unaligned_copy(X))
    ]
    assert _output(stochastic[1], X).tobytes() == _output(stochastic[0], X).tobytes()


# --------------------------------------------------------------------------
# Invalid data
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("container", ["float32", "float64", "float32 view", "csr"])
def test_non_finite_X_at_fit_raises_scikit_learns_error(Est, bad, container):
    # The engine checks a contiguous float32 X itself; every kind of X must
    # still fail with the message scikit-learn's own estimator gives.
    X, y = _data(Est)
    X = X.astype(np.float64 if container == "float64" else np.float32)
    X[3, 1] = bad
    if container == "float32 view":
        X = X[:, ::-1]
    elif container == "csr":
        X = sp.csr_matrix(X)
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)") as ours:
        Est(max_iter=5).fit(X, y)
    with pytest.raises(ValueError) as theirs:
        SKLEARN_TWIN[Est](max_iter=5).fit(X, y)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_non_finite_X_at_predict_raises(Est):
    X, y = _data(Est)
    est = _fit(Est(max_iter=5, random_state=0), X, y)
    X = X.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict(X)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_wrong_number_of_features_at_predict_raises(Est):
    X, y = _data(Est)
    est = _fit(Est(max_iter=5, random_state=0), X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :-1])
    with pytest.raises(ValueError, match="features"):
        est.predict(np.hstack([X, X[:, :1]]))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_empty_X_raises(Est):
    X, y = _data(Est)
    with pytest.raises(ValueError, match="0 sample"):
        Est().fit(X[:0], y[:0])
    est = _fit(Est(max_iter=5, random_state=0), X, y)
    with pytest.raises(ValueError, match="0 sample"):
        est.predict(X[:0])


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_y_of_wrong_length_raises(Est):
    X, y = _data(Est)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Est().fit(X, y[:-1])


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sample_weight_of_wrong_length_raises(Est):
    X, y = _data(Est)
    with pytest.raises(ValueError, match="sample_weight"):
        Est().fit(X, y, sample_weight=np.ones(len(y) - 1))


def test_nan_in_regression_target_raises():
    X, y = small_regression()
    y = y.copy()
    y[5] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        MLPRegressor().fit(X, y)


def test_string_target_for_regressor_raises():
    X, y = small_regression()
    y_str = np.array(["a", "b"])[(y > 0).astype(int)]
    # sklearn 1.9 fails inside numpy (a TypeError subclass); a ValueError
    # naming the problem would be at least as good, so accept both.
    with pytest.raises((ValueError, TypeError)):
        MLPRegressor().fit(X, y_str)


def test_regression_targets_that_are_not_numbers_are_named():
    # Strings would reach the engine's float32 conversion, which reads "inf";
    # scikit-learn checks an object y for NaN only.
    X, y = small_regression()
    strings = y.astype(str)
    strings[3] = "inf"
    with pytest.raises(ValueError, match="needs numeric targets y; got y of dtype <U"):
        MLPRegressor(max_iter=5).fit(X, strings)
    objects = y.astype(object)
    objects[3] = np.inf
    with pytest.raises(ValueError, match="Input y contains infinity"):
        MLPRegressor(max_iter=5).fit(X, objects)


def test_continuous_target_for_classifier_raises():
    X, y = small_regression()
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier().fit(X, y)


def test_1d_X_raises_with_reshape_hint():
    X, y = small_regression()
    with pytest.raises(ValueError, match="Expected 2D array"):
        MLPRegressor().fit(X[:, 0], y)


def test_nan_weights_give_nan_probabilities_and_no_class():
    # scikit-learn's predict picks the first class for NaN outputs.
    # A float32 model's coefs_ are the arena's own views, edited in place
    # (a replaced array holding NaN is refused: tests/test_parameter_mirror.py).
    X, y = small_classification()
    est = _fit(MLPClassifier(max_iter=5, random_state=0), X.astype(np.float32), y)
    est.coefs_[1][0, 0] = np.nan
    assert np.isnan(est.predict_proba(X[:2])).all()
    for rows in (X[:1], X, X.astype(np.float32), sp.csr_matrix(X)):
        with pytest.raises(ValueError, match="outputs are NaN or infinite for"):
            est.predict(rows)
    with pytest.raises(ValueError, match="outputs are NaN"):
        est.score(X, y)


# Finite in float64, infinity in the engine's float32.
BEYOND_FLOAT32 = [1e39, -1e300, np.finfo(np.float64).max]


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("value", BEYOND_FLOAT32)
@pytest.mark.parametrize("container", ["float64", "float64 view", "csr", "list"])
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_X_beyond_float32_at_fit_is_named(Est, value, container, solver):
    X, y = _data(Est)
    X = X.copy()
    X[3, 1] = value
    if container == "float64 view":
        X = X[:, ::-1]
    elif container == "csr":
        X = sp.csr_matrix(X)
    elif container == "list":
        X = X.tolist()
    column = 1 if container != "float64 view" else X.shape[1] - 2
    message = re.escape(f"X[3, {column}] is {value:.6g}, beyond float32's range")
    with pytest.raises(ValueError, match=message):
        Est(solver=solver, max_iter=5).fit(X, y)
    if solver != "lbfgs":
        with pytest.raises(ValueError, match=message):
            Est(solver=solver).partial_fit(X, y, **_classes(Est, y))


def _classes(Est, y):
    return {"classes": np.unique(y)} if Est is MLPClassifier else {}


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("value", BEYOND_FLOAT32)
@pytest.mark.parametrize("rows", ["one", "all", "view", "csr", "dataframe"])
def test_X_beyond_float32_at_predict_is_named(Est, value, rows):
    # The serving path converts float64 rows to float32 itself: it must not
    # turn them into NaN predictions (or, through them, the first class).
    X, y = _data(Est)
    est = _fit(Est(max_iter=5, random_state=0), X, y)
    X = X.copy()
    X[0, 2] = value
    X = {
        "one": X[:1],
        "all": X,
        "view": np.asfortranarray(X),
        "csr": sp.csr_matrix(X),
        "dataframe": pd.DataFrame(X),
    }[rows]
    predictions = [est.predict, est.score]
    if Est is MLPClassifier:
        predictions += [est.predict_proba, est.predict_log_proba]
    for predict in predictions:
        with pytest.raises(ValueError, match=r"X\[0, 2\] is .* beyond float32's"):
            predict(*((X, y[: X.shape[0]]) if predict == est.score else (X,)))


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_regression_target_beyond_float32_is_named(solver):
    X, y = small_regression()
    y = y.copy()
    y[7] = 1e39
    with pytest.raises(ValueError, match=r"y\[7\] is 1e\+39, beyond float32's"):
        MLPRegressor(solver=solver, max_iter=5).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (1e39, r"sample_weight\[4\] is 1e\+39, beyond float32's range"),
        (1e-46, r"sample_weight\[4\] is 1e-46, which fastdnn's float32 counts"),
        (1e-40, r"sample_weight\[4\] is 1e-40, which fastdnn's float32 counts"),
    ],
)
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_sample_weight_float32_loses_is_named(Est, weight, message, solver):
    X, y = _data(Est)
    # Where all weights are tiny, the ones float32 drops are the whole weight:
    # the loss would be 0 / 0, blamed on the learning rate.
    sample_weight = np.ones(len(y)) if weight > 1 else np.zeros(len(y))
    sample_weight[4:] = weight
    with pytest.raises(ValueError, match=message):
        Est(solver=solver, max_iter=5).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sample_weight_negligible_in_float64_too_is_accepted(Est):
    # Beside weights near 1, a weight of 1e-46 is lost in float64's sums as
    # well: the model is the one of a zero weight, with no error.
    X, y = _data(Est)
    tiny, zero = np.ones(len(y)), np.ones(len(y))
    tiny[4], zero[4] = 1e-46, 0.0
    models = [_fit(_lbfgs(Est), X, y, sample_weight=w) for w in (tiny, zero)]
    np.testing.assert_array_equal(_output(models[0], X), _output(models[1], X))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_eval_set_beyond_float32_is_named(Est):
    X, y = _data(Est)
    big_X = X.copy()
    big_X[5, 0] = 1e39
    cases = [
        ((big_X, y), r"eval_set's X\[5, 0\] is 1e\+39"),
        ((X, y, np.full(len(y), 1e-46)), r"eval_set's sample_weight\[0\] is 1e-46"),
    ]
    if Est is MLPRegressor:
        big_y = y.copy()
        big_y[2] = -1e39
        cases.append(((X, big_y), r"eval_set's y\[2, 0\] is -1e\+39"))
        nan_y = y.copy()
        nan_y[2] = np.nan
        cases.append(((X, nan_y), "eval_set's y contains NaN"))
    for eval_set, message in cases:
        with pytest.raises(ValueError, match=message):
            Est(max_iter=2).fit(X, y, eval_set=eval_set)


# --------------------------------------------------------------------------
# Invalid parameters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "params, pattern",
    [
        (dict(alpha=-1.0), "'alpha' parameter"),
        (dict(solver="foo"), "'solver' parameter"),
        (dict(activation="softsign"), "'activation' parameter"),
        (dict(learning_rate="fast"), "'learning_rate' parameter"),
        (dict(learning_rate_init=0.0), "'learning_rate_init' parameter"),
        (dict(max_iter=0), "'max_iter' parameter"),
        (dict(hidden_layer_sizes=0), "'hidden_layer_sizes' parameter"),
        (dict(batch_size=0), "'batch_size' parameter"),
        (dict(momentum=1.5), "'momentum' parameter"),
        (dict(validation_fraction=1.0), "'validation_fraction' parameter"),
        (dict(beta_1=1.0), "'beta_1' parameter"),
        (dict(n_iter_no_change=0), "'n_iter_no_change' parameter"),
        (dict(early_stopping="yes"), "'early_stopping' parameter"),
    ],
)
def test_invalid_parameters_raise_invalid_parameter_error(Est, params, pattern):
    X, y = _data(Est)
    with pytest.raises(InvalidParameterError, match=pattern):
        Est(**params).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("sizes", [(0,), (5, 0), (5, -1)])
def test_non_positive_hidden_layer_size_raises(Est, sizes):
    X, y = _data(Est)
    # sklearn checks the tuple's elements in fit, with a plain ValueError.
    with pytest.raises(ValueError, match="hidden_layer_sizes must be > 0"):
        Est(hidden_layer_sizes=sizes).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("sizes", [(2**31,), (5, 2**40), np.array([3, 2**33])])
def test_hidden_layer_size_beyond_int32_is_named(Est, sizes):
    X, y = _data(Est)
    with pytest.raises(ValueError, match="hidden_layer_sizes=.* beyond the engine's"):
        Est(hidden_layer_sizes=sizes).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("sizes", [(3.5,), ("8",)])
def test_hidden_layer_size_that_is_no_integer_is_named(Est, sizes):
    X, y = _data(Est)
    with pytest.raises(ValueError, match="hidden_layer_sizes must hold integers"):
        Est(hidden_layer_sizes=sizes).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("n_jobs", [2**31, -(2**40)])
def test_n_jobs_beyond_int32_is_named(Est, n_jobs):
    X, y = _data(Est)
    with pytest.raises(ValueError, match=r"n_jobs=-?\d+ is beyond the engine's"):
        Est(n_jobs=n_jobs).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_n_jobs_beyond_the_usable_cpus_is_capped_with_a_warning(Est, monkeypatch):
    X, y = _data(Est)
    monkeypatch.setattr(fastdnn._base, "_usable_cpus", lambda: 2)
    est = _lbfgs(Est).set_params(n_jobs=1000)
    with pytest.warns(UserWarning, match="n_jobs=1000 is more than the 2 CPUs"):
        _fit(est, X, y)
    assert est._engine_threads() == 2
    # Capped, the model is the one two threads train: the same as one's.
    np.testing.assert_array_equal(
        _output(est, X), _output(_fit(_lbfgs(Est).set_params(n_jobs=1), X, y), X)
    )
    assert est.set_params(n_jobs=-1)._engine_threads() == 2
    assert est.set_params(n_jobs=-2)._engine_threads() == 1
    assert est.set_params(n_jobs=-100)._engine_threads() == 1


def test_invalid_regression_loss_raises():
    X, y = small_regression()
    with pytest.raises(InvalidParameterError, match="'loss' parameter"):
        MLPRegressor(loss="absolute_error").fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_predict_before_fit_raises_not_fitted(Est):
    from sklearn.exceptions import NotFittedError

    X, _ = _data(Est)
    with pytest.raises(NotFittedError):
        Est().predict(X)


def _constraint_key(constraint):
    # sklearn's constraint objects compare by identity; compare their fields.
    if isinstance(constraint, str) or constraint is None:
        return constraint
    fields = {
        k: sorted(map(repr, v)) if isinstance(v, (set, frozenset)) else repr(v)
        for k, v in vars(constraint).items()
    }
    return type(constraint).__name__, sorted(fields.items())


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_every_sklearn_parameter_exists_with_the_same_default_and_constraint(Est):
    from sklearn import neural_network

    Sk = getattr(neural_network, Est.__name__)
    ours, theirs = Est().get_params(), Sk().get_params()
    # fastdnn may add parameters (n_jobs); it must not drop or change sklearn's.
    assert set(theirs) <= set(ours)
    assert {k: ours[k] for k in theirs} == theirs
    # Every sklearn constraint is kept, in order; fastdnn may accept more
    # (learning_rate also takes a fastdnn.schedules object).
    for name, constraints in Sk._parameter_constraints.items():
        ours_keys = [_constraint_key(c) for c in Est._parameter_constraints[name]]
        theirs_keys = [_constraint_key(c) for c in constraints]
        assert ours_keys[: len(theirs_keys)] == theirs_keys, name
