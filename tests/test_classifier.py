"""Behaviour of fastdnn.MLPClassifier, checked against scikit-learn's contract.

Reference numbers come from sklearn.neural_network.MLPClassifier with the same
parameters; fastdnn draws its initial weights from its own RNG, so parity is
checked on test scores (averaged over two seeds), never on weights.
"""

import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest
from estimator_helpers import (
    assert_fit_keeps_float_dtype,
    assert_same_params,
    breast_cancer_split,
    digits_split,
    ignore_convergence,
    small_classification,
)
from fastdnn import MLPClassifier
from fastdnn.callbacks import LambdaCallback
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

# --------------------------------------------------------------------------
# Accuracy parity with scikit-learn
# --------------------------------------------------------------------------

PARITY_CASES = [
    ("digits", dict(solver="adam", hidden_layer_sizes=(32,), max_iter=60)),
    (
        "digits",
        dict(
            solver="sgd",
            hidden_layer_sizes=(32,),
            learning_rate_init=0.1,
            momentum=0.9,
            nesterovs_momentum=True,
            max_iter=60,
        ),
    ),
    (
        "digits",
        dict(
            solver="sgd",
            hidden_layer_sizes=(32,),
            learning_rate_init=0.1,
            momentum=0.9,
            nesterovs_momentum=False,
            max_iter=60,
        ),
    ),
    ("digits", dict(solver="lbfgs", hidden_layer_sizes=(32,), max_iter=100)),
    ("cancer", dict(solver="adam", hidden_layer_sizes=(16,), max_iter=100)),
    ("cancer", dict(solver="lbfgs", hidden_layer_sizes=(16,), max_iter=100)),
    (
        "cancer",
        dict(
            solver="sgd",
            learning_rate="constant",
            learning_rate_init=0.05,
            hidden_layer_sizes=(16,),
            max_iter=100,
        ),
    ),
    (
        "cancer",
        dict(
            solver="sgd",
            learning_rate="invscaling",
            learning_rate_init=0.5,
            hidden_layer_sizes=(16,),
            max_iter=100,
        ),
    ),
    (
        "cancer",
        dict(
            solver="sgd",
            learning_rate="adaptive",
            learning_rate_init=0.05,
            hidden_layer_sizes=(16,),
            max_iter=100,
        ),
    ),
]


def _case_id(case):
    name, p = case
    extra = p.get("learning_rate", "") if p["solver"] == "sgd" else ""
    if p["solver"] == "sgd" and p.get("momentum"):
        extra += "nesterov" if p["nesterovs_momentum"] else "momentum"
    return f"{name}-{p['solver']}-{extra}".rstrip("-")


@pytest.mark.parametrize("case", PARITY_CASES, ids=_case_id)
def test_test_accuracy_matches_sklearn_within_003(case):
    name, params = case
    X_tr, X_te, y_tr, y_te = (
        digits_split() if name == "digits" else breast_cancer_split()
    )
    ours, theirs = [], []
    # Two seeds each: sklearn's own seed-to-seed spread of a two-seed mean is
    # below 0.01 on these problems, so 0.03 leaves room without hiding bugs.
    with ignore_convergence():
        for seed in (0, 1):
            ours.append(
                MLPClassifier(random_state=seed, **params)
                .fit(X_tr, y_tr)
                .score(X_te, y_te)
            )
            theirs.append(
                SkMLPClassifier(random_state=seed, **params)
                .fit(X_tr, y_tr)
                .score(X_te, y_te)
            )
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.03, (ours, theirs)


