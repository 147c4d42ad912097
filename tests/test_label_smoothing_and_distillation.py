"""label_smoothing and distillation (fit(X, y, teacher=...)): the engine's
loss and gradient against a NumPy reference and its finite differences, and
what a user sees: a student that reproduces its teacher, a regressor that
trains on blended targets, the teacher passing through GridSearchCV."""

import numpy as np
import numpy_reference as ref
import pytest
from engine_helpers import assert_close, make_inputs, make_sample_weight, make_targets
from fastdnn import MLPClassifier, MLPRegressor, _core
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

UNITS = [5, 7, 4]
CROSS_ENTROPIES = ["log_loss", "binary_log_loss"]


def _case(loss, rows=9, seed=0):
    rng = np.random.default_rng(seed)
    net = _core.Network(UNITS, "tanh", ref.OUTPUT_ACTIVATION[loss])
    net.initialize(seed, 6.0)
    X = make_inputs(rng, rows, UNITS[0])
    y = make_targets(rng, loss, rows, UNITS[-1])
    teacher = (2.0 * rng.normal(size=(rows, UNITS[-1]))).astype(np.float32)
    return net, X, y, make_sample_weight(rng, rows), teacher


@pytest.mark.parametrize("loss", CROSS_ENTROPIES)
def test_label_smoothing_is_the_loss_of_smoothed_targets(loss):
    net, X, y, sample_weight, _ = _case(loss)
    data = _core.Dataset(X)
    smoothed = ref.smoothed_targets(loss, y.astype(np.float64), 0.2).astype(np.float32)
    value, gradient = net.loss_and_gradient(
        data, y, sample_weight, loss, 0.0, label_smoothing=0.2
    )
    expected_value, expected_gradient = net.loss_and_gradient(
        data, smoothed, sample_weight, loss, 0.0
    )
    assert value == pytest.approx(expected_value, rel=1e-6)
    assert_close(gradient, expected_gradient, rtol=1e-5, atol_fraction=1e-6)
    reference = ref.distillation_loss(
        np.array(net.parameters, np.float64),
        UNITS, "tanh", loss, X.astype(np.float64), y, sample_weight,
        np.zeros_like(y), 0.0, 1.0, 0.2,
    )  # fmt: skip
    assert value == pytest.approx(reference, rel=1e-5)


@pytest.mark.parametrize("loss", CROSS_ENTROPIES)
@pytest.mark.parametrize("weight, temperature", [(0.5, 1.0), (0.7, 3.0), (1.0, 2.0)])
def test_distillation_gradient_matches_finite_differences(loss, weight, temperature):
    net, X, y, sample_weight, teacher = _case(loss)
    params = np.array(net.parameters, dtype=np.float64)

    def objective(p):
        return ref.distillation_loss(
            p, UNITS, "tanh", loss, X.astype(np.float64), y, sample_weight,
            teacher.astype(np.float64), weight, temperature, 0.1,
        )  # fmt: skip

    value, gradient = net.loss_and_gradient(
        _core.Dataset(X),
        y,
        sample_weight,
        loss,
        0.0,
        label_smoothing=0.1,
        teacher_logits=teacher,
        distillation_weight=weight,
        distillation_temperature=temperature,
    )
    assert value == pytest.approx(objective(params), rel=1e-5)
    expected = ref.finite_difference_gradient(objective, params)
    assert_close(gradient, expected, rtol=1e-3, atol_fraction=1e-5)


def test_training_loss_is_the_distillation_blend():
    """One full-batch epoch's loss_ is the reference's blend at the start."""
    net, X, y, _, teacher = _case("log_loss", rows=12)
    params = np.array(net.parameters, dtype=np.float64)
    trainer = _core.Trainer(
        net, loss="log_loss", alpha=0.0, distillation_weight=0.6,
        distillation_temperature=2.0, label_smoothing=0.05,
    )  # fmt: skip
    loss = trainer.train_epoch(
        _core.Dataset(X), y, None, 12, False, 0, 0, teacher_logits=teacher
    )
    expected = ref.distillation_loss(
        params, UNITS, "tanh", "log_loss", X.astype(np.float64), y, None,
        teacher.astype(np.float64), 0.6, 2.0, 0.05,
    )  # fmt: skip
    assert loss == pytest.approx(expected, rel=1e-5)


def test_label_smoothing_can_change_between_epochs_and_is_checked():
    net, *_ = _case("log_loss")
    trainer = _core.Trainer(net, loss="log_loss")
    trainer.label_smoothing = 0.3
    assert trainer.label_smoothing == 0.3
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        trainer.label_smoothing = 1.0
    regression = _core.Network(UNITS, "tanh", "identity")
    with pytest.raises(ValueError, match="cross-entropy"):
        _core.Trainer(regression, loss="squared_error", label_smoothing=0.1)


