"""fastdnn.onnx: exported models answer as predict / predict_proba do, in
onnxruntime, for every layer option, and inside skl2onnx pipelines."""

import subprocess
import sys

import numpy as np
import pytest
from fastdnn import MLPClassifier, MLPRegressor
from fastdnn._options import HIDDEN_ACTIVATIONS
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

REASON = "needs the onnx extra: pip install fastdnn[onnx]"
onnx = pytest.importorskip("onnx", reason=REASON)
onnxruntime = pytest.importorskip("onnxruntime", reason=REASON)
skl2onnx = pytest.importorskip("skl2onnx", reason=REASON)
from fastdnn.onnx import to_onnx  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# onnxruntime against the engine, float32 both.
TOLERANCE = 1e-5

RNG = np.random.default_rng(0)
X = RNG.normal(size=(120, 6)).astype(np.float32)
Y_MULTICLASS = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)


def run(model, X):
    """The model's outputs for X in onnxruntime, by output name."""
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": X}), strict=True))


def check_classifier(clf, X=X, opset=None):
    """The exported classifier's label and probabilities are predict's and
    predict_proba's; returns the largest probability difference."""
    outputs = run(to_onnx(clf, opset=opset), X)
    expected = clf.predict_proba(X)
    np.testing.assert_allclose(
        outputs["probabilities"], expected, rtol=0, atol=TOLERANCE
    )
    np.testing.assert_array_equal(outputs["label"], clf.predict(X))
    return np.abs(outputs["probabilities"] - expected).max()


def fit_classifier(y=Y_MULTICLASS, X=X, **params):
    params = {"hidden_layer_sizes": (8, 6), "max_iter": 5, "random_state": 0, **params}
    return MLPClassifier(**params).fit(X, y)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation(activation):
    check_classifier(fit_classifier(activation=activation, learning_rate_init=0.05))


def test_leaky_relu_keeps_the_models_slope():
    clf = fit_classifier(activation="leaky_relu", leaky_relu_slope=0.3)
    clf.coefs_[0][...] *= 4  # negative pre-activations on most rows
    check_classifier(clf)


def test_activation_per_layer():
    check_classifier(fit_classifier(activation=["gelu", "selu"]))


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("normalization", ["batch", "layer"])
def test_normalization(normalization, position):
    clf = fit_classifier(
        normalization=normalization,
        normalization_position=position,
        activation="tanh",
        learning_rate_init=0.05,
    )
    check_classifier(clf)


def test_batch_norm_statistics_are_used():
    # Running statistics far from the defaults: a graph that left them out
    # would differ by far more than the tolerance.
    clf = fit_classifier(normalization="batch", X=X * 5 + 3, max_iter=20)
    check_classifier(clf, X=X * 5 + 3)


@pytest.mark.parametrize("opset", [13, 16])
def test_layer_norm_before_layer_normalization_exists(opset):
    model = to_onnx(fit_classifier(normalization="layer"), opset=opset)
    assert "LayerNormalization" not in {node.op_type for node in model.graph.node}
    check_classifier(fit_classifier(normalization="layer"), opset=opset)


def test_weight_normalization():
    check_classifier(fit_classifier(normalization="weight", learning_rate_init=0.05))


@pytest.mark.parametrize("sizes", [(8, 8, 8), (8, 5, 7)])
def test_residual_identity_and_projection(sizes):
    check_classifier(fit_classifier(hidden_layer_sizes=sizes, residual=True))


def test_dropout_is_left_out():
    clf = fit_classifier(dropout=0.4, input_dropout=0.2)
    model = to_onnx(clf)
    assert "Dropout" not in {node.op_type for node in model.graph.node}
    check_classifier(clf)


def test_options_together():
    clf = fit_classifier(
        hidden_layer_sizes=(8, 8, 5),
        activation="gelu",
        normalization="batch",
        residual=True,
        dropout=0.2,
    )
    check_classifier(clf)


def test_binary_and_string_classes():
    binary = fit_classifier(y=np.where(X[:, 0] > 0, "yes", "no"))
    assert binary.n_outputs_ == 1
    check_classifier(binary)
    check_classifier(fit_classifier(y=np.array(["a", "b", "c"])[Y_MULTICLASS]))
    check_classifier(fit_classifier(y=(X[:, 0] > 0).astype(int) * 5 - 2))


def test_multilabel_labels_are_an_indicator():
    y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0]).astype(int)
    check_classifier(fit_classifier(y=y))


def test_float64_fit_matches_float32_predictions():
    clf = fit_classifier(X=X.astype(np.float64))
    check_classifier(clf)


def test_edited_weights_are_exported():
    clf = fit_classifier()
    clf.coefs_[-1] = -clf.coefs_[-1]
    check_classifier(clf)


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "squared_error"},
        {"loss": "poisson", "normalization": "batch"},
    ],
)
def test_regressor(params):
    y = np.exp(0.5 * X[:, 0]) if params["loss"] == "poisson" else X[:, :2] @ [1, -2]
    reg = MLPRegressor(
        hidden_layer_sizes=(8, 6), max_iter=5, random_state=0, **params
    ).fit(X, y)
    variable = run(to_onnx(reg), X)["variable"]
    assert variable.shape == (len(X), 1)
    np.testing.assert_allclose(variable.ravel(), reg.predict(X), rtol=0, atol=TOLERANCE)


