"""Per-layer diagnostics in history_, fastdnn.diagnose and fastdnn.plot."""

import functools
import math
import warnings
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")

import fastdnn  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from estimator_helpers import (  # noqa: E402
    digits_split,
    ignore_convergence,
    overfitting_model,
    overfitting_split,
)
from fastdnn import MLPClassifier  # noqa: E402
from fastdnn.callbacks import LambdaCallback  # noqa: E402
from fastdnn.plot import plot_diagnostics, plot_history  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

HIDDEN_KEYS = {
    "weight_norm",
    "update_ratio",
    "grad_norm",
    "mean",
    "std",
    "saturated",
    "dead",
}
OUTPUT_KEYS = {"weight_norm", "update_ratio", "grad_norm"}


@functools.cache
def small_digits():
    X, _, y, _ = digits_split()
    return X[:400], y[:400]


def _model(**params):
    defaults = dict(
        hidden_layer_sizes=(16, 8),
        solver="adam",
        learning_rate_init=0.01,
        max_iter=4,
        random_state=0,
    )
    defaults.update(params)
    return MLPClassifier(**defaults)


@contextmanager
def _ignore_overflow():
    # Diverging fits overflow the diagnostics' float32 norms on the way (a
    # bug with its own test below); the tests that use this are about what
    # happens after the divergence.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ----------------------------------------------------------------------------
# history_ contents


def test_history_layers_have_the_documented_keys():
    X, y = small_digits()
    with ignore_convergence():
        model = _model().fit(X, y)
    for entry in model.history_:
        assert math.isfinite(entry["grad_norm"]) and entry["grad_norm"] > 0
        layers = entry["layers"]
        assert len(layers) == model.n_layers_ - 1 == 3
        for hidden in layers[:-1]:
            assert set(hidden) == HIDDEN_KEYS
            assert 0.0 <= hidden["dead"] <= 1.0
            assert 0.0 <= hidden["saturated"] <= 1.0
            assert hidden["std"] >= 0.0
            # relu outputs are >= 0, so their mean is too.
            assert hidden["mean"] >= 0.0
        assert set(layers[-1]) == OUTPUT_KEYS


@pytest.mark.parametrize(
    "dtype, normalization",
    [(np.float64, None), (np.float32, None), (np.float32, "batch")],
)
def test_update_ratio_and_weight_norm_match_coefs_between_epochs(dtype, normalization):
    # With normalization a layer owns parameters after its bias: the norms
    # must still be those of its weights.
    X, y = small_digits()
    X = X.astype(dtype)
    snapshots = []

    def record(estimator, logs=None):
        snapshots.append([c.astype(np.float64) for c in estimator.coefs_])

    callback = LambdaCallback(on_train_begin=record, on_epoch_end=record)
    with ignore_convergence():
        model = _model(callbacks=[callback], normalization=normalization).fit(X, y)
    assert len(snapshots) == 1 + model.n_iter_
    for epoch, entry in enumerate(model.history_, start=1):
        for layer, stats in enumerate(entry["layers"]):
            before, after = snapshots[epoch - 1][layer], snapshots[epoch][layer]
            expected = np.linalg.norm(after - before) / np.linalg.norm(before)
            assert stats["update_ratio"] == pytest.approx(expected, rel=1e-5)
            assert stats["weight_norm"] == pytest.approx(
                np.linalg.norm(after), rel=1e-5
            )


def test_units_forced_dead_are_reported_dead():
    X, y = small_digits()
    with ignore_convergence():
        # A gentle rate: no unit dies on its own (at 0.01 a third do).
        model = _model(hidden_layer_sizes=(16,), learning_rate_init=1e-3).fit(X, y)
    assert model.history_[-1]["layers"][0]["dead"] == 0.0
    assert "dead-units" not in [f.kind for f in fastdnn.diagnose(model, verbose=False)]
    # A bias of -1000 keeps every relu unit at zero for inputs in [0, 1], and a
    # unit at zero gets no gradient, so it cannot recover.
    model.intercepts_[0] = np.full_like(model.intercepts_[0], -1e3)
    model.set_params(warm_start=True, max_iter=1)
    with ignore_convergence():
        model.fit(X, y)
    assert model.history_[-1]["layers"][0]["dead"] == 1.0
    assert model.history_[-1]["layers"][0]["mean"] == 0.0
    assert "dead-units" in [f.kind for f in fastdnn.diagnose(model, verbose=False)]


