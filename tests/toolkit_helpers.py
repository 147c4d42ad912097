"""Shared by the normalization and dropout tests: engine networks with layer
options, and the dropout masks / noise a training step draws."""

import numpy as np
import numpy_reference as ref
from fastdnn import _core

# Two widths so that a residual connection is both an identity (5 -> 5) and a
# projection (5 -> 3).
UNITS = [4, 5, 5, 3, 3]
SEED, STEP = 5, 2


def toolkit_options(**options):
    merged = dict(ref.TOOLKIT_DEFAULTS)
    merged.update(options)
    return merged


def layer_fields(options):
    """The engine's LayerOptions fields for the reference's option names."""
    fields = dict(options)
    if "normalization_position" in fields:
        position = fields.pop("normalization_position")
        fields["normalize_after_activation"] = position == "after"
    return fields


def perturbed_network(activation, output_activation, rng, **options):
    """A network whose gains, shifts and g are off their initial values, so a
    gradient that ignored them would show."""
    net = _core.Network(UNITS, activation, output_activation, **layer_fields(options))
    net.initialize(3, 6.0)
    params = net.parameters
    params[:] = params + rng.normal(scale=0.1, size=params.size).astype(np.float32)
    return net


def step_masks(options, rows):
    """{dropout index: (scale, shift)} float64, as training step (SEED, STEP) draws."""
    masks = {}
    rates = [options["input_dropout"], *(options["dropout"] or [0.0] * 3)]
    for index, rate in enumerate(rates):
        if rate > 0:
            scale, shift = _core.dropout_scales(
                rows, UNITS[index], rate, options["dropout_kind"], SEED, STEP, index
            )
            masks[index] = (scale.astype(np.float64), shift.astype(np.float64))
    return masks


def step_noise(options, rows):
    if options["input_noise"] == 0:
        return None
    noise = _core.gaussian_noise(rows, UNITS[0], options["input_noise"], SEED, STEP)
    return noise.astype(np.float64)
