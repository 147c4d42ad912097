"""Group norm and decorrelated batch norm (normalization='group' and
'decorrelated_batch', norm_groups): forward and gradient against a float64
NumPy reference (decorrelated: numpy's eigh), running estimates for
prediction, whitening shown as an identity covariance, and the estimator's
model file, pickle and ONNX export. Single rows, thread counts and bad
parameters: tests/test_normalization.py."""

import pickle

import numpy as np
import numpy_reference as ref
import pytest
from engine_helpers import assert_close
from fastdnn import MLPClassifier, MLPRegressor, _core, from_bytes
from sklearn.datasets import make_classification, make_regression

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Hidden widths 6 and 6: one, two, three or six groups; more inputs than
# units, so that a layer's covariance has full rank.
UNITS = [8, 6, 6, 3]

CONFIGURATIONS = [
    dict(normalization="group", norm_groups=2),
    dict(normalization="group", norm_groups=3, normalization_position="after"),
    dict(normalization="decorrelated_batch", norm_groups=1),
    dict(normalization="decorrelated_batch", norm_groups=2),
    dict(
        normalization="decorrelated_batch",
        norm_groups=3,
        normalization_position="after",
    ),
]


def _options(**options):
    merged = dict(ref.TOOLKIT_DEFAULTS)
    merged.update(options)
    return merged


def _network(options, rng, activation="tanh", output="softmax"):
    fields = {k: v for k, v in options.items() if k != "normalization_position"}
    fields["normalize_after_activation"] = (
        options.get("normalization_position") == "after"
    )
    net = _core.Network(UNITS, activation, output, **fields)
    net.initialize(3, 6.0)
    params = net.parameters
    params[:] = params + rng.normal(scale=0.2, size=params.size).astype(np.float32)
    return net


def _problem(rng, rows=16):
    # Correlated inputs, so that whitening has work to do.
    X = rng.normal(size=(rows, UNITS[0])) @ rng.normal(size=(UNITS[0], UNITS[0]))
    y = np.eye(UNITS[-1])[rng.integers(0, UNITS[-1], rows)]
    sample_weight = rng.uniform(0.2, 3.0, rows)
    return X.astype(np.float32), y.astype(np.float32), sample_weight.astype(np.float32)


@pytest.mark.parametrize("options", CONFIGURATIONS, ids=str)
def test_gradient_matches_finite_differences_of_the_reference(options):
    rng = np.random.default_rng(0)
    X, y, sample_weight = _problem(rng)
    net = _network(options, rng)
    full = _options(**options)
    params = np.array(net.parameters, dtype=np.float64)

    def objective(p):
        return ref.toolkit_loss(
            p, UNITS, "tanh", full, "log_loss", X, y, sample_weight, 0.01
        )

    loss, gradient = net.loss_and_gradient(
        _core.Dataset(X), y, sample_weight, "log_loss", 0.01
    )
    assert loss == pytest.approx(objective(params), rel=1e-5)
    expected = ref.finite_difference_gradient(objective, params)
    assert_close(gradient, expected, rtol=1e-3, atol_fraction=1e-5)


def test_layer_norm_is_group_norm_with_one_group():
    rng = np.random.default_rng(1)
    X, _, _ = _problem(rng)
    layer = _network(dict(normalization="layer"), np.random.default_rng(2))
    group = _network(
        dict(normalization="group", norm_groups=1), np.random.default_rng(2)
    )
    data = _core.Dataset(X)
    np.testing.assert_array_equal(layer.predict(data), group.predict(data))


@pytest.mark.parametrize("groups", [1, 2, 3])
def test_whitened_units_have_identity_covariance_in_training(groups):
    rng = np.random.default_rng(3)
    X, _, _ = _problem(rng, rows=64)
    fields = dict(norm_groups=groups, normalize_after_activation=True)
    whitened = _core.Network(
        UNITS, "tanh", "softmax", normalization="decorrelated_batch", **fields
    )
    batch = _core.Network(UNITS, "tanh", "softmax", normalization="batch", **fields)
    for net in (whitened, batch):
        net.initialize(0, 6.0)
    width = UNITS[1] // groups
    # Gains 1 and shifts 0 at the start: the first hidden layer's output is x̂.
    h = whitened.training_activations(_core.Dataset(X))[0].astype(np.float64)
    np.testing.assert_allclose(h.mean(axis=0), 0.0, atol=1e-6)
    covariance = h.T @ h / len(h)
    for g in range(groups):
        block = slice(g * width, (g + 1) * width)
        assert_close(
            covariance[block, block], np.eye(width), rtol=0, atol_fraction=1e-3
        )
    # Batch norm standardises each unit but leaves them correlated.
    b = batch.training_activations(_core.Dataset(X))[0].astype(np.float64)
    off_diagonal = (b.T @ b / len(b))[~np.eye(UNITS[1], dtype=bool)]
    assert np.abs(off_diagonal).max() > 0.2


