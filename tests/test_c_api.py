"""The C API (docs/c_api.md): libfastdnn loads the model files Python saves
and predicts what predict_proba / predict give, bit for bit; it refuses every
corrupt, truncated or foreign file as Python's loader does, answers bad
arguments with an error code, and serves many threads at once. Driven here
through ctypes, and through the C and C++ examples built by CMake against
the installed package."""

import ctypes
import json
import os
import re
import shutil
import struct
import subprocess
import threading

import fastdnn
import numpy as np
import pandas as pd
import pytest
from estimator_helpers import ignore_convergence, small_classification, small_regression
from fastdnn import MLPClassifier, MLPRegressor
from fastdnn._options import HIDDEN_ACTIVATIONS
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

DATA = os.path.join(os.path.dirname(__file__), "data")
EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "c_api")

# The C API the issue fixes, and the error codes fastdnn.h names.
C_FUNCTIONS = {
    "fastdnn_load",
    "fastdnn_free",
    "fastdnn_n_features",
    "fastdnn_n_outputs",
    "fastdnn_metadata_json",
    "fastdnn_predict",
    "fastdnn_error_string",
}
OK, NULL_ARGUMENT, NO_ROWS, NON_FINITE_INPUT, TOO_MANY_ROWS = 0, 1, 2, 3, 4


