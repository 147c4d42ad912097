"""What MLPClassifier and MLPRegressor share: parameters, the engine, training.

The C++ engine (``fastdnn._core``) runs every minibatch; this module decides
per epoch (validation, stopping, learning-rate schedules) exactly as
scikit-learn's ``BaseMultilayerPerceptron`` does, so the estimators are drop-in
replacements.
"""

import os
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from fastdnn import _core
from fastdnn._parameter_mirror import ParameterMirror, fits_alone
from fastdnn._stochastic import (
    SEED_BOUND,
    StochasticTraining,
    as_dataset,
    as_float32,
)
from fastdnn.schedules import LearningRateSchedule

_STOCHASTIC_SOLVERS = ("sgd", "adam", "adamw", "nadam", "rmsprop", "adagrad")
HIDDEN_ACTIVATIONS = (
    "identity",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "softplus",
)
WEIGHT_INITS = (
    "auto",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "normal",
    "sparse",
)
_ENGINE_INPUT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _all_finite(X):
    """Whether a dense float ndarray holds no NaN and no infinity.

    A C-contiguous float32 array is scanned by the engine, on its exponent
    bits and vectorised: on a 20,000 × 100 fit, numpy's sum that
    scikit-learn checks with took 0.8 ms, a tenth of the time spent around
    the epoch. Other arrays go through numpy.
    """
    if X.dtype == np.float32 and X.flags.c_contiguous:
        return _core.all_finite(X)
    return bool(np.isfinite(X).all())


