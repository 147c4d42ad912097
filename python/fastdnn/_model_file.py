"""The model file: a fitted estimator as bytes, and back, without pickle.

docs/model_format.md describes the layout byte by byte; this module writes
it and reads it. The reader trusts nothing in the data: it checks every
length against the data's own length before allocating anything, the
checksum before it parses the header, and every header field's type and
consistency before it builds the network, so that a corrupt, truncated or
foreign file gives a ValueError naming the problem.
"""

import json
import math
import struct
import zlib
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import LabelBinarizer

from fastdnn import _core
from fastdnn._options import HIDDEN_ACTIVATIONS
from fastdnn._parameter_mirror import ParameterMirror

MAGIC = b"\x89FDN\r\n\x1a\n"
FORMAT_VERSION = 1
OLDEST_FORMAT_VERSION = 1
ALIGNMENT = 64
# magic, format version, checksum, header offset and length, payload offset
# and length, 16 reserved bytes: 64 bytes, little-endian.
_PREAMBLE = struct.Struct("<8sIIQQQQ16s")
_CHECKSUM_AT = 12
_INT32_MAX = int(np.iinfo(np.int32).max)
_OUTPUT_ACTIVATIONS = ("identity", "logistic", "softmax", "exp")
_Y_TYPES = ("binary", "multiclass", "multilabel-indicator")
# The dtypes classes_ may have: what LabelBinarizer gives for integer,
# boolean, real and string labels.
_CLASS_DTYPE_KINDS = "biufUO"
# Fitted attributes that describe the training that was (all optional).
_TRAINING_RECORD = (
    "n_iter_",
    "t_",
    "loss_",
    "best_loss_",
    "loss_curve_",
    "validation_scores_",
    "best_validation_score_",
    "history_",
)

# The JSON types header fields are checked against, by the names field() takes.
_JSON_TYPES = {
    "int": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: (
        isinstance(value, (int, float)) and not isinstance(value, bool)
    ),
    "str": lambda value: isinstance(value, str),
    "bool": lambda value: isinstance(value, bool),
    "list": lambda value: isinstance(value, list),
    "dict": lambda value: isinstance(value, dict),
}


