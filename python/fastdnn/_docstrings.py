"""Documentation that MLPClassifier and MLPRegressor share, written once.

An estimator's docstring holds a line ``$name`` where a shared block belongs;
the ``fill`` class decorator puts the block there, indented as that line is,
so ``help()`` shows each estimator's full numpydoc docstring.
"""

import re
import textwrap

# Every constructor parameter the two estimators share, in signature order.
PARAMETERS = """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
    The ith element is the number of neurons in the ith hidden layer.

activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', \
        'elu', 'selu', 'gelu', 'silu', 'softplus'} or list of str, \
        default='relu'
    Activation function of the hidden layers, or a list with one name
    per hidden layer (its length must match ``hidden_layer_sizes``).
    Beyond scikit-learn's four: 'leaky_relu' (max(x, slope·x), see
    ``leaky_relu_slope``), 'elu' (α = 1), 'selu' (self-normalising; pair
    it with ``weight_init='lecun_normal'``), 'gelu' (exact x·Φ(x), as
    PyTorch's default), 'silu' (x·σ(x), also called swish) and
    'softplus' (log(1 + eˣ)). See docs/activations_and_initialization.md.

solver : {'lbfgs', 'sgd', 'adam', 'adamw', 'nadam', 'rmsprop', 'adagrad'}, \
        default='adam'
    The weight optimizer: 'lbfgs' (full-batch quasi-Newton, via scipy),
    'sgd' (minibatch SGD with momentum), 'adam' (Kingma & Ba, 2014),
    'adamw' (adam with decoupled weight_decay), 'nadam' (Dozat, 2016, as
    PyTorch's NAdam), 'rmsprop' (PyTorch's RMSprop: rho, epsilon,
    rmsprop_momentum), 'adagrad' (PyTorch's Adagrad, with epsilon).

alpha : float, default=0.0001
    Strength of the L2 penalty on the weights, divided by the sum of the
    batch's sample weights when added to the loss.

batch_size : int or 'auto', default='auto'
    Minibatch size of the stochastic solvers; 'auto' is min(200, n_samples).

learning_rate : {'constant', 'invscaling', 'adaptive'} or schedule, \
        default='constant'
    Learning-rate schedule. The strings are scikit-learn's, for
    solver='sgd': 'invscaling' sets the rate to
    learning_rate_init / (t + 1) ** power_t after each epoch, t the number of
    samples seen; 'adaptive' divides it by 5 each time the stopping
    criterion triggers. A ``fastdnn.schedules`` object (StepDecay,
    CosineAnnealing, OneCycle, ReduceLROnPlateau, ...) schedules the rate
    of either stochastic solver by epoch or by step.

learning_rate_init : float, default=0.001
    The initial step size of the stochastic solvers.

power_t : float, default=0.5
    Exponent of the 'invscaling' schedule.

max_iter : int, default=200
    Maximum number of epochs (stochastic solvers) or iterations ('lbfgs').

shuffle : bool, default=True
    Whether to shuffle samples in each epoch (stochastic solvers).

random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, shuffling and the early-stopping split.
    An int gives a bit-identical model whatever the number of threads.

tol : float, default=1e-4
    Minimum improvement of the loss (or validation score) that counts.

verbose : bool, default=False
    Whether to print the loss after each epoch.

warm_start : bool, default=False
    Whether fit continues from the previous solution.

momentum : float, default=0.9
    Momentum of solver='sgd', in [0, 1].

nesterovs_momentum : bool, default=True
    Whether solver='sgd' uses Nesterov's momentum.

early_stopping : bool, default=False
    Whether to hold out validation_fraction of the training data (stratified
    for single-output classification), stop when its score stops improving
    and restore the weights of the best epoch.

validation_fraction : float, default=0.1
    Share of the training data held out for early stopping.

beta_1 : float, default=0.9
    Decay rate of Adam's first-moment estimate, in [0, 1).

beta_2 : float, default=0.999
    Decay rate of Adam's second-moment estimate, in [0, 1).

epsilon : float, default=1e-8
    Numerical-stability term of adam, adamw, nadam, rmsprop and adagrad.

n_iter_no_change : int, default=10
    Epochs without tol improvement before stopping (stochastic solvers).

max_fun : int, default=15000
    Maximum number of loss evaluations of solver='lbfgs'.

n_jobs : int, default=None
    Threads for training and prediction (not in scikit-learn's MLP).
    None leaves the choice to OpenMP, so OMP_NUM_THREADS and
    threadpoolctl's limits apply; -1 uses every core. The fitted model is
    bit-identical whatever the number of threads. Predicting a few rows
    (under 2**23 rows x parameters) uses one thread: waking the others
    costs more than they would save.

monitor : {'auto', 'val_loss', 'val_score', 'train_loss'}, default='auto'
    What stopping (tol, n_iter_no_change) and the best weights follow.
    'auto' is scikit-learn's choice: the validation score when there is
    validation data (early_stopping or eval_set), else the training loss.

restore_best_weights : bool or 'auto', default='auto'
    Whether training ends on the weights of the epoch with the best
    monitored value. 'auto' does what scikit-learn does: restore when
    monitoring validation data, keep the last weights on training loss.

start_from_epoch : int, default=0
    Epochs before this one neither count towards stopping nor become the
    best: a warm-up during which the monitored value is not trusted.

scoring : str, callable or None, default=None
    The validation score: a scikit-learn scorer name or callable
    ``scorer(estimator, X, y)``; None is accuracy (classifier) or R²
    (regressor), as in scikit-learn.

callbacks : list of callback objects, default=None
    Objects with ``on_train_begin(est)``, ``on_epoch_end(est, logs) ->
    bool`` (True stops) and ``on_train_end(est)``, run by ``fit`` (see
    ``fastdnn.callbacks``). Each fit works on deep copies, so stateful
    callbacks start fresh and the estimator clones.

progress_bar : bool or 'batch', default=False
    Show a tqdm progress bar over epochs on stderr (needs tqdm), with the
    loss, validation score and learning rate; ``'batch'`` adds a second
    bar over the minibatches of the running epoch, for long epochs.

diagnostics : bool or 'full', default=True
    Collect per-layer training diagnostics in ``history_`` (gradient and
    weight norms, update ratios, activation statistics, saturated and
    dead units), gathered by the engine on every k-th minibatch of an
    epoch, k the smallest stride that samples at most 32 of them and at
    least 4 (every 4th in epochs of up to 128 minibatches), so they cost
    a few percent of an epoch however many steps it takes.
    ``'full'`` adds per-layer histograms of the activations and weight
    gradients (``activation_histogram``, ``gradient_histogram``; bins
    from ``fastdnn.diagnosis.histogram_bin_edges()``).

normalization : {'batch', 'layer', 'weight'} or None, default=None
    Normalization of the hidden layers (not in scikit-learn's MLP).
    'batch' normalises each unit over the minibatch in training and with
    running averages at prediction, so a row predicts alone as in a batch;
    before the activation it makes the layer's bias redundant, which then
    stays at zero. 'layer' normalises each row over the layer's units.
    Both learn a gain and a shift per unit. 'weight' reparametrises every
    layer's weights as ``w = g * v / ||v||`` (``coefs_`` hold v).
    Batch normalization needs a stochastic solver.

normalization_position : {'before', 'after'}, default='before'
    Whether batch or layer normalization comes before or after the
    hidden activation.

batch_norm_momentum : float in [0, 1], default=0.1
    Weight of each minibatch in batch normalization's running averages.

norm_epsilon : float > 0, default=1e-5
    Added to the variance before batch and layer normalization divide.

dropout : float in [0, 1) or list of float, default=0.0
    Rate of dropout after each hidden layer (one rate, or one per hidden
    layer), in training only; inverted scaling keeps the expected
    activation. Needs a stochastic solver.

input_dropout : float in [0, 1), default=0.0
    Rate of dropout of the input features, in training only.

dropout_kind : {'bernoulli', 'gaussian', 'alpha'}, default='bernoulli'
    'bernoulli' zeroes units; 'gaussian' multiplies them by
    N(1, rate / (1 - rate)) noise; 'alpha' is SELU's alpha dropout, which
    keeps the mean and variance.

input_noise : float >= 0, default=0.0
    Standard deviation of Gaussian noise added to the inputs in training.

activity_l1 : float >= 0, default=0.0
    L1 penalty on the hidden layers' outputs, summed over units and
    averaged over samples, added to the loss.

residual : bool, default=False
    Identity skip connections between consecutive hidden layers
    (``h = layer(x) + x``), through a learnt projection where the widths
    differ.

leaky_relu_slope : float, default=0.01
    The slope of 'leaky_relu' for negative inputs, in [0, 1] (0 is relu).
    Other activations ignore it.

weight_init : {'auto', 'glorot_uniform', 'glorot_normal', 'he_uniform', \
        'he_normal', 'lecun_uniform', 'lecun_normal', 'orthogonal', \
        'normal', 'sparse'}, default='auto'
    How the weights start. 'auto' is scikit-learn's: weights and biases
    ~ U(±sqrt(6 / (fan_in + fan_out))), 2 instead of 6 when every hidden
    layer is logistic, so a fit matches scikit-learn's. The others zero
    the biases and draw the weights: Glorot (fan_in + fan_out), He (relu
    family, 2 / fan_in) and LeCun (selu, 1 / fan_in) variances, uniform
    or normal; 'orthogonal' (orthonormal columns, or rows when a layer
    widens); 'normal' (std 0.01, "small random"); 'sparse' (15 N(0, 1)
    weights into each unit, Martens 2010, the rest 0). Normal draws are
    not truncated. See docs/activations_and_initialization.md.

l1 : float, default=0.0
    Strength of the L1 penalty on the weights (not the biases or
    normalization parameters), scaled as alpha: ``l1 * sum(|W|)`` divided
    by the sum of the batch's sample weights. Drives weights towards
    exactly zero. Applies to every solver, 'lbfgs' included (its
    objective is then not smooth at zero weights).

weight_decay : float or None, default=None
    Decoupled weight decay (Loshchilov & Hutter): after each step's
    gradient, ``W <- W - lr * weight_decay * W`` on the weights (not the
    biases or normalization parameters), for every stochastic solver.
    None is 0.01 for solver='adamw' (PyTorch's default) and 0 otherwise.
    Ignored by 'lbfgs'.

rho : float, default=0.9
    Decay rate of rmsprop's mean of squared gradients, in [0, 1).

rmsprop_momentum : float, default=0.0
    Momentum of solver='rmsprop', in [0, 1); 0 is plain RMSprop. Separate
    from ``momentum`` (sgd's, default 0.9) so that rmsprop's default stays
    the usual momentum-free one.

clipvalue : float or None, default=None
    Clamp every element of each step's gradient to [-clipvalue,
    clipvalue] (stochastic solvers). None: no clipping.

clipnorm : float or None, default=None
    Rescale each step's gradient so its global L2 norm over all trainable
    parameters is at most clipnorm (stochastic solvers); applied after
    clipvalue. None: no clipping.

averaging : {'polyak', 'ema'} or None, default=None
    Weight averaging for the stochastic solvers: 'polyak' keeps the
    arithmetic mean of the iterates after every step, 'ema' their
    exponential moving average (started at the first averaged iterate,
    its decay warmed up). The averaged weights are the model: validation,
    best weights, callbacks, ``coefs_`` and prediction use them, while
    training continues from the raw weights (kept for warm_start and
    partial_fit). Ignored by 'lbfgs'.

ema_decay : float, default=0.999
    Decay of averaging='ema': ``avg <- d * avg + (1 - d) * W`` after each
    step, with ``d = min(ema_decay, (1 + t) / (10 + t))`` after t averaged
    steps (a warm-up: a young average follows the weights). In [0, 1).

averaging_start : int or 'auto', default='auto'
    Epochs trained (counted over warm starts and partial_fit calls)
    before averaging begins; 0 averages from the first step. 'auto': 0 for
    'ema'; for 'polyak' the last quarter of each fit, from epoch
    ``int(0.75 * max_iter)`` (as SWA), partial_fit calls counting as epochs.

trainable_layers : array-like of int or None, default=None
    Indices into ``coefs_`` of the layers that train (their weights,
    biases and normalization parameters); the others stay exactly as they
    are (block coordinate descent, fine-tuning). Negative indices count
    from the output layer. None trains every layer.

inference_precision : {'float32', 'int8'}, default='float32'
    Arithmetic of predict, predict_proba and score (not in scikit-learn's
    MLP); training always runs in float32, and it may be changed on a
    fitted model (``set_params``) without refitting. 'int8' is dynamic
    quantization: each weight layer becomes 8-bit integers with one scale
    per unit, each layer's input rows become 8-bit integers as they
    arrive, and the products are exact integer sums. Where the CPU has AMX
    (Xeon 4th generation on) large batches predict several times faster,
    with AVX-512 VNNI somewhat faster, elsewhere slower than float32.
    Outputs move by about 1e-2: check the accuracy before serving it. A
    row's int8 output is bit-identical whatever its batch and the number
    of threads. Normalization, activations and residual sums stay
    float32; MC dropout passes (``mc_samples``) run in float32.
"""

