"""What MLPClassifier and MLPRegressor share: parameters, the engine, training.

The C++ engine (``fastdnn._core``) runs every minibatch; this module decides
per epoch (validation, stopping, learning-rate schedules) exactly as
scikit-learn's ``BaseMultilayerPerceptron`` does, so the estimators are drop-in
replacements.
"""

import os
import warnings
from numbers import Integral

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from fastdnn import _core
from fastdnn._annealing import annealed_fields, check_annealed
from fastdnn._bfloat16 import warn_once_if_emulated
from fastdnn._distillation import blended_targets, teacher_logits
from fastdnn._float32_inputs import (
    check_finite_in_float32,
    check_float32_range,
    check_sample_weight_for_float32,
    within_float32_range,
)
from fastdnn._model_file import model_bytes
from fastdnn._options import (
    HIDDEN_ACTIVATIONS,
    STOCHASTIC_SOLVERS,
    engine_options,
    option_named_by_field,
    value_in_epoch,
)
from fastdnn._parameter_mirror import ParameterMirror, fits_alone
from fastdnn._pretraining import pretrain
from fastdnn._stochastic import (
    SEED_BOUND,
    StochasticTraining,
    as_dataset,
    as_float32,
)
from fastdnn._transfer import initialize_from
from fastdnn.curriculum import checked_difficulty

_ENGINE_INPUT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_INT32_MAX = int(np.iinfo(np.int32).max)