def _padded(length):
    return -(-length // ALIGNMENT) * ALIGNMENT


def checksum(data):
    """CRC-32 (zlib's) of the whole file, the checksum field read as zeros."""
    crc = zlib.crc32(data[:_CHECKSUM_AT])
    crc = zlib.crc32(b"\0\0\0\0", crc)
    return zlib.crc32(data[_CHECKSUM_AT + 4 :], crc)


# ----------------------------------------------------------------------
# Values in JSON: what get_params and the fitted attributes hold

# Arrays among the parameters (dropout rates, say) are written in their own
# dtype where it is one of these, else in their kind's.
_ARRAY_DTYPES = ("bool", "int32", "int64", "float32", "float64")
_ARRAY_DTYPE_OF_KIND = {"b": "bool", "i": "int64", "u": "int64", "f": "float64"}


class _NotEncodable(Exception):
    """A value JSON cannot hold (a callable, a callback object)."""


def _encode(value):
    """value as JSON; tuples, dicts, arrays and non-finite floats tagged as a
    one-key object so that they come back as they were."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        value = float(value)
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, tuple):
        return {"tuple": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"dict": {key: _encode(item) for key, item in value.items()}}
    if isinstance(value, np.ndarray) and value.dtype.kind in _ARRAY_DTYPE_OF_KIND:
        if value.ndim == 0:
            return _encode(value.item())
        dtype = value.dtype.name
        if dtype not in _ARRAY_DTYPES:
            dtype = _ARRAY_DTYPE_OF_KIND[value.dtype.kind]
        return {"ndarray": _encode(value.tolist()), "dtype": dtype}
    raise _NotEncodable(type(value).__name__)


def _decode(value, where):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(item, where) for item in value]
    tag = next(iter(value), None) if len(value) in (1, 2) else None
    if tag == "float" and len(value) == 1 and value[tag] in ("inf", "-inf", "nan"):
        return float(value[tag])
    if tag == "tuple" and len(value) == 1 and isinstance(value[tag], list):
        return tuple(_decode(item, where) for item in value[tag])
    if tag == "dict" and len(value) == 1 and isinstance(value[tag], dict):
        return {key: _decode(item, where) for key, item in value[tag].items()}
    if (
        tag == "ndarray"
        and value.get("dtype") in _ARRAY_DTYPES
        and isinstance(value[tag], list)
        and all(isinstance(item, (bool, int, float)) for item in _flattened(value[tag]))
    ):
        try:
            return np.array(value[tag], dtype=value["dtype"])
        except (ValueError, OverflowError) as error:
            raise ValueError(f"The model file's {where}: {error}") from None
    raise ValueError(
        f"The model file's {where} holds an object JSON value fastdnn does not write."
    )


def _flattened(items):
    for item in items:
        if isinstance(item, list):
            yield from _flattened(item)
        else:
            yield item


# ----------------------------------------------------------------------
# Writing


def model_bytes(estimator):
    """The model file of a fitted estimator, as bytes."""
    if "_network" not in estimator.__dict__:
        raise NotFittedError(
            f"This {type(estimator).__name__} is not fitted yet: fit it before "
            "saving it (a model file holds a fitted model)."
        )
    mirror = estimator._parameter_mirror
    mirror.sync(estimator)
    network = mirror.network
    parameters = np.asarray(network.parameters, dtype="<f4")
    running_statistics = np.asarray(network.running_statistics, dtype="<f4")

    params, not_stored = {}, []
    for name, value in estimator.get_params(deep=False).items():
        try:
            params[name] = _encode(value)
        except _NotEncodable:
            not_stored.append(name)
    fitted = {
        "n_features_in_": int(estimator.n_features_in_),
        "n_outputs_": int(estimator.n_outputs_),
        "n_layers_": int(estimator.n_layers_),
        "out_activation_": estimator.out_activation_,
        "fit_dtype": np.dtype(estimator._fit_dtype).name,
    }
    if "feature_names_in_" in estimator.__dict__:
        fitted["feature_names_in_"] = [str(n) for n in estimator.feature_names_in_]
    for name in _TRAINING_RECORD:
        if name in estimator.__dict__:
            try:
                fitted[name] = _encode(estimator.__dict__[name])
            except _NotEncodable:
                pass  # a record of the training, not needed to predict
    header = {
        "class": type(estimator).__name__,
        "library_version": _library_version(),
        "params": params,
        "params_not_stored": not_stored,
        "network": {
            "layer_units": [int(units) for units in network.layer_units],
            "hidden_activations": list(network.hidden_activations),
            "output_activation": network.output_activation,
            "leaky_relu_slope": float(network.leaky_relu_slope),
            "layer_options": _encode(dict(network.layer_options))["dict"],
        },
        "fitted": fitted,
        "arrays": {
            "parameters": {"offset": 0, "length": int(parameters.size)},
            "running_statistics": {
                "offset": _padded(parameters.nbytes),
                "length": int(running_statistics.size),
            },
        },
    }
    if "_label_binarizer" in estimator.__dict__:
        binarizer = estimator._label_binarizer
        header["classes"] = _encoded_classes(binarizer.classes_)
        header["label_binarizer"] = {
            "y_type": binarizer.y_type_,
            "sparse_input": bool(binarizer.sparse_input_),
        }
    header_bytes = json.dumps(header, allow_nan=False, ensure_ascii=False).encode()
    payload = bytearray(_padded(parameters.nbytes) + running_statistics.nbytes)
    payload[: parameters.nbytes] = parameters.tobytes()
    payload[_padded(parameters.nbytes) :] = running_statistics.tobytes()
    payload_offset = _padded(_PREAMBLE.size + len(header_bytes))
    data = bytearray(payload_offset + len(payload))
    _PREAMBLE.pack_into(
        data,
        0,
        MAGIC,
        FORMAT_VERSION,
        0,
        _PREAMBLE.size,
        len(header_bytes),
        payload_offset,
        len(payload),
        bytes(16),
    )
    data[_PREAMBLE.size : _PREAMBLE.size + len(header_bytes)] = header_bytes
    data[payload_offset:] = payload
    struct.pack_into("<I", data, _CHECKSUM_AT, checksum(data))
    return bytes(data)


def _encoded_classes(classes):
    classes = np.asarray(classes)
    if classes.dtype.kind not in _CLASS_DTYPE_KINDS or (
        classes.dtype.kind == "O" and not all(isinstance(c, str) for c in classes)
    ):
        raise ValueError(
            f"classes_ holds {classes.dtype} values; a model file holds class "
            "labels that are integers, booleans, real numbers or strings."
        )
    dtype = "object" if classes.dtype.kind == "O" else classes.dtype.str
    return {"dtype": dtype, "values": [_encode(c) for c in classes.tolist()]}


def _library_version():
    import fastdnn

    return fastdnn.__version__


# ----------------------------------------------------------------------
# Reading


def model_from_bytes(data):
    """The estimator a model file holds; ValueError naming what is wrong."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"A model file is read from bytes, not {type(data).__name__}; "
            "fastdnn.load reads one from a path."
        )
    data = bytes(data)
    header_bytes, payload = _sections(data)
    try:
        header = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ValueError(
            f"The model file's header is not valid UTF-8 JSON: {error}"
        ) from None
    if not isinstance(header, dict):
        raise ValueError("The model file's header is not a JSON object.")
    return _Reader(header, payload).estimator()


