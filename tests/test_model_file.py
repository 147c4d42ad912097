"""The model file (docs/model_format.md): save / load and to_bytes /
from_bytes give the same predictions bit for bit, the committed version-1
files load forever, and every corrupt, truncated, foreign or inconsistent
file is a ValueError naming the problem."""

import pathlib
import pickle
import struct

import fastdnn
import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from estimator_helpers import ignore_convergence, small_classification, small_regression
from fastdnn import MLPClassifier, MLPRegressor
from fastdnn.callbacks import TerminateOnNaN
from hypothesis import given
from hypothesis import strategies as st
from model_file_helpers import (
    CONFIGURATIONS,
    FUZZ,
    INCONSISTENT_HEADERS,
    JSON_VALUES,
    PREAMBLE,
    REMOVE,
    byte_mutations,
    edited,
    header_of,
    paths_in,
    with_checksum,
    with_header,
)
from sklearn.exceptions import NotFittedError

DATA = pathlib.Path(__file__).parent / "data"


def _fitted(Est, X=None, y=None, **params):
    if X is None:
        X, y = small_classification() if Est is MLPClassifier else small_regression()
    params = {"max_iter": 4, "random_state": 0, **params}
    with ignore_convergence():
        return Est(**params).fit(X, y), X


def _outputs(est, X):
    if isinstance(est, MLPClassifier):
        return est.predict_proba(X), est.predict(X)
    return (est.predict(X),)


def _assert_same_predictions(restored, est, X):
    for got, expected in zip(_outputs(restored, X), _outputs(est, X), strict=True):
        assert got.dtype == expected.dtype
        assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_predicts_bit_identically(Est, name, dtype):
    X, y = small_classification() if Est is MLPClassifier else small_regression()
    X = X.astype(dtype)
    est, _ = _fitted(Est, X, y, **CONFIGURATIONS[name])
    restored = fastdnn.from_bytes(est.to_bytes())
    assert type(restored) is Est
    assert restored.get_params() == est.get_params()
    _assert_same_predictions(restored, est, X)
    for got, expected in zip(restored.coefs_, est.coefs_, strict=True):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    for name in ("n_features_in_", "n_outputs_", "n_layers_", "out_activation_"):
        assert getattr(restored, name) == getattr(est, name)
    assert restored.n_iter_ == est.n_iter_
    assert restored.loss_ == est.loss_


def test_save_and_load_through_a_path(tmp_path):
    est, X = _fitted(MLPClassifier)
    path = tmp_path / "model.fdnn"
    est.save(path)
    assert path.read_bytes() == est.to_bytes()
    restored = fastdnn.load(str(path))
    _assert_same_predictions(restored, est, X)
    np.testing.assert_array_equal(restored.classes_, est.classes_)
    # A loaded model saves the same file, and pickles as any other.
    assert restored.to_bytes() == path.read_bytes()
    _assert_same_predictions(pickle.loads(pickle.dumps(restored)), est, X)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["no", "yes"]),
        np.array([False, True]),
        np.array([-1.0, 0.0, 3.0]),
        np.array(["a", "b", "c"], dtype=object),
        np.array([10, 20, 30, 40]),
    ],
    ids=["binary_strings", "booleans", "floats", "object_strings", "integers"],
)
def test_classes_of_every_label_type_come_back(labels):
    X, _ = small_classification()
    y = labels[np.arange(len(X)) % len(labels)]
    est, _ = _fitted(MLPClassifier, X, y)
    restored = fastdnn.from_bytes(est.to_bytes())
    assert restored.classes_.dtype == est.classes_.dtype
    np.testing.assert_array_equal(restored.classes_, est.classes_)
    _assert_same_predictions(restored, est, X)
    assert restored.score(X, y) == est.score(X, y)


def test_multilabel_and_multi_output_models_come_back():
    X, _ = small_classification()
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0]).astype(int)
    classifier, _ = _fitted(MLPClassifier, X, Y)
    regressor, _ = _fitted(MLPRegressor, X, Y * 2.0 - 1.0)
    for est in (classifier, regressor):
        _assert_same_predictions(fastdnn.from_bytes(est.to_bytes()), est, X)


def test_feature_names_and_sparse_training_come_back():
    X, y = small_classification()
    frame = pd.DataFrame(X, columns=[f"feature {i}" for i in range(X.shape[1])])
    named, _ = _fitted(MLPClassifier, frame, y)
    restored = fastdnn.from_bytes(named.to_bytes())
    np.testing.assert_array_equal(restored.feature_names_in_, named.feature_names_in_)
    _assert_same_predictions(restored, named, frame)
    with pytest.raises(ValueError, match="feature names"):
        restored.predict(frame.rename(columns={"feature 0": "other"}))

    sparse = scipy.sparse.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    trained_sparse, _ = _fitted(MLPRegressor, sparse, X[:, 0])
    restored = fastdnn.from_bytes(trained_sparse.to_bytes())
    _assert_same_predictions(restored, trained_sparse, sparse)


