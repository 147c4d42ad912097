"""Model files made valid, then wrong: the edits, mutations and
configurations that tests/test_model_file.py and tests/test_c_api.py both
feed to a loader (Python's and the C API's)."""

import json
import os
import struct

from fastdnn._model_file import checksum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PREAMBLE = 64

CONFIGURATIONS = {
    "plain": {},
    "two_layers_tanh": dict(hidden_layer_sizes=(6, 5), activation="tanh"),
    "per_layer_activations": dict(
        hidden_layer_sizes=(6, 5), activation=["elu", "leaky_relu"]
    ),
    "batch_norm": dict(hidden_layer_sizes=(6, 5), normalization="batch"),
    "batch_norm_after": dict(normalization="batch", normalization_position="after"),
    "layer_norm": dict(normalization="layer"),
    "weight_norm": dict(normalization="weight"),
    "group_norm": dict(hidden_layer_sizes=(8, 4), normalization="group", norm_groups=2),
    "decorrelated_batch_norm": dict(
        hidden_layer_sizes=(8, 4), normalization="decorrelated_batch", norm_groups=2
    ),
    "dropout": dict(hidden_layer_sizes=(6, 5), dropout=[0.2, 0.1], input_dropout=0.1),
    "residual": dict(hidden_layer_sizes=(6, 6), residual=True, activity_l1=0.01),
    "polyak_averaging": dict(averaging="polyak", averaging_start=1),
    "ema_averaging": dict(averaging="ema"),
    "int8": dict(inference_precision="int8"),
    "bfloat16": dict(inference_precision="bfloat16"),
    "lbfgs": dict(solver="lbfgs"),
}


def header_of(data):
    (length,) = struct.unpack_from("<Q", data, 24)
    return json.loads(data[PREAMBLE : PREAMBLE + length])


def with_header(data, header):
    """A file with the given header and data's payload, its lengths and
    checksum made right, so that only the header's content is wrong."""
    (payload_offset,) = struct.unpack_from("<Q", data, 32)
    text = json.dumps(header).encode()
    offset = -(-(PREAMBLE + len(text)) // 64) * 64
    new = bytearray(data[:PREAMBLE] + text)
    new += bytes(offset - len(new)) + data[payload_offset:]
    struct.pack_into("<QQ", new, 24, len(text), offset)
    return with_checksum(new)


def with_checksum(data):
    data = bytearray(data)
    struct.pack_into("<I", data, 12, checksum(data))
    return bytes(data)


def edited(header, path, value):
    """A copy of header with the key at path set to value (or removed)."""
    header = json.loads(json.dumps(header))
    target = header
    for key in path[:-1]:
        target = target[key]
    if value is REMOVE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return header


REMOVE = object()

INCONSISTENT_HEADERS = [
    (("class",), "Pipeline", "holds a 'Pipeline'"),
    (("class",), REMOVE, "lacks 'class'"),
    (("params",), [], "'params' = \\[\\], which is not of type dict"),
    (("params", "warp_speed"), 9, "parameters \\['warp_speed'\\]"),
    (("params", "alpha"), "much", "parameters are invalid"),
    (("params", "alpha"), {"pickle": "cos\nsystem"}, "object JSON value"),
    (("params", "hidden_layer_sizes"), {"tuple": [4]}, "do not match"),
    (("network",), REMOVE, "lacks 'network'"),
    (("network", "layer_units"), [6, 3, 0], "positive 32-bit integers"),
    (("network", "layer_units"), [6, 3, 2**31], "positive 32-bit integers"),
    (("network", "layer_units"), [6, 30000, 3], "need at least 300003 parameters"),
    (("network", "layer_units"), [6, 2, 3], "the network its header describes"),
    (("network", "layer_units"), "6,3,3", "not of type list"),
    (("network", "hidden_activations"), ["swish"], "hidden_activations"),
    (("network", "hidden_activations"), [], "hidden_activations"),
    (("network", "output_activation"), "sigmoid", "output_activation"),
    (("network", "leaky_relu_slope"), "0.01", "not of type number"),
    (("network", "leaky_relu_slope"), 10**400, "cannot be built"),
    (("network", "layer_options", "normalization"), "spectral", "cannot be built"),
    (("network", "layer_options", "norm_groups"), 1.5, "norm_groups"),
    (("network", "layer_options", "residual"), 1, "type of the engine's field"),
    (("network", "layer_options", "dropout"), [0.1, 0.2], "cannot be built"),
    (("network", "layer_options", "warp"), 1, "fields \\['warp'\\]"),
    (("arrays", "parameters", "length"), 2**60, "does not lie"),
    (("arrays", "parameters", "offset"), 4, "does not lie"),
    (("arrays", "running_statistics", "length"), 3, "running_statistics"),
    (("arrays", "parameters"), REMOVE, "lacks 'arrays.parameters'"),
    (("fitted", "n_features_in_"), 5, "does not match its network"),
    (("fitted", "n_features_in_"), True, "not of type int"),
    (("fitted", "fit_dtype"), "float16", "fit_dtype"),
    (("fitted", "feature_names_in_"), ["a"], "feature_names_in_"),
    (("classes", "dtype"), "datetime64[s]", "are not integers"),
    (("classes", "dtype"), "no such dtype", "are not integers"),
    (("classes", "values"), [0, 1], "does not fit a network of 3 outputs"),
    (("classes", "values"), [0, [1], 2], "are not integers"),
    (("label_binarizer", "y_type"), "continuous", "does not fit"),
    (("label_binarizer",), REMOVE, "lacks 'label_binarizer'"),
]


FUZZ = settings(
    max_examples=int(os.environ.get("FASTDNN_FUZZ_EXAMPLES", 300)),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def byte_mutations(draw, data):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[position] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 8))]
        else:
            del data[position:]
    return bytes(data)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
    | st.sampled_from(["float", "tuple", "dict", "ndarray", "int64", "batch", "relu"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["float", "tuple", "dict", "ndarray", "dtype", "x"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=10,
)


def paths_in(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_in(item, (*prefix, index))