def _sections(data):
    """The header's bytes and the payload, every length checked."""
    if len(data) < _PREAMBLE.size:
        if not MAGIC.startswith(data[: len(MAGIC)]):
            raise ValueError("Not a fastdnn model file: its magic number is wrong.")
        raise ValueError(
            f"The model file is truncated: {len(data)} bytes, less than its "
            f"{_PREAMBLE.size}-byte preamble."
        )
    (
        magic,
        version,
        stored_checksum,
        header_offset,
        header_length,
        payload_offset,
        payload_length,
        reserved,
    ) = _PREAMBLE.unpack_from(data)
    if magic != MAGIC:
        raise ValueError("Not a fastdnn model file: its magic number is wrong.")
    if not OLDEST_FORMAT_VERSION <= version <= FORMAT_VERSION:
        raise ValueError(
            f"The model file has format version {version}; this fastdnn "
            f"({_library_version()}) reads versions {OLDEST_FORMAT_VERSION} to "
            f"{FORMAT_VERSION}: load it with the fastdnn that wrote it, or a newer one."
        )
    if reserved != bytes(16):
        raise ValueError("The model file's reserved preamble bytes are not zero.")
    if header_offset != _PREAMBLE.size:
        raise ValueError(
            f"The model file's header offset is {header_offset}, not {_PREAMBLE.size}."
        )
    if header_length > len(data) - header_offset:
        raise ValueError(
            f"The model file is truncated: its header of {header_length} bytes "
            f"ends past the file's {len(data)} bytes."
        )
    if payload_offset != _padded(header_offset + header_length):
        raise ValueError(
            f"The model file's payload offset is {payload_offset}, not "
            f"{_padded(header_offset + header_length)} (the header's end, aligned "
            f"to {ALIGNMENT} bytes)."
        )
    if payload_offset + payload_length != len(data):
        problem = "truncated" if payload_offset + payload_length > len(data) else ""
        raise ValueError(
            f"The model file is {problem or 'longer than it says'}: its payload "
            f"ends at byte {payload_offset + payload_length}, the file has "
            f"{len(data)} bytes."
        )
    if payload_length % 4:
        raise ValueError(
            f"The model file's payload of {payload_length} bytes is not a whole "
            "number of float32 values."
        )
    if stored_checksum != checksum(data):
        raise ValueError(
            "The model file is corrupt: its checksum does not match its contents."
        )
    if any(data[header_offset + header_length : payload_offset]):
        raise ValueError("The model file's padding after the header is not zero.")
    header = data[header_offset : header_offset + header_length]
    return header, memoryview(data)[payload_offset:]