def test_multioutput_regressor():
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(
        X, X[:, :3] * 2
    )
    variable = run(to_onnx(reg), X)["variable"]
    np.testing.assert_allclose(variable, reg.predict(X), rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"normalization": "weight"},
        {"normalization": "batch", "activation": "gelu"},
        {"hidden_layer_sizes": (8, 5, 7), "residual": True},
    ],
)
def test_int8_runs_the_engines_int8_products(params):
    clf = fit_classifier(**params)
    clf.set_params(inference_precision="int8")
    model = to_onnx(clf)
    assert "MatMulInteger" in {node.op_type for node in model.graph.node}
    check_classifier(clf)
    # Rows of zeros quantize with scale 1, as in the engine.
    check_classifier(clf, X=np.zeros((3, X.shape[1]), dtype=np.float32))


def test_int8_regressor():
    reg = MLPRegressor(hidden_layer_sizes=(8, 6), max_iter=5, random_state=0).fit(
        X, X[:, 0]
    )
    reg.set_params(inference_precision="int8")
    variable = run(to_onnx(reg), X)["variable"]
    np.testing.assert_allclose(variable.ravel(), reg.predict(X), rtol=0, atol=TOLERANCE)


def test_refusals():
    with pytest.raises(NotFittedError):
        to_onnx(MLPClassifier())
    clf = fit_classifier()
    for opset in [12, 10_000, 17.0, True, "17"]:
        with pytest.raises(ValueError, match="opset must be an integer from 13"):
            to_onnx(clf, opset=opset)
    with pytest.raises(TypeError, match="exports fastdnn.MLPClassifier"):
        to_onnx(StandardScaler().fit(X))


# ----------------------------------------------------------------------
# skl2onnx


def run_converted(pipeline, X, **options):
    estimator = pipeline.steps[-1][1]
    model = skl2onnx.to_onnx(
        pipeline, X[:1], options={id(estimator): options} if options else None
    )
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def scaled_columns():
    return ColumnTransformer(
        [("scaled", StandardScaler(), [0, 1, 2]), ("kept", "passthrough", [3, 4, 5])]
    )


@pytest.mark.parametrize(
    "preprocessing, y",
    [
        (StandardScaler, Y_MULTICLASS),
        (StandardScaler, np.array(["a", "b", "c"])[Y_MULTICLASS]),
        (scaled_columns, Y_MULTICLASS),
    ],
)
def test_skl2onnx_pipeline_without_zipmap(preprocessing, y):
    clf = MLPClassifier((8,), normalization="batch", max_iter=5)
    pipeline = make_pipeline(preprocessing(), clf).fit(X, y)
    label, probabilities = run_converted(pipeline, X, zipmap=False)
    np.testing.assert_array_equal(label, pipeline.predict(X))
    np.testing.assert_allclose(
        probabilities, pipeline.predict_proba(X), rtol=0, atol=TOLERANCE
    )


def test_skl2onnx_zipmap_by_default_and_class_indices_with_nocl():
    pipeline = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=5))
    pipeline.fit(X, np.array([10, 20, 30])[Y_MULTICLASS])
    label, probabilities = run_converted(pipeline, X)
    np.testing.assert_array_equal(label, pipeline.predict(X))
    assert isinstance(probabilities, list) and set(probabilities[0]) == {10, 20, 30}
    as_array = np.array([[row[c] for c in (10, 20, 30)] for row in probabilities])
    np.testing.assert_allclose(as_array, pipeline.predict_proba(X), atol=TOLERANCE)
    label, _ = run_converted(pipeline, X, zipmap=False, nocl=True)
    np.testing.assert_array_equal(label, pipeline.predict(X) // 10 - 1)


def test_skl2onnx_regressor_and_float64_input():
    pipeline = make_pipeline(
        StandardScaler(), MLPRegressor(hidden_layer_sizes=(8,), max_iter=5)
    )
    pipeline.fit(X, X[:, 0] - X[:, 1])
    # A float64 input, cast to float32 before the network.
    (variable,) = run_converted(pipeline, X.astype(np.float64))
    np.testing.assert_allclose(
        variable.ravel(), pipeline.predict(X), rtol=0, atol=TOLERANCE
    )


def test_skl2onnx_refuses_multilabel():
    y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    clf = MLPClassifier((4,), max_iter=5).fit(X, y)
    with pytest.raises(NotImplementedError, match="multilabel"):
        skl2onnx.to_onnx(clf, X[:1])


def test_loaded_on_first_use_from_the_package():
    code = """
import sys
import fastdnn
assert "onnx" not in sys.modules and "skl2onnx" not in sys.modules
assert callable(fastdnn.onnx.to_onnx) and "skl2onnx" in sys.modules
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