# --------------------------------------------------------------------------
# Fitted attributes
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 1, 3, 3, 1]),
        np.array(["cat", "dog", "ant", "dog", "cat", "ant"]),
        np.array([1.0, 2.0, -1.0, 2.0, 1.0]),
    ],
    ids=["binary", "strings", "floats"],
)
def test_training_targets_are_what_label_binarizer_gives(labels):
    # The classifier builds its targets itself rather than through
    # LabelBinarizer.transform; they must be the same matrix.
    from sklearn.preprocessing import LabelBinarizer

    model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=1)
    model._label_binarizer = LabelBinarizer().fit(labels)
    model.classes_ = model._label_binarizer.classes_
    expected = model._label_binarizer.transform(labels).astype(bool)
    targets = model._binarize(labels)
    assert targets.dtype == bool
    np.testing.assert_array_equal(targets, expected)
    np.testing.assert_array_equal(model._binarize(labels[:2]), expected[:2])


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 1, 3, 3, 1]),
        np.array([7, 7, 7]),
        np.array([-128, -126, -128, -127], dtype=np.int8),
        np.array([255, 254, 255], dtype=np.uint8),
        np.array([-128, 5, 127, 0, 5], dtype=np.int8),
        np.array([2**64 - 1, 0, 2**64 - 1], dtype=np.uint64),
        np.array([-(2**62), 2**62, 0]),
        np.arange(40) % 9 - 4,
        np.array([0, 10**6, 10**6]),
        np.array([True, False, True]),
        np.array(["b", "a", "b"]),
    ],
    ids=[
        "binary",
        "one-class",
        "int8-lowest",
        "uint8-highest",
        "int8-wide-span",
        "uint64-beyond-int64",
        "wide-span",
        "multiclass-negative",
        "sparse-range",
        "bool",
        "strings",
    ],
)
def test_fitted_label_binarizer_matches_label_binarizer_fit(labels):
    # Small integer labels are counted rather than fitted by LabelBinarizer;
    # the binarizer must come out the same, whichever way it was made.
    from fastdnn._classifier import _fitted_label_binarizer
    from sklearn.preprocessing import LabelBinarizer

    expected = LabelBinarizer().fit(labels)
    binarizer = _fitted_label_binarizer(labels)
    assert binarizer.classes_.dtype == expected.classes_.dtype
    np.testing.assert_array_equal(binarizer.classes_, expected.classes_)
    assert binarizer.y_type_ == expected.y_type_
    assert binarizer.sparse_input_ == expected.sparse_input_
    np.testing.assert_array_equal(
        binarizer.transform(labels), expected.transform(labels)
    )


def test_multiclass_fitted_attributes_have_sklearn_shapes_and_types():
    X, y = small_classification()
    with ignore_convergence():
        est = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=15, random_state=0)
        est.fit(X, y)
    assert est.n_layers_ == 4
    assert est.n_outputs_ == 3
    assert est.out_activation_ == "softmax"
    assert est.n_features_in_ == X.shape[1]
    assert not hasattr(est, "feature_names_in_")
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert isinstance(est.coefs_, list) and isinstance(est.intercepts_, list)
    assert [c.shape for c in est.coefs_] == [(6, 7), (7, 5), (5, 3)]
    assert [b.shape for b in est.intercepts_] == [(7,), (5,), (3,)]
    assert all(isinstance(c, np.ndarray) for c in est.coefs_ + est.intercepts_)
    assert est.n_iter_ == 15
    assert len(est.loss_curve_) == est.n_iter_
    assert est.t_ == est.n_iter_ * X.shape[0]
    assert est.loss_ == pytest.approx(est.loss_curve_[-1])
    assert est.best_loss_ == pytest.approx(min(est.loss_curve_))
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    # Training must actually reduce the loss.
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_binary_problem_uses_one_logistic_output_and_two_column_proba():
    X, y = small_classification(n_classes=2)
    with ignore_convergence():
        est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
        est.fit(X, y)
    assert est.out_activation_ == "logistic"
    assert est.n_outputs_ == 1
    assert est.coefs_[-1].shape == (4, 1)
    proba = est.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])


def test_lbfgs_has_no_stochastic_attributes():
    X, y = small_classification()
    est = MLPClassifier(solver="lbfgs", max_iter=200, random_state=0).fit(X, y)
    # sklearn only creates loss_curve_ / best_loss_ / validation_scores_ for
    # the stochastic solvers.
    assert not hasattr(est, "loss_curve_")
    assert not hasattr(est, "best_loss_")
    assert not hasattr(est, "validation_scores_")
    assert 0 < est.n_iter_ <= 200
    assert np.isfinite(est.loss_)
    assert est.score(X, y) > 0.9