def test_prediction_uses_running_mean_and_whitening():
    rng = np.random.default_rng(4)
    X, y, _ = _problem(rng, rows=32)
    options = dict(normalization="decorrelated_batch", norm_groups=2)
    net = _core.Network(UNITS, "tanh", "softmax", batch_norm_momentum=1.0, **options)
    net.initialize(0, 6.0)
    trainer = _core.Trainer(
        net, loss="log_loss", solver="sgd", alpha=0.0, learning_rate=1e-12,
        momentum=0.0, nesterov=False,
    )  # fmt: skip
    # Before any step prediction whitens with the identity and a zero mean.
    params = np.array(net.parameters, dtype=np.float64)
    width = UNITS[1] // 2
    identity = ([np.zeros(UNITS[1]), [np.eye(width)] * 2],) * 2
    _, z = ref.toolkit_forward(
        params, UNITS, "tanh", _options(**options), X, running=list(identity)
    )
    predicted = ref.activation("softmax", z)
    assert_close(net.predict(_core.Dataset(X)), predicted, 1e-4, 1e-5)
    trainer.train_epoch(_core.Dataset(X), y, None, 32, False, 0, 0)
    # Momentum 1: the running estimates are the batch's own, so prediction
    # repeats the training forward of that batch.
    _, z = ref.toolkit_forward(params, UNITS, "tanh", _options(**options), X)
    predicted = ref.activation("softmax", z)
    assert_close(net.predict(_core.Dataset(X)), predicted, 1e-4, 1e-5)


@pytest.fixture(scope="module")
def fitted():
    """Classifiers of each kind, and the rows they predict."""
    X, y = make_classification(n_samples=200, n_features=10, random_state=1)
    models = {
        kind: MLPClassifier(
            (16, 12), normalization=kind, norm_groups=4, max_iter=5, random_state=0
        ).fit(X, y)
        for kind in ("group", "decorrelated_batch")
    }
    return X, models


@pytest.mark.parametrize("kind", ["group", "decorrelated_batch"])
def test_pickle_and_model_file_keep_the_model(fitted, kind):
    X, models = fitted
    clf = models[kind]
    expected = clf.predict_proba(X)
    for loaded in (pickle.loads(pickle.dumps(clf)), from_bytes(clf.to_bytes())):
        np.testing.assert_array_equal(loaded.predict_proba(X), expected)
        assert loaded._network.layer_options == clf._network.layer_options
        np.testing.assert_array_equal(
            loaded._network.running_statistics, clf._network.running_statistics
        )


@pytest.mark.parametrize("kind", ["group", "decorrelated_batch"])
@pytest.mark.parametrize("position", ["before", "after"])
def test_onnx_export_predicts_as_the_engine(kind, position):
    onnxruntime = pytest.importorskip("onnxruntime")
    from fastdnn.onnx import to_onnx

    X, y = make_classification(
        n_samples=120, n_features=8, n_informative=5, n_classes=3, random_state=2
    )
    clf = MLPClassifier(
        (16, 12),
        normalization=kind,
        normalization_position=position,
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    session = onnxruntime.InferenceSession(to_onnx(clf).SerializeToString())
    X32 = X.astype(np.float32)
    outputs = session.run(None, {session.get_inputs()[0].name: X32})
    np.testing.assert_allclose(outputs[1], clf.predict_proba(X32), atol=1e-5)
    np.testing.assert_array_equal(outputs[0], clf.predict(X32))


def test_group_norm_trains_with_lbfgs():
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    model = MLPRegressor(
        hidden_layer_sizes=(8,),
        normalization="group",
        norm_groups=2,
        solver="lbfgs",
        random_state=0,
    ).fit(X, y)
    assert model.score(X, y) > 0.9