def test_half_the_units_forced_dead_give_half_dead():
    X, y = small_digits()
    with ignore_convergence():
        model = _model(hidden_layer_sizes=(16,), learning_rate_init=1e-3).fit(X, y)
    assert model.history_[-1]["layers"][0]["dead"] == 0.0
    model.intercepts_[0] = np.where(np.arange(16) < 8, -1e3, model.intercepts_[0])
    model.set_params(warm_start=True, max_iter=1)
    with ignore_convergence():
        model.fit(X, y)
    assert model.history_[-1]["layers"][0]["dead"] == 0.5
    # The same count from the fitted weights: units silent on every sample.
    hidden = np.maximum(X @ model.coefs_[0] + model.intercepts_[0], 0.0)
    assert np.mean(hidden.max(axis=0) == 0.0) == 0.5


def test_saturated_logistic_units_are_reported():
    X, y = small_digits()
    with ignore_convergence():
        model = _model(hidden_layer_sizes=(16,), activation="logistic").fit(X, y)
    # A bias of +1000 puts every logistic unit at 1, where its gradient is 0.
    model.intercepts_[0] = np.full_like(model.intercepts_[0], 1e3)
    model.set_params(warm_start=True, max_iter=1)
    with ignore_convergence():
        model.fit(X, y)
    assert model.history_[-1]["layers"][0]["saturated"] == 1.0
    assert "saturated-units" in [f.kind for f in fastdnn.diagnose(model, verbose=False)]


def test_too_high_learning_rate_is_diagnosed():
    X, _, y, _ = digits_split()
    with ignore_convergence():
        model = MLPClassifier(
            hidden_layer_sizes=(32,),
            solver="sgd",
            learning_rate_init=2.0,
            max_iter=6,
            random_state=0,
        ).fit(X, y)
    kinds = [f.kind for f in fastdnn.diagnose(model, verbose=False)]
    assert "learning-rate-too-high" in kinds


def test_reasonable_adam_fit_is_not_diagnosed_with_a_bad_learning_rate():
    X, y = small_digits()
    with ignore_convergence():
        model = _model(learning_rate_init=1e-3, max_iter=8).fit(X, y)
    kinds = [f.kind for f in fastdnn.diagnose(model, verbose=False)]
    assert "learning-rate-too-high" not in kinds
    assert "learning-rate-too-low" not in kinds


def test_tiny_learning_rate_is_diagnosed_too_low_and_underfitting():
    X, y = small_digits()
    with ignore_convergence():
        model = _model(solver="sgd", learning_rate_init=1e-8, max_iter=4).fit(X, y)
    kinds = [f.kind for f in fastdnn.diagnose(model, verbose=False)]
    assert "learning-rate-too-low" in kinds
    assert "underfitting" in kinds


@pytest.mark.parametrize(
    "losses, expected",
    [
        ([2.0, 1.95, 1.9], "the training loss went from 2 to only 1.9: the model"),
        ([2.0, 0.5, 0.1], None),
        ([24.14, 3e5, 1.197e10], "the training loss rose from 24.14 to 1.197e+10 "),
    ],
    ids=["fell a little", "fell a lot", "grew"],
)
def test_underfitting_says_how_the_training_loss_moved(losses, expected):
    X, y = small_digits()
    with ignore_convergence():
        model = _model(diagnostics=False, max_iter=3).fit(X, y)
    model.history_ = [
        {**entry, "train_loss": loss}
        for entry, loss in zip(model.history_, losses, strict=True)
    ]
    messages = [
        f.message
        for f in fastdnn.diagnose(model, verbose=False)
        if f.kind == "underfitting"
    ]
    if expected is None:
        assert messages == []
    else:
        assert len(messages) == 1 and messages[0].startswith(expected)


def test_overfitting_is_diagnosed_from_a_rising_validation_loss():
    X, y, X_val, y_val = overfitting_split()
    with ignore_convergence():
        model = overfitting_model(
            learning_rate_init=0.01,
            batch_size="auto",
            max_iter=60,
            n_iter_no_change=1000,
            restore_best_weights=False,
        ).fit(X, y, eval_set=(X_val, y_val))
    assert "overfitting" in [f.kind for f in fastdnn.diagnose(model, verbose=False)]