class _Reader:
    """The checks and the building of an estimator from a parsed header."""

    def __init__(self, header, payload):
        self.header = header
        self.payload = payload

    def field(self, mapping, key, types, where, required=True):
        """mapping[key], checked to be of the JSON types named."""
        if key not in mapping:
            if required:
                raise ValueError(f"The model file's header lacks '{where}{key}'.")
            return None
        value = mapping[key]
        if not any(_JSON_TYPES[name](value) for name in types.split("|")):
            raise ValueError(
                f"The model file's header has '{where}{key}' = {_short(value)}, "
                f"which is not of type {types}."
            )
        return value

    def estimator(self):
        from fastdnn import MLPAutoencoder, MLPClassifier, MLPRegressor

        header = self.header
        classes = {
            "MLPClassifier": MLPClassifier,
            "MLPRegressor": MLPRegressor,
            "MLPAutoencoder": MLPAutoencoder,
        }
        name = self.field(header, "class", "str", "")
        if name not in classes:
            raise ValueError(
                f"The model file holds a {_short(name)}; fastdnn loads "
                "MLPClassifier, MLPRegressor and MLPAutoencoder."
            )
        estimator = self.constructed(classes[name])
        network_fields = self.field(header, "network", "dict", "")
        network = self.network(network_fields)
        fitted = self.field(header, "fitted", "dict", "")
        self.set_fitted_attributes(estimator, fitted, network)
        if name == "MLPClassifier":
            self.set_classes(estimator)
        mirror = ParameterMirror()
        mirror.attach(network)
        estimator._network = network
        estimator._parameter_mirror = mirror
        mirror.publish(estimator)
        # Training goes on from these weights with a fresh optimizer, and
        # no improvement counted yet (docs/model_format.md).
        estimator._trainer = None
        estimator._no_improvement_count = 0
        estimator._best_quality = -np.inf
        estimator._best_model = mirror.snapshot()
        return estimator

    def constructed(self, estimator_class):
        header = self.header
        params = self.field(header, "params", "dict", "")
        self.field(header, "params_not_stored", "list", "")
        names = set(estimator_class._get_param_names())
        unknown = sorted(set(params) - names)
        if unknown:
            raise ValueError(
                f"The model file sets parameters {unknown} that this fastdnn's "
                f"{estimator_class.__name__} does not have (the file was written by "
                f"fastdnn {_short(header.get('library_version'))})."
            )
        # Parameters a file lacks (added after it was written, or not
        # storable) keep their defaults.
        decoded = {
            name: _decode(value, f"params[{name!r}]") for name, value in params.items()
        }
        estimator = estimator_class()
        try:
            estimator.set_params(**decoded)
            estimator._validate_params()
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"The model file's parameters are invalid: {error}"
            ) from None
        return estimator

    def network(self, fields):
        where = "network."
        units = self.field(fields, "layer_units", "list", where)
        if len(units) < 2 or not all(
            isinstance(u, int) and not isinstance(u, bool) and 1 <= u <= _INT32_MAX
            for u in units
        ):
            raise ValueError(
                f"The model file's network.layer_units = {_short(units)} is not a "
                "list of at least two positive 32-bit integers."
            )
        hidden = self.field(fields, "hidden_activations", "list", where)
        if len(hidden) != len(units) - 2 or not all(
            a in HIDDEN_ACTIVATIONS for a in hidden
        ):
            raise ValueError(
                f"The model file's network.hidden_activations = {_short(hidden)} is "
                f"not one of {HIDDEN_ACTIVATIONS} per hidden layer."
            )
        output = self.field(fields, "output_activation", "str", where)
        if output not in _OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"The model file's network.output_activation = {_short(output)} is "
                f"not one of {_OUTPUT_ACTIVATIONS}."
            )
        slope = self.field(fields, "leaky_relu_slope", "number", where)
        options = self.layer_options(self.field(fields, "layer_options", "dict", where))
        parameters = self.array("parameters")
        running_statistics = self.array("running_statistics")
        # The engine allocates the network's arena: the header's sizes must
        # fit the file before it is built.
        weights = sum(
            units[i] * units[i + 1] + units[i + 1] for i in range(len(units) - 1)
        )
        if weights > parameters.size:
            raise ValueError(
                f"The model file's network.layer_units {units} need at least "
                f"{weights} parameters; the file holds {parameters.size}."
            )
        try:
            network = _core.Network(units, hidden, output, float(slope), **options)
        except (ValueError, TypeError, RuntimeError, OverflowError) as error:
            raise ValueError(
                f"The model file's network cannot be built: {error}"
            ) from None
        for name, values, target in (
            ("parameters", parameters, network.parameters),
            ("running_statistics", running_statistics, network.running_statistics),
        ):
            if values.size != target.size:
                raise ValueError(
                    f"The model file holds {values.size} {name} values; the network "
                    f"its header describes has {target.size}."
                )
            if not np.isfinite(values).all():
                raise ValueError(f"The model file's {name} hold NaN or infinity.")
            target[...] = values
        return network

    def layer_options(self, options):
        defaults = _core.default_layer_options()
        unknown = sorted(set(options) - set(defaults))
        if unknown:
            raise ValueError(
                f"The model file's network.layer_options has fields {unknown} that "
                "this fastdnn's engine does not have."
            )
        checked = {}
        for name, value in options.items():
            default = defaults[name]
            where = f"network.layer_options.{name}"
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, str):
                ok = isinstance(value, str)
            elif isinstance(default, list):
                ok = isinstance(value, list) and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool)
                    for v in value
                )
            else:
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok:
                raise ValueError(
                    f"The model file's {where} = {_short(value)} is not of the "
                    f"type of the engine's field ({type(default).__name__})."
                )
            checked[name] = value
        return checked

    def array(self, name):
        """A float32 array of the payload, its place checked."""
        arrays = self.field(self.header, "arrays", "dict", "")
        entry = self.field(arrays, name, "dict", "arrays.")
        offset = self.field(entry, "offset", "int", f"arrays.{name}.")
        length = self.field(entry, "length", "int", f"arrays.{name}.")
        size = len(self.payload)
        if offset < 0 or length < 0 or offset % ALIGNMENT or offset + 4 * length > size:
            raise ValueError(
                f"The model file's array {name!r} (offset {offset}, {length} float32 "
                f"values) does not lie {ALIGNMENT}-byte aligned within its "
                f"{size}-byte payload."
            )
        return np.frombuffer(self.payload, dtype="<f4", count=length, offset=offset)

    def set_fitted_attributes(self, estimator, fitted, network):
        where = "fitted."
        units = list(network.layer_units)
        checks = (
            ("n_features_in_", "int", units[0]),
            ("n_outputs_", "int", units[-1]),
            ("n_layers_", "int", len(units)),
            ("out_activation_", "str", network.output_activation),
        )
        for name, types, expected in checks:
            value = self.field(fitted, name, types, where)
            if value != expected:
                raise ValueError(
                    f"The model file's fitted.{name} = {_short(value)} does not match "
                    f"its network ({expected!r})."
                )
            setattr(estimator, name, value)
        fit_dtype = self.field(fitted, "fit_dtype", "str", where)
        if fit_dtype not in ("float32", "float64"):
            raise ValueError(
                f"The model file's fitted.fit_dtype = {_short(fit_dtype)} is not "
                "'float32' or 'float64'."
            )
        estimator._fit_dtype = np.dtype(fit_dtype)
        try:
            hidden_sizes = estimator._checked_hidden_layer_sizes()
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"The model file's parameters are invalid: {error}"
            ) from None
        if hidden_sizes != units[1:-1]:
            raise ValueError(
                f"The model file's hidden_layer_sizes {hidden_sizes} do not match its "
                f"network's layer_units {units}."
            )
        names = self.field(fitted, "feature_names_in_", "list", where, required=False)
        if names is not None:
            if len(names) != units[0] or not all(isinstance(n, str) for n in names):
                raise ValueError(
                    "The model file's fitted.feature_names_in_ is not a list of "
                    f"{units[0]} strings."
                )
            estimator.feature_names_in_ = np.array(names, dtype=object)
        for name in _TRAINING_RECORD:
            if name in fitted:
                setattr(estimator, name, _decode(fitted[name], f"fitted.{name}"))

    def set_classes(self, estimator):
        header = self.header
        encoded = self.field(header, "classes", "dict", "")
        dtype = self.field(encoded, "dtype", "str", "classes.")
        values = self.field(encoded, "values", "list", "classes.")
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            dtype = None
        if (
            dtype is None
            or dtype.kind not in _CLASS_DTYPE_KINDS
            or not all(isinstance(v, (bool, int, float, str)) for v in values)
        ):
            raise ValueError(
                f"The model file's classes ({_short(encoded)}) are not integers, "
                "booleans, real numbers or strings."
            )
        if dtype.kind == "O" and not all(isinstance(v, str) for v in values):
            raise ValueError("The model file's object classes are not all strings.")
        try:
            classes = np.array(values, dtype=dtype)
        except (ValueError, TypeError, OverflowError) as error:
            raise ValueError(f"The model file's classes are invalid: {error}") from None
        binarizer_fields = self.field(header, "label_binarizer", "dict", "")
        y_type = self.field(binarizer_fields, "y_type", "str", "label_binarizer.")
        sparse_input = self.field(
            binarizer_fields, "sparse_input", "bool", "label_binarizer."
        )
        n_outputs = estimator.n_outputs_
        expected_outputs = {
            "binary": 1,
            "multiclass": len(classes),
            "multilabel-indicator": len(classes),
        }.get(y_type)
        if (
            expected_outputs is None
            or n_outputs != expected_outputs
            or not 1 <= len(classes) <= (2 if y_type == "binary" else len(classes))
        ):
            raise ValueError(
                f"The model file's label_binarizer.y_type {_short(y_type)} with "
                f"{len(classes)} classes does not fit a network of {n_outputs} outputs."
            )
        binarizer = LabelBinarizer()
        binarizer.classes_ = classes
        binarizer.y_type_ = y_type
        binarizer.sparse_input_ = sparse_input
        estimator._label_binarizer = binarizer
        estimator.classes_ = classes


def _short(value):
    """repr(value), cut short: a header may hold anything."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
