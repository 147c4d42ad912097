"""Every constructor parameter of the estimators, described once.

An ``Option`` holds what the estimators need to know of a parameter: its
default, its ``_parameter_constraints`` entry, its documentation, and where
it goes in the engine (a ``TrainerOptions`` or ``LayerOptions`` field of
cpp/train/trainer.h and cpp/nn/network.h, which the bindings fill from a
mapping keyed by field name). The estimators' ``__init__``, their
``_parameter_constraints``, the Parameters section of their docstrings and
the engine's options are all made from this table, so a new numeric
training option is one ``Option`` here, one engine field and its use.

The names an enum-valued option takes come from the engine
(``_core.enum_names()``), where each enum's table of names is written once.
"""

import dataclasses
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from fastdnn import _core
from fastdnn.schedules import Anneal, LearningRateSchedule

_NAMES = _core.enum_names()
HIDDEN_ACTIVATIONS = tuple(_NAMES["hidden_activation"])
WEIGHT_INITS = tuple(_NAMES["weight_init"])
# The engine's minibatch optimizers, and adamw (adam with decoupled decay,
# resolved by the estimators); lbfgs is scipy's full-batch driver.
STOCHASTIC_SOLVERS = (*_NAMES["solver"], "adamw")
SOLVERS = ("lbfgs", *STOCHASTIC_SOLVERS)
# The engine's "none" is the parameters' None.
NORMALIZATIONS = tuple(name for name in _NAMES["normalization"] if name != "none")
AVERAGINGS = tuple(name for name in _NAMES["averaging"] if name != "none")
# MLPClassifier's losses are its output's: the log-losses are not choices.
REGRESSION_LOSSES = tuple(
    name for name in _NAMES["loss"] if name not in ("log_loss", "binary_log_loss")
)


def _zero_for_none(value):
    return 0.0 if value is None else value


def _none_as_name(value):
    return "none" if value is None else value


def _is_after(position):
    return position == "after"


def _multipliers(rates):
    """layer_learning_rates as the engine's list of floats (empty: all 1)."""
    return [] if rates is None else [float(rate) for rate in np.ravel(rates)]


@dataclass(frozen=True)
class Option:
    """One constructor parameter.

    type is the numpydoc type; ``{kind}`` in it stands for the names the
    engine's enum of that kind takes. engine is "trainer" or "layer" for a
    parameter that sets an engine field directly (field, when the field's
    name differs; to_engine converts the value), None for one the
    estimators read themselves.
    """

    name: str
    default: object
    constraints: list
    type: str
    doc: str
    engine: str | None = None
    field: str | None = None
    to_engine: Callable | None = None

    @property
    def engine_field(self):
        return self.field or self.name

    def documentation(self):
        """The numpydoc entry: ``name : type, default=...`` and the text."""
        names = {
            kind: "{" + ", ".join(repr(name) for name in choices) + "}"
            for kind, choices in (
                ("hidden_activation", HIDDEN_ACTIVATIONS),
                ("weight_init", WEIGHT_INITS),
                ("solver", SOLVERS),
                ("normalization", NORMALIZATIONS),
                ("averaging", AVERAGINGS),
                ("dropout_kind", _NAMES["dropout_kind"]),
                ("regression_loss", REGRESSION_LOSSES),
                ("precision", _NAMES["precision"]),
            )
        }
        # Literal choices stay as written: only a known kind is replaced.
        type_ = re.sub(
            r"\{(\w+)\}", lambda m: names.get(m.group(1), m.group(0)), self.type
        )
        header = f"{self.name} : {type_}, default={self.default!r}"
        return header + "\n" + textwrap.indent(self.doc, "    ")


