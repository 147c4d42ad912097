"""Annealed regularizers: the per-epoch values of ``fastdnn.schedules.Anneal``.

The parameters that take one are ``ANNEALABLE`` in fastdnn._options. Each is
a LayerOptions field of the engine; before each epoch the network is given
that epoch's values, and the Trainer rebuilds its workspace when they change
(a rate annealed from 0 needs dropout's buffers).
"""

import numpy as np
from sklearn.utils._param_validation import validate_parameter_constraints

from fastdnn._options import ANNEALABLE, value_in_epoch
from fastdnn.schedules import Anneal


def annealed_fields(estimator):
    """The annealable parameters that hold an Anneal (each names its engine
    field)."""
    return [name for name in ANNEALABLE if isinstance(getattr(estimator, name), Anneal)]


def check_annealed(estimator):
    """Each Anneal well formed, its start and end values the parameter's."""
    constraints = estimator._parameter_constraints
    for name in annealed_fields(estimator):
        anneal = getattr(estimator, name)
        anneal._check()
        for end in ("start", "end"):
            value = getattr(anneal, end)
            try:
                validate_parameter_constraints(
                    {name: [c for c in constraints[name] if c is not Anneal]},
                    {name: value},
                    caller_name=type(estimator).__name__,
                )
            except ValueError as error:
                raise ValueError(
                    f"{name}={anneal!r}: its {end} is invalid. {error}"
                ) from None


def anneal_epoch(estimator, network, epoch):
    """Give network the annealed rates of epoch ``epoch`` of the fit;
    returns {parameter: value} for history_."""
    names = annealed_fields(estimator)
    if not names:
        return {}
    fields = estimator._layer_options(len(network.layer_units) - 2, epoch)
    built = network.layer_options
    changed = {
        name: fields[name]
        for name in names
        if not np.array_equal(
            np.asarray(fields[name], np.float32), np.asarray(built[name], np.float32)
        )
    }
    if changed:
        network.set_layer_options(**changed)
    return {name: value_in_epoch(getattr(estimator, name), epoch) for name in names}
