"""Greedy layer-wise pretraining (the ``pretraining`` parameter).

Each stage builds a shallow engine network around the next hidden layer,
trains it for ``pretraining_epochs`` epochs and copies the layer into the
estimator's network:

- 'greedy_supervised': the network of the first k hidden layers and a new
  output layer, on the targets; layers below k are copied in and stay fixed
  (only layer k and the output train), so each stage is a shallow supervised
  net on the fixed features below it. The last stage trains the full
  architecture's top layer and output, both kept.
- 'greedy_autoencoder': a one-layer autoencoder (the hidden layer, then a
  linear reconstruction) of the outputs of the layers below, in prediction
  mode; no targets.
"""

import numpy as np

from fastdnn import _core
from fastdnn._stochastic import SEED_BOUND, as_dataset, as_float32
from fastdnn._transfer import copy_layer


def _train(estimator, network, trainer_options, data, targets, weights, batch_size):
    trainer = _core.Trainer(
        network, **trainer_options, n_threads=estimator._engine_threads()
    )
    seed = int(estimator._random_state.randint(SEED_BOUND))
    for epoch in range(int(estimator.pretraining_epochs)):
        loss = trainer.train_epoch(
            data, targets, weights, batch_size, estimator.shuffle, seed, epoch
        )
        if not np.isfinite(loss):
            raise ValueError(
                f"Greedy pretraining diverged (loss {loss}): lower learning_rate_init "
                "or scale the inputs."
            )


def _stage_network(estimator, layer_units, hidden_layers, output_activation):
    """A network of the given units whose hidden layers are the estimator's
    hidden_layers (their activations and dropout rates)."""
    n_hidden = len(estimator._network.layer_units) - 2
    options = estimator._layer_options(n_hidden)
    if options["dropout"]:
        options["dropout"] = [options["dropout"][layer] for layer in hidden_layers]
    hidden_activations = [
        estimator._network.hidden_activations[layer] for layer in hidden_layers
    ]
    network = _core.Network(
        layer_units,
        hidden_activations,
        output_activation,
        estimator.leaky_relu_slope,
        **options,
    )
    network.initialize(
        int(estimator._random_state.randint(SEED_BOUND)),
        estimator._glorot_factor(hidden_activations),
        estimator.weight_init,
        n_threads=estimator._engine_threads(),
    )
    return network


def pretrain(estimator, X, y, sample_weight, batch_size):
    """Pretrain estimator._network (just initialised) layer by layer."""
    network = estimator._network
    units = list(network.layer_units)
    n_hidden = len(units) - 2
    options = estimator._trainer_options_from_parameters()
    data = as_dataset(X)
    weights = as_float32(sample_weight)
    for stage in range(n_hidden):
        if estimator.pretraining == "greedy_supervised":
            stage_units = [*units[: stage + 2], units[-1]]
            stage_network = _stage_network(
                estimator,
                stage_units,
                range(stage + 1),
                network.output_activation,
            )
            for layer in range(stage):
                copy_layer(network, layer, stage_network, layer)
            _train(
                estimator,
                stage_network,
                {**options, "trainable_layers": [stage, stage + 1]},
                data,
                as_float32(y),
                weights,
                batch_size,
            )
            copy_layer(stage_network, stage, network, stage)
            if stage == n_hidden - 1:
                copy_layer(stage_network, stage + 1, network, stage + 1)
        else:
            inputs = (
                data
                if stage == 0
                else as_dataset(network.predict_layers(data, 0, stage - 1))
            )
            stage_network = _stage_network(
                estimator,
                [units[stage], units[stage + 1], units[stage]],
                [stage],
                "identity",
            )
            reconstruction_target = (
                as_float32(X.toarray() if hasattr(X, "toarray") else X)
                if stage == 0
                else network.predict_layers(data, 0, stage - 1)
            )
            _train(
                estimator,
                stage_network,
                {**options, "loss": "squared_error", "trainable_layers": []},
                inputs,
                reconstruction_target,
                weights,
                batch_size,
            )
            copy_layer(stage_network, 0, network, stage)