@pytest.fixture(scope="module")
def lib():
    library = ctypes.CDLL(fastdnn.get_library())
    signatures = {
        "fastdnn_load": (
            ctypes.c_void_p,
            [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t],
        ),
        "fastdnn_free": (None, [ctypes.c_void_p]),
        "fastdnn_n_features": (ctypes.c_size_t, [ctypes.c_void_p]),
        "fastdnn_n_outputs": (ctypes.c_size_t, [ctypes.c_void_p]),
        "fastdnn_metadata_json": (ctypes.c_char_p, [ctypes.c_void_p]),
        "fastdnn_predict": (
            ctypes.c_int,
            [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p],
        ),
        "fastdnn_error_string": (ctypes.c_char_p, [ctypes.c_int]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(library, name)
        function.restype, function.argtypes = restype, argtypes
    return library


class CModel:
    """A model loaded by fastdnn_load, freed on leaving its with block."""

    def __init__(self, lib, path):
        self.lib = lib
        error = ctypes.create_string_buffer(1024)
        self.handle = lib.fastdnn_load(os.fsencode(path), error, len(error))
        # A message quotes the file, whose text may be cut anywhere.
        self.error = error.value.decode(errors="replace")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.lib.fastdnn_free(self.handle)

    def predict(self, X):
        X = np.ascontiguousarray(X, dtype=np.float32)
        out = np.empty((len(X), self.lib.fastdnn_n_outputs(self.handle)), np.float32)
        code = self.lib.fastdnn_predict(
            self.handle, X.ctypes.data, len(X), out.ctypes.data
        )
        assert code == OK, self.lib.fastdnn_error_string(code)
        return out


@pytest.fixture
def scratch():
    """A path to a file in memory, rewritten for each load: thousands of
    loads cost no disk."""
    descriptor = os.memfd_create("model.fdnn")
    yield descriptor
    os.close(descriptor)


def c_load_bytes(lib, data, scratch):
    """(loaded, message) for a model file holding data."""
    os.ftruncate(scratch, 0)
    os.pwrite(scratch, data, 0)
    with CModel(lib, f"/proc/self/fd/{scratch}") as model:
        return model.handle is not None, model.error


def python_outputs(est, X):
    """What the C API must give: predict_proba of a classifier, predict of a
    regressor as a 2-D array, on float32 X."""
    X = np.asarray(X, dtype=np.float32)
    if hasattr(est, "feature_names_in_"):
        X = pd.DataFrame(X, columns=est.feature_names_in_)
    if isinstance(est, MLPClassifier):
        return np.asarray(est.predict_proba(X))
    return np.asarray(est.predict(X)).reshape(len(X), -1)


def _fitted(Est, X, y, **params):
    with ignore_convergence():
        return Est(**{"max_iter": 4, "random_state": 0, **params}).fit(X, y)


@pytest.fixture(scope="module")
def small_file():
    X, y = small_classification()
    return _fitted(MLPClassifier, X, y, hidden_layer_sizes=(3,), max_iter=2).to_bytes()


# ----------------------------------------------------------------------------
# The package locates the C API, which is exactly the issue's


def test_the_package_locates_header_library_and_cmake_package():
    assert os.path.isfile(os.path.join(fastdnn.get_include(), "fastdnn.h"))
    assert os.path.isfile(fastdnn.get_library())
    assert os.path.basename(fastdnn.get_library()) == "libfastdnn.so"
    for name in ("fastdnnConfig.cmake", "fastdnnConfigVersion.cmake"):
        assert os.path.isfile(os.path.join(fastdnn.get_cmake_dir(), name))


def test_header_and_library_hold_exactly_the_issues_functions():
    with open(os.path.join(fastdnn.get_include(), "fastdnn.h")) as header:
        declared = set(re.findall(r"\b(fastdnn_\w+)\s*\(", header.read()))
    assert declared == C_FUNCTIONS
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("no nm to list the library's symbols")
    listing = subprocess.run(
        [nm, "-D", "--defined-only", fastdnn.get_library()],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    exported = {
        line.split()[-1].split("@")[0]
        for line in listing.splitlines()
        if line.split()[-2] in ("T", "W")
    }
    assert exported == C_FUNCTIONS
    assert "fastdnn_predict@@FASTDNN_1" in listing


# ----------------------------------------------------------------------------
# Predictions: what Python predicts, bit for bit


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
@pytest.mark.parametrize("fit_dtype", [np.float64, np.float32])
def test_every_model_predicts_what_python_predicts(lib, tmp_path, Est, name, fit_dtype):
    X, y = small_classification() if Est is MLPClassifier else small_regression()
    est = _fitted(Est, X.astype(fit_dtype), y, **CONFIGURATIONS[name])
    est.save(tmp_path / "model.fdnn")
    expected = python_outputs(est, X)
    with CModel(lib, tmp_path / "model.fdnn") as model:
        assert model.error == ""
        assert lib.fastdnn_n_features(model.handle) == X.shape[1]
        batch = model.predict(X)
        assert batch.tobytes() == expected.tobytes()
        # A row alone gives the bits it gets in a batch.
        for row in (0, len(X) - 1):
            assert model.predict(X[row : row + 1]).tobytes() == batch[row].tobytes()


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_activation_predicts_what_python_predicts(lib, tmp_path, activation):
    X, y = small_classification()
    est = _fitted(MLPClassifier, X, y, hidden_layer_sizes=(5,), activation=activation)
    est.save(tmp_path / "model.fdnn")
    with CModel(lib, tmp_path / "model.fdnn") as model:
        assert model.predict(X).tobytes() == python_outputs(est, X).tobytes()


def test_poisson_regressor_exp_outputs_are_what_python_predicts(lib, tmp_path):
    X, y = small_regression()
    est = _fitted(MLPRegressor, X, np.abs(y), loss="poisson")
    assert est.out_activation_ == "exp"
    est.save(tmp_path / "model.fdnn")
    with CModel(lib, tmp_path / "model.fdnn") as model:
        assert model.predict(X).tobytes() == python_outputs(est, X).tobytes()


@pytest.mark.parametrize(
    "kind", ["binary_strings", "multiclass", "multilabel", "multi_output_regressor"]
)
def test_outputs_are_predict_proba_columns_or_targets(lib, tmp_path, kind):
    X, y = small_classification()
    Est = MLPClassifier
    if kind == "binary_strings":
        y = np.array(["no", "yes"])[(y > 0).astype(int)]
    elif kind == "multilabel":
        y = np.stack([y > 0, y < 2, y % 2 == 0], axis=1).astype(int)
    elif kind == "multi_output_regressor":
        Est, (X, y) = MLPRegressor, small_regression()
        y = np.stack([y, 2 * y], axis=1)
    est = _fitted(Est, X, y)
    est.save(tmp_path / "model.fdnn")
    expected = python_outputs(est, X)
    with CModel(lib, tmp_path / "model.fdnn") as model:
        assert lib.fastdnn_n_outputs(model.handle) == expected.shape[1]
        assert model.predict(X).tobytes() == expected.tobytes()
        metadata = json.loads(lib.fastdnn_metadata_json(model.handle))
    assert metadata == header_of(est.to_bytes())
    if Est is MLPClassifier and kind != "multilabel":
        assert metadata["classes"]["values"] == est.classes_.tolist()


@pytest.mark.parametrize("name", ["classifier", "regressor"])
def test_committed_version_1_files_load_and_predict_as_in_python(lib, name):
    path = os.path.join(DATA, f"model_v1_{name}.fdnn")
    est = fastdnn.load(path)
    X = np.random.default_rng(0).normal(size=(7, est.n_features_in_))
    with CModel(lib, path) as model:
        assert model.predict(X).tobytes() == python_outputs(est, X).tobytes()


def test_many_threads_on_one_model_get_what_one_thread_gets(lib, tmp_path):
    # ctypes releases the GIL for the call: the threads predict at once.
    X, y = small_classification()
    models = {
        precision: _fitted(MLPClassifier, X, y, inference_precision=precision)
        for precision in ("float32", "int8")
    }
    X = np.ascontiguousarray(np.tile(X, (4, 1)), dtype=np.float32)
    for precision, est in models.items():
        est.save(tmp_path / f"{precision}.fdnn")
        with CModel(lib, tmp_path / f"{precision}.fdnn") as model:
            expected = model.predict(X)
            results = [[] for _ in range(6)]

            def client(index, model=model, results=results):
                for repeat in range(10):
                    rows = X[repeat:] if index % 2 else X[repeat : repeat + 1]
                    results[index].append((repeat, model.predict(rows)))

            threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for index, outputs in enumerate(results):
                assert len(outputs) == 10
                for repeat, got in outputs:
                    want = expected[repeat:] if index % 2 else expected[repeat:][:1]
                    assert got.tobytes() == want.tobytes()


# ----------------------------------------------------------------------------
# Bad arguments: an error code, never a crash


def test_bad_arguments_return_their_error_codes(lib, tmp_path, small_file):
    (tmp_path / "model.fdnn").write_bytes(small_file)
    with CModel(lib, tmp_path / "model.fdnn") as model:
        n_features = lib.fastdnn_n_features(model.handle)
        X = np.zeros((2, n_features), np.float32)
        out = np.zeros((2, lib.fastdnn_n_outputs(model.handle)), np.float32)
        x, o, h = X.ctypes.data, out.ctypes.data, model.handle
        predict = lib.fastdnn_predict
        assert predict(h, x, 2, o) == OK
        assert predict(None, x, 2, o) == NULL_ARGUMENT
        assert predict(h, None, 2, o) == NULL_ARGUMENT
        assert predict(h, x, 2, None) == NULL_ARGUMENT
        assert predict(h, x, 0, o) == NO_ROWS
        for bad in (np.nan, np.inf, -np.inf):
            X[1, n_features - 1] = bad
            assert predict(h, x, 2, o) == NON_FINITE_INPUT
        # Rows past the address space are refused before X is read.
        assert predict(h, x, 2**62, o) == TOO_MANY_ROWS
        assert predict(h, x, 2**64 - 1, o) == TOO_MANY_ROWS
    assert lib.fastdnn_n_features(None) == 0
    assert lib.fastdnn_n_outputs(None) == 0
    assert lib.fastdnn_metadata_json(None) is None
    lib.fastdnn_free(None)


def test_every_error_code_has_its_own_message(lib):
    messages = {code: lib.fastdnn_error_string(code).decode() for code in range(0, 7)}
    assert messages[OK] == "success"
    assert "NULL" in messages[NULL_ARGUMENT]
    assert "no rows" in messages[NO_ROWS]
    assert "NaN or infinity" in messages[NON_FINITE_INPUT]
    assert "too large" in messages[TOO_MANY_ROWS]
    assert len(set(messages.values())) == 7
    for unknown in (-1, 7, 2**31 - 1):
        assert "unknown" in lib.fastdnn_error_string(unknown).decode()


# ----------------------------------------------------------------------------
# The loader: every bad file refused, as Python refuses it


def _python_error(data):
    with pytest.raises(ValueError) as error:
        fastdnn.from_bytes(data)
    return str(error.value)


def test_missing_unreadable_and_null_paths_are_refused(lib, tmp_path):
    with CModel(lib, tmp_path / "absent.fdnn") as model:
        assert model.handle is None
        assert "Cannot open the model file" in model.error
        assert "No such file" in model.error
    with CModel(lib, tmp_path) as model:  # a directory
        assert model.handle is None
        assert "Cannot read the model file" in model.error
    error = ctypes.create_string_buffer(b"x" * 100)
    assert lib.fastdnn_load(None, error, len(error)) is None
    assert b"NULL path" in error.value


def test_the_error_message_is_cut_to_its_buffer(lib, tmp_path):
    path = os.fsencode(tmp_path / "absent.fdnn")
    error = ctypes.create_string_buffer(b"x" * 10)
    assert lib.fastdnn_load(path, error, 8) is None
    assert error.raw[:8] == b"Cannot \0" and error.raw[8:] == b"xx\0"
    assert lib.fastdnn_load(path, None, 0) is None


def test_every_truncation_is_refused_with_pythons_message(lib, scratch, small_file):
    for length in range(len(small_file)):
        loaded, message = c_load_bytes(lib, small_file[:length], scratch)
        assert not loaded
        assert message == _python_error(small_file[:length])
    loaded, message = c_load_bytes(lib, small_file + b"\0", scratch)
    assert not loaded and "longer than it says" in message


def test_every_flipped_byte_is_refused(lib, scratch, small_file):
    for position in range(len(small_file)):
        damaged = bytearray(small_file)
        damaged[position] ^= 0x10
        loaded, message = c_load_bytes(lib, bytes(damaged), scratch)
        assert not loaded
        assert message == _python_error(bytes(damaged))


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 a zip file", b"\x80\x04\x95 a pickle" + bytes(80), bytes(200)],
    ids=["zip", "pickle", "zeros"],
)
def test_foreign_files_are_refused(lib, scratch, data):
    loaded, message = c_load_bytes(lib, data, scratch)
    assert not loaded
    assert message == "Not a fastdnn model file: its magic number is wrong."


@pytest.mark.parametrize("version", [0, 2, 2**32 - 1])
def test_unknown_versions_are_refused_by_name(lib, scratch, small_file, version):
    data = bytearray(small_file)
    struct.pack_into("<I", data, 8, version)
    loaded, message = c_load_bytes(lib, with_checksum(data), scratch)
    assert not loaded
    assert message == _python_error(with_checksum(data))
    assert re.search(f"format version {version}; .* reads versions 1 to 1", message)


@pytest.mark.parametrize(
    ("offset", "value"), [(24, 2**63), (32, 2**40), (40, 2**62), (16, 0), (48, 1)]
)
def test_huge_or_wrong_preamble_fields_are_refused(
    lib, scratch, small_file, offset, value
):
    data = bytearray(small_file)
    struct.pack_into("<Q", data, offset, value)
    data = with_checksum(data)
    loaded, message = c_load_bytes(lib, data, scratch)
    assert not loaded
    assert message == _python_error(data)


# The C reader checks everything prediction uses; the parameters that shape
# training only, and the NumPy dtype of classes_, are Python's to check.
C_CHECKED_HEADERS = [
    case
    for case in INCONSISTENT_HEADERS
    if case[0][0] != "params" and case[0] != ("classes", "dtype")
]


@pytest.mark.parametrize(("path", "value", "match"), C_CHECKED_HEADERS)
def test_inconsistent_headers_are_refused_by_name(
    lib, scratch, small_file, path, value, match
):
    data = with_header(small_file, edited(header_of(small_file), path, value))
    loaded, message = c_load_bytes(lib, data, scratch)
    assert not loaded
    assert re.search(match, message), message


def test_messages_cut_long_values_between_characters(lib, scratch, small_file):
    header = edited(header_of(small_file), ("class",), "é" * 100)
    loaded, message = c_load_bytes(lib, with_header(small_file, header), scratch)
    assert not loaded
    assert "\ufffd" not in message  # no character cut in two
    assert f"holds a '{'é' * 38}...; the C API loads" in message


@pytest.mark.parametrize(
    ("value", "loads"),
    [
        ("int8", True),
        ("bfloat16", True),
        ("float32", True),
        (REMOVE, True),
        ("float16", False),
        (8, False),
    ],
)
def test_inference_precision_is_read_and_checked(
    lib, scratch, small_file, value, loads
):
    header = edited(header_of(small_file), ("params", "inference_precision"), value)
    loaded, message = c_load_bytes(lib, with_header(small_file, header), scratch)
    assert loaded == loads
    if not loads:
        assert "'inference_precision' parameter must be a str among" in message


def _with_header_text(data, text):
    """data with its header replaced by the bytes text, lengths and checksum
    made right."""
    (payload_offset,) = struct.unpack_from("<Q", data, 32)
    offset = -(-(PREAMBLE + len(text)) // 64) * 64
    new = bytearray(data[:PREAMBLE] + text)
    new += bytes(offset - len(new)) + data[payload_offset:]
    struct.pack_into("<QQ", new, 24, len(text), offset)
    return with_checksum(new)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b'{"class": ', "not valid UTF-8 JSON"),
        (b"\xff\xfe", "not valid UTF-8 JSON"),
        pytest.param(
            b"[" * 100000 + b"]" * 100000,
            "not valid UTF-8 JSON: nesting deeper",
            id="deep_nesting",
        ),
        (b'{"a": 1, "a": 2}', "the key 'a' twice"),
        (b'{"a": NaN}', "not valid UTF-8 JSON"),
        (b'{"a": "\\ud800"}', "lone high surrogate"),
        (b'{"a": "\xc0\xaf"}', "not UTF-8"),
        (b'{"a": 01}', "not valid UTF-8 JSON"),
        (b'{"a": [1,]}', "not valid UTF-8 JSON"),
        (b'{"a": 1} x', "text after the JSON value"),
    ],
)
def test_headers_that_are_not_strict_json_objects_are_refused(
    lib, scratch, small_file, text, match
):
    data = _with_header_text(small_file, text)
    loaded, message = c_load_bytes(lib, data, scratch)
    assert not loaded
    assert re.search(match, message), message


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "utf8"])
def test_strings_escaped_or_not_are_read(lib, tmp_path, small_file, ensure_ascii):
    header = header_of(small_file)
    header["library_version"] = 'é\u2603\U0001f600 "quoted" \\ / \t\n'
    text = json.dumps(header, ensure_ascii=ensure_ascii).encode()
    data = _with_header_text(small_file, text)
    (tmp_path / "model.fdnn").write_bytes(data)
    with CModel(lib, tmp_path / "model.fdnn") as model:
        assert model.error == ""
        assert lib.fastdnn_metadata_json(model.handle) == text