# The parameters both estimators take, in their signatures' order:
# scikit-learn's first, then fastdnn's.
SHARED_OPTIONS = (
    Option(
        "hidden_layer_sizes",
        (100,),
        [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "array-like of shape (n_layers - 2,)",
        """\
The ith element is the number of neurons in the ith hidden layer.
""",
    ),
    Option(
        "activation",
        "relu",
        [
            StrOptions(set(HIDDEN_ACTIVATIONS[:4])),
            StrOptions(set(HIDDEN_ACTIVATIONS[4:])),
            list,
        ],
        "{hidden_activation} or list of str",
        """\
Activation function of the hidden layers, or a list with one name
per hidden layer (its length must match ``hidden_layer_sizes``).
Beyond scikit-learn's four: 'leaky_relu' (max(x, slope·x), see
``leaky_relu_slope``), 'elu' (α = 1), 'selu' (self-normalising; pair
it with ``weight_init='lecun_normal'``), 'gelu' (exact x·Φ(x), as
PyTorch's default), 'silu' (x·σ(x), also called swish) and
'softplus' (log(1 + eˣ)). See docs/activations_and_initialization.md.
""",
    ),
    Option(
        "solver",
        "adam",
        [
            StrOptions({"lbfgs", "sgd", "adam"}),
            StrOptions(set(SOLVERS) - {"lbfgs", "sgd", "adam"}),
        ],
        "{solver}",
        """\
The weight optimizer: 'lbfgs' (full-batch quasi-Newton, via scipy),
'sgd' (minibatch SGD with momentum), 'adam' (Kingma & Ba, 2014),
'adamw' (adam with decoupled weight_decay), 'nadam' (Dozat, 2016, as
PyTorch's NAdam), 'rmsprop' (PyTorch's RMSprop: rho, epsilon,
rmsprop_momentum), 'adagrad' (PyTorch's Adagrad, with epsilon).
""",
    ),
    Option(
        "alpha",
        0.0001,
        [Interval(Real, 0, None, closed="left")],
        "float",
        """\
Strength of the L2 penalty on the weights, divided by the sum of the
batch's sample weights when added to the loss.
""",
        engine="trainer",
    ),
    Option(
        "batch_size",
        "auto",
        [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "int or 'auto'",
        """\
Minibatch size of the stochastic solvers; 'auto' is min(200, n_samples).
""",
    ),
    Option(
        "learning_rate",
        "constant",
        [
            StrOptions({"constant", "invscaling", "adaptive"}),
            LearningRateSchedule,
        ],
        "{'constant', 'invscaling', 'adaptive'} or schedule",
        """\
Learning-rate schedule. The strings are scikit-learn's, for
solver='sgd': 'invscaling' sets the rate to
learning_rate_init / (t + 1) ** power_t after each epoch, t the number of
samples seen; 'adaptive' divides it by 5 each time the stopping
criterion triggers. A ``fastdnn.schedules`` object (StepDecay,
CosineAnnealing, OneCycle, ReduceLROnPlateau, ...) schedules the rate
of either stochastic solver by epoch or by step.
""",
    ),
    Option(
        "learning_rate_init",
        0.001,
        [Interval(Real, 0, None, closed="neither")],
        "float",
        """\
The initial step size of the stochastic solvers.
""",
        engine="trainer",
        field="learning_rate",
    ),
    Option(
        "power_t",
        0.5,
        [Interval(Real, 0, None, closed="left")],
        "float",
        """\
Exponent of the 'invscaling' schedule.
""",
    ),
    Option(
        "max_iter",
        200,
        [Interval(Integral, 1, None, closed="left")],
        "int",
        """\
Maximum number of epochs (stochastic solvers) or iterations ('lbfgs').
""",
    ),
    Option(
        "shuffle",
        True,
        ["boolean"],
        "bool",
        """\
Whether to shuffle samples in each epoch (stochastic solvers).
""",
    ),
    Option(
        "random_state",
        None,
        ["random_state"],
        "int, RandomState instance or None",
        """\
Seeds weight initialisation, shuffling and the early-stopping split.
An int gives a bit-identical model whatever the number of threads.
""",
    ),
    Option(
        "tol",
        1e-4,
        [Interval(Real, 0, None, closed="left")],
        "float",
        """\
Minimum improvement of the loss (or validation score) that counts.
""",
    ),
    Option(
        "verbose",
        False,
        ["verbose"],
        "bool",
        """\
Whether to print the loss after each epoch.
""",
    ),
    Option(
        "warm_start",
        False,
        ["boolean"],
        "bool",
        """\
Whether fit continues from the previous solution.
""",
    ),
    Option(
        "momentum",
        0.9,
        [Interval(Real, 0, 1, closed="both")],
        "float",
        """\
Momentum of solver='sgd', in [0, 1].
""",
        engine="trainer",
    ),
    Option(
        "nesterovs_momentum",
        True,
        ["boolean"],
        "bool",
        """\
Whether solver='sgd' uses Nesterov's momentum.
""",
        engine="trainer",
        field="nesterov",
    ),
    Option(
        "early_stopping",
        False,
        ["boolean"],
        "bool",
        """\
Whether to hold out validation_fraction of the training data (stratified
for single-output classification), stop when its score stops improving
and restore the weights of the best epoch.
""",
    ),
    Option(
        "validation_fraction",
        0.1,
        [Interval(Real, 0, 1, closed="left")],
        "float",
        """\
Share of the training data held out for early stopping.
""",
    ),
    Option(
        "beta_1",
        0.9,
        [Interval(Real, 0, 1, closed="left")],
        "float",
        """\
Decay rate of Adam's first-moment estimate, in [0, 1).
""",
        engine="trainer",
    ),
    Option(
        "beta_2",
        0.999,
        [Interval(Real, 0, 1, closed="left")],
        "float",
        """\
Decay rate of Adam's second-moment estimate, in [0, 1).
""",
        engine="trainer",
    ),
    Option(
        "epsilon",
        1e-8,
        [Interval(Real, 0, None, closed="neither")],
        "float",
        """\
Numerical-stability term of adam, adamw, nadam, rmsprop and adagrad.
""",
        engine="trainer",
    ),
    Option(
        "n_iter_no_change",
        10,
        [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "int",
        """\
Epochs without tol improvement before stopping (stochastic solvers).
""",
    ),
    Option(
        "max_fun",
        15000,
        [Interval(Integral, 1, None, closed="left")],
        "int",
        """\
Maximum number of loss evaluations of solver='lbfgs'.
""",
    ),
    Option(
        "n_jobs",
        None,
        [Integral, None],
        "int",
        """\
Threads for training and prediction (not in scikit-learn's MLP).
None leaves the choice to OpenMP, so OMP_NUM_THREADS and
threadpoolctl's limits apply; -1 uses every core. The fitted model is
bit-identical whatever the number of threads. Predicting a few rows
(under 2**23 rows x parameters) uses one thread: waking the others
costs more than they would save.
""",
    ),
    Option(
        "monitor",
        "auto",
        [StrOptions({"auto", "val_loss", "val_score", "train_loss"})],
        "{'auto', 'val_loss', 'val_score', 'train_loss'}",
        """\
What stopping (tol, n_iter_no_change) and the best weights follow.
'auto' is scikit-learn's choice: the validation score when there is
validation data (early_stopping or eval_set), else the training loss.
""",
    ),
    Option(
        "restore_best_weights",
        "auto",
        ["boolean", StrOptions({"auto"})],
        "bool or 'auto'",
        """\
Whether training ends on the weights of the epoch with the best
monitored value. 'auto' does what scikit-learn does: restore when
monitoring validation data, keep the last weights on training loss.
""",
    ),
    Option(
        "start_from_epoch",
        0,
        [Interval(Integral, 0, None, closed="left")],
        "int",
        """\
Epochs before this one neither count towards stopping nor become the
best: a warm-up during which the monitored value is not trusted.
""",
    ),
    Option(
        "scoring",
        None,
        [None, str, callable],
        "str, callable or None",
        """\
The validation score: a scikit-learn scorer name or callable
``scorer(estimator, X, y)``; None is accuracy (classifier) or R²
(regressor), as in scikit-learn.
""",
    ),
    Option(
        "callbacks",
        None,
        [None, list],
        "list of callback objects",
        """\
Objects with ``on_train_begin(est)``, ``on_epoch_end(est, logs) ->
bool`` (True stops) and ``on_train_end(est)``, run by ``fit`` (see
``fastdnn.callbacks``). Each fit works on deep copies, so stateful
callbacks start fresh and the estimator clones.
""",
    ),
    Option(
        "progress_bar",
        False,
        ["boolean", StrOptions({"batch"})],
        "bool or 'batch'",
        """\
Show a tqdm progress bar over epochs on stderr (needs tqdm), with the
loss, validation score and learning rate; ``'batch'`` adds a second
bar over the minibatches of the running epoch, for long epochs.
""",
    ),
    Option(
        "diagnostics",
        True,
        ["boolean", StrOptions({"full"})],
        "bool or 'full'",
        """\
Collect per-layer training diagnostics in ``history_`` (gradient and
weight norms, update ratios, activation statistics, saturated and
dead units), gathered by the engine on every k-th minibatch of an
epoch, k the smallest stride that samples at most 32 of them and at
least 4 (every 4th in epochs of up to 128 minibatches), so they cost
a few percent of an epoch however many steps it takes.
``'full'`` adds per-layer histograms of the activations and weight
gradients (``activation_histogram``, ``gradient_histogram``; bins
from ``fastdnn.diagnosis.histogram_bin_edges()``).
""",
        engine="trainer",
        field="collect_statistics",
        to_engine=bool,
    ),
    Option(
        "normalization",
        None,
        [None, StrOptions(set(NORMALIZATIONS))],
        "{normalization} or None",
        """\
Normalization of the hidden layers (not in scikit-learn's MLP).
'batch' normalises each unit over the minibatch in training and with
running averages at prediction, so a row predicts alone as in a batch;
before the activation it makes the layer's bias redundant, which then
stays at zero. 'layer' normalises each row over the layer's units.
'group' (Wu & He, 2018) normalises each of ``norm_groups`` groups of a
row's units on its own (one group is 'layer'). 'decorrelated_batch'
(Huang et al., 2018) whitens each group of units over the minibatch
(ZCA: zero mean, identity covariance) and predicts with running
averages of the mean and whitening matrix, like 'batch'. All four
learn a gain and a shift per unit. 'weight' reparametrises every
layer's weights as ``w = g * v / ||v||`` (``coefs_`` hold v).
'batch' and 'decorrelated_batch' need a stochastic solver. See
docs/training_techniques_engine.md.
""",
        engine="layer",
        to_engine=_none_as_name,
    ),
    Option(
        "normalization_position",
        "before",
        [StrOptions({"before", "after"})],
        "{'before', 'after'}",
        """\
Whether batch or layer normalization comes before or after the
hidden activation.
""",
        engine="layer",
        field="normalize_after_activation",
        to_engine=_is_after,
    ),
    Option(
        "batch_norm_momentum",
        0.1,
        [Interval(Real, 0, 1, closed="both")],
        "float in [0, 1]",
        """\
Weight of each minibatch in batch normalization's running averages.
""",
        engine="layer",
    ),
    Option(
        "norm_epsilon",
        1e-5,
        [Interval(Real, 0, None, closed="neither")],
        "float > 0",
        """\
Added to the variance before batch and layer normalization divide.
""",
        engine="layer",
    ),
    Option(
        "norm_groups",
        4,
        [Interval(Integral, 1, None, closed="left")],
        "int >= 1",
        """\
The number of groups each hidden layer's units fall into for
normalization='group' and 'decorrelated_batch': contiguous groups of
width / norm_groups units, so it must divide every hidden layer's
width. Decorrelated batch norm decomposes a (width / norm_groups)-square
covariance per group and step: keep groups to a few dozen units.
""",
        engine="layer",
    ),
    Option(
        "dropout",
        0.0,
        [Interval(Real, 0, 1, closed="left"), "array-like"],
        "float in [0, 1) or list of float",
        """\
Rate of dropout after each hidden layer (one rate, or one per hidden
layer), in training only; inverted scaling keeps the expected
activation. Needs a stochastic solver.
""",
    ),
    Option(
        "input_dropout",
        0.0,
        [Interval(Real, 0, 1, closed="left")],
        "float in [0, 1)",
        """\
Rate of dropout of the input features, in training only.
""",
        engine="layer",
    ),
    Option(
        "dropout_kind",
        "bernoulli",
        [StrOptions(set(_NAMES["dropout_kind"]))],
        "{dropout_kind}",
        """\
'bernoulli' zeroes units; 'gaussian' multiplies them by
N(1, rate / (1 - rate)) noise; 'alpha' is SELU's alpha dropout, which
keeps the mean and variance.
""",
        engine="layer",
    ),
    Option(
        "input_noise",
        0.0,
        [Interval(Real, 0, None, closed="left")],
        "float >= 0",
        """\
Standard deviation of Gaussian noise added to the inputs in training.
""",
        engine="layer",
    ),
    Option(
        "activity_l1",
        0.0,
        [Interval(Real, 0, None, closed="left")],
        "float >= 0",
        """\
L1 penalty on the hidden layers' outputs, summed over units and
averaged over samples, added to the loss.
""",
        engine="layer",
    ),
    Option(
        "residual",
        False,
        ["boolean"],
        "bool",
        """\
Identity skip connections between consecutive hidden layers
(``h = layer(x) + x``), through a learnt projection where the widths
differ.
""",
        engine="layer",
    ),
    Option(
        "leaky_relu_slope",
        0.01,
        [Interval(Real, 0, 1, closed="both")],
        "float",
        """\
The slope of 'leaky_relu' for negative inputs, in [0, 1] (0 is relu).
Other activations ignore it.
""",
    ),
    Option(
        "weight_init",
        "auto",
        [StrOptions(set(WEIGHT_INITS))],
        "{weight_init}",
        """\
How the weights start. 'auto' is scikit-learn's: weights and biases
~ U(±sqrt(6 / (fan_in + fan_out))), 2 instead of 6 when every hidden
layer is logistic, so a fit matches scikit-learn's. The others zero
the biases and draw the weights: Glorot (fan_in + fan_out), He (relu
family, 2 / fan_in) and LeCun (selu, 1 / fan_in) variances, uniform
or normal; 'orthogonal' (orthonormal columns, or rows when a layer
widens); 'normal' (std 0.01, "small random"); 'sparse' (15 N(0, 1)
weights into each unit, Martens 2010, the rest 0). Normal draws are
not truncated. See docs/activations_and_initialization.md.
""",
    ),
    Option(
        "l1",
        0.0,
        [Interval(Real, 0, None, closed="left")],
        "float",
        """\
Strength of the L1 penalty on the weights (not the biases or
normalization parameters), scaled as alpha: ``l1 * sum(|W|)`` divided
by the sum of the batch's sample weights. Drives weights towards
exactly zero. Applies to every solver, 'lbfgs' included (its
objective is then not smooth at zero weights).
""",
        engine="trainer",
    ),
    Option(
        "weight_decay",
        None,
        [None, Interval(Real, 0, None, closed="left")],
        "float or None",
        """\
Decoupled weight decay (Loshchilov & Hutter): after each step's
gradient, ``W <- W - lr * weight_decay * W`` on the weights (not the
biases or normalization parameters), for every stochastic solver.
None is 0.01 for solver='adamw' (PyTorch's default) and 0 otherwise.
Ignored by 'lbfgs'.
""",
    ),
    Option(
        "rho",
        0.9,
        [Interval(Real, 0, 1, closed="left")],
        "float",
        """\
Decay rate of rmsprop's mean of squared gradients, in [0, 1).
""",
        engine="trainer",
    ),
    Option(
        "rmsprop_momentum",
        0.0,
        [Interval(Real, 0, 1, closed="left")],
        "float",
        """\
Momentum of solver='rmsprop', in [0, 1); 0 is plain RMSprop. Separate
from ``momentum`` (sgd's, default 0.9) so that rmsprop's default stays
the usual momentum-free one.
""",
        engine="trainer",
    ),
    Option(
        "clipvalue",
        None,
        [None, Interval(Real, 0, None, closed="neither")],
        "float or None",
        """\
Clamp every element of each step's gradient to [-clipvalue,
clipvalue] (stochastic solvers). None: no clipping.
""",
        engine="trainer",
        field="clip_value",
        to_engine=_zero_for_none,
    ),
    Option(
        "clipnorm",
        None,
        [None, Interval(Real, 0, None, closed="neither")],
        "float or None",
        """\
Rescale each step's gradient so its global L2 norm over all trainable
parameters is at most clipnorm (stochastic solvers); applied after
clipvalue. None: no clipping.
""",
        engine="trainer",
        field="clip_norm",
        to_engine=_zero_for_none,
    ),
    Option(
        "averaging",
        None,
        [None, StrOptions(set(AVERAGINGS))],
        "{averaging} or None",
        """\
Weight averaging for the stochastic solvers: 'polyak' keeps the
arithmetic mean of the iterates after every step, 'ema' their
exponential moving average (started at the first averaged iterate,
its decay warmed up). The averaged weights are the model: validation,
best weights, callbacks, ``coefs_`` and prediction use them, while
training continues from the raw weights (kept for warm_start and
partial_fit). Ignored by 'lbfgs'.
""",
        engine="trainer",
        to_engine=_none_as_name,
    ),
    Option(
        "ema_decay",
        0.999,
        [Interval(Real, 0, 1, closed="left")],
        "float",
        """\
Decay of averaging='ema': ``avg <- d * avg + (1 - d) * W`` after each
step, with ``d = min(ema_decay, (1 + t) / (10 + t))`` after t averaged
steps (a warm-up: a young average follows the weights). In [0, 1).
""",
        engine="trainer",
    ),
    Option(
        "averaging_start",
        "auto",
        [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "int or 'auto'",
        """\
Epochs trained (counted over warm starts and partial_fit calls)
before averaging begins; 0 averages from the first step. 'auto': 0 for
'ema'; for 'polyak' the last quarter of each fit, from epoch
``int(0.75 * max_iter)`` (as SWA), partial_fit calls counting as epochs.
""",
    ),
    Option(
        "trainable_layers",
        None,
        [None, "array-like"],
        "array-like of int or None",
        """\
Indices into ``coefs_`` of the layers that train (their weights,
biases and normalization parameters); the others stay exactly as they
are (block coordinate descent, fine-tuning). Negative indices count
from the output layer. None trains every layer.
""",
    ),
    Option(
        "layer_learning_rates",
        None,
        [None, "array-like"],
        "array-like of float or None",
        """\
One multiplier of the learning rate per weight layer (as many as
``coefs_``), applied to its weights, bias and normalization
parameters, for every stochastic solver: fine-tuning transferred
layers at a tenth of the rate, say. Positive and finite; None is 1
for every layer.
""",
        engine="trainer",
        to_engine=_multipliers,
    ),
    Option(
        "layer_schedule",
        "joint",
        [StrOptions({"joint", "cyclic"})],
        "{'joint', 'cyclic'}",
        """\
'joint' trains every layer each epoch. 'cyclic' is block coordinate
descent: each epoch trains one weight layer (its weights, bias and
normalization parameters), the first in the first epoch, the next in
the next, in turn over the trainable layers; the others stay exactly
as they are. Stochastic solvers only.
""",
        engine="trainer",
    ),
    Option(
        "training_precision",
        "float32",
        [StrOptions(set(_NAMES["precision"]))],
        "{precision}",
        """\
Arithmetic of the stochastic solvers' matrix products (not in
scikit-learn's MLP). 'bfloat16' rounds their operands (forward,
input gradient and weight gradient) to bfloat16 and sums in float32,
with AMX or AVX512-BF16 where the CPU has them (warned once where it
has neither: it is then slower than float32). Weights, optimizer
state, loss, normalization statistics and every elementwise step stay
float32; see docs/bfloat16.md. A model is bit-identical whatever the
number of threads in either precision. Ignored by 'lbfgs'.
""",
        engine="trainer",
    ),
    Option(
        "inference_precision",
        "float32",
        [StrOptions({"float32", "int8", "bfloat16"})],
        "{'float32', 'int8', 'bfloat16'}",
        """\
Arithmetic of predict, predict_proba and score (not in scikit-learn's
MLP); it may be changed on a fitted model (``set_params``) without
refitting. 'int8' is dynamic
quantization: each weight layer becomes 8-bit integers with one scale
per unit, each layer's input rows become 8-bit integers as they
arrive, and the products are exact integer sums. Where the CPU has AMX
(Xeon 4th generation on) large batches predict several times faster,
with AVX-512 VNNI somewhat faster, elsewhere slower than float32.
Outputs move by about 1e-2: check the accuracy before serving it. A
row's int8 output is bit-identical whatever its batch and the number
of threads. Normalization, activations and residual sums stay
float32; MC dropout passes (``mc_samples``) run in float32.
'bfloat16' rounds each weight layer's operands (weights and inputs)
to bfloat16 and sums the products in float32, with AMX or AVX512-BF16
where the CPU has them (warned once where it has neither: it is then
slower than float32); see docs/bfloat16.md. ONNX export refuses it.
""",
    ),
    Option(
        "distillation_temperature",
        1.0,
        [Interval(Real, 0, None, closed="neither")],
        "float > 0",
        """\
Temperature T of distillation (``fit(X, y, teacher=...)``, classifier):
the student matches the teacher's softmax of logits / T. Higher T
shows more of the teacher's view of the wrong classes.
""",
        engine="trainer",
    ),
    Option(
        "distillation_weight",
        0.5,
        [Interval(Real, 0, 1, closed="both")],
        "float in [0, 1]",
        """\
Weight w of the teacher in ``fit(X, y, teacher=...)``: a classifier's
loss is ``(1 - w) * CE(y) + w * T**2 * KL(teacher || student)`` at
temperature T (Hinton et al., 2015); a regressor trains on
``(1 - w) * y + w * teacher.predict(X)``.
""",
        engine="trainer",
    ),
)

# MLPClassifier's own: its cross-entropy's label smoothing.
LABEL_SMOOTHING = Option(
    "label_smoothing",
    0.0,
    [Interval(Real, 0, 1, closed="left")],
    "float in [0, 1)",
    """\
Label smoothing ε of the training cross-entropy (Szegedy et al.,
2016): the targets become ``(1 - ε) * y + ε / K``, K the number of
classes (2 for each output of a binary or multilabel classifier).
Validation losses stay unsmoothed.
""",
    engine="trainer",
)

# The parameters that also take a fastdnn.schedules.Anneal, a value per
# epoch (_fit_stochastic sets each epoch's and records it in history_).
ANNEALABLE = ("input_noise", "dropout", "input_dropout", "label_smoothing")


def _annealable(option):
    """option, taking an Anneal too when it is one of ANNEALABLE."""
    if option.name not in ANNEALABLE:
        return option
    return dataclasses.replace(
        option,
        constraints=[*option.constraints, Anneal],
        type=option.type + " or Anneal",
        doc=option.doc
        + "A ``fastdnn.schedules.Anneal`` moves it from one value to another\n"
        "over the epochs of a fit (continuation); ``history_`` records each\n"
        "epoch's value under this name.\n",
    )


# The training techniques of docs/training_techniques.md that are
# constructor parameters.
TECHNIQUE_OPTIONS = (
    Option(
        "pretraining",
        None,
        [None, StrOptions({"greedy_supervised", "greedy_autoencoder"})],
        "{'greedy_supervised', 'greedy_autoencoder'} or None",
        """\
Greedy layer-wise pretraining before the fit's max_iter epochs (stochastic
solvers). 'greedy_supervised' trains the first hidden layer with a
temporary output layer, then each next one on top of the layers below
(which stay fixed) with a new temporary output layer; 'greedy_autoencoder'
trains each hidden layer as a one-layer autoencoder of the outputs of the
layers below, without the targets. Then the whole network trains.
""",
    ),
    Option(
        "pretraining_epochs",
        10,
        [Interval(Integral, 1, None, closed="left")],
        "int",
        """\
Epochs of each stage of the greedy pretraining.
""",
    ),
    Option(
        "curriculum",
        None,
        [None, StrOptions({"linear", "root", "step"})],
        "{'linear', 'root', 'step'} or None",
        """\
Curriculum learning (needs ``fit(X, y, difficulty=scores)``, higher
scores harder): epoch e draws its minibatches from the easiest fraction
c(e) of the samples, c rising from 0.1 to 1 over ``curriculum_epochs``:
'linear' c = 0.1 + 0.9·e/E, 'root' c = sqrt(0.01 + 0.99·e/E) (more
samples early), 'step' four equal stages (0.1, 0.325, 0.55, 0.775).
``history_`` records each epoch's ``samples``.
""",
    ),
    Option(
        "curriculum_epochs",
        10,
        [Interval(Integral, 1, None, closed="left")],
        "int",
        """\
Epochs over which the curriculum reaches every sample.
""",
    ),
)

SHARED_OPTIONS = (*map(_annealable, SHARED_OPTIONS), *TECHNIQUE_OPTIONS)
LABEL_SMOOTHING = _annealable(LABEL_SMOOTHING)

# MLPRegressor's first parameter (MLPClassifier's loss is always the log-loss).
REGRESSOR_LOSS = Option(
    "loss",
    "squared_error",
    [StrOptions(set(REGRESSION_LOSSES))],
    "{regression_loss}",
    """\
Half squared error, or half Poisson deviance with a log link (the
output activation is exp, and y must be non-negative).
""",
)


def parameter_constraints(options):
    return {option.name: option.constraints for option in options}


def value_in_epoch(value, epoch):
    """A parameter's value for epoch ``epoch`` of a fit: an Anneal's value
    then, any other value as it is."""
    return value.value(epoch) if isinstance(value, Anneal) else value


def engine_options(estimator, engine, epoch=0):
    """The engine fields that the estimator's parameters set directly, as
    they are in epoch ``epoch`` of a fit."""
    fields = {}
    for option in type(estimator)._options:
        if option.engine == engine:
            value = value_in_epoch(getattr(estimator, option.name), epoch)
            convert = option.to_engine
            fields[option.engine_field] = value if convert is None else convert(value)
    return fields


def option_named_by_field(field):
    """The parameter that sets an engine field (the field itself if none)."""
    for option in SHARED_OPTIONS:
        if option.engine is not None and option.engine_field == field:
            return option.name
    return field


def _make_init(options, n_positional):
    """An ``__init__`` taking the options, as scikit-learn's estimators have
    it: explicit parameters with defaults, each stored unchanged under its
    own name. Written as source and compiled, as dataclasses does, so that
    ``inspect.signature`` (what get_params and clone read) sees a plain
    function."""
    parameters = [f"{o.name}=_defaults[{o.name!r}]" for o in options]
    parameters.insert(n_positional, "*")
    body = "".join(f"    self.{o.name} = {o.name}\n" for o in options)
    source = f"def __init__(self, {', '.join(parameters)}):\n{body}"
    namespace = {"_defaults": {o.name: o.default for o in options}}
    exec(source, namespace)  # the source is made from the table alone
    return namespace["__init__"]


def with_parameters(options, n_positional):
    """Class decorator: the estimator's ``__init__`` and
    ``_parameter_constraints`` from options (``n_positional`` of them may be
    given by position, the rest by keyword)."""

    def decorate(estimator):
        init = _make_init(options, n_positional)
        init.__qualname__ = f"{estimator.__qualname__}.__init__"
        init.__module__ = estimator.__module__
        estimator.__init__ = init
        estimator._options = tuple(options)
        estimator._parameter_constraints = parameter_constraints(options)
        return estimator

    return decorate


# MLPAutoencoder's parameters: the toolkit's, its widths those of the encoder,
# and the code layer's activation. Greedy pretraining trains a layer under a
# supervised head or as an autoencoder of its own: not of an autoencoder.
AUTOENCODER_CODE_ACTIVATION = Option(
    "code_activation",
    "identity",
    [StrOptions(set(HIDDEN_ACTIVATIONS))],
    "{hidden_activation}",
    """\
Activation of the code layer (the encoder's last). Linear by default: a
rectified code loses what its negative half held, and reconstructs worse
(docs/training_techniques.md).
""",
)
AUTOENCODER_OPTIONS = (
    dataclasses.replace(
        SHARED_OPTIONS[0],
        default=(256, 32),
        doc="""\
Widths of the encoder's layers, the last one the code's; the decoder
mirrors them (256, 32 gives a 256-32-256 network between input and
reconstruction).
""",
    ),
    AUTOENCODER_CODE_ACTIVATION,
    *(
        option
        for option in SHARED_OPTIONS[1:]
        if option.name not in ("pretraining", "pretraining_epochs")
    ),
)
