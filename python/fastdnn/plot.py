"""Learning curves and training diagnostics with matplotlib (optional extra).

``pip install 'fastdnn[plot]'`` brings matplotlib. Both functions read a fitted
estimator's ``history_`` and return the matplotlib Figure.
"""

import numpy as np

from fastdnn.diagnosis import histogram_bin_edges

__all__ = ["plot_diagnostics", "plot_history"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "fastdnn.plot needs matplotlib: pip install 'fastdnn[plot]'"
        ) from error
    return plt


def _history(estimator):
    history = getattr(estimator, "history_", None)
    if not history:
        raise ValueError(
            "plotting reads history_, which only a fitted estimator with a "
            "stochastic solver ('sgd', 'adam') has."
        )
    return history


def plot_history(estimator, *, figsize=(12, 3.6)):
    """Loss curves, validation score and learning rate per epoch.

    Parameters
    ----------
    estimator : fitted MLPClassifier or MLPRegressor
    figsize : tuple, default=(12, 3.6)

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    plt = _pyplot()
    history = _history(estimator)
    epochs = [h["epoch"] for h in history]
    figure, (loss_axis, score_axis, rate_axis) = plt.subplots(1, 3, figsize=figsize)

    loss_axis.plot(epochs, [h["train_loss"] for h in history], label="train")
    if history[0]["val_loss"] is not None:
        loss_axis.plot(epochs, [h["val_loss"] for h in history], label="validation")
    loss_axis.set(title="loss", xlabel="epoch")
    loss_axis.legend()

    if history[0]["val_score"] is not None:
        score_axis.plot(epochs, [h["val_score"] for h in history], color="tab:green")
        score_axis.set(title="validation score", xlabel="epoch")
    else:
        score_axis.text(0.5, 0.5, "no validation data", ha="center", va="center")
        score_axis.set_axis_off()

    rate_axis.plot(epochs, [h["lr"] for h in history], color="tab:purple")
    rate_axis.set(title="learning rate (epoch start)", xlabel="epoch", yscale="log")
    figure.tight_layout()
    return figure


def plot_diagnostics(estimator, *, figsize=(12, 6.5)):
    """Per-layer update ratios, gradient norms and activation statistics.

    Parameters
    ----------
    estimator : fitted MLPClassifier or MLPRegressor, with diagnostics=True
    figsize : tuple, default=(12, 6.5)

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    plt = _pyplot()
    # A diverged last epoch has no per-layer diagnostics: draw the others.
    history = [h for h in _history(estimator) if "layers" in h]
    if not history:
        raise ValueError("plot_diagnostics needs a fit with diagnostics=True.")
    epochs = [h["epoch"] for h in history]
    n_layers = len(history[0]["layers"])
    # diagnostics='full' adds a row for the last epoch's histograms.
    has_histograms = "gradient_histogram" in history[-1]["layers"][0]
    n_rows = 3 if has_histograms else 2
    figure, axes = plt.subplots(
        n_rows, 2, figsize=(figsize[0], figsize[1] * n_rows / 2)
    )
    (ratio_axis, gradient_axis), (spread_axis, unit_axis) = axes[:2]

    for layer in range(n_layers):
        label = f"layer {layer + 1}"
        layers = [h["layers"][layer] for h in history]
        ratio_axis.plot(
            epochs, [entry["update_ratio"] for entry in layers], label=label
        )
        gradient_axis.plot(
            epochs, [entry["grad_norm"] for entry in layers], label=label
        )
        if "mean" in layers[0]:
            spread_axis.plot(epochs, [entry["std"] for entry in layers], label=label)
            unit_axis.plot(
                epochs, [entry["dead"] for entry in layers], label=f"{label} dead"
            )
            unit_axis.plot(
                epochs,
                [entry["saturated"] for entry in layers],
                linestyle="--",
                label=f"{label} saturated",
            )
    ratio_axis.set(title="update ratio ‖ΔW‖/‖W‖ per epoch", yscale="log")
    gradient_axis.set(title="weight-gradient norm (mean per step)", yscale="log")
    spread_axis.set(title="activation std (hidden layers)", xlabel="epoch")
    unit_axis.set(title="dead / saturated fraction", xlabel="epoch", ylim=(0, 1))
    if has_histograms:
        _plot_histograms(axes[2], history[-1])
    for axis in axes.ravel():
        axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def _plot_histograms(axes, epoch):
    """The epoch's activation and weight-gradient histograms, one line per layer."""
    edges = histogram_bin_edges()
    positions = np.arange(len(edges) - 1)
    # Ticks every fourth octave, labelled by the bin's inner edge.
    ticks = positions[::8]
    labels = [_edge_label(edges, position) for position in ticks]
    for axis, key, title in (
        (axes[0], "activation_histogram", "activations"),
        (axes[1], "gradient_histogram", "weight gradients"),
    ):
        for layer, entry in enumerate(epoch["layers"]):
            if key in entry:
                counts = np.asarray(entry[key], dtype=float)
                axis.step(
                    positions,
                    counts / max(counts.sum(), 1.0),
                    where="mid",
                    label=f"layer {layer + 1}",
                )
        axis.set(
            title=f"{title}, epoch {epoch['epoch']} (fraction per octave)",
            xticks=ticks,
            xticklabels=labels,
        )


def _edge_label(edges, position):
    """A bin's label: its edge nearest zero, as a signed power of two."""
    middle = (len(edges) - 1) // 2
    if position == middle:
        return "0"
    edge = edges[position + 1] if position < middle else edges[position]
    sign = "-" if edge < 0 else ""
    return f"{sign}2^{int(np.log2(abs(edge)))}"
