"""What MLPClassifier and MLPRegressor share: parameters, the engine, training.

The C++ engine (``fastdnn._core``) runs every minibatch; this module decides
per epoch (validation, stopping, learning-rate schedules) exactly as
scikit-learn's ``BaseMultilayerPerceptron`` does, so the estimators are drop-in
replacements.
"""

import os
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from fastdnn import _core

_STOCHASTIC_SOLVERS = ("sgd", "adam")
_ENGINE_INPUT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# Seeds handed to the engine are drawn from the estimator's random state, so
# the same random_state gives the same model.
_SEED_BOUND = np.iinfo(np.int32).max


def _as_dataset(X):
    """View validated inputs as an engine Dataset: float32, CSR stays sparse.

    Conversion happens once per call to fit or predict, never per epoch.
    """
    if sp.issparse(X):
        X = X.tocsr()
        return _core.Dataset.from_csr(
            np.ascontiguousarray(X.data, dtype=np.float32),
            np.ascontiguousarray(X.indices, dtype=np.int64),
            np.ascontiguousarray(X.indptr, dtype=np.int64),
            X.shape[1],
        )
    return _core.Dataset(np.ascontiguousarray(X, dtype=np.float32))


def _as_float32(array):
    if array is None:
        return None
    return np.ascontiguousarray(array, dtype=np.float32)