def test_edited_weights_are_saved():
    est, X = _fitted(MLPRegressor)
    est.coefs_[0] = est.coefs_[0] * 2.0
    restored = fastdnn.from_bytes(est.to_bytes())
    _assert_same_predictions(restored, est, X)


def test_loaded_model_trains_on_from_its_weights():
    # The file holds no optimizer state: partial_fit goes on from the saved
    # weights with a fresh optimizer, as the original does with one.
    est, X = _fitted(MLPClassifier)
    restored = fastdnn.from_bytes(est.to_bytes())
    restored.partial_fit(X, small_classification()[1])
    assert restored.n_iter_ == 1
    est._trainer = None
    est.partial_fit(X, small_classification()[1])
    _assert_same_predictions(restored, est, X)


def test_parameters_json_cannot_hold_are_listed_and_take_their_defaults():
    est, X = _fitted(
        MLPClassifier, scoring=lambda estimator, X, y: 0.0, callbacks=[TerminateOnNaN()]
    )
    data = est.to_bytes()
    assert header_of(data)["params_not_stored"] == ["callbacks", "scoring"]
    restored = fastdnn.from_bytes(data)
    assert restored.scoring is None and restored.callbacks is None
    _assert_same_predictions(restored, est, X)


def test_parameters_of_numpy_and_container_types_come_back_as_they_were():
    params = dict(
        hidden_layer_sizes=np.array([5, 4], dtype=np.int16),
        dropout=np.array([0.25, 0.125], dtype=np.float32),
        alpha=np.float64(0.5),
        max_iter=np.int32(3),
        tol=np.float64(0.0),
        activation=["tanh", "relu"],
        trainable_layers=[0, 2],
        validation_fraction=0.25,
    )
    est, X = _fitted(MLPClassifier, **params)
    restored = fastdnn.from_bytes(est.to_bytes())
    for name, value in params.items():
        got = getattr(restored, name)
        assert isinstance(got, np.ndarray) == isinstance(value, np.ndarray), name
        np.testing.assert_array_equal(got, value)
    assert restored.hidden_layer_sizes.dtype == np.int64
    assert restored.dropout.dtype == np.float32
    _assert_same_predictions(restored, est, X)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_unfitted_estimator_cannot_be_saved(Est, tmp_path):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Est().to_bytes()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Est().save(tmp_path / "model.fdnn")
    assert not (tmp_path / "model.fdnn").exists()


def test_from_bytes_refuses_what_is_not_bytes():
    with pytest.raises(TypeError, match="from bytes"):
        fastdnn.from_bytes("model.fdnn")


# ----------------------------------------------------------------------------
# the committed version-1 files: they load, and predict as they did, forever

ROWS = pd.DataFrame(
    [[0.5, -1.0, 2.0], [-0.25, 0.75, -1.5], [1.5, 0.0, 0.25]],
    columns=["width", "height", "depth"],
)


def test_version_1_classifier_file_loads_forever():
    est = fastdnn.load(DATA / "model_v1_classifier.fdnn")
    assert isinstance(est, MLPClassifier)
    assert est.normalization == "layer"
    np.testing.assert_array_equal(est.classes_, ["circle", "square", "triangle"])
    np.testing.assert_array_equal(est.feature_names_in_, ["width", "height", "depth"])
    np.testing.assert_allclose(
        est.predict_proba(ROWS),
        [
            [0.36489443690476164, 0.2269204545500167, 0.4081851085452216],
            [0.21400327725543916, 0.11305570161578195, 0.6729410211287788],
            [0.46317737073757365, 0.3333135107571949, 0.2035091185052315],
        ],
        rtol=1e-6,
    )
    np.testing.assert_array_equal(est.predict(ROWS), ["triangle", "triangle", "circle"])


def test_version_1_regressor_file_loads_forever():
    est = fastdnn.load(DATA / "model_v1_regressor.fdnn")
    assert isinstance(est, MLPRegressor)
    assert est.normalization == "batch"
    np.testing.assert_allclose(
        est.predict(ROWS),
        [
            [-1.1731188297271729, 0.7910546064376831],
            [-0.8364442586898804, 0.9682934284210205],
            [-0.9773832559585571, 1.2870267629623413],
        ],
        rtol=1e-6,
    )


# ----------------------------------------------------------------------------
# damaged and foreign files: a ValueError naming the problem


@pytest.fixture(scope="module")
def small_file():
    est, _ = _fitted(MLPClassifier, hidden_layer_sizes=(3,), max_iter=2)
    return est.to_bytes()


def test_every_truncation_is_refused(small_file):
    for length in range(len(small_file)):
        with pytest.raises(ValueError, match="truncated|magic number"):
            fastdnn.from_bytes(small_file[:length])


def test_trailing_bytes_are_refused(small_file):
    with pytest.raises(ValueError, match="longer than it says"):
        fastdnn.from_bytes(small_file + b"\0")


