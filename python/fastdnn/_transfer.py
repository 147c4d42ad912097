"""Transfer: a fitted network's leading hidden layers copied into a new one.

``fit(X, y, init_from=fitted)`` and greedy pretraining both move layers
between engine networks; a layer is its arena blocks (weights, bias,
normalization's gain and shift, weight norm's g, a residual projection) and
batch norm's running mean and variance, copied block by block where both
layers have the block at the same size.
"""

import numpy as np

_BLOCKS = (
    "weight",
    "bias",
    "norm_gain",
    "norm_shift",
    "weight_norm_gain",
    "projection",
)


def _block_sizes(network, layer):
    """{block: (offset, size)} of the blocks the layer has."""
    layout = network.layout(layer)
    offsets = sorted(
        (layout[name], name) for name in (*_BLOCKS, "end") if layout[name] >= 0
    )
    return {
        name: (offset, following - offset)
        for (offset, name), (following, _) in zip(offsets, offsets[1:], strict=False)
    }


def copy_layer(source, source_layer, target, target_layer):
    """Copy weight layer source_layer of network source into target_layer of
    target, whose weights must have the same shape."""
    source_blocks = _block_sizes(source, source_layer)
    target_blocks = _block_sizes(target, target_layer)
    source_parameters, target_parameters = source.parameters, target.parameters
    for name, (offset, size) in target_blocks.items():
        if name in source_blocks and source_blocks[name][1] == size:
            begin = source_blocks[name][0]
            target_parameters[offset : offset + size] = source_parameters[
                begin : begin + size
            ]
    # Running statistics move between layers normalized alike (the same kind
    # and, for decorrelated batch norm, the same groups); the engine says
    # where each layer's lie.
    begin, end = _running_range(source, source_layer)
    offset, target_end = _running_range(target, target_layer)
    same_kind = (
        source.layer_options["normalization"] == target.layer_options["normalization"]
    )
    if same_kind and begin >= 0 and offset >= 0 and end - begin == target_end - offset:
        target.running_statistics[offset:target_end] = source.running_statistics[
            begin:end
        ]


def _running_range(network, layer):
    """[begin, end) of the layer's running statistics, (-1, -1) if none."""
    layout = network.layout(layer)
    return layout["running_statistics"], layout["running_statistics_end"]


def transferable_layers(source, target):
    """How many leading hidden layers target can take from source: those
    whose weights have the same shape, up to the first that differs."""
    source_units, target_units = list(source.layer_units), list(target.layer_units)
    count = 0
    while (
        count < min(len(source_units), len(target_units)) - 2
        and source_units[count : count + 2] == target_units[count : count + 2]
    ):
        count += 1
    return count


def network_of_fitted(estimator):
    """The engine network of a fitted fastdnn estimator, its coefs_ edits
    taken in; TypeError or ValueError naming what init_from was given."""
    from fastdnn._base import BaseMultilayerPerceptron

    if not isinstance(estimator, BaseMultilayerPerceptron):
        raise TypeError(
            "init_from takes a fitted fastdnn MLPClassifier, MLPRegressor or "
            f"MLPAutoencoder, not {type(estimator).__name__}."
        )
    if "_network" not in estimator.__dict__:
        raise ValueError(
            f"init_from's {type(estimator).__name__} is not fitted: fit it first."
        )
    estimator._parameter_mirror.sync(estimator)
    return estimator._network


def initialize_from(estimator, source_estimator):
    """Copy into estimator's freshly initialised network the leading hidden
    layers of source_estimator's that match; returns how many."""
    source = network_of_fitted(source_estimator)
    target = estimator._network
    count = transferable_layers(source, target)
    if count == 0:
        raise ValueError(
            f"init_from's network has layers {list(source.layer_units)} and this "
            f"one {list(target.layer_units)}: their first hidden layers differ in "
            "shape, so there is nothing to transfer."
        )
    for layer in range(count):
        copy_layer(source, layer, target, layer)
    if not np.isfinite(target.parameters).all():
        raise ValueError("init_from's weights hold NaN or infinity.")
    return count