@pytest.fixture(scope="module")
def digits_like():
    return make_classification(
        n_samples=240, n_features=10, n_informative=6, n_classes=3, random_state=0
    )


def test_smoothed_classifier_is_less_confident(digits_like):
    X, y = digits_like
    base = MLPClassifier((32,), max_iter=150, random_state=0)
    confidence = {
        smoothing: clone(base)
        .set_params(label_smoothing=smoothing)
        .fit(X, y)
        .predict_proba(X)
        .max(axis=1)
        .mean()
        for smoothing in (0.0, 0.3)
    }
    # Smoothed targets put 1 - 0.3 + 0.1 on the label.
    assert confidence[0.3] < confidence[0.0] - 0.05


@pytest.fixture(scope="module")
def teacher(digits_like):
    X, y = digits_like
    return MLPClassifier((64,), max_iter=200, random_state=1).fit(X, y)


def test_student_with_weight_one_reproduces_the_teacher(digits_like, teacher):
    X, y = digits_like
    # Labels the teacher never saw: with weight 1 they cannot matter.
    noise = np.random.default_rng(0).integers(0, 3, len(y))
    student = MLPClassifier(
        (32,), max_iter=400, tol=0.0, distillation_weight=1.0, random_state=2
    ).fit(X, noise, teacher=teacher)
    assert np.mean(student.predict(X) == teacher.predict(X)) > 0.95
    difference = np.abs(student.predict_proba(X) - teacher.predict_proba(X))
    assert difference.mean() < 0.03


def test_a_scikit_learn_teacher_distils_its_log_probabilities(digits_like):
    X, y = digits_like
    teacher = LogisticRegression(C=0.1).fit(X, y)
    student = MLPClassifier(
        (16,), max_iter=500, tol=0.0, distillation_weight=1.0, random_state=0
    ).fit(X, y, teacher=teacher)
    assert np.mean(student.predict(X) == teacher.predict(X)) > 0.97


def test_binary_teacher_and_early_stopping(digits_like):
    X, y = digits_like
    y = (y == 0).astype(int)
    teacher = LogisticRegression().fit(X, y)
    # The split holds out rows; the teacher's logits are of the rows that train.
    student = MLPClassifier(
        (16,),
        max_iter=200,
        distillation_weight=1.0,
        early_stopping=True,
        monitor="train_loss",
        n_iter_no_change=200,
        random_state=0,
    ).fit(X, y, teacher=teacher)
    assert np.mean(student.predict(X) == teacher.predict(X)) > 0.9


def test_regressor_distils_to_blended_targets():
    X, y = make_regression(n_samples=80, n_features=5, noise=5.0, random_state=0)
    teacher = MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0)
    teacher.fit(X, y)
    base = MLPRegressor(
        hidden_layer_sizes=(8,), max_iter=20, distillation_weight=0.25, random_state=3
    )
    distilled = clone(base).fit(X, y, teacher=teacher)
    blended = clone(base).fit(X, 0.75 * y + 0.25 * teacher.predict(X))
    np.testing.assert_array_equal(
        distilled._network.parameters, blended._network.parameters
    )


def test_teacher_passes_through_grid_search(digits_like, teacher):
    X, y = digits_like
    base = MLPClassifier((16,), max_iter=20, random_state=0)
    search = GridSearchCV(base, {"distillation_weight": [0.0, 1.0]}, cv=2)
    search.fit(X, y, teacher=teacher)
    best = search.best_params_["distillation_weight"]
    alone = clone(base).set_params(distillation_weight=best).fit(X, y, teacher=teacher)
    np.testing.assert_array_equal(
        search.best_estimator_._network.parameters, alone._network.parameters
    )
    # Without the teacher, weight 1 would have nothing to learn from: the
    # teacher reached each fold's fit.
    assert search.cv_results_["mean_test_score"][1] > 0.5


@pytest.mark.parametrize(
    "make_teacher, message",
    [
        (lambda X, y: MLPClassifier(), "fitted"),
        (lambda X, y: LogisticRegression().fit(X, y + 1), "classes"),
        (lambda X, y: MLPRegressor(max_iter=5).fit(X, y), "a classifier"),
    ],
)
def test_bad_teachers_raise_clear_errors(digits_like, make_teacher, message):
    X, y = digits_like
    bad = make_teacher(X, y)
    with pytest.raises(ValueError, match=message):
        MLPClassifier((8,), max_iter=2).fit(X, y, teacher=bad)
