"""Annealed options: the per-epoch values of ``fastdnn.schedules.Anneal``.

The parameters that take one are ``ANNEALABLE`` in fastdnn._options. Before
each epoch the engine is given that epoch's values: a LayerOptions field
through the network (the Trainer rebuilds its workspace when they change: a
rate annealed from 0 needs dropout's buffers), a TrainerOptions field
through the trainer.
"""

import numpy as np
from sklearn.utils._param_validation import validate_parameter_constraints

from fastdnn._options import ANNEALABLE, engine_options, value_in_epoch
from fastdnn.schedules import Anneal


def annealed_fields(estimator):
    """The annealable parameters of this estimator that hold an Anneal (each
    names its engine field); label_smoothing is the classifier's only."""
    return [
        name
        for name in ANNEALABLE
        if isinstance(getattr(estimator, name, None), Anneal)
    ]


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


def anneal_epoch(estimator, names, network, trainer, epoch):
    """Give the engine the values of the annealed parameters ``names`` (from
    annealed_fields, once per fit) for epoch ``epoch`` of the fit; returns
    {parameter: value} for history_."""
    options = {option.name: option for option in type(estimator)._options}
    for engine, fields, built, apply in (
        (
            "layer",
            estimator._layer_options(len(network.layer_units) - 2, epoch),
            network.layer_options,
            network.set_layer_options,
        ),
        (
            "trainer",
            engine_options(estimator, "trainer", epoch),
            trainer.options,
            trainer.set_options,
        ),
    ):
        # dropout is a layer field resolved by _layer_options, not by the table.
        annealed = [
            options[name].engine_field
            for name in names
            if (options[name].engine or "layer") == engine
        ]
        changed = {
            field: fields[field]
            for field in annealed
            if not np.array_equal(
                np.asarray(fields[field], np.float32),
                np.asarray(built[field], np.float32),
            )
        }
        if changed:
            apply(**changed)
    return {name: value_in_epoch(getattr(estimator, name), epoch) for name in names}