def test_early_stopping_records_validation_scores_and_no_best_loss():
    X, y = small_classification()
    with ignore_convergence():
        est = MLPClassifier(
            early_stopping=True, validation_fraction=0.2, max_iter=12, random_state=0
        ).fit(X, y)
    assert est.best_loss_ is None
    assert len(est.validation_scores_) == est.n_iter_ == len(est.loss_curve_)
    assert est.best_validation_score_ == max(est.validation_scores_)
    # The validation set has ceil(0.2 * 120) = 24 rows, so every accuracy is
    # a multiple of 1/24: this pins the validation-split size.
    scaled = np.asarray(est.validation_scores_) * 24
    np.testing.assert_allclose(scaled, np.round(scaled), atol=1e-9)
    assert est.t_ == est.n_iter_ * 96  # t_ counts training rows only


@pytest.mark.parametrize("seed", range(5))
def test_early_stopping_split_is_stratified_for_binary_targets(seed):
    # X carries no information, so the model predicts the majority class for
    # every row and its validation accuracy is that class's share of the
    # validation set. Stratified on 80/40 labels, 12 validation rows hold
    # exactly 8 zeros: accuracy 2/3 for every seed (a random split would give
    # 2/3 for only about a quarter of seeds). sklearn stratifies only when
    # n_outputs_ == 1, i.e. binary y; multiclass splits are not stratified.
    X = np.zeros((120, 3))
    y = np.repeat([0, 1], [80, 40])
    est = MLPClassifier(
        early_stopping=True,
        validation_fraction=0.1,
        learning_rate_init=0.05,
        max_iter=50,
        random_state=seed,
    ).fit(X, y)
    assert est.predict(X[:1])[0] == 0
    assert est.validation_scores_[-1] == pytest.approx(8 / 12)


def _digits_subset():
    X_tr, _, y_tr, _ = digits_split()
    return X_tr[:400], y_tr[:400]


ES_PARAMS = dict(
    early_stopping=True,
    validation_fraction=0.2,
    tol=0.0,
    n_iter_no_change=5,
    hidden_layer_sizes=(16,),
    learning_rate_init=0.01,
    max_iter=300,
    random_state=0,
)


def test_early_stopping_restores_weights_of_best_validation_epoch():
    X, y = _digits_subset()
    est = MLPClassifier(**ES_PARAMS).fit(X, y)
    scores = np.asarray(est.validation_scores_)
    best_epoch = int(np.argmax(scores)) + 1  # first epoch reaching the best score
    # It stopped because of n_iter_no_change, not max_iter, and later than the
    # best epoch, so "restoring" is observable.
    assert est.n_iter_ < ES_PARAMS["max_iter"]
    assert best_epoch < est.n_iter_
    assert np.all(scores[-(ES_PARAMS["n_iter_no_change"] + 1) :] < scores.max())
    # Same seed, same split, same shuffles: a run capped at the best epoch ends
    # exactly on the weights that the long run must have restored.
    with pytest.warns(ConvergenceWarning):
        short = MLPClassifier(**{**ES_PARAMS, "max_iter": best_epoch}).fit(X, y)
    assert short.best_validation_score_ == est.best_validation_score_
    assert_same_params(est, short)