# ----------------------------------------------------------------------------
# Fuzzing: mutations of a valid file give a model or a message, and a file
# Python loads, the C API loads and predicts as Python does


def _c_agrees_with_python(lib, data, scratch):
    loaded, message = c_load_bytes(lib, data, scratch)
    assert loaded or message.startswith(("The model file", "Not a fastdnn model"))
    try:
        est = fastdnn.from_bytes(data)
    except ValueError:
        return
    assert loaded, message
    X = np.linspace(-2, 2, 3 * est.n_features_in_).reshape(3, -1)
    with CModel(lib, f"/proc/self/fd/{scratch}") as model:
        np.testing.assert_array_equal(model.predict(X), python_outputs(est, X))


@given(data=st.data())
@FUZZ
def test_fuzzed_bytes_give_a_model_or_a_message(lib, scratch, small_file, data):
    mutated = data.draw(byte_mutations(small_file))
    if data.draw(st.booleans()) and len(mutated) >= PREAMBLE:
        mutated = with_checksum(mutated)  # past the checksum, to the parser
    _c_agrees_with_python(lib, mutated, scratch)


@given(data=st.data())
@FUZZ
def test_fuzzed_headers_with_valid_checksums_give_a_model_or_a_message(
    lib, scratch, small_file, data
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
    _c_agrees_with_python(lib, with_header(small_file, header), scratch)


# ----------------------------------------------------------------------------
# The examples, built as a user builds them


def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"no {name} to build the C API's examples with")
    return path


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _printed(stdout):
    return np.array([line.split() for line in stdout.splitlines()], np.float32)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A binary and a multiclass model file, rows to predict as text, and
    Python's outputs for them."""
    folder = tmp_path_factory.mktemp("examples")
    X, y = small_classification()
    rows = X[:10].astype(np.float32)
    np.savetxt(folder / "rows.csv", rows, delimiter=",", fmt="%.9g")
    cases = {}
    for name, labels in (("binary", y > 0), ("multiclass", y)):
        est = _fitted(MLPClassifier, X, labels)
        est.save(folder / f"{name}.fdnn")
        cases[name] = python_outputs(est, rows)
    return folder, cases