def test_diverged_fit_is_diagnosed_as_learning_rate_too_high():
    # The most obvious too-high rate of all: the loss became NaN. The last
    # history entry (the diverged epoch) has no per-layer statistics, but the
    # diagnosis must still name the learning rate.
    X, y, _, _ = overfitting_split()
    model = _model(solver="sgd", learning_rate_init=1e4, momentum=0.9, max_iter=30)
    with _ignore_overflow(), pytest.raises(ValueError, match="non-finite"):
        model.fit(X.astype(np.float32), y)
    kinds = [f.kind for f in fastdnn.diagnose(model, verbose=False)]
    assert "learning-rate-too-high" in kinds


def test_weight_changes_need_a_copy_of_the_whole_arena():
    X, y = small_digits()
    with ignore_convergence():
        model = _model(max_iter=1).fit(X, y)
    network = model._network
    with pytest.raises(ValueError, match=r"before must have shape"):
        network.weight_changes(np.zeros(network.n_parameters - 1, np.float32))
    # Against itself: the norms of coefs_, and no change.
    changes = network.weight_changes(network.parameters.copy())
    for (norm, previous_norm, change_norm), coef in zip(
        changes, model.coefs_, strict=True
    ):
        expected = np.linalg.norm(coef.astype(np.float64))
        assert norm == pytest.approx(expected, rel=1e-6)
        assert previous_norm == norm
        assert change_norm == 0.0


def test_diagnostics_of_huge_finite_weights_do_not_overflow():
    # Weights of order 1e20 are finite in float32, but their squares are not:
    # the diagnostics must still give finite norms and no numpy warning (here
    # every warning is an error).
    X, y = small_digits()
    with ignore_convergence():
        model = _model(hidden_layer_sizes=(16,), solver="sgd", max_iter=1).fit(X, y)
    model.coefs_[1] = np.full_like(model.coefs_[1], 1e20)
    model.set_params(warm_start=True, learning_rate_init=1e-30, max_iter=1)
    with ignore_convergence():
        model.fit(X.astype(np.float32), y)
    stats = model.history_[-1]["layers"][1]
    assert math.isfinite(stats["weight_norm"])
    assert stats["weight_norm"] == pytest.approx(1e20 * math.sqrt(16 * 10), rel=1e-5)


def test_diagnostics_false_records_no_layer_statistics():
    X, y = small_digits()
    with ignore_convergence():
        model = _model(diagnostics=False).fit(X, y)
    assert all("layers" not in h and "grad_norm" not in h for h in model.history_)
    kinds = [f.kind for f in fastdnn.diagnose(model, verbose=False)]
    assert not {"dead-units", "saturated-units", "vanishing-gradients"} & set(kinds)


def test_diagnose_prints_its_findings(capsys):
    X, y = small_digits()
    with ignore_convergence():
        model = _model().fit(X, y)
    findings = fastdnn.diagnose(model)
    out = capsys.readouterr().out
    if findings:
        assert out.splitlines() == [str(f) for f in findings]
    else:
        assert out.strip() == "Nothing stands out in this training run."
    assert fastdnn.diagnose(model, verbose=False) == findings
    assert capsys.readouterr().out == ""


def test_diagnose_needs_a_stochastic_fit():
    X, y = small_digits()
    with pytest.raises(NotFittedError):
        fastdnn.diagnose(_model())
    with ignore_convergence():
        lbfgs = _model(solver="lbfgs", max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="history_"):
        fastdnn.diagnose(lbfgs)


# ----------------------------------------------------------------------------
# Plots


def _lines(axis):
    return len(axis.get_lines())


def test_plot_history_with_validation_has_three_axes_of_curves():
    X, y, X_val, y_val = overfitting_split()
    with ignore_convergence():
        model = _model().fit(X, y, eval_set=(X_val, y_val))
    figure = plot_history(model)
    assert isinstance(figure, Figure)
    loss_axis, score_axis, rate_axis = figure.axes
    assert _lines(loss_axis) == 2
    assert _lines(score_axis) == 1
    assert _lines(rate_axis) == 1
    np.testing.assert_array_equal(
        loss_axis.get_lines()[1].get_ydata(), [h["val_loss"] for h in model.history_]
    )
    np.testing.assert_array_equal(
        rate_axis.get_lines()[0].get_ydata(), [h["lr"] for h in model.history_]
    )


