"""Export of a fitted estimator to ONNX, and its converters for skl2onnx.

``to_onnx(est)`` gives an ``onnx.ModelProto`` whose outputs match
``predict_proba`` / ``predict`` (docs/onnx.md). Importing this module also
registers converters with skl2onnx, so that ``skl2onnx.to_onnx`` converts a
``Pipeline`` or ``ColumnTransformer`` ending in a fastdnn estimator. Both
build the graph with the same code (``_emit_network``), against either a
standalone graph or skl2onnx's container.

Needs the optional extra ``fastdnn[onnx]`` (onnx, onnxruntime, skl2onnx).
"""

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import FloatTensorType
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
from skl2onnx.common.utils_classifier import get_label_classes

from fastdnn._classifier import MLPClassifier
from fastdnn._regressor import MLPRegressor

__all__ = ["to_onnx"]

# Softmax's axis took its present meaning, and Clip its bounds as inputs, by
# opset 13; LayerNormalization exists from 17, the default for that reason.
MINIMUM_OPSET = 13
DEFAULT_OPSET = 17
_LAYER_NORMALIZATION_OPSET = 17
# From opset 18 the reductions take their axes as an input, not an attribute.
_REDUCE_AXES_INPUT_OPSET = 18

_SQRT_HALF = 1.0 / math.sqrt(2.0)


def _check_opset(opset):
    latest = onnx.defs.onnx_opset_version()
    if opset is None:
        return min(DEFAULT_OPSET, latest)
    if (
        isinstance(opset, bool)
        or not isinstance(opset, int | np.integer)
        or not MINIMUM_OPSET <= opset <= latest
    ):
        raise ValueError(
            f"opset must be an integer from {MINIMUM_OPSET} (the first whose "
            f"operators the export uses) to {latest} (the newest this onnx "
            f"package knows), got {opset!r}."
        )
    return int(opset)


class _StandaloneGraph:
    """Nodes and initializers of a graph that to_onnx wraps into a model."""

    def __init__(self, opset):
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self._used = set()

    def unique(self, hint):
        name, count = hint, 0
        while name in self._used:
            count += 1
            name = f"{hint}_{count}"
        self._used.add(name)
        return name

    def constant(self, hint, array):
        name = self.unique(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, hint=None, output=None, **attributes):
        output = output if output is not None else self.unique(hint or op.lower())
        self.nodes.append(
            helper.make_node(op, inputs, [output], name=self.unique(op), **attributes)
        )
        return output