class BaseMultilayerPerceptron(StochasticTraining, BaseEstimator, ABC):
    """Base class for fastdnn's MLP classifier and regressor.

    Warning: this class should not be used directly; use the derived classes.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        # scikit-learn's four first, as its constraint; then fastdnn's.
        "activation": [
            StrOptions(set(HIDDEN_ACTIVATIONS[:4])),
            StrOptions(set(HIDDEN_ACTIVATIONS[4:])),
            list,
        ],
        # scikit-learn's options first, unchanged; then fastdnn's optimizers.
        "solver": [
            StrOptions({"lbfgs", "sgd", "adam"}),
            StrOptions({"adamw", "nadam", "rmsprop", "adagrad"}),
        ],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [
            StrOptions({"constant", "invscaling", "adaptive"}),
            LearningRateSchedule,
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "monitor": [StrOptions({"auto", "val_loss", "val_score", "train_loss"})],
        "restore_best_weights": ["boolean", StrOptions({"auto"})],
        "start_from_epoch": [Interval(Integral, 0, None, closed="left")],
        "scoring": [None, str, callable],
        "callbacks": [None, list],
        "progress_bar": ["boolean", StrOptions({"batch"})],
        "diagnostics": ["boolean", StrOptions({"full"})],
        "normalization": [None, StrOptions({"batch", "layer", "weight"})],
        "normalization_position": [StrOptions({"before", "after"})],
        "batch_norm_momentum": [Interval(Real, 0, 1, closed="both")],
        "norm_epsilon": [Interval(Real, 0, None, closed="neither")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "dropout_kind": [StrOptions({"bernoulli", "gaussian", "alpha"})],
        "input_noise": [Interval(Real, 0, None, closed="left")],
        "activity_l1": [Interval(Real, 0, None, closed="left")],
        "residual": ["boolean"],
        "leaky_relu_slope": [Interval(Real, 0, 1, closed="both")],
        "weight_init": [StrOptions(set(WEIGHT_INITS))],
        "l1": [Interval(Real, 0, None, closed="left")],
        "weight_decay": [None, Interval(Real, 0, None, closed="left")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "rmsprop_momentum": [Interval(Real, 0, 1, closed="left")],
        "clipvalue": [None, Interval(Real, 0, None, closed="neither")],
        "clipnorm": [None, Interval(Real, 0, None, closed="neither")],
        "averaging": [None, StrOptions({"polyak", "ema"})],
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "averaging_start": [Interval(Integral, 0, None, closed="left")],
        "trainable_layers": [None, "array-like"],
        "inference_precision": [StrOptions({"float32", "int8"})],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        n_jobs,
        monitor,
        restore_best_weights,
        start_from_epoch,
        scoring,
        callbacks,
        progress_bar,
        diagnostics,
        normalization,
        normalization_position,
        batch_norm_momentum,
        norm_epsilon,
        dropout,
        input_dropout,
        dropout_kind,
        input_noise,
        activity_l1,
        residual,
        leaky_relu_slope,
        weight_init,
        l1,
        weight_decay,
        rho,
        rmsprop_momentum,
        clipvalue,
        clipnorm,
        averaging,
        ema_decay,
        averaging_start,
        trainable_layers,
        inference_precision,
    ):
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.n_jobs = n_jobs
        self.monitor = monitor
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.scoring = scoring
        self.callbacks = callbacks
        self.progress_bar = progress_bar
        self.diagnostics = diagnostics
        self.normalization = normalization
        self.normalization_position = normalization_position
        self.batch_norm_momentum = batch_norm_momentum
        self.norm_epsilon = norm_epsilon
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.dropout_kind = dropout_kind
        self.input_noise = input_noise
        self.activity_l1 = activity_l1
        self.residual = residual
        self.leaky_relu_slope = leaky_relu_slope
        self.weight_init = weight_init
        self.l1 = l1
        self.weight_decay = weight_decay
        self.rho = rho
        self.rmsprop_momentum = rmsprop_momentum
        self.clipvalue = clipvalue
        self.clipnorm = clipnorm
        self.averaging = averaging
        self.ema_decay = ema_decay
        self.averaging_start = averaging_start
        self.trainable_layers = trainable_layers
        self.inference_precision = inference_precision

    @classmethod
    def _get_param_names(cls):
        # get_params reads __init__'s signature on every call, and every fit
        # calls it to validate the parameters (as do clone and each candidate
        # of a grid search): 85 µs for these 55 parameters, 0.5% of a small
        # net's fit. A class's signature does not change; read it once.
        names = cls.__dict__.get("_cached_param_names")
        if names is None:
            names = tuple(super()._get_param_names())
            cls._cached_param_names = names
        return list(names)

    # ------------------------------------------------------------------
    # Pickling: the engine objects are rebuilt from their arenas

    def __getstate__(self):
        # A copy: object.__getstate__ hands back the live __dict__ itself.
        state = dict(super().__getstate__())
        mirror = state.pop("_parameter_mirror", None)
        if "_network" in state:
            mirror.sync(self)
            # The arena holds them; they are published again after loading
            # (and are not there yet while another thread's first fit runs).
            state.pop("coefs_", None)
            state.pop("intercepts_", None)
            state["_raw_parameters"] = mirror.raw_parameters
        network = state.pop("_network", None)
        trainer = state.pop("_trainer", None)
        if network is not None:
            state["_network_state"] = {
                "layer_units": list(network.layer_units),
                "hidden_activations": network.hidden_activations,
                "leaky_relu_slope": network.leaky_relu_slope,
                "output_activation": network.output_activation,
                "parameters": network.parameters.copy(),
                "layer_options": network.layer_options,
                "running_statistics": network.running_statistics.copy(),
            }
        if trainer is not None:
            state["_trainer_state"] = {
                "learning_rate": trainer.learning_rate,
                "step": trainer.step,
                "optimizer_state": [s.copy() for s in trainer.optimizer_state],
                "averaged_parameters": trainer.averaged_parameters.copy(),
                "averaged_count": trainer.averaged_count,
            }
        return state

    def __setstate__(self, state):
        state = dict(state)
        network_state = state.pop("_network_state", None)
        trainer_state = state.pop("_trainer_state", None)
        raw_parameters = state.pop("_raw_parameters", None)
        # Models pickled before the parameter existed predicted in float32.
        state.setdefault("inference_precision", "float32")
        super().__setstate__(state)
        if network_state is not None:
            network = _core.Network(
                network_state["layer_units"],
                network_state["hidden_activations"],
                network_state["output_activation"],
                network_state["leaky_relu_slope"],
                **network_state.get("layer_options", {}),
            )
            network.parameters[...] = network_state["parameters"]
            if "running_statistics" in network_state:
                network.running_statistics[...] = network_state["running_statistics"]
            self._network = network
            mirror = ParameterMirror()
            mirror.attach(network)
            mirror.raw_parameters = raw_parameters
            mirror.publish(self)
            self._parameter_mirror = mirror
        if trainer_state is not None:
            trainer = self._new_trainer()
            trainer.learning_rate = trainer_state["learning_rate"]
            trainer.step = trainer_state["step"]
            for target, saved in zip(
                trainer.optimizer_state, trainer_state["optimizer_state"], strict=True
            ):
                target[...] = saved
            if "averaged_parameters" in trainer_state:
                trainer.averaged_parameters[...] = trainer_state["averaged_parameters"]
                trainer.averaged_count = trainer_state["averaged_count"]
            self._trainer = trainer

    # ------------------------------------------------------------------
    # Training

    def _engine_loss(self):
        """The engine's name for the loss that pairs with out_activation_."""
        if self.out_activation_ == "softmax":
            return "log_loss"
        if self.out_activation_ == "logistic":
            return "binary_log_loss"
        return self.loss

    def _new_trainer(self):
        # The options are the ones the optimizer was created with, stored at
        # fit time, so that set_params after fit cannot desynchronise a
        # pickled optimizer from its state.
        return _core.Trainer(
            self._network, **self._trainer_options, n_threads=self._engine_threads()
        )

    def _engine_threads(self):
        """n_jobs as the engine's thread count: 0 leaves OpenMP's setting.

        None leaves OMP_NUM_THREADS and threadpoolctl in charge; -1 is every
        core, -2 all but one, as in joblib.
        """
        if self.n_jobs is None or self.n_jobs == 0:
            return 0
        if self.n_jobs > 0:
            return int(self.n_jobs)
        return max(1, (os.cpu_count() or 1) + 1 + int(self.n_jobs))

    def _initialize(self, y, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self._fit_dtype = dtype
        if not is_classifier(self):
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"

        hidden_activations = self._hidden_activations(len(layer_units) - 2)
        self._network = _core.Network(
            layer_units,
            hidden_activations,
            self.out_activation_,
            self.leaky_relu_slope,
            **self._layer_options(len(layer_units) - 2),
        )
        # 'auto' is Glorot & Bengio's bound sqrt(6 / (fan_in + fan_out)) with
        # scikit-learn's 2 instead of 6 for logistic nets (all hidden layers
        # logistic, when given as a list); the other schemes ignore the factor.
        all_logistic = self.activation == "logistic" or (
            hidden_activations and set(hidden_activations) == {"logistic"}
        )
        self._network.initialize(
            int(self._random_state.randint(SEED_BOUND)),
            2.0 if all_logistic else 6.0,
            self.weight_init,
            n_threads=self._engine_threads(),
        )
        mirror = self._parameter_mirror
        mirror.attach(self._network)
        mirror.publish(self)
        self._trainer = None
        self._best_model = mirror.snapshot()

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self.history_ = []
            self._no_improvement_count = 0
            self._best_quality = -np.inf
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _layer_options(self, n_hidden):
        """The engine's layer options (normalization, dropout, noise,
        residual connections, activity L1) from the parameters, checked."""
        dropout = self.dropout
        if np.ndim(dropout) == 0:
            dropout = [float(dropout)] * n_hidden
        else:
            dropout = [float(rate) for rate in np.ravel(dropout)]
            if len(dropout) != n_hidden:
                raise ValueError(
                    f"dropout holds {len(dropout)} rates, but the network has "
                    f"{n_hidden} hidden layers: give one rate or one per layer."
                )
            if not all(0.0 <= rate < 1.0 for rate in dropout):
                raise ValueError(f"dropout rates must be in [0, 1), got {dropout}.")
        stochastic = (
            self.normalization == "batch"
            or any(dropout)
            or self.input_dropout > 0
            or self.input_noise > 0
        )
        if stochastic and self.solver not in _STOCHASTIC_SOLVERS:
            raise ValueError(
                "batch normalization, dropout, input_dropout and input_noise "
                "change with each minibatch: they need a stochastic solver (sgd, "
                "adam, adamw, nadam, rmsprop or adagrad), "
                f"not {self.solver!r}."
            )
        return {
            "normalization": self.normalization or "none",
            "normalization_position": self.normalization_position,
            "batch_norm_momentum": float(self.batch_norm_momentum),
            "norm_epsilon": float(self.norm_epsilon),
            "dropout": dropout if any(dropout) else [],
            "input_dropout": float(self.input_dropout),
            "dropout_kind": self.dropout_kind,
            "input_noise": float(self.input_noise),
            "activity_l1": float(self.activity_l1),
            "residual": bool(self.residual),
        }

    def _hidden_activations(self, n_hidden):
        """One activation name per hidden layer, from `activation` (a name, or
        a list with one name per hidden layer)."""
        if isinstance(self.activation, str):
            return [self.activation] * n_hidden
        if len(self.activation) != n_hidden:
            raise ValueError(
                f"activation is a list of {len(self.activation)} names, but "
                f"the network has {n_hidden} hidden layers "
                f"(hidden_layer_sizes={self.hidden_layer_sizes!r}): give one "
                "name per hidden layer, or a single name for all of them."
            )
        for index, name in enumerate(self.activation):
            if name not in HIDDEN_ACTIVATIONS:
                raise ValueError(
                    f"activation[{index}] is {name!r}, which is not one of "
                    f"{', '.join(map(repr, HIDDEN_ACTIVATIONS))}."
                )
        return list(self.activation)

    @fits_alone
    def _fit(self, X, y, sample_weight=None, incremental=False, eval_set=None):
        hidden_layer_sizes = self.hidden_layer_sizes
        if not hasattr(hidden_layer_sizes, "__iter__"):
            hidden_layer_sizes = [hidden_layer_sizes]
        hidden_layer_sizes = list(hidden_layer_sizes)
        if np.any(np.array(hidden_layer_sizes) <= 0):
            raise ValueError(
                f"hidden_layer_sizes must be > 0, got {hidden_layer_sizes}."
            )
        self._hidden_activations(len(hidden_layer_sizes))
        first_pass = "_network" not in self.__dict__ or (
            not self.warm_start and not incremental
        )

        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        n_samples, n_features = X.shape
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        layer_units = [n_features, *hidden_layer_sizes, y.shape[1]]

        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, X.dtype)
        elif list(self._network.layer_units) == layer_units:
            self._check_layer_options_unchanged(len(layer_units) - 2)
            self._parameter_mirror.sync(self)
        else:
            raise ValueError(
                f"The network has layer sizes {list(self._network.layer_units)} "
                f"but this call needs {layer_units}: hidden_layer_sizes or the "
                "number of outputs changed since the last fit. Fit anew "
                "(warm_start=False) to change the architecture."
            )

        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(X, y, sample_weight, incremental, eval_set)
        else:
            self._fit_lbfgs(X, y, sample_weight)

        self._parameter_mirror.publish(self)
        if not np.isfinite(self._network.parameters).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _check_layer_options_unchanged(self, n_hidden):
        wanted = self._layer_options(n_hidden)
        built = self._network.layer_options
        # The engine holds its rates as float32: compare in float32.
        changed = [
            name
            for name, value in wanted.items()
            if (
                value != built[name]
                if isinstance(value, str)
                else not np.array_equal(
                    np.asarray(value, np.float32), np.asarray(built[name], np.float32)
                )
            )
        ]
        if changed:
            raise ValueError(
                f"{', '.join(changed)} changed since the network was built; fit "
                "anew (warm_start=False) to change the layers."
            )

    def _trainer_options_from_parameters(self):
        # AdamW is the engine's adam with decoupled decay, by default PyTorch's
        # 0.01; the other solvers decay only when asked to.
        if self.solver == "adamw":
            solver, default_decay = "adam", 0.01
        else:
            solver = self.solver if self.solver in _STOCHASTIC_SOLVERS else "sgd"
            default_decay = 0.0
        weight_decay = self.weight_decay
        return {
            "loss": self._engine_loss(),
            "solver": solver,
            "alpha": float(self.alpha),
            "learning_rate": float(self.learning_rate_init),
            "momentum": float(self.momentum),
            "nesterov": bool(self.nesterovs_momentum),
            "beta_1": float(self.beta_1),
            "beta_2": float(self.beta_2),
            "epsilon": float(self.epsilon),
            "collect_statistics": bool(self.diagnostics),
            "collect_histograms": self.diagnostics == "full",
            "l1": float(self.l1),
            "weight_decay": float(
                default_decay if weight_decay is None else weight_decay
            ),
            "rho": float(self.rho),
            "rmsprop_momentum": float(self.rmsprop_momentum),
            "clipvalue": None if self.clipvalue is None else float(self.clipvalue),
            "clipnorm": None if self.clipnorm is None else float(self.clipnorm),
            "averaging": self.averaging or "none",
            "ema_decay": float(self.ema_decay),
            "trainable_layers": self._trainable_layer_indices(),
        }

    def _trainable_layer_indices(self):
        """trainable_layers as sorted indices into coefs_, or None for all."""
        if self.trainable_layers is None:
            return None
        n_layers = len(self._network.layer_units) - 1
        layers = np.asarray(self.trainable_layers)
        if layers.ndim != 1 or layers.size == 0:
            raise ValueError(
                "trainable_layers must be a non-empty list of indices into coefs_ "
                f"(or None for all layers); got {self.trainable_layers!r}."
            )
        if not np.issubdtype(layers.dtype, np.integer):
            raise ValueError(
                f"trainable_layers must hold integers; got {self.trainable_layers!r}."
            )
        if layers.min() < -n_layers or layers.max() >= n_layers:
            raise ValueError(
                f"trainable_layers={self.trainable_layers!r} is out of range: the "
                f"network has {n_layers} layers (coefs_[0] to coefs_[{n_layers - 1}])."
            )
        return sorted({int(layer) % n_layers for layer in layers})

    def _fit_lbfgs(self, X, y, sample_weight):
        data = as_dataset(X)
        targets = as_float32(y)
        weights = as_float32(sample_weight)
        parameters = self._network.parameters
        loss_name = self._engine_loss()
        alpha = float(self.alpha)
        l1 = float(self.l1)
        n_threads = self._engine_threads()
        iteration = 0
        # The model L-BFGS starts from is the one published, averaged or not.
        self._parameter_mirror.drop_raw_weights()
        # Frozen layers are constants of the objective: L-BFGS sees only the
        # trainable entries of the arena.
        trainable = np.zeros(parameters.size, dtype=bool)
        for begin, end in self._layer_ranges(self._trainable_layer_indices()):
            trainable[begin:end] = True

        def loss_and_gradient(packed):
            parameters[trainable] = packed
            loss, gradient = self._network.loss_and_gradient(
                data, targets, weights, loss_name, alpha, n_threads, l1=l1
            )
            return loss, gradient[trainable].astype(np.float64)

        def report(intermediate_result):
            nonlocal iteration
            iteration += 1
            print(f"Iteration {iteration}, loss = {intermediate_result.fun:.8f}")

        opt_res = scipy.optimize.minimize(
            loss_and_gradient,
            parameters[trainable].astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=report if self.verbose else None,
            options={
                "maxfun": self.max_fun,
                "maxiter": self.max_iter,
                "gtol": self.tol,
            },
        )
        self.n_iter_ = _check_optimize_result("lbfgs", opt_res, self.max_iter)
        self.loss_ = opt_res.fun
        parameters[trainable] = opt_res.x

    def _layer_ranges(self, layers):
        """[begin, end) arena ranges of the given layers (all when None)."""
        if layers is None:
            layers = range(len(self._network.layer_units) - 1)
        return [self._network.layer_range(layer) for layer in layers]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, eval_set=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        eval_set : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), \
                default=None
            Validation data for the stochastic solvers: its loss and score are
            recorded in ``history_`` each epoch and can drive stopping, best
            weights and ReduceLROnPlateau. Given, it replaces early_stopping's
            split of the training data.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        return self._fit(
            X, y, sample_weight=sample_weight, incremental=False, eval_set=eval_set
        )

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic"
                f" optimizers. {self.solver} is not stochastic."
            )
        return True

    # ------------------------------------------------------------------
    # Prediction

    def _forward_pass_fast(self, X, check_input=True):
        """The network's output (after the output activation) for X.

        The output has X's floating dtype (float64 for non-float X), as
        scikit-learn's does.
        """
        # Inside training (check_input=False) the arena is the current model,
        # predicted in float32; from outside, the user's edits to coefs_ /
        # intercepts_ are taken in, unless another thread is fitting (see
        # ParameterMirror for what such a prediction sees).
        network, quantized = self._network, None
        if check_input:
            network, quantized = self._parameter_mirror.prepare_prediction(self)
            # Serving's fast path: the engine takes a plain float ndarray of
            # the right width as it is, and returns None for anything that
            # needs validating first (validate_data alone costs several times
            # a single row's prediction).
            if type(X) is np.ndarray and "feature_names_in_" not in self.__dict__:
                output = network.predict_serving(X, self._engine_threads(), quantized)
                if output is not None:
                    return output
            X = self._validate_for_prediction(X)
        output = network.predict(
            as_dataset(X), self._engine_threads(), quantized=quantized
        )
        output_dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        return output.astype(output_dtype, copy=False)

    def _mc_dropout_outputs(self, X, mc_samples):
        """(mc_samples, n_samples, n_outputs) float64 outputs of stochastic
        passes with dropout on (MC dropout); batch norm keeps its running
        averages. The masks are a function of the sample index, so the same
        model gives the same MC predictions."""
        if (
            isinstance(mc_samples, bool)
            or not isinstance(mc_samples, Integral)
            or mc_samples < 1
        ):
            raise ValueError(
                f"mc_samples must be a positive integer, got {mc_samples!r}."
            )
        options = self._network.layer_options
        if not options["dropout"] and options["input_dropout"] == 0:
            raise ValueError(
                "mc_samples needs a model trained with dropout or input_dropout "
                "> 0: without dropout every pass is the same."
            )
        X = self._validate_for_prediction(X)
        self._parameter_mirror.sync(self)
        data = as_dataset(X)
        threads = self._engine_threads()
        return np.stack(
            [
                self._network.predict(data, threads, dropout_seed=0, dropout_sample=s)
                for s in range(int(mc_samples))
            ]
        ).astype(np.float64)

    def _validate_training_data(self, X, y, reset, **check_params):
        """validate_data for fit and partial_fit: X and y as the engine takes them.

        X's finiteness is checked by _all_finite, and only where it fails (or
        X is sparse) by scikit-learn, whose error message is then the one raised.
        """
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
            ensure_all_finite=False,
            **check_params,
        )
        if not isinstance(X, np.ndarray) or not _all_finite(X):
            assert_all_finite(X, input_name="X", estimator_name=type(self).__name__)
        return X, y

    def _check_fitted(self):
        # check_is_fitted scans every attribute; a fitted model has an engine.
        if "_network" not in self.__dict__:
            check_is_fitted(self)

    def _validate_for_prediction(self, X):
        """validate_data(reset=False), with a fast path for serving.

        validate_data costs far more than predicting one row, so a plain
        float ndarray of the right width (the common serving case) is checked
        here directly; anything else, and any failure, goes through
        validate_data, which raises scikit-learn's errors.
        """
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _ENGINE_INPUT_DTYPES
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and "feature_names_in_" not in self.__dict__
            and _all_finite(X)
        ):
            return X
        return validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)

    def _score_with_function(self, X, y, sample_weight, score_function):
        """Score without input validation (validation would drop feature names)."""
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