def _usable_cpus():
    """The CPUs this process may run on: its affinity mask where the
    platform has one (a container or taskset may allow fewer than the
    machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _check_fits_int32(name, value):
    """The engine takes sizes and thread counts as C ints."""
    if abs(value) > _INT32_MAX:
        raise ValueError(
            f"{name}={value!r} is beyond the engine's range of integers "
            f"(±{_INT32_MAX})."
        )


def _trainer_fields(saved):
    """Trainer options as pickled, in TrainerOptions' fields.

    Models pickled before the engine took its options by field name stored
    clipvalue and clipnorm (None for no clipping) and trainable_layers (None
    for all).
    """
    fields = dict(saved)
    for old, new in (("clipvalue", "clip_value"), ("clipnorm", "clip_norm")):
        if old in fields:
            value = fields.pop(old)
            fields[new] = 0.0 if value is None else value
    if fields.get("trainable_layers", []) is None:
        fields["trainable_layers"] = []
    return fields


def _layer_fields(saved):
    """Layer options as pickled, in LayerOptions' fields: models pickled
    before the engine took them by field name stored normalization_position
    ('before' or 'after')."""
    fields = dict(saved)
    if "normalization_position" in fields:
        position = fields.pop("normalization_position")
        fields["normalize_after_activation"] = position == "after"
    return fields


class BaseMultilayerPerceptron(StochasticTraining, BaseEstimator):
    """Base class for fastdnn's MLP classifier and regressor.

    Warning: this class should not be used directly; use the derived classes.
    """

    @classmethod
    def _get_param_names(cls):
        # get_params reads __init__'s signature on every call, and every fit
        # calls it to validate the parameters (as do clone and each candidate
        # of a grid search), a visible part of a small net's fit
        # (docs/architecture.md). A class's signature does not change; read
        # it once.
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
        # By name: skops.io would have users trust numpy.dtype objects too.
        if "_fit_dtype" in state:
            state["_fit_dtype"] = np.dtype(state["_fit_dtype"]).name
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
        # Parameters added since a model was pickled take their defaults.
        for option in type(self)._options:
            state.setdefault(option.name, option.default)
        if "_fit_dtype" in state:
            state["_fit_dtype"] = np.dtype(state["_fit_dtype"])
        if "_trainer_options" in state:
            state["_trainer_options"] = _trainer_fields(state["_trainer_options"])
        super().__setstate__(state)
        if network_state is not None:
            network = _core.Network(
                network_state["layer_units"],
                network_state["hidden_activations"],
                network_state["output_activation"],
                network_state["leaky_relu_slope"],
                **_layer_fields(network_state.get("layer_options", {})),
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
    # The model file (docs/model_format.md)

    def save(self, path):
        """Write the fitted model to a file that ``fastdnn.load`` reads.

        The file holds what prediction needs and every constructor parameter
        JSON can hold, not the optimizer's state (docs/model_format.md);
        loading it never unpickles anything.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write the file (conventionally ending in ``.fdnn``).
        """
        data = model_bytes(self)
        with open(path, "wb") as file:
            file.write(data)

    def to_bytes(self):
        """The fitted model as the bytes of its model file (see ``save``),
        which ``fastdnn.from_bytes`` reads.

        Returns
        -------
        data : bytes
        """
        return model_bytes(self)

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
        CPU the process may use, -2 all but one, as in joblib. More threads
        than those CPUs would only wait for each other: n_jobs is capped
        there (_check_n_jobs warns of it when fitting).
        """
        if self.n_jobs is None or self.n_jobs == 0:
            return 0
        if self.n_jobs == 1:  # no need to ask the system (every prediction)
            return 1
        if self.n_jobs > 0:
            return min(int(self.n_jobs), _usable_cpus())
        return max(1, _usable_cpus() + 1 + int(self.n_jobs))

    def _check_n_jobs(self):
        """Refuse an n_jobs past the engine's int; warn that one past the
        usable CPUs is capped."""
        if self.n_jobs is None:
            return
        _check_fits_int32("n_jobs", self.n_jobs)
        usable = _usable_cpus()
        if self.n_jobs > usable:
            warnings.warn(
                f"n_jobs={self.n_jobs} is more than the {usable} CPUs this "
                f"process may use: fastdnn runs {usable} threads.",
                UserWarning,
                stacklevel=3,
            )

    def _checked_hidden_layer_sizes(self):
        """hidden_layer_sizes as a list of positive ints the engine takes."""
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, Integral):
                raise ValueError(
                    "hidden_layer_sizes must hold integers, got "
                    f"{self.hidden_layer_sizes!r}."
                )
            _check_fits_int32("hidden_layer_sizes", size)
        if any(size <= 0 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(size) for size in sizes]

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
        self._network.initialize(
            int(self._random_state.randint(SEED_BOUND)),
            self._glorot_factor(hidden_activations),
            self.weight_init,
            n_threads=self._engine_threads(),
        )
        mirror = self._parameter_mirror
        mirror.attach(self._network)
        mirror.publish(self)
        self._trainer = None
        self._best_model = mirror.snapshot()

        if self.solver in STOCHASTIC_SOLVERS:
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

    def _layer_options(self, n_hidden, epoch=0):
        """The engine's LayerOptions fields from the parameters (annealed ones
        as in epoch ``epoch`` of a fit), checked: the table's, and dropout as
        one rate per hidden layer."""
        dropout = value_in_epoch(self.dropout, epoch)
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
        fields = engine_options(self, "layer", epoch)
        stochastic = (
            self.normalization in ("batch", "decorrelated_batch")
            or any(dropout)
            or fields["input_dropout"] > 0
            or fields["input_noise"] > 0
            or bool(annealed_fields(self))
        )
        if stochastic and self.solver not in STOCHASTIC_SOLVERS:
            raise ValueError(
                "batch and decorrelated batch normalization, dropout, input_dropout "
                "and input_noise change with each minibatch: they need a stochastic "
                "solver (sgd, "
                "adam, adamw, nadam, rmsprop or adagrad), "
                f"not {self.solver!r}."
            )
        return {**fields, "dropout": dropout if any(dropout) else []}

    def _glorot_factor(self, hidden_activations):
        """'auto' is Glorot & Bengio's bound sqrt(6 / (fan_in + fan_out))
        with scikit-learn's 2 instead of 6 for logistic nets (all hidden
        layers logistic, when given as a list); the other schemes ignore the
        factor."""
        all_logistic = self.activation == "logistic" or (
            bool(hidden_activations) and set(hidden_activations) == {"logistic"}
        )
        return 2.0 if all_logistic else 6.0

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
    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        incremental=False,
        eval_set=None,
        init_from=None,
        difficulty=None,
        teacher=None,
    ):
        hidden_layer_sizes = self._checked_hidden_layer_sizes()
        self._check_n_jobs()
        self._hidden_activations(len(hidden_layer_sizes))
        first_pass = "_network" not in self.__dict__ or (
            not self.warm_start and not incremental
        )

        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        n_samples, n_features = X.shape
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
            check_sample_weight_for_float32(sample_weight)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        layer_units = [n_features, *hidden_layer_sizes, y.shape[1]]

        self._check_techniques(init_from, difficulty, first_pass)
        if difficulty is not None:
            difficulty = checked_difficulty(difficulty, n_samples)

        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, X.dtype)
            if init_from is not None:
                initialize_from(self, init_from)
            if getattr(self, "pretraining", None) is not None:
                pretrain(self, X, y, sample_weight, self._batch_size(n_samples))
            self._parameter_mirror.publish(self)
            self._best_model = self._parameter_mirror.snapshot()
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

        if self.solver in STOCHASTIC_SOLVERS:
            self._fit_stochastic(
                X, y, sample_weight, incremental, eval_set, difficulty, teacher
            )
        else:
            self._fit_lbfgs(X, y, sample_weight, teacher)

        self._parameter_mirror.publish(self)
        if not np.isfinite(self._network.parameters).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _check_techniques(self, init_from, difficulty, first_pass):
        """Refuse combinations of the training techniques that have no
        meaning, before anything is trained."""
        stochastic = self.solver in STOCHASTIC_SOLVERS
        if init_from is not None and not first_pass:
            raise ValueError(
                "init_from initialises a new network, but this fit continues the "
                "fitted one (warm_start=True or partial_fit): fit anew instead."
            )
        pretraining = getattr(self, "pretraining", None)
        if pretraining is not None and not stochastic:
            raise ValueError(
                f"pretraining={pretraining!r} needs a stochastic solver, not "
                f"{self.solver!r}."
            )
        if pretraining is not None and init_from is not None:
            raise ValueError(
                "pretraining and init_from each give the first layers their "
                "starting weights: use one of them."
            )
        curriculum = getattr(self, "curriculum", None)
        if (curriculum is None) != (difficulty is None):
            raise ValueError(
                "curriculum and fit(..., difficulty=) go together: "
                + (
                    f"curriculum={curriculum!r} needs each sample's difficulty."
                    if difficulty is None
                    else "difficulty is used by a curriculum; set curriculum="
                    "'linear', 'root' or 'step'."
                )
            )
        if curriculum is not None and not stochastic:
            raise ValueError(
                f"curriculum={curriculum!r} orders minibatches: it needs a "
                f"stochastic solver, not {self.solver!r}."
            )
        check_annealed(self)

    def _batch_size(self, n_samples):
        """The minibatch size of the stochastic solvers for n_samples rows."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        return int(np.clip(self.batch_size, 1, n_samples))

    def _check_layer_options_unchanged(self, n_hidden):
        wanted = self._layer_options(n_hidden)
        built = self._network.layer_options
        # Annealed rates end a fit at their last epoch's value.
        for name in annealed_fields(self):
            wanted.pop(name, None)
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
            names = ", ".join(option_named_by_field(field) for field in changed)
            raise ValueError(
                f"{names} changed since the network was built; fit "
                "anew (warm_start=False) to change the layers."
            )

    def _trainer_options_from_parameters(self):
        """The engine's TrainerOptions fields: the table's, and those that
        depend on more than one parameter or on the fitted network."""
        # AdamW is the engine's adam with decoupled decay, by default PyTorch's
        # 0.01; the other solvers decay only when asked to.
        if self.solver == "adamw":
            solver, default_decay = "adam", 0.01
        else:
            solver = self.solver if self.solver in STOCHASTIC_SOLVERS else "sgd"
            default_decay = 0.0
        trainable_layers = self._trainable_layer_indices()
        if self.training_precision == "bfloat16":
            warn_once_if_emulated("training_precision")
        return {
            **engine_options(self, "trainer"),
            "loss": self._engine_loss(),
            "solver": solver,
            "weight_decay": default_decay
            if self.weight_decay is None
            else self.weight_decay,
            "collect_histograms": self.diagnostics == "full",
            "trainable_layers": [] if trainable_layers is None else trainable_layers,
            "layer_learning_rates": self._layer_learning_rates(),
        }

    def _layer_learning_rates(self):
        """layer_learning_rates as the engine's list, checked against the net."""
        rates = engine_options(self, "trainer")["layer_learning_rates"]
        n_layers = len(self._network.layer_units) - 1
        if rates and (len(rates) != n_layers or not all(0 < r < np.inf for r in rates)):
            raise ValueError(
                "layer_learning_rates must hold one positive, finite multiplier per "
                f"weight layer ({n_layers}, as many as coefs_); got "
                f"{self.layer_learning_rates!r}."
            )
        return rates

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

    def _fit_lbfgs(self, X, y, sample_weight, teacher=None):
        if self.layer_learning_rates is not None or self.layer_schedule != "joint":
            raise ValueError(
                "layer_learning_rates and layer_schedule='cyclic' shape the steps "
                "of a stochastic solver (sgd, adam, adamw, nadam, rmsprop or "
                f"adagrad), not {self.solver!r}."
            )
        y, teacher_logits = self._distillation_targets(X, y, teacher)
        data = as_dataset(X)
        targets = as_float32(y)
        weights = as_float32(sample_weight)
        loss_name = self._engine_loss()
        alpha = float(self.alpha)
        l1 = float(self.l1)
        n_threads = self._engine_threads()
        loss_terms = self._loss_terms(teacher_logits)
        self._run_lbfgs(
            lambda: self._network.loss_and_gradient(
                data, targets, weights, loss_name, alpha, n_threads, l1=l1, **loss_terms
            )
        )

    def _loss_terms(self, teacher_logits=None):
        """The loss's terms beside the targets' own: label smoothing and
        distillation from a teacher's logits."""
        return {
            "label_smoothing": float(getattr(self, "label_smoothing", 0.0)),
            "teacher_logits": teacher_logits,
            "distillation_weight": float(self.distillation_weight),
            "distillation_temperature": float(self.distillation_temperature),
        }

    def _run_lbfgs(self, arena_loss_and_gradient):
        """Drive scipy's L-BFGS over the arena's trainable entries.

        arena_loss_and_gradient() is the objective at the arena's current
        parameters: (loss, gradient in the arena's layout), computed here by
        the engine or summed over a cluster's partitions
        (fastdnn.distributed).
        """
        parameters = self._network.parameters
        iteration = 0
        # The model L-BFGS starts from is the one published, averaged or not.
        self._parameter_mirror.drop_raw_weights()
        # Frozen layers are constants of the objective: L-BFGS sees only the
        # trainable entries of the arena.
        trainable = np.zeros(parameters.size, dtype=bool)
        for begin, end in self._layer_ranges(self._trainable_layer_indices()):
            trainable[begin:end] = True

        # Should an exception end the fit (Ctrl-C, which the engine answers
        # between chunks of rows, an error in the engine or in a callback),
        # the arena holds whichever point L-BFGS tried last, perhaps one its
        # loss was never computed for. The model is then the point of lowest
        # loss evaluated (the start when none was), loss_ that loss and
        # n_iter_ the iterations done.
        start = parameters[trainable].astype(np.float64)
        best = {"loss": np.inf, "packed": start}

        def loss_and_gradient(packed):
            parameters[trainable] = packed
            loss, gradient = arena_loss_and_gradient()
            if loss < best["loss"]:
                best["loss"], best["packed"] = loss, packed.copy()
            return loss, gradient[trainable].astype(np.float64)

        def report(intermediate_result):
            nonlocal iteration
            iteration += 1
            if self.verbose:
                print(f"Iteration {iteration}, loss = {intermediate_result.fun:.8f}")

        opt_res = None
        try:
            opt_res = scipy.optimize.minimize(
                loss_and_gradient,
                start,
                method="L-BFGS-B",
                jac=True,
                callback=report,
                options={
                    "maxfun": self.max_fun,
                    "maxiter": self.max_iter,
                    "gtol": self.tol,
                },
            )
        finally:
            self.n_iter_ = iteration
            if opt_res is not None:
                parameters[trainable] = opt_res.x
                self.loss_ = opt_res.fun
            else:
                parameters[trainable] = best["packed"]
                if np.isfinite(best["loss"]):
                    self.loss_ = best["loss"]
            self._parameter_mirror.publish(self)
        self.n_iter_ = _check_optimize_result("lbfgs", opt_res, self.max_iter)

    def _layer_ranges(self, layers):
        """[begin, end) arena ranges of the given layers (all when None)."""
        if layers is None:
            layers = range(len(self._network.layer_units) - 1)
        return [self._network.layer_range(layer) for layer in layers]

    def _distillation_targets(self, X, y, teacher):
        """(targets, teacher logits or None) of a fit with this teacher: a
        classifier keeps y and distils from the logits, a regressor trains on
        targets blended with the teacher's predictions."""
        if teacher is None:
            return y, None
        if is_classifier(self):
            return y, teacher_logits(self, teacher, X)
        return blended_targets(self, teacher, X, y), None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        eval_set=None,
        init_from=None,
        difficulty=None,
        teacher=None,
    ):
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

        init_from : fitted MLPClassifier, MLPRegressor or MLPAutoencoder, \
                default=None
            Transfer: the network starts from this one's leading hidden layers
            (weights, biases, normalization parameters and running
            statistics) as far as their shapes match; the other layers are
            initialised as usual. Combine with ``layer_learning_rates`` or
            ``trainable_layers`` to fine-tune them slowly or not at all.

        difficulty : array-like of shape (n_samples,), default=None
            Each sample's difficulty (higher is harder), for ``curriculum``
            (see ``fastdnn.curriculum``).

        teacher : fitted estimator, default=None
            Distil from this model (Hinton et al., 2015): a fitted fastdnn
            estimator, or for a classifier any fitted classifier with
            ``predict_proba`` and the same ``classes_`` (its log-probabilities
            stand in for logits), for a regressor any with ``predict``. See
            ``distillation_weight`` and ``distillation_temperature``. As a fit
            parameter it passes through ``GridSearchCV`` unchanged.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            incremental=False,
            eval_set=eval_set,
            init_from=init_from,
            difficulty=difficulty,
            teacher=teacher,
        )

    def _check_solver(self):
        if self.solver not in STOCHASTIC_SOLVERS:
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
        network, quantized, precision = self._network, None, "float32"
        bf16_weights = None
        if check_input:
            network, packed = self._parameter_mirror.prepare_prediction(self)
            if self.inference_precision == "bfloat16":
                precision, bf16_weights = "bfloat16", packed
                warn_once_if_emulated("inference_precision")
            else:
                quantized = packed
            # Serving's fast path: the engine takes a plain float ndarray of
            # the right width as it is, and returns None for anything that
            # needs validating first (validate_data alone costs several times
            # a single row's prediction).
            if type(X) is np.ndarray and "feature_names_in_" not in self.__dict__:
                output = network.predict_serving(
                    X, self._engine_threads(), quantized, precision, bf16_weights
                )
                if output is not None:
                    return output
            X = self._validate_for_prediction(X)
        # Outputs have X's floating dtype (float64 for any other), the output
        # activation computed in it.
        return network.predict(
            as_dataset(X),
            self._engine_threads(),
            quantized=quantized,
            float64=X.dtype != np.float32,
            precision=precision,
            bf16_weights=bf16_weights,
        )

    def _layer_outputs(self, X, layer, first=0):
        """The outputs of weight layer ``layer`` (a hidden layer's
        activations, or the output) for rows X that are weight layer
        ``first``'s inputs, in prediction mode; in X's floating dtype
        (float64 for any other). X is validated as the network's inputs
        when first is 0, and must be a checked float array otherwise."""
        self._check_fitted()
        network, _ = self._parameter_mirror.prepare_prediction(self)
        if first == 0:
            X = self._validate_for_prediction(X)
        outputs = network.predict_layers(
            as_dataset(X), first, layer, self._engine_threads()
        )
        return outputs if X.dtype == np.float32 else outputs.astype(np.float64)

    def _logits(self, X):
        """The output layer's pre-activations for X, float32 (n_samples,
        n_outputs): what a student distils from."""
        self._check_fitted()
        network, _ = self._parameter_mirror.prepare_prediction(self)
        X = self._validate_for_prediction(X)
        return network.predict_logits(as_dataset(X), self._engine_threads())

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

        X is checked by within_float32_range, and only where it fails (or X
        is sparse) by scikit-learn, whose error message is then the one raised
        for NaN and infinity, and by check_finite_in_float32 for finite values
        beyond float32's range.
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
        if not isinstance(X, np.ndarray) or not within_float32_range(X):
            check_finite_in_float32(X, "X", type(self).__name__)
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
            and within_float32_range(X)
        ):
            return X
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        check_float32_range(X, "X")
        return X

    def _score_with_function(self, X, y, sample_weight, score_function):
        """Score without input validation (validation would drop feature names)."""
        outputs = self._forward_pass_fast(X, check_input=False)
        if not np.isfinite(outputs).all():
            return np.nan
        y_pred = self._predictions_from(outputs)
        return score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