@pytest.mark.skipif(
    "FASTDNN_EXPECT_SANITIZED" in os.environ,
    reason="the sanitizer run tests the library through ctypes, not compilers",
)
def test_examples_build_with_cmake_and_predict_as_python(saved_model, tmp_path):
    cmake = _tool("cmake")
    _tool("cc")
    # CMake drives ninja where there is one, else make.
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    if not generator:
        _tool("make")
    folder, cases = saved_model
    build = tmp_path / "build"
    _run(
        [cmake, "-S", EXAMPLES, "-B", str(build), *generator]
        + [f"-Dfastdnn_DIR={fastdnn.get_cmake_dir()}", "-DCMAKE_BUILD_TYPE=Release"]
    )
    _run([cmake, "--build", str(build)])
    for name, expected in cases.items():
        model, rows = str(folder / f"{name}.fdnn"), str(folder / "rows.csv")
        printed = _run([str(build / "predict"), model, rows])
        assert _printed(printed).tobytes() == expected.tobytes()
        # Eight threads on one model, each checked against one call.
        threaded = _run([str(build / "predict_threads"), model, rows, "8"])
        assert threaded == printed
    failed = subprocess.run(
        [str(build / "predict"), str(folder / "rows.csv"), str(folder / "rows.csv")],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 1
    assert "Not a fastdnn model file" in failed.stderr


@pytest.mark.skipif(
    "FASTDNN_EXPECT_SANITIZED" in os.environ,
    reason="the sanitizer run tests the library through ctypes, not compilers",
)
def test_the_c_example_builds_with_a_plain_compiler_command(saved_model, tmp_path):
    cc = _tool("cc")
    folder, cases = saved_model
    library = os.path.dirname(fastdnn.get_library())
    program = tmp_path / "predict"
    _run(
        [
            cc,
            "-std=c99",
            "-Wall",
            "-Werror",
            f"-I{fastdnn.get_include()}",
            os.path.join(EXAMPLES, "predict.c"),
            f"-L{library}",
            f"-Wl,-rpath,{library}",
            "-lfastdnn",
            "-o",
            str(program),
        ]
    )
    printed = _run(
        [str(program), str(folder / "binary.fdnn"), str(folder / "rows.csv")]
    )
    assert _printed(printed).tobytes() == cases["binary"].tobytes()