def test_plot_history_without_validation_leaves_the_score_axis_empty():
    X, y = small_digits()
    with ignore_convergence():
        model = _model().fit(X, y)
    loss_axis, score_axis, rate_axis = plot_history(model).axes
    assert _lines(loss_axis) == 1
    assert _lines(score_axis) == 0 and not score_axis.axison
    assert _lines(rate_axis) == 1


def test_plot_diagnostics_has_a_line_per_layer_and_statistic():
    X, y = small_digits()
    with ignore_convergence():
        model = _model(hidden_layer_sizes=(16, 8)).fit(X, y)
    figure = plot_diagnostics(model)
    assert isinstance(figure, Figure)
    ratio_axis, gradient_axis, spread_axis, unit_axis = figure.axes
    assert _lines(ratio_axis) == 3  # every weight layer
    assert _lines(gradient_axis) == 3
    assert _lines(spread_axis) == 2  # hidden layers only
    assert _lines(unit_axis) == 4  # dead and saturated per hidden layer
    np.testing.assert_array_equal(
        ratio_axis.get_lines()[0].get_ydata(),
        [h["layers"][0]["update_ratio"] for h in model.history_],
    )


@functools.cache
def _diverged_model():
    X, y, X_val, y_val = overfitting_split()
    model = _model(solver="sgd", learning_rate_init=1e4, momentum=0.9, max_iter=30)
    with _ignore_overflow(), pytest.raises(ValueError, match="non-finite"):
        model.fit(X.astype(np.float32), y, eval_set=(X_val, y_val))
    # The diverged epoch is logged with NaN validation values, without layers.
    assert not math.isfinite(model.history_[-1]["train_loss"])
    return model


def test_plot_history_of_a_diverged_fit_still_draws():
    figure = plot_history(_diverged_model())
    assert len(figure.axes[0].get_lines()) == 2


def test_plot_diagnostics_of_a_diverged_fit_still_draws():
    model = _diverged_model()
    figure = plot_diagnostics(model)
    # One point per epoch with statistics, at least.
    assert len(figure.axes[0].get_lines()[0].get_xdata()) >= len(model.history_) - 1


def test_plotting_unfitted_or_lbfgs_models_raises():
    X, y = small_digits()
    for plot in (plot_history, plot_diagnostics):
        with pytest.raises(ValueError, match="history_"):
            plot(_model())
    with ignore_convergence():
        lbfgs = _model(solver="lbfgs", max_iter=5).fit(X, y)
        silent = _model(diagnostics=False).fit(X, y)
    for plot in (plot_history, plot_diagnostics):
        with pytest.raises(ValueError, match="history_"):
            plot(lbfgs)
    with pytest.raises(ValueError, match="diagnostics=True"):
        plot_diagnostics(silent)


# ----------------------------------------------------------------------------
# diagnostics='full': histograms, and the sampling of minibatches


def _reference_histogram(values):
    """The documented binning, written independently: sign and binary octave
    (frexp's exponent), |v| < 2**-24 in the middle bin, outer bins open."""
    values = np.asarray(values, dtype=np.float64).ravel()
    _, exponent = np.frexp(np.abs(values))  # |v| = m·2**exponent, m in [0.5, 1)
    octave = np.clip(exponent - 1 + 24, 0, 31)
    tiny = np.abs(values) < 2.0**-24
    bins = np.where(values < 0, 31 - octave, 33 + octave)
    bins = np.where(tiny, 32, bins)
    return np.bincount(bins, minlength=65)


def test_histogram_bin_edges_are_signed_octaves():
    edges = fastdnn.diagnosis.histogram_bin_edges()
    assert edges.shape == (66,)
    assert edges[0] == -np.inf and edges[-1] == np.inf
    assert np.all(np.diff(edges) > 0)
    np.testing.assert_array_equal(edges[1:33], -(2.0 ** np.arange(7, -25, -1)))
    np.testing.assert_array_equal(edges[33:65], 2.0 ** np.arange(-24, 8))