class BaseMultilayerPerceptron(BaseEstimator, ABC):
    """Base class for fastdnn's MLP classifier and regressor.

    Warning: this class should not be used directly; use the derived classes.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
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

    # ------------------------------------------------------------------
    # Fitted parameters: numpy views of the engine's arena

    def _engine(self):
        network = self.__dict__.get("_network")
        if network is None:
            raise AttributeError(
                f"This {type(self).__name__} instance is not fitted yet."
            )
        return network

    @property
    def coefs_(self):
        """list of ndarray: the ith element is layer i's weights (n_in, n_out).

        Float32 models give live views of the engine's parameters; float64
        models give float64 copies. Assign a list to change the weights.
        """
        network = self._engine()
        return [self._in_fit_dtype(network.coef(i)) for i in range(self.n_layers_ - 1)]

    @coefs_.setter
    def coefs_(self, coefs):
        network = self._engine()
        self._copy_into_engine(coefs, network.coef, "coefs_")

    @property
    def intercepts_(self):
        """list of ndarray: the ith element is layer i + 1's biases (n_out,)."""
        network = self._engine()
        return [
            self._in_fit_dtype(network.intercept(i)) for i in range(self.n_layers_ - 1)
        ]

    @intercepts_.setter
    def intercepts_(self, intercepts):
        network = self._engine()
        self._copy_into_engine(intercepts, network.intercept, "intercepts_")

    def _in_fit_dtype(self, view):
        if self._fit_dtype == np.float32:
            return view
        return view.astype(self._fit_dtype)

    def _copy_into_engine(self, arrays, engine_view, name):
        arrays = list(arrays)
        if len(arrays) != self.n_layers_ - 1:
            raise ValueError(
                f"{name} needs {self.n_layers_ - 1} arrays, got {len(arrays)}."
            )
        for layer, array in enumerate(arrays):
            target = engine_view(layer)
            array = np.asarray(array)
            if array.shape != target.shape:
                raise ValueError(
                    f"{name}[{layer}] must have shape {target.shape}, "
                    f"got {array.shape}."
                )
            target[...] = array

    # ------------------------------------------------------------------
    # Pickling: the engine objects are rebuilt from their arenas

    def __getstate__(self):
        # A copy: object.__getstate__ hands back the live __dict__ itself.
        state = dict(super().__getstate__())
        network = state.pop("_network", None)
        trainer = state.pop("_trainer", None)
        if network is not None:
            state["_network_state"] = {
                "layer_units": list(network.layer_units),
                "hidden_activation": network.hidden_activation,
                "output_activation": network.output_activation,
                "parameters": network.parameters.copy(),
            }
        if trainer is not None:
            state["_trainer_state"] = {
                "learning_rate": trainer.learning_rate,
                "step": trainer.step,
                "optimizer_state": [s.copy() for s in trainer.optimizer_state],
            }
        return state

    def __setstate__(self, state):
        state = dict(state)
        network_state = state.pop("_network_state", None)
        trainer_state = state.pop("_trainer_state", None)
        super().__setstate__(state)
        if network_state is not None:
            network = _core.Network(
                network_state["layer_units"],
                network_state["hidden_activation"],
                network_state["output_activation"],
            )
            network.parameters[...] = network_state["parameters"]
            self._network = network
        if trainer_state is not None:
            trainer = self._new_trainer()
            trainer.learning_rate = trainer_state["learning_rate"]
            trainer.step = trainer_state["step"]
            for target, saved in zip(
                trainer.optimizer_state, trainer_state["optimizer_state"], strict=True
            ):
                target[...] = saved
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

        self._network = _core.Network(
            layer_units, self.activation, self.out_activation_
        )
        # Glorot & Bengio's bound sqrt(6 / (fan_in + fan_out)); scikit-learn
        # uses 2 instead of 6 for logistic nets.
        glorot_factor = 2.0 if self.activation == "logistic" else 6.0
        self._network.initialize(
            int(self._random_state.randint(_SEED_BOUND)), glorot_factor
        )
        self._trainer = None
        self._best_parameters = self._network.parameters.copy()

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden_layer_sizes = self.hidden_layer_sizes
        if not hasattr(hidden_layer_sizes, "__iter__"):
            hidden_layer_sizes = [hidden_layer_sizes]
        hidden_layer_sizes = list(hidden_layer_sizes)
        if np.any(np.array(hidden_layer_sizes) <= 0):
            raise ValueError(
                f"hidden_layer_sizes must be > 0, got {hidden_layer_sizes}."
            )
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
        elif list(self._network.layer_units) != layer_units:
            raise ValueError(
                f"The network has layer sizes {list(self._network.layer_units)} "
                f"but this call needs {layer_units}: hidden_layer_sizes or the "
                "number of outputs changed since the last fit. Fit anew "
                "(warm_start=False) to change the architecture."
            )

        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(X, y, sample_weight, incremental)
        else:
            self._fit_lbfgs(X, y, sample_weight)

        if not np.isfinite(self._network.parameters).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _trainer_options_from_parameters(self):
        return {
            "loss": self._engine_loss(),
            "solver": self.solver if self.solver in _STOCHASTIC_SOLVERS else "sgd",
            "alpha": float(self.alpha),
            "learning_rate": float(self.learning_rate_init),
            "momentum": float(self.momentum),
            "nesterov": bool(self.nesterovs_momentum),
            "beta_1": float(self.beta_1),
            "beta_2": float(self.beta_2),
            "epsilon": float(self.epsilon),
        }

    def _fit_lbfgs(self, X, y, sample_weight):
        data = _as_dataset(X)
        targets = _as_float32(y)
        weights = _as_float32(sample_weight)
        parameters = self._network.parameters
        loss_name = self._engine_loss()
        alpha = float(self.alpha)
        n_threads = self._engine_threads()
        iteration = 0

        def loss_and_gradient(packed):
            parameters[...] = packed
            loss, gradient = self._network.loss_and_gradient(
                data, targets, weights, loss_name, alpha, n_threads
            )
            return loss, gradient.astype(np.float64)

        def report(intermediate_result):
            nonlocal iteration
            iteration += 1
            print(f"Iteration {iteration}, loss = {intermediate_result.fun:.8f}")

        opt_res = scipy.optimize.minimize(
            loss_and_gradient,
            parameters.astype(np.float64),
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
        parameters[...] = opt_res.x

    def _fit_stochastic(self, X, y, sample_weight, incremental):
        if not incremental or self.__dict__.get("_trainer") is None:
            self._trainer_options = self._trainer_options_from_parameters()
            self._trainer = self._new_trainer()
        trainer = self._trainer

        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        if early_stopping:
            # Multilabel targets are not stratified, as in scikit-learn.
            should_stratify = is_classifier(self) and self.n_outputs_ == 1
            split = train_test_split(
                X,
                y,
                *([] if sample_weight is None else [sample_weight]),
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=y if should_stratify else None,
            )
            X_train, X_val, y_train, y_val = split[:4]
            sample_weight_train, sample_weight_val = (
                split[4:] if sample_weight is not None else (None, None)
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            if is_classifier(self):
                y_val = self._label_binarizer.inverse_transform(y_val)
        else:
            X_train, y_train, sample_weight_train = X, y, sample_weight
            X_val = y_val = sample_weight_val = None

        n_samples = X_train.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped",
                    stacklevel=2,
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        data = _as_dataset(X_train)
        targets = _as_float32(y_train)
        weights = _as_float32(sample_weight_train)
        shuffle_seed = int(self._random_state.randint(_SEED_BOUND))

        try:
            self.n_iter_ = 0
            for epoch in range(self.max_iter):
                self.loss_ = trainer.train_epoch(
                    data,
                    targets,
                    weights,
                    batch_size,
                    self.shuffle,
                    shuffle_seed,
                    epoch,
                )
                self.n_iter_ += 1
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")

                self._update_no_improvement_count(
                    early_stopping, X_val, y_val, sample_weight_val
                )
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    trainer.learning_rate = (
                        float(self.learning_rate_init) / (self.t_ + 1) ** self.power_t
                    )

                if self._no_improvement_count > self.n_iter_no_change:
                    if early_stopping:
                        message = (
                            "Validation score did not improve more than "
                            f"tol={self.tol:f} for {self.n_iter_no_change} "
                            "consecutive epochs."
                        )
                    else:
                        message = (
                            f"Training loss did not improve more than tol={self.tol:f}"
                            f" for {self.n_iter_no_change} consecutive epochs."
                        )
                    if self._trigger_stopping(message):
                        break
                    self._no_improvement_count = 0

                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                        "reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                        stacklevel=2,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=2)

        if early_stopping:
            self._network.parameters[...] = self._best_parameters

    def _trigger_stopping(self, message):
        """Stop, or for sgd with learning_rate='adaptive' divide the rate by 5."""
        trainer = self._trainer
        if self.solver != "sgd" or self.learning_rate != "adaptive":
            if self.verbose:
                print(message + " Stopping.")
            return True
        if trainer.learning_rate <= 1e-6:
            if self.verbose:
                print(message + " Learning rate too small. Stopping.")
            return True
        trainer.learning_rate /= 5.0
        if self.verbose:
            print(message + f" Setting learning rate to {trainer.learning_rate:f}")
        return False

    def _update_no_improvement_count(self, early_stopping, X_val, y_val, sample_weight):
        if early_stopping:
            score = self._score(X_val, y_val, sample_weight=sample_weight)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                # One copy of one arena holds every weight and bias.
                self._best_parameters = self._network.parameters.copy()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
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

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

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
        if check_input:
            X = self._validate_for_prediction(X)
        output = self._network.predict(_as_dataset(X), self._engine_threads())
        output_dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        return output.astype(output_dtype, copy=False)

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
            and np.isfinite(X).all()
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