def test_stopping_on_n_iter_no_change_emits_no_convergence_warning():
    X, y = small_classification()
    # tol is huge, so no epoch after the first counts as an improvement:
    # sklearn stops after exactly n_iter_no_change + 2 epochs.
    est = MLPClassifier(tol=1e3, n_iter_no_change=4, max_iter=50, random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est.fit(X, y)
    assert [str(w.message) for w in record] == []
    assert est.n_iter_ == 6


def test_hitting_max_iter_emits_convergence_warning():
    X, y = small_classification()
    est = MLPClassifier(solver="sgd", max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\)"):
        est.fit(X, y)
    assert est.n_iter_ == 3


# --------------------------------------------------------------------------
# dtype and assignable coefficients
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_of_X_is_kept_in_weights_and_proba(dtype):
    X, y = small_classification()
    est = MLPClassifier(max_iter=5, random_state=0)
    assert_fit_keeps_float_dtype(est, X, y, dtype, "predict_proba")


def test_assigning_coefs_and_intercepts_changes_predictions():
    X, y = small_classification()
    with ignore_convergence():
        est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
        est.fit(X, y)
    # Zero every weight and bias the output towards class index 1: the model
    # must then predict classes_[1] everywhere with the softmax of the bias.
    est.coefs_ = [np.zeros_like(c) for c in est.coefs_]
    est.intercepts_ = [
        np.zeros(4),
        np.array([0.0, np.log(8.0), 0.0]),
    ]
    np.testing.assert_array_equal(est.predict(X), np.full(X.shape[0], 1))
    np.testing.assert_allclose(
        est.predict_proba(X), np.tile([0.1, 0.8, 0.1], (120, 1)), rtol=1e-6
    )


def test_in_place_edits_of_coefs_arrays_change_predictions():
    # A float32 model's coefs_ / intercepts_ are views of its weights:
    # editing an array in place is the model, as in scikit-learn.
    X, y = small_classification()
    X = X.astype(np.float32)
    with ignore_convergence():
        est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
        est.fit(X, y)
    est.coefs_[-1][:] = 0.0
    est.intercepts_[-1][:] = [0.0, 0.0, 5.0]
    np.testing.assert_array_equal(est.predict(X), np.full(X.shape[0], 2))


def test_float64_models_coefs_are_read_only_and_replacing_them_edits_the_model():
    # float64 copies of float32 weights are read-only, so that predicting
    # need not convert them back on every call; an edit either raises or,
    # by replacing the array, changes the model: never silently ignored.
    X, y = small_classification()
    with ignore_convergence():
        est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
        est.fit(X, y)
    assert est.coefs_[-1].dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        est.coefs_[-1][:] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        est.intercepts_[-1] += 1.0
    coefs = est.coefs_[-1].copy()
    coefs[:] = 0.0
    est.coefs_[-1] = coefs
    est.intercepts_[-1] = np.array([0.0, 0.0, 5.0])
    np.testing.assert_array_equal(est.predict(X), np.full(X.shape[0], 2))
    # The user's own arrays stay writeable and are read on every call.
    est.intercepts_[-1][:] = [5.0, 0.0, 0.0]
    np.testing.assert_array_equal(est.predict(X), np.full(X.shape[0], 0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_replacing_one_item_of_coefs_list_changes_predictions(dtype):
    X, y = small_classification()
    X = X.astype(dtype)
    with ignore_convergence():
        est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
        est.fit(X, y)
    est.coefs_[-1] = np.zeros((4, 3), dtype=dtype)
    est.intercepts_[-1] = np.array([0.0, 5.0, 0.0], dtype=dtype)
    np.testing.assert_array_equal(est.predict(X), np.full(X.shape[0], 1))
    assert est.coefs_ is est.coefs_  # a stored list, as in sklearn


# --------------------------------------------------------------------------
# Determinism and batch independence
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_same_random_state_gives_identical_model_and_different_gives_different(
    solver,
):
    X, y = small_classification()
    with ignore_convergence():
        fits = [
            MLPClassifier(solver=solver, max_iter=20, random_state=s).fit(X, y)
            for s in (3, 3, 4)
        ]
    assert_same_params(fits[0], fits[1])
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
    assert not np.array_equal(fits[0].coefs_[0], fits[2].coefs_[0])


@pytest.mark.parametrize("n_rows", [30, 1000])
def test_row_prediction_does_not_depend_on_the_batch_it_is_in(n_rows):
    # fastdnn's own promise (sklearn does not keep it: BLAS picks different
    # kernels for one row and for many, so its last bits differ).
    rng = np.random.RandomState(0)
    X_fit, y_fit = small_classification()
    with ignore_convergence():
        est = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=5, random_state=0)
        est.fit(X_fit, y_fit)
    X = rng.normal(size=(n_rows, X_fit.shape[1]))
    full = est.predict_proba(X)
    rows = [0, 1, n_rows // 2, n_rows - 1] if n_rows > 100 else range(n_rows)
    for i in rows:
        assert np.array_equal(full[i], est.predict_proba(X[i : i + 1])[0]), i
    if n_rows > 100:
        # Every single row, and also odd-sized slices that straddle any
        # internal blocking of the batch.
        singles = np.vstack([est.predict_proba(X[i : i + 1]) for i in range(n_rows)])
        assert np.array_equal(full, singles)
        for start, stop in [(3, 10), (17, 530), (1, 999)]:
            assert np.array_equal(full[start:stop], est.predict_proba(X[start:stop]))


# --------------------------------------------------------------------------
# partial_fit contract
# --------------------------------------------------------------------------


def test_first_partial_fit_without_classes_raises():
    X, y = small_classification()
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(X, y)


def test_partial_fit_with_unseen_label_raises():
    X, y = small_classification()
    est = MLPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    y_new = y.copy()
    y_new[0] = 5
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X, y_new)


def test_partial_fit_accepts_batches_missing_some_classes():
    X, y = small_classification()
    est = MLPClassifier(random_state=0).partial_fit(
        X[y == 0], y[y == 0], classes=[0, 1, 2]
    )
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert est.predict_proba(X).shape == (X.shape[0], 3)


def test_partial_fit_is_unavailable_with_lbfgs():
    est = MLPClassifier(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit"):
        est.partial_fit  # noqa: B018


def test_partial_fit_with_early_stopping_raises():
    X, y = small_classification()
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


# --------------------------------------------------------------------------
# warm_start
# --------------------------------------------------------------------------


def test_warm_start_continues_from_previous_weights():
    X, y = small_classification()
    # Plain SGD without momentum has no optimizer state, so two warm 5-epoch
    # fits must equal one 10-epoch fit exactly.
    params = dict(
        solver="sgd",
        momentum=0.0,
        learning_rate="constant",
        learning_rate_init=0.05,
        shuffle=False,
        random_state=0,
    )
    with ignore_convergence():
        warm = MLPClassifier(warm_start=True, max_iter=5, **params).fit(X, y)
        first_loss = warm.loss_curve_[-1]
        warm.fit(X, y)
        ref = MLPClassifier(max_iter=10, **params).fit(X, y)
        cold = MLPClassifier(warm_start=False, max_iter=5, **params).fit(X, y)
        cold.fit(X, y)
        ref5 = MLPClassifier(max_iter=5, **params).fit(X, y)
    assert warm.n_iter_ == 5  # reset per call, as in sklearn
    assert warm.t_ == 10 * X.shape[0]  # ... while t_ accumulates
    assert len(warm.loss_curve_) == 10  # ... and loss_curve_ is appended to
    assert warm.loss_curve_[5] < first_loss + 1e-12
    assert_same_params(warm, ref, rtol=1e-12, atol=1e-14)
    # Without warm_start the second fit starts over.
    assert_same_params(cold, ref5)


def test_warm_start_with_changed_classes_raises():
    X, y = small_classification()
    with ignore_convergence():
        est = MLPClassifier(warm_start=True, max_iter=2, random_state=0).fit(X, y)
    y2 = np.where(y == 2, 1, y)
    with pytest.raises(ValueError, match="warm_start"):
        est.fit(X, y2)


# --------------------------------------------------------------------------
# sample_weight
# --------------------------------------------------------------------------


def _lbfgs(**kw):
    return MLPClassifier(
        solver="lbfgs", hidden_layer_sizes=(5,), max_iter=30, random_state=0, **kw
    )


def _full_batch_sgd(n, **kw):
    return MLPClassifier(
        solver="sgd",
        hidden_layer_sizes=(5,),
        batch_size=n,
        shuffle=False,
        learning_rate_init=0.1,
        max_iter=20,
        random_state=0,
        **kw,
    )


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_zero_sample_weight_equals_dropping_rows(solver):
    X, y = small_classification()
    sw = np.ones(len(y))
    sw[::3] = 0.0
    keep = sw > 0
    with ignore_convergence():
        if solver == "lbfgs":
            a, b = _lbfgs(), _lbfgs()
        else:
            a, b = _full_batch_sgd(len(y)), _full_batch_sgd(int(keep.sum()))
        a.fit(X, y, sample_weight=sw)
        b.fit(X[keep], y[keep])
    assert_same_params(a, b, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_integer_sample_weight_equals_repeating_rows(solver):
    X, y = small_classification()
    sw = np.random.RandomState(0).randint(1, 4, size=len(y))
    X_rep, y_rep = np.repeat(X, sw, axis=0), np.repeat(y, sw)
    with ignore_convergence():
        if solver == "lbfgs":
            a, b = _lbfgs(), _lbfgs()
        else:
            a, b = _full_batch_sgd(len(y)), _full_batch_sgd(len(y_rep))
        a.fit(X, y, sample_weight=sw.astype(float))
        b.fit(X_rep, y_rep)
    # Weighted and repeated sums are accumulated in different orders, and
    # rounding differences compound over the iterations (more so in float32
    # arithmetic, and most under L-BFGS, whose line searches amplify them);
    # a wrong weighting shows up at the 1e-1 level.
    rtol = 1e-2 if solver == "lbfgs" else 1e-3
    assert_same_params(a, b, rtol=rtol, atol=1e-5)
    # And the weights really matter: unweighted training differs.
    with ignore_convergence():
        c = (_lbfgs() if solver == "lbfgs" else _full_batch_sgd(len(y))).fit(X, y)
    assert not np.allclose(a.coefs_[0], c.coefs_[0], rtol=1e-3)


def test_partial_fit_zero_sample_weight_equals_dropping_rows():
    X, y = small_classification()
    sw = np.ones(len(y))
    sw[1::4] = 0.0
    keep = sw > 0
    kw = dict(solver="sgd", shuffle=False, learning_rate_init=0.1, random_state=0)
    a = MLPClassifier(batch_size=len(y), **kw)
    b = MLPClassifier(batch_size=int(keep.sum()), **kw)
    for i in range(5):
        classes = [0, 1, 2] if i == 0 else None
        a.partial_fit(X, y, sample_weight=sw, classes=classes)
        b.partial_fit(X[keep], y[keep], classes=classes)
    assert_same_params(a, b, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------
# Multilabel, string labels, log-proba
# --------------------------------------------------------------------------


def test_multilabel_indicator_y_gives_logistic_outputs_and_indicator_predictions():
    X, y = small_classification(n_classes=3)
    Y = np.column_stack([y == 0, y != 1, X[:, 0] > 0]).astype(int)
    est = MLPClassifier(solver="lbfgs", max_iter=300, random_state=0).fit(X, Y)
    assert est.out_activation_ == "logistic"
    assert est.n_outputs_ == 3
    pred = est.predict(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}
    proba = est.predict_proba(X)
    assert proba.shape == Y.shape
    # Independent sigmoids: rows do not sum to one.
    assert not np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert est.score(X, Y) > 0.8


def test_binary_string_labels_round_trip():
    X, y = small_classification(n_classes=2)
    labels = np.array(["spam", "ham"])[y]
    est = MLPClassifier(solver="lbfgs", max_iter=200, random_state=0).fit(X, labels)
    np.testing.assert_array_equal(est.classes_, ["ham", "spam"])
    pred = est.predict(X)
    assert pred.dtype.kind in "UO"
    assert set(pred) <= {"ham", "spam"}
    assert np.mean(pred == labels) > 0.9


@pytest.mark.parametrize(
    "labels",
    [np.array(["spam", "ham"]), np.array([-3, 7, 40]), np.array([4.0, 1.0, 2.0, 9.0])],
    ids=["binary strings", "multiclass ints", "multiclass integral floats"],
)
def test_predicted_labels_follow_label_binarizers_rule(labels):
    # predict decodes outputs itself (LabelBinarizer's checks cost more than
    # predicting a row); it must pick what inverse_transform picks, ties and
    # outputs of exactly 0.5 included.
    X, y = small_classification(n_classes=len(labels))
    with ignore_convergence():
        est = MLPClassifier(max_iter=5, random_state=0).fit(X, labels[y])
    binarizer = est._label_binarizer
    outputs = est.predict_proba(X)[:, 1:] if len(labels) == 2 else est.predict_proba(X)
    outputs = outputs.ravel() if len(labels) == 2 else outputs
    prediction = est.predict(X)
    assert prediction.dtype == labels.dtype
    np.testing.assert_array_equal(prediction, binarizer.inverse_transform(outputs))
    if len(labels) == 2:
        edge = np.array([0.5, np.nextafter(0.5, 1), 0.0, 1.0], np.float32)
    else:
        edge = np.array(
            [[0.3, 0.3, 0.2] + [0.2] * (len(labels) - 3), [0.0] * len(labels)]
        )
    np.testing.assert_array_equal(
        est._labels_for(edge), binarizer.inverse_transform(edge)
    )


def test_predict_log_proba_is_log_of_predict_proba():
    X, y = small_classification()
    with ignore_convergence():
        est = MLPClassifier(max_iter=10, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        est.predict_log_proba(X), np.log(est.predict_proba(X)), rtol=1e-12
    )


# --------------------------------------------------------------------------
# Divergence, verbose, interruption
# --------------------------------------------------------------------------


def test_diverging_sgd_raises_instead_of_returning_nan_model():
    X, y = small_classification()
    est = MLPClassifier(
        solver="sgd", learning_rate_init=1e6, momentum=0.9, max_iter=20, random_state=0
    )
    with warnings.catch_warnings():
        # The reference implementation's numpy overflows on the way there.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Large but within float32's range: beyond it, validation refuses X.
        with pytest.raises(ValueError, match="Solver produced non-finite parameter"):
            est.fit(X * 1e30, y)


def test_verbose_prints_one_loss_line_per_epoch(capsys):
    X, y = small_classification()
    with ignore_convergence():
        MLPClassifier(max_iter=3, verbose=True, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("Iteration ")]
    assert len(lines) == 3
    assert lines[0].startswith("Iteration 1, loss = ")
    assert lines[2].startswith("Iteration 3, loss = ")
    float(lines[0].split("=")[1])  # the loss is printed as a number


def test_keyboard_interrupt_stops_fit_with_a_warning_and_a_usable_model():
    # A real Ctrl-C: SIGINT to this process while fit runs. sklearn catches
    # the KeyboardInterrupt inside its epoch loop, warns "Training interrupted
    # by user." and returns the partially trained model. An engine running
    # the loop in native code must poll for signals to behave the same.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 50))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    max_iter = 2000
    # The signal is sent shortly after the first epoch ends, however long
    # that epoch took on a loaded machine, so it lands in a later one.
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))

    def start_timer_once(estimator, logs):
        if not timer.is_alive() and not timer.finished.is_set():
            timer.start()
        return False

    est = MLPClassifier(
        hidden_layer_sizes=(256,),
        tol=0.0,
        n_iter_no_change=10**6,
        max_iter=max_iter,
        random_state=0,
        callbacks=[LambdaCallback(on_epoch_end=start_timer_once)],
    )
    escaped = False
    try:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            est.fit(X, y)
        timer.join()
        time.sleep(0.1)  # a late signal must land here, inside the try
    except KeyboardInterrupt:
        escaped = True
    finally:
        timer.cancel()
    assert not escaped, "KeyboardInterrupt escaped fit (or fit ignored SIGINT)"
    messages = [str(w.message) for w in record]
    assert "Training interrupted by user." in messages
    assert 1 <= est.n_iter_ < max_iter
    assert all(np.isfinite(c).all() for c in est.coefs_)
    assert est.predict(X[:5]).shape == (5,)


def test_keyboard_interrupt_at_end_of_third_epoch_returns_three_epochs(monkeypatch):
    # Deterministic variant of the test above. Hook assumed (sklearn's and
    # fastdnn's): the estimator calls self._update_no_improvement_count once
    # per epoch, right after n_iter_ / t_ / loss_curve_ are updated. Raising
    # there on the 3rd call is a Ctrl-C arriving at the end of epoch 3.
    X, y = small_classification()
    calls = []
    original = MLPClassifier._update_no_improvement_count

    def interrupt_on_third_epoch(self, *args, **kwargs):
        calls.append(self.n_iter_)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(
        MLPClassifier, "_update_no_improvement_count", interrupt_on_third_epoch
    )
    est = MLPClassifier(max_iter=50, random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        est.fit(X, y)
    assert calls == [1, 2, 3]
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    assert est.t_ == 3 * X.shape[0]
    assert est.predict(X).shape == y.shape