def test_every_flipped_byte_is_refused(small_file):
    for position in range(len(small_file)):
        damaged = bytearray(small_file)
        damaged[position] ^= 0x10
        with pytest.raises(ValueError, match="model file"):
            fastdnn.from_bytes(bytes(damaged))


def test_payload_corruption_is_caught_by_the_checksum(small_file):
    damaged = bytearray(small_file)
    damaged[-3] ^= 0x01
    with pytest.raises(ValueError, match="checksum"):
        fastdnn.from_bytes(bytes(damaged))


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 a zip file", pickle.dumps(MLPClassifier()), bytes(200)],
    ids=["zip", "pickle", "zeros"],
)
def test_foreign_files_are_refused(data):
    with pytest.raises(ValueError, match="Not a fastdnn model file"):
        fastdnn.from_bytes(data)


@pytest.mark.parametrize("version", [0, 2, 2**32 - 1])
def test_unknown_versions_are_refused_by_name(small_file, version):
    data = bytearray(small_file)
    struct.pack_into("<I", data, 8, version)
    with pytest.raises(
        ValueError, match=f"format version {version}; .* reads versions 1 to 1"
    ):
        fastdnn.from_bytes(with_checksum(data))


@pytest.mark.parametrize(
    ("offset", "value", "match"),
    [
        (24, 2**63, "header of .* bytes ends past"),
        (32, 2**40, "payload offset"),
        (40, 2**62, "truncated: its payload ends"),
        (16, 0, "header offset"),
        (48, 1, "reserved"),
    ],
)
def test_huge_or_wrong_preamble_fields_are_refused(small_file, offset, value, match):
    data = bytearray(small_file)
    struct.pack_into("<Q", data, offset, value)
    with pytest.raises(ValueError, match=match):
        fastdnn.from_bytes(with_checksum(data))


@pytest.mark.parametrize(("path", "value", "match"), INCONSISTENT_HEADERS)
def test_inconsistent_headers_are_refused_by_name(small_file, path, value, match):
    data = with_header(small_file, edited(header_of(small_file), path, value))
    with pytest.raises(ValueError, match=match):
        fastdnn.from_bytes(data)


def test_binary_label_type_with_more_than_two_classes_is_refused():
    est, _ = _fitted(MLPClassifier, hidden_layer_sizes=(3,), max_iter=2)
    X, y = small_classification()
    binary, _ = _fitted(MLPClassifier, X, y > 0, hidden_layer_sizes=(3,), max_iter=2)
    data = binary.to_bytes()
    header = edited(
        header_of(data), ("classes",), {"dtype": "<i8", "values": [0, 1, 2]}
    )
    with pytest.raises(ValueError, match="'binary' with 3 classes"):
        fastdnn.from_bytes(with_header(data, header))


def test_a_parameter_the_file_lacks_takes_its_default(small_file):
    # Files written before a parameter existed keep loading.
    header = edited(header_of(small_file), ("params", "activity_l1"), REMOVE)
    header = edited(header, ("params", "alpha"), 0.5)
    restored = fastdnn.from_bytes(with_header(small_file, header))
    assert restored.activity_l1 == MLPClassifier().activity_l1
    assert restored.alpha == 0.5


def test_headers_that_are_not_json_objects_are_refused(small_file):
    for text, match in [
        (b"[1, 2]", "not a JSON object"),
        (b'{"class": ', "not valid UTF-8 JSON"),
        (b"\xff\xfe", "not valid UTF-8 JSON"),
        (b"[" * 100000 + b"]" * 100000, "not valid UTF-8 JSON"),
    ]:
        (payload_offset,) = struct.unpack_from("<Q", small_file, 32)
        offset = -(-(PREAMBLE + len(text)) // 64) * 64
        new = bytearray(small_file[:PREAMBLE] + text)
        new += bytes(offset - len(new)) + small_file[payload_offset:]
        struct.pack_into("<QQ", new, 24, len(text), offset)
        with pytest.raises(ValueError, match=match):
            fastdnn.from_bytes(with_checksum(new))


# ----------------------------------------------------------------------------
# fuzzing: mutations of valid files give a model or a ValueError, nothing else


def _load_or_value_error(data):
    try:
        fastdnn.from_bytes(data)
    except ValueError:
        pass


@given(data=st.data())
@FUZZ
def test_fuzzed_bytes_give_a_model_or_a_value_error(small_file, data):
    mutated = data.draw(byte_mutations(small_file))
    if data.draw(st.booleans()) and len(mutated) >= PREAMBLE:
        mutated = with_checksum(mutated)  # past the checksum, to the parser
    _load_or_value_error(mutated)


@given(data=st.data())
@FUZZ
def test_fuzzed_headers_with_valid_checksums_give_a_model_or_a_value_error(
    small_file, data
):
    header = header_of(small_file)
    paths = [path for path in paths_in(header) if path]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        value = data.draw(JSON_VALUES | st.just(REMOVE))
        try:
            header = edited(header, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced the path
    _load_or_value_error(with_header(small_file, header))