class _Skl2OnnxGraph:
    """The same interface over skl2onnx's scope and container."""

    def __init__(self, scope, container):
        self.scope = scope
        self.container = container
        self.opset = container.target_opset

    def unique(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def constant(self, hint, array):
        name = self.unique(hint)
        array = np.asarray(array)
        if array.dtype == object:  # strings: the container takes them as bytes
            content = [value.encode("utf-8") for value in array.ravel()]
            self.container.add_initializer(
                name, TensorProto.STRING, list(array.shape), content
            )
        else:
            tensor = numpy_helper.from_array(array, name)
            self.container.add_initializer(name, tensor.data_type, None, tensor)
        return name

    def node(self, op, inputs, hint=None, output=None, **attributes):
        output = output if output is not None else self.unique(hint or op.lower())
        self.container.add_node(
            op,
            inputs,
            [output],
            name=self.scope.get_unique_operator_name(op),
            **attributes,
        )
        return output


def _float32(array):
    return np.ascontiguousarray(array, dtype=np.float32)


def _reduce(graph, op, x, hint, axis=1):
    """op (ReduceMin, ReduceMax, ReduceMean) of x along axis (a row's
    values), kept as a column."""
    if graph.opset >= _REDUCE_AXES_INPUT_OPSET:
        axes = graph.constant("axes", np.array([axis], dtype=np.int64))
        return graph.node(op, [x, axes], hint, keepdims=1)
    return graph.node(op, [x], hint, axes=[axis], keepdims=1)


def _activation(graph, x, name, slope):
    """x through the engine's activation `name` (cpp/nn/activation_loops.h)."""
    simple = {
        "relu": ("Relu", {}),
        "logistic": ("Sigmoid", {}),
        "tanh": ("Tanh", {}),
        "exp": ("Exp", {}),
        "softplus": ("Softplus", {}),
        "elu": ("Elu", {"alpha": 1.0}),
        # ONNX's defaults are SELU's constants, as the engine's.
        "selu": ("Selu", {}),
        "leaky_relu": ("LeakyRelu", {"alpha": float(slope)}),
        "softmax": ("Softmax", {"axis": 1}),
    }
    if name == "identity":
        return x
    if name in simple:
        op, attributes = simple[name]
        return graph.node(op, [x], name, **attributes)
    if name == "silu":
        return graph.node("Mul", [x, graph.node("Sigmoid", [x], "sigmoid")], "silu")
    if name == "gelu":  # x·Φ(x) = ½·x·(1 + erf(x/√2)), the exact form
        scaled = graph.node(
            "Mul", [x, graph.constant("sqrt_half", np.float32(_SQRT_HALF))]
        )
        one_plus = graph.node(
            "Add",
            [graph.node("Erf", [scaled]), graph.constant("one", np.float32(1.0))],
        )
        half_x = graph.node("Mul", [x, graph.constant("half", np.float32(0.5))])
        return graph.node("Mul", [half_x, one_plus], "gelu")
    raise ValueError(f"The activation {name!r} has no ONNX form.")


def _layer_norm(graph, x, gain, shift, epsilon):
    gain_name = graph.constant("norm_gain", _float32(gain))
    shift_name = graph.constant("norm_shift", _float32(shift))
    if graph.opset >= _LAYER_NORMALIZATION_OPSET:
        return graph.node(
            "LayerNormalization",
            [x, gain_name, shift_name],
            "layer_norm",
            axis=-1,
            epsilon=float(epsilon),
        )
    # gain·((x − mean)/√(variance + ε)) + shift, variance biased, as the engine.
    centered = graph.node("Sub", [x, _reduce(graph, "ReduceMean", x, "mean")])
    variance = _reduce(
        graph, "ReduceMean", graph.node("Mul", [centered, centered]), "variance"
    )
    deviation = graph.node(
        "Sqrt",
        [graph.node("Add", [variance, graph.constant("epsilon", np.float32(epsilon))])],
    )
    normalized = graph.node("Div", [centered, deviation])
    return graph.node(
        "Add", [graph.node("Mul", [normalized, gain_name]), shift_name], "layer_norm"
    )


def _group_norm(graph, x, gain, shift, epsilon, groups):
    """Group norm: x (N, C) viewed as (N, groups, C/groups), each group
    standardised over its units as the engine does (biased variance), then
    gain and shift per unit."""
    width = len(gain)
    grouped = graph.node(
        "Reshape",
        [x, graph.constant("groups_shape", np.array([-1, groups, width // groups]))],
    )
    centered = graph.node(
        "Sub", [grouped, _reduce(graph, "ReduceMean", grouped, "mean", 2)]
    )
    variance = _reduce(
        graph, "ReduceMean", graph.node("Mul", [centered, centered]), "variance", 2
    )
    deviation = graph.node(
        "Sqrt",
        [graph.node("Add", [variance, graph.constant("epsilon", np.float32(epsilon))])],
    )
    normalized = graph.node(
        "Reshape",
        [
            graph.node("Div", [centered, deviation]),
            graph.constant("units_shape", np.array([-1, width])),
        ],
    )
    return graph.node(
        "Add",
        [
            graph.node(
                "Mul", [normalized, graph.constant("norm_gain", _float32(gain))]
            ),
            graph.constant("norm_shift", _float32(shift)),
        ],
        "group_norm",
    )


def _whitening(graph, x, gain, shift, statistics):
    """Decorrelated batch norm at inference, a fixed affine map:
    gain·((x − mean)·W) + shift = x·(W·diag(gain)) + (shift − mean·W·diag(gain)),
    W block-diagonal with each group's running whitening matrix."""
    mean, blocks = statistics
    width = len(gain)
    matrix = np.zeros((width, width))
    first = 0
    for block in blocks:
        matrix[first : first + len(block), first : first + len(block)] = block
        first += len(block)
    matrix = matrix * gain
    product = graph.node("MatMul", [x, graph.constant("whitening", _float32(matrix))])
    return graph.node(
        "Add",
        [product, graph.constant("whitening_offset", _float32(shift - mean @ matrix))],
        "decorrelated_batch_norm",
    )


def _affine(graph, x, scale, offset):
    """Batch norm at inference: x·scale + offset per unit."""
    scaled = graph.node("Mul", [x, graph.constant("batch_norm_scale", _float32(scale))])
    return graph.node(
        "Add", [scaled, graph.constant("batch_norm_offset", _float32(offset))]
    )


def _dense(graph, x, weight, bias):
    product = graph.node("MatMul", [x, graph.constant("weight", _float32(weight))])
    return graph.node("Add", [product, graph.constant("bias", _float32(bias))], "dense")


def _quantized_dense(graph, x, weight, bias):
    """The engine's int8 product of x and weight, plus bias, bit for bit
    (cpp/nn/quantized_dense.cpp): per-unit symmetric int8 weights, each row of
    x quantized to uint8 over [min(0, row min), max(0, row max)]."""
    weight = _float32(weight)
    largest = np.abs(weight).max(axis=0)
    column_scale = np.where(largest > 0, largest / np.float32(127), np.float32(1))
    codes = np.clip(np.rint(weight / column_scale), -127, 127).astype(np.int8)
    column_sum = codes.sum(axis=0, keepdims=True, dtype=np.int32)
    zero = graph.constant("zero", np.float32(0))
    low = graph.node("Min", [_reduce(graph, "ReduceMin", x, "row_min"), zero])
    high = graph.node("Max", [_reduce(graph, "ReduceMax", x, "row_max"), zero])
    step = graph.node(
        "Div",
        [graph.node("Sub", [high, low]), graph.constant("levels", np.float32(255))],
    )
    one = graph.constant("one", np.float32(1))
    # An all-zero row has scale 1 and zero point 0, as in the engine.
    step = graph.node(
        "Where", [graph.node("Equal", [step, zero]), one, step], "row_scale"
    )
    inverse = graph.node("Div", [one, step])
    top = graph.constant("top", np.float32(255))
    # Round is to nearest even, as the engine's nearbyint.
    offset = graph.node(
        "Round", [graph.node("Mul", [graph.node("Neg", [low]), inverse])]
    )
    offset = graph.node("Clip", [offset, zero, top], "zero_point")
    row_codes = graph.node("Round", [graph.node("Mul", [x, inverse])])
    row_codes = graph.node("Clip", [graph.node("Add", [row_codes, offset]), zero, top])
    row_codes = graph.node("Cast", [row_codes], "row_codes", to=TensorProto.UINT8)
    sums = graph.node(
        "MatMulInteger", [row_codes, graph.constant("weight_codes", codes)], "sums"
    )
    offset = graph.node("Cast", [offset], to=TensorProto.INT32)
    exact = graph.node(
        "Sub",
        [sums, graph.node("Mul", [offset, graph.constant("column_sum", column_sum)])],
    )
    exact = graph.node("Cast", [exact], to=TensorProto.FLOAT)
    scaled = graph.node(
        "Mul",
        [
            graph.node("Mul", [exact, step]),
            graph.constant("column_scale", _float32(column_scale)),
        ],
    )
    return graph.node("Add", [scaled, graph.constant("bias", _float32(bias))], "dense")


def _weight_norm_factor(direction, gain):
    """g/‖v‖ per unit in the engine's float32 order (sequential sums over
    rows), so that the int8 codes made from it are the engine's."""
    squares = np.zeros(direction.shape[1], dtype=np.float32)
    for row in direction:
        squares += row * row
    return gain / np.sqrt(squares)


def _block(network, layer, name, shape):
    """The layer's parameter block `name` of the arena (layout), or None."""
    start = network.layout(layer)[name]
    if start < 0:
        return None
    return network.parameters[start : start + int(np.prod(shape))].reshape(shape)


def _emit_dense(graph, network, layer, x, int8, batch_norm=None):
    """The layer's dense product of x plus bias, weight norm folded in.
    batch_norm, its (scale, offset) per unit, is folded into the weights, or
    applied after an int8 product (the engine quantizes unfolded weights)."""
    fan_in, width = network.layer_units[layer], network.layer_units[layer + 1]
    weight = _block(network, layer, "weight", (fan_in, width))
    bias = _block(network, layer, "bias", (width,))
    gain = _block(network, layer, "weight_norm_gain", (width,))
    if gain is not None:
        weight = weight * _weight_norm_factor(weight, gain)
    if int8:
        z = _quantized_dense(graph, x, weight, bias)
        return z if batch_norm is None else _affine(graph, z, *batch_norm)
    if batch_norm is not None:  # (xW + b − mean)·scale + shift
        scale, offset = batch_norm
        weight, bias = weight * scale, bias * scale + offset
    return _dense(graph, x, weight, bias)


def _emit_hidden_layer(graph, network, layer, x, int8, statistics):
    """Hidden layer `layer` on x, in the engine's order (cpp/nn/hidden_layer.cpp);
    statistics: batch norm's running (mean, variance) of the layer, decorrelated
    batch norm's (mean, whitening matrices), or None."""
    options = network.layer_options
    normalization = options["normalization"]
    after = options["normalize_after_activation"]
    width = network.layer_units[layer + 1]
    batch_norm = None
    if normalization not in ("none", "weight"):
        gain = _block(network, layer, "norm_gain", (width,)).astype(float)
        shift = _block(network, layer, "norm_shift", (width,)).astype(float)
    if normalization == "batch":
        mean, variance = (array.astype(float) for array in statistics)
        epsilon = float(np.float32(options["norm_epsilon"]))
        scale = gain / np.sqrt(variance + epsilon)
        batch_norm = (scale, shift - mean * scale)

    def row_norm(z):
        """The normalization that does not fold into the dense product."""
        if normalization == "layer":
            return _layer_norm(graph, z, gain, shift, options["norm_epsilon"])
        if normalization == "group":
            return _group_norm(
                graph, z, gain, shift, options["norm_epsilon"], options["norm_groups"]
            )
        if normalization == "decorrelated_batch":
            return _whitening(graph, z, gain, shift, statistics)
        return z

    z = _emit_dense(graph, network, layer, x, int8, None if after else batch_norm)
    if not after:
        z = row_norm(z)
    z = _activation(
        graph, z, network.hidden_activations[layer], network.leaky_relu_slope
    )
    if normalization == "batch" and after:
        z = _affine(graph, z, *batch_norm)
    if after:
        z = row_norm(z)
    if options["residual"] and layer > 0:
        skip = x
        projection = _block(
            network, layer, "projection", (network.layer_units[layer], width)
        )
        if projection is not None:
            skip = graph.node(
                "MatMul", [x, graph.constant("projection", _float32(projection))]
            )
        z = graph.node("Add", [z, skip], "residual")
    return z


def _emit_network(graph, estimator, x):
    """The network's outputs, after the output activation, for input x;
    batch norm folded into the weights, dropout left out."""
    network = estimator._network
    int8 = estimator.inference_precision == "int8"
    n_hidden = len(network.layer_units) - 2
    statistics = network.running_statistics.astype(float)
    whitened = network.layer_options["normalization"] == "decorrelated_batch"
    offset = 0
    for layer in range(n_hidden):
        width = network.layer_units[layer + 1]
        layer_statistics = None
        if len(statistics) and whitened:  # mean, then m×m per group
            size = width // network.layer_options["norm_groups"]
            end = offset + width + width * size
            layer_statistics = (
                statistics[offset : offset + width],
                statistics[offset + width : end].reshape(-1, size, size),
            )
            offset = end
        elif len(statistics):  # per hidden layer: mean then variance
            layer_statistics = (
                statistics[offset : offset + width],
                statistics[offset + width : offset + 2 * width],
            )
            offset += 2 * width
        x = _emit_hidden_layer(graph, network, layer, x, int8, layer_statistics)
    z = _emit_dense(graph, network, n_hidden, x, int8)
    return _activation(graph, z, network.output_activation, 0.0)


def _emit_classifier(graph, estimator, x, label, probabilities, classes):
    """label (classes' values by predict's rule) and probabilities (as
    predict_proba) from input x; classes is the array of label values."""
    outputs = _emit_network(graph, estimator, x)
    if estimator._label_binarizer.y_type_.startswith("multilabel"):
        graph.node("Identity", [outputs], output=probabilities)
        above = graph.node(
            "Greater", [outputs, graph.constant("threshold", np.float32(0.5))]
        )
        graph.node("Cast", [above], output=label, to=TensorProto.INT64)
        return
    if estimator.n_outputs_ == 1:  # binary: [1 − p, p]
        negative = graph.node("Sub", [graph.constant("one", np.float32(1)), outputs])
        graph.node("Concat", [negative, outputs], output=probabilities, axis=1)
    else:
        graph.node("Identity", [outputs], output=probabilities)
    # argmax takes the first of equal values, as numpy's; with two classes
    # p > 1 − p exactly where p > 0.5 (1 − p is exact for p ≥ 0.5).
    index = graph.node("ArgMax", [probabilities], "class_index", axis=1, keepdims=0)
    graph.node("Gather", [graph.constant("classes", classes), index], output=label)


def _label_values(classes):
    """classes_ as an array ONNX can hold, and its element type."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "iub":
        return classes.astype(np.int64), TensorProto.INT64
    if classes.dtype.kind == "f":
        return classes.astype(np.float64), TensorProto.DOUBLE
    if all(isinstance(value, str) for value in classes.tolist()):
        return np.array(classes.tolist(), dtype=object), TensorProto.STRING
    raise ValueError(
        f"classes_ of dtype {classes.dtype} cannot be ONNX labels: they must be "
        "integers, floats or strings."
    )


def _check_estimator(estimator):
    if not isinstance(estimator, MLPClassifier | MLPRegressor):
        raise TypeError(
            "to_onnx exports fastdnn.MLPClassifier and MLPRegressor, got "
            f"{type(estimator).__name__}."
        )
    estimator._check_fitted()
    if estimator.inference_precision == "bfloat16":
        # An export is the model's own arithmetic (int8's is bit for bit):
        # float32 weights would predict differently, and ONNX has no operator
        # that rounds a MatMul's operands to bfloat16 and sums in float32.
        raise ValueError(
            "to_onnx cannot export inference_precision='bfloat16': ONNX has no "
            "product that rounds its operands to bfloat16 and sums in float32 as "
            "the engine does. Export the float32 model instead: "
            "set_params(inference_precision='float32')."
        )
    # The user's edits to coefs_ / intercepts_ are part of the model.
    estimator._parameter_mirror.sync(estimator)


def to_onnx(est, opset=None):
    """The fitted estimator as an ONNX model.

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        A fitted estimator. With ``inference_precision="int8"`` the model runs
        the engine's int8 products (``MatMulInteger``); ``"bfloat16"`` is
        refused (ValueError), having no ONNX form.
    opset : int, default=None
        The ONNX opset to target, from 13; None for 17 (the first with
        ``LayerNormalization``).

    Returns
    -------
    model : onnx.ModelProto
        Input ``X``, float32 of shape (N, n_features). A classifier outputs
        ``label`` (values of ``classes_``, as ``predict``) and
        ``probabilities`` (N, n_classes), as ``predict_proba``; a regressor
        outputs ``variable`` (N, n_outputs), as ``predict``.
    """
    _check_estimator(est)
    graph = _StandaloneGraph(_check_opset(opset))
    n_features = est._network.layer_units[0]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", n_features])]
    graph.unique("X")
    n_outputs = est._network.layer_units[-1]
    if isinstance(est, MLPClassifier):
        n_classes = len(est.classes_)
        if est._label_binarizer.y_type_.startswith("multilabel"):
            classes, label_type, label_shape = None, TensorProto.INT64, ["N", n_classes]
        else:
            classes, label_type = _label_values(est.classes_)
            label_shape = ["N"]
        outputs = [
            helper.make_tensor_value_info("label", label_type, label_shape),
            helper.make_tensor_value_info(
                "probabilities", TensorProto.FLOAT, ["N", n_classes]
            ),
        ]
        graph.unique("label")
        graph.unique("probabilities")
        _emit_classifier(graph, est, "X", "label", "probabilities", classes)
    else:
        outputs = [
            helper.make_tensor_value_info(
                "variable", TensorProto.FLOAT, ["N", n_outputs]
            )
        ]
        graph.unique("variable")
        network_outputs = _emit_network(graph, est, "X")
        graph.node("Identity", [network_outputs], output="variable")
    opset_import = [helper.make_opsetid("", graph.opset)]
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            f"fastdnn_{type(est).__name__}",
            inputs,
            outputs,
            graph.initializers,
        ),
        opset_imports=opset_import,
        producer_name="fastdnn",
    )
    model.ir_version = helper.find_min_ir_version_for(opset_import)
    onnx.checker.check_model(model)
    return model


# ----------------------------------------------------------------------
# skl2onnx: shape calculators and converters


def _check_skl2onnx_opset(graph):
    if graph.opset is None or graph.opset < MINIMUM_OPSET:
        raise ValueError(
            f"fastdnn's converters need target_opset {MINIMUM_OPSET} or later, "
            f"got {graph.opset!r}."
        )


def _classifier_shapes(operator):
    if operator.raw_operator._label_binarizer.y_type_.startswith("multilabel"):
        raise NotImplementedError(
            "skl2onnx's classifier outputs hold one label per row; a multilabel "
            "fastdnn classifier converts with fastdnn.onnx.to_onnx instead."
        )
    calculate_linear_classifier_output_shapes(operator)


def _regressor_shapes(operator):
    n_outputs = operator.raw_operator._network.layer_units[-1]
    first = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = FloatTensorType([first, n_outputs])


def _input_as_float(graph, operator):
    """The operator's input, cast to float32 where it is another type."""
    variable = operator.inputs[0]
    if isinstance(variable.type, FloatTensorType):
        return variable.full_name
    return graph.node("Cast", [variable.full_name], "input", to=TensorProto.FLOAT)


def _convert_classifier(scope, operator, container):
    estimator = operator.raw_operator
    _check_estimator(estimator)
    graph = _Skl2OnnxGraph(scope, container)
    _check_skl2onnx_opset(graph)
    # Int64 or string labels, as the shape calculator declared them (class
    # indices with the option nocl).
    label_type = operator.outputs[0].type
    classes = get_label_classes(scope, estimator)
    if label_type.to_onnx_type().tensor_type.elem_type == TensorProto.STRING:
        classes = np.array([str(value) for value in classes], dtype=object)
    else:
        classes = np.asarray(classes).astype(np.int64)
    _emit_classifier(
        graph,
        estimator,
        _input_as_float(graph, operator),
        operator.outputs[0].full_name,
        operator.outputs[1].full_name,
        classes,
    )


def _convert_regressor(scope, operator, container):
    estimator = operator.raw_operator
    _check_estimator(estimator)
    graph = _Skl2OnnxGraph(scope, container)
    _check_skl2onnx_opset(graph)
    outputs = _emit_network(graph, estimator, _input_as_float(graph, operator))
    graph.node("Identity", [outputs], output=operator.outputs[0].full_name)


update_registered_converter(
    MLPClassifier,
    "FastdnnMLPClassifier",
    _classifier_shapes,
    _convert_classifier,
    # As skl2onnx registers scikit-learn's own MLPClassifier.
    options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
)
update_registered_converter(
    MLPRegressor, "FastdnnMLPRegressor", _regressor_shapes, _convert_regressor
)