# The fitted attributes both estimators set.
ATTRIBUTES = """\
loss_ : float
    The loss of the last epoch (or of the L-BFGS solution).

best_loss_ : float or None
    The lowest training loss seen; None with early_stopping.

loss_curve_ : list of float
    The loss of each epoch (stochastic solvers).

history_ : list of dict
    One dict per epoch of the stochastic solvers: ``epoch``,
    ``train_loss``, ``val_loss`` and ``val_score`` (None without
    validation data), ``lr`` (the rate at the epoch's start),
    ``epoch_time`` (s) and ``samples_per_s``; with diagnostics,
    ``grad_norm`` (mean global gradient norm per step) and ``layers``, one
    dict per layer: ``weight_norm``, ``update_ratio`` (‖ΔW‖/‖W‖ over the
    epoch), ``grad_norm`` and, for hidden layers, the activations'
    ``mean``, ``std``, ``saturated`` and ``dead`` fractions.

validation_scores_ : list of float or None
    The held-out score of each epoch when early_stopping, else None.

best_validation_score_ : float or None
    The best held-out score when early_stopping, else None.

t_ : int
    Number of training samples seen by the solver.

coefs_ : list of ndarray of shape (n_in, n_out)
    The weights of each layer, in the dtype X had at fit time. From a
    float32 fit they are views of the model's weights, which editing them in
    place edits; from a float64 fit they are read-only float64 copies, and
    replacing one (``coefs_[i] = W``) edits the model. The same holds for
    intercepts_.

intercepts_ : list of ndarray of shape (n_out,)
    The biases of each layer.

n_features_in_ : int
    Number of features seen during fit.

feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of the features seen during fit, when X had string column names.

n_iter_ : int
    Number of epochs (or L-BFGS iterations) run by the last fit call.

n_layers_ : int
    Number of layers, input and output included.

n_outputs_ : int
    Number of outputs.

out_activation_ : str
    Name of the output activation.
"""

_BLOCKS = {"parameters": PARAMETERS, "attributes": ATTRIBUTES}
_PLACEHOLDER = re.compile(r"^( *)\$(\w+)\n", re.MULTILINE)


def fill(estimator):
    """Substitute the shared blocks for the ``$name`` lines of a docstring."""
    # python -OO strips docstrings: nothing to fill then.
    if estimator.__doc__ is not None:
        estimator.__doc__ = _PLACEHOLDER.sub(
            lambda m: textwrap.indent(_BLOCKS[m.group(2)], m.group(1)),
            estimator.__doc__,
        )
    return estimator