def test_full_histograms_are_the_steps_activations_and_gradients():
    import numpy_reference as ref
    from engine_helpers import make_inputs, make_network, make_targets
    from fastdnn import _core

    rng = np.random.default_rng(3)
    layer_units, n_samples = [6, 12, 7, 3], 50
    net = make_network(layer_units, "tanh", "log_loss", seed=2)
    X = make_inputs(rng, n_samples, layer_units[0])
    y = make_targets(rng, "log_loss", n_samples, layer_units[-1])
    params = np.array(net.parameters, dtype=np.float64)
    trainer = _core.Trainer(
        net,
        loss="log_loss",
        solver="adam",
        alpha=1e-3,
        learning_rate=1e-3,
        collect_statistics=True,
        collect_histograms=True,
    )
    # One minibatch of every row: the statistics are those of the initial weights.
    trainer.train_epoch(_core.Dataset(X), y, None, n_samples, False, 0, 0, None)
    layers = trainer.statistics()["layers"]
    hidden, _ = ref.forward(params, layer_units, "tanh", X.astype(np.float64))
    _, gradient = ref.loss_and_gradient(
        params, layer_units, "tanh", "log_loss", X.astype(np.float64), y, None, 1e-3
    )
    offset = 0
    for layer in range(len(layer_units) - 1):
        size = layer_units[layer] * layer_units[layer + 1]
        expected = _reference_histogram(gradient[offset : offset + size])
        actual = layers[layer]["gradient_histogram"]
        assert actual.sum() == size
        # float32 against float64: a value within an ulp of a power of two may
        # land one bin over.
        assert np.abs(actual - expected).sum() <= 2
        offset += size + layer_units[layer + 1]
        if layer < len(layer_units) - 2:
            actual = layers[layer]["activation_histogram"]
            assert actual.sum() == n_samples * layer_units[layer + 1]
            expected = _reference_histogram(hidden[layer + 1])
            assert np.abs(actual - expected).sum() <= 2


def test_statistics_sample_at_most_32_minibatches_and_a_quarter_per_epoch():
    from engine_helpers import (
        SOLVER_OPTIONS,
        make_inputs,
        make_network,
        make_targets,
        make_trainer,
    )
    from fastdnn import _core

    rng = np.random.default_rng(0)
    net = make_network([4, 5, 2], "relu", "log_loss")
    X = make_inputs(rng, 200, 4)
    y = make_targets(rng, "log_loss", 200, 2)
    sgd = {**SOLVER_OPTIONS["sgd_nesterov"], "learning_rate": 1e-3}
    trainer = make_trainer(net, "log_loss", 0.0, sgd, collect_statistics=True)
    data = _core.Dataset(X)
    # 20 minibatches: every 4th at least (5); 100: every 4th (25); 200: every
    # 7th (29).
    for batch_size, steps in ((10, 5), (2, 25), (1, 29)):
        trainer.train_epoch(data, y, None, batch_size, True, 0, 0, None)
        statistics = trainer.statistics()
        assert statistics["steps"] == steps
        assert statistics["layers"][0]["activation_count"] == steps * batch_size * 5


def test_full_diagnostics_in_history_and_plot():
    X, y = small_digits()
    with ignore_convergence():
        model = _model(diagnostics="full").fit(X, y)
    for entry in model.history_:
        hidden, output = entry["layers"][:-1], entry["layers"][-1]
        for layer in hidden:
            assert set(layer) == HIDDEN_KEYS | {
                "activation_histogram",
                "gradient_histogram",
            }
        assert set(output) == OUTPUT_KEYS | {"gradient_histogram"}
    figure = plot_diagnostics(model)
    assert len(figure.axes) == 6
    activation_axis, gradient_axis = figure.axes[4:]
    assert _lines(activation_axis) == 2  # hidden layers
    assert _lines(gradient_axis) == 3  # every weight layer
    heights = activation_axis.get_lines()[0].get_ydata()
    assert heights.sum() == pytest.approx(1.0)


def test_invalid_diagnostics_value_is_rejected():
    X, y = small_digits()
    with pytest.raises(ValueError, match="diagnostics"):
        _model(diagnostics="histograms").fit(X, y)
